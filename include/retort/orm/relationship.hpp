// Relationships between models: Collection<T> (one-to-many, many-to-many),
// Ref<T> (many-to-one, one-to-one), Dynamic<T> (a collection that is a query),
// and the attribute a backref creates on the other model (reached through
// `backref<&Owner::pets>(pet)` or by name).
//
// The two sides of a relationship stay in sync in memory the moment one side
// changes, before any flush, as SQLAlchemy's backref and back_populates do:
// appending a pet to `owner->pets` makes the pet's `owner` that owner. The
// foreign-key columns are written at flush.
//
// The typed members are thin: every operation goes through the non-template
// RelState, implemented once in src/orm/relationships.cpp.
//
// **Example**:
//   struct Owner { std::int64_t id = 0; std::string name; retort::Collection<Pet> pets; };
//   m.relationship(&Owner::pets, "pets").backref("owner");
//   ann->pets.append(rex);                       // backref<&Owner::pets>(rex) is now ann
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "retort/orm/loading.hpp"
#include "retort/orm/mapper.hpp"
#include "retort/orm/ptr.hpp"
#include "retort/orm/query.hpp"

namespace retort {

/// What a relationship's options say, for the forward side or for a backref.
struct RelationshipOptions {
  Lazy lazy = Lazy::select;
  /// Orders the collection: target column names, optionally followed by " desc".
  std::vector<std::string> order_by;
  /// SQLAlchemy's cascade string: "save-update, merge" (default), "all", "all, delete-orphan", ...
  std::string cascade;
  /// Leave children to the database's ON DELETE when a parent is deleted (do not load them).
  bool passive_deletes = false;
  /// The foreign-key columns that join the sides ("pet.owner_id"), when there are several.
  std::vector<std::string> foreign_keys;
  /// Self-referential: the columns on the remote side ("id" makes it many-to-one).
  std::vector<std::string> remote_side;
  /// For a backref of a many-to-one: false makes it a one-to-one.
  bool uselist = true;
};

namespace detail {

struct RelationshipInfo;
class RelState;

/// Finds the erased state of one relationship member of an object.
class RelationshipAccess {
 public:
  virtual ~RelationshipAccess() = default;
  virtual RelState& state(void* object) const = 0;
};
template <class T, class M>
class RelationshipAccessImpl final : public RelationshipAccess {
 public:
  explicit RelationshipAccessImpl(M T::*member) : member_(member) {}
  RelState& state(void* object) const override { return static_cast<T*>(object)->*member_; }

 private:
  M T::*member_;
};

enum class MemberKind : std::uint8_t { collection, ref, dynamic, backref };

/// A relationship as declared in a Mapping, before configuration resolves it.
struct RelationshipSpec {
  std::string name;
  MemberKind kind = MemberKind::collection;
  std::type_index target_type = typeid(void);
  ClassBuilder target_build = nullptr;
  std::unique_ptr<RelationshipAccess> access;
  MemberKey member{};
  std::optional<Table> secondary;
  std::string backref;
  RelationshipOptions backref_options;
  std::string back_populates;
  RelationshipOptions options;
  RelState* (*make_backref_state)() = nullptr;  ///< a Backref<Owner> for the attribute a backref creates
};

/// The state of one relationship of one object: what is loaded, and what
/// changed since the last flush. Raw pointers; the session keeps every object
/// a state refers to alive (it "links" them) until it resets the state.
class RelState {
 public:
  RelState() = default;
  /// A copy of a model does not copy its relationships: the copy starts empty.
  RelState(const RelState&) {}
  RelState(RelState&& o) noexcept;
  /// Assigning a whole model leaves its relationships as they are.
  RelState& operator=(const RelState&) { return *this; }
  RelState& operator=(RelState&& o) noexcept;
  virtual ~RelState();

  // The erased operations the typed wrappers call.
  const std::vector<InstanceBase*>& items() const;  ///< loads if needed
  InstanceBase* target() const;                     ///< scalar side; loads if needed
  void append(InstanceBase* item);
  void remove(InstanceBase* item);
  void assign(InstanceBase* item);  ///< scalar side; nullptr clears
  void clear();
  bool is_loaded() const { return loaded_; }
  /// Dynamic<T>: the query for the related objects.
  QueryCore query() const;

