// Loading strategies and per-query loader options, as SQLAlchemy's `lazy=`
// and `joinedload()`/`selectinload()`/... options.
//
// **Example**:
//   s.query<Owner>().options({r::selectinload(&Owner::pets).joinedload(&Pet::toys)}).all();
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "retort/orm/mapper.hpp"

namespace retort {

/// How a relationship loads (SQLAlchemy's `lazy=`).
enum class Lazy : std::uint8_t {
  select,          ///< one SELECT on first access (the default)
  joined,          ///< LEFT OUTER JOIN in the parent's SELECT
  subquery,        ///< one extra SELECT for all parents, re-running the parent query as a subquery
  selectin,        ///< one extra SELECT ... IN per 500 parents
  immediate,       ///< one SELECT per parent, at query time
  noload,          ///< never loads: reads as empty
  raise,           ///< accessing it unloaded raises InvalidRequestError
  raise_on_sql,    ///< raises only when loading would need SQL
  dynamic,         ///< Dynamic<T>: a query, never loaded as a whole
  contains_eager,  ///< query option only: filled from a join the query wrote
};

/// The name SQLAlchemy gives a strategy ("selectin").
const char* lazy_name(Lazy lazy);

namespace detail {
std::string relationship_name(const ClassInfo& cls, const MemberKey& member);
}

/// A loader option: a path of relationships, each with the strategy to load it.
class LoadOption {
 public:
  LoadOption(std::string name, Lazy strategy) { path_.emplace_back(std::move(name), strategy); }

  /// The next level of the path: `selectinload(&Owner::pets).joinedload(&Pet::toys)`.
  LoadOption then(std::string name, Lazy strategy) const {
    LoadOption o = *this;
    o.path_.emplace_back(std::move(name), strategy);
    return o;
  }
  LoadOption joinedload(std::string name) const { return then(std::move(name), Lazy::joined); }
  LoadOption selectinload(std::string name) const { return then(std::move(name), Lazy::selectin); }
  LoadOption subqueryload(std::string name) const { return then(std::move(name), Lazy::subquery); }
  LoadOption immediateload(std::string name) const { return then(std::move(name), Lazy::immediate); }
  LoadOption lazyload(std::string name) const { return then(std::move(name), Lazy::select); }
  LoadOption raiseload(std::string name) const { return then(std::move(name), Lazy::raise); }
  LoadOption noload(std::string name) const { return then(std::move(name), Lazy::noload); }
  template <class T, class M>
  LoadOption joinedload(M T::*m) const { return joinedload(name_of(m)); }
  template <class T, class M>
  LoadOption selectinload(M T::*m) const { return selectinload(name_of(m)); }
  template <class T, class M>
  LoadOption subqueryload(M T::*m) const { return subqueryload(name_of(m)); }
  template <class T, class M>
  LoadOption immediateload(M T::*m) const { return immediateload(name_of(m)); }
  template <class T, class M>
  LoadOption lazyload(M T::*m) const { return lazyload(name_of(m)); }
  template <class T, class M>
  LoadOption raiseload(M T::*m) const { return raiseload(name_of(m)); }
  template <class T, class M>
  LoadOption noload(M T::*m) const { return noload(name_of(m)); }

  const std::vector<std::pair<std::string, Lazy>>& path() const { return path_; }

  template <class T, class M>
  static std::string name_of(M T::*m) {
    return detail::relationship_name(class_info<T>(), detail::member_key(m));
  }

 private:
  std::vector<std::pair<std::string, Lazy>> path_;
};

inline LoadOption joinedload(std::string name) { return {std::move(name), Lazy::joined}; }
inline LoadOption selectinload(std::string name) { return {std::move(name), Lazy::selectin}; }
inline LoadOption subqueryload(std::string name) { return {std::move(name), Lazy::subquery}; }
inline LoadOption immediateload(std::string name) { return {std::move(name), Lazy::immediate}; }
inline LoadOption lazyload(std::string name) { return {std::move(name), Lazy::select}; }
inline LoadOption raiseload(std::string name) { return {std::move(name), Lazy::raise}; }
inline LoadOption noload(std::string name) { return {std::move(name), Lazy::noload}; }
/// Fills the relationship from the query's own join (`query.join("pets")`), filtered as it is.
inline LoadOption contains_eager(std::string name) { return {std::move(name), Lazy::contains_eager}; }

template <class T, class M>
LoadOption joinedload(M T::*m) { return joinedload(LoadOption::name_of(m)); }
template <class T, class M>
LoadOption selectinload(M T::*m) { return selectinload(LoadOption::name_of(m)); }
template <class T, class M>
LoadOption subqueryload(M T::*m) { return subqueryload(LoadOption::name_of(m)); }
template <class T, class M>
LoadOption immediateload(M T::*m) { return immediateload(LoadOption::name_of(m)); }
template <class T, class M>
LoadOption lazyload(M T::*m) { return lazyload(LoadOption::name_of(m)); }
template <class T, class M>
LoadOption raiseload(M T::*m) { return raiseload(LoadOption::name_of(m)); }
template <class T, class M>
LoadOption noload(M T::*m) { return noload(LoadOption::name_of(m)); }
template <class T, class M>
LoadOption contains_eager(M T::*m) { return contains_eager(LoadOption::name_of(m)); }

}  // namespace retort