  InstanceBase* owner_ = nullptr;  ///< the object this state belongs to (set when it is created)
  const RelationshipInfo* info_ = nullptr;
  std::vector<InstanceBase*> items_;    ///< loaded contents (a scalar holds 0 or 1)
  std::vector<InstanceBase*> added_;    ///< appended since the last flush
  std::vector<InstanceBase*> removed_;  ///< removed since the last flush
  /// Appended while the owner was not in a session; each holds a reference.
  std::vector<InstanceBase*> unbound_;
  bool loaded_ = false;
  bool changed_ = false;   ///< the session lists the owner for the next flush
  Lazy override_ = Lazy::select;  ///< the strategy a query option set for this object
  bool overridden_ = false;
};

/// A state for an object that has not joined a session (unbound) or has left one.
[[noreturn]] void not_in_session(const RelState& state);

}  // namespace detail

namespace detail {

/// The typed operations of every relationship member, written once; each
/// member type makes public the ones that fit it.
template <class T>
class TypedState : public RelState {
 public:
  class iterator {
   public:
    using value_type = Ptr<T>;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(std::vector<InstanceBase*>::const_iterator it) : it_(it) {}
    Ptr<T> operator*() const { return Ptr<T>(*it_); }
    iterator& operator++() {
      ++it_;
      return *this;
    }
    iterator operator++(int) {
      auto copy = *this;
      ++it_;
      return copy;
    }
    bool operator==(const iterator& o) const { return it_ == o.it_; }

   private:
    std::vector<InstanceBase*>::const_iterator it_;
  };

 protected:
  // As a collection: loaded on first use, as the relationship's strategy says.
  iterator begin() const { return iterator(items().begin()); }
  iterator end() const { return iterator(items_.end()); }
  std::size_t size() const { return items().size(); }
  bool empty() const { return items().empty(); }
  Ptr<T> operator[](std::size_t i) const { return Ptr<T>(items().at(i)); }
  bool contains(const Ptr<T>& p) const {
    auto& v = items();
    return std::find(v.begin(), v.end(), p.instance()) != v.end();
  }
  std::vector<Ptr<T>> to_vector() const { return std::vector<Ptr<T>>(begin(), end()); }
  /// Adds `p` (and, by the save-update cascade, to the owner's session); the other side follows.
  void append(const Ptr<T>& p) { RelState::append(p.instance()); }
  void remove(const Ptr<T>& p) { RelState::remove(p.instance()); }

  // As a reference: the related object, loaded on first use; null when there is none.
  Ptr<T> get() const { return Ptr<T>(target()); }
  T* operator->() const { return get().operator->(); }
  explicit operator bool() const { return target() != nullptr; }
  bool operator==(const Ptr<T>& p) const { return target() == p.instance(); }
  void set(InstanceBase* p) { assign(p); }
};

}  // namespace detail

/// A one-to-many or many-to-many collection (SQLAlchemy's list relationship).
template <class T>
class Collection : public detail::TypedState<T> {
  using Base = detail::TypedState<T>;

 public:
  using typename Base::iterator;
  using Base::begin, Base::end, Base::size, Base::empty, Base::operator[], Base::contains, Base::to_vector,
      Base::append, Base::remove, Base::clear;
};

/// A many-to-one or one-to-one reference (SQLAlchemy's scalar relationship).
template <class T>
class Ref : public detail::TypedState<T> {
  using Base = detail::TypedState<T>;

 public:
  using Base::get, Base::operator->, Base::operator bool, Base::operator==;
  Ref& operator=(const Ptr<T>& p) {
    this->set(p.instance());
    return *this;
  }
  Ref& operator=(std::nullptr_t) {
    this->set(nullptr);
    return *this;
  }
};

/// A relationship that is a query (lazy="dynamic"): nothing loads on access;
/// filter, count and paginate run SQL; append and remove are written at flush.
template <class T>
class Dynamic : public detail::TypedState<T> {
  using Base = detail::TypedState<T>;

 public:
  using Base::append, Base::remove;
  Query<T> query() const { return Query<T>(detail::RelState::query()); }
  Query<T> filter(const Expr& condition) const { return query().filter(condition); }
  Query<T> order_by(std::vector<Expr> keys) const { return query().order_by(std::move(keys)); }
  std::vector<Ptr<T>> all() const { return query().all(); }
  std::int64_t count() const { return query().count(); }
  Pagination<T> paginate(std::int64_t page, std::int64_t per_page = 20) const { return query().paginate(page, per_page); }
};

/// SQLAlchemy 2.0's name for the same idea: a collection that never loads implicitly.
template <class T>
using WriteOnly = Dynamic<T>;

/// The attribute a backref created on a model that does not declare it: a
/// reference (the backref of a one-to-many) or a collection (of a
/// many-to-one or many-to-many), as the forward side's direction makes it.
template <class T>
class Backref : public detail::TypedState<T> {
  using Base = detail::TypedState<T>;

 public:
  using typename Base::iterator;
  using Base::begin, Base::end, Base::size, Base::empty, Base::operator[], Base::contains, Base::append, Base::remove;
  using Base::get, Base::operator->, Base::operator bool, Base::operator==;
  operator Ptr<T>() const { return get(); }  // NOLINT: reads as the referenced object
  Backref& operator=(const Ptr<T>& p) {
    this->set(p.instance());
    return *this;
  }
  Backref& operator=(std::nullptr_t) {
    this->set(nullptr);
    return *this;
  }
};

/// Declares a relationship; every option returns the builder for chaining.
class RelationshipBuilder {
 public:
  explicit RelationshipBuilder(detail::RelationshipSpec& spec) : spec_(spec) {}
  /// Creates the reverse attribute `name` on the target model (SQLAlchemy's backref).
  RelationshipBuilder& backref(std::string name, RelationshipOptions options = {});
  /// Names the target model's relationship that is the other side (declared there too).
  RelationshipBuilder& back_populates(std::string name);
  /// Many-to-many through this association table.
  RelationshipBuilder& secondary(const Table& table);
  RelationshipBuilder& lazy(Lazy strategy);
  RelationshipBuilder& order_by(std::vector<std::string> columns);
  RelationshipBuilder& cascade(std::string cascade);
  RelationshipBuilder& passive_deletes(bool on = true);
  RelationshipBuilder& foreign_keys(std::vector<std::string> columns);
  RelationshipBuilder& remote_side(std::vector<std::string> columns);

 private:
  detail::RelationshipSpec& spec_;
};

namespace detail {

template <class T>
struct related_type;
template <class T>
struct related_type<Collection<T>> {
  using type = T;
  static constexpr MemberKind kind = MemberKind::collection;
};
template <class T>
struct related_type<Ref<T>> {
  using type = T;
  static constexpr MemberKind kind = MemberKind::ref;
};
template <class T>
struct related_type<Dynamic<T>> {
  using type = T;
  static constexpr MemberKind kind = MemberKind::dynamic;
};

RelationshipSpec& add_relationship(ClassInfo& info, std::string name);
/// The relationship declared on `member`; MappingError when it is not one.
const RelationshipInfo& relationship_of(const ClassInfo& cls, const MemberKey& member);
/// The relationship named `name` (declared or created by a backref); ArgumentError listing them.
const RelationshipInfo& relationship_named(const ClassInfo& cls, std::string_view name);
/// The state of a relationship of an object (its member, or the backref's slot).
RelState& state_of(InstanceBase* instance, const RelationshipInfo& rel);
/// The name of the backref declared on a forward relationship; MappingError when there is none.
const RelationshipInfo& backref_of(const RelationshipInfo& forward);

}  // namespace detail

template <class T>
template <class M>
RelationshipBuilder Mapper<T>::relationship(M T::*member, std::string name) {
  using Traits = detail::related_type<M>;
  using U = typename Traits::type;
  // Both models are enrolled wherever the mapping is seen: a backref may make
  // a model that the program never names part of another's mapping.
  (void)detail::enrolled<T>;
  (void)detail::enrolled<U>;
  auto& spec = detail::add_relationship(info_, std::move(name));
  spec.kind = Traits::kind;
  spec.target_type = typeid(U);
  spec.target_build = &detail::build_class<U>;
  spec.access = std::make_unique<detail::RelationshipAccessImpl<T, M>>(member);
  spec.member = detail::member_key(member);
  spec.make_backref_state = []() -> detail::RelState* { return new Backref<T>(); };
  if constexpr (Traits::kind == detail::MemberKind::dynamic) spec.options.lazy = Lazy::dynamic;
  return RelationshipBuilder(spec);
}

/// The attribute a backref on `Forward` created, on object `p` of the target
/// model: `backref<&Owner::pets>(rex)` is Rex's owner; assign to it to move Rex.
template <auto Forward, class U>
auto& backref(const Ptr<U>& p) {
  using Member = decltype(Forward);
  using T = typename detail::member_class<Member>::type;
  const auto& forward = detail::relationship_of(class_info<T>(), detail::member_key(Forward));
  auto& state = detail::state_of(p.instance(), detail::backref_of(forward));
  return static_cast<Backref<T>&>(state);
}

/// Names a relationship for loader options and joins from its member: `&Owner::pets`.
template <class T, class M>
std::string relationship_name(M T::*member) {
  return detail::relationship_name(class_info<T>(), detail::member_key(member));
}

}  // namespace retort
