// ORM queries: Query<T> over a SELECT of T's table, results through the
// session's identity map; typed column expressions from members (`col`), and
// Flask-SQLAlchemy's paginate.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "retort/core/sql.hpp"
#include "retort/orm/loading.hpp"
#include "retort/orm/mapper.hpp"
#include "retort/orm/ptr.hpp"

namespace retort {

/// A column expression that knows its C++ value type, made by `col(&T::member)`.
/// Comparing it with a value of an unrelated type does not compile.
template <class V>
class Col : public Expr {
 public:
  using value_type = V;
  explicit Col(Expr e) : Expr(std::move(e)) {}
};

namespace detail {
template <class V, class X>
concept comparable_with =
    std::is_same_v<std::decay_t<X>, std::nullptr_t> || std::is_base_of_v<Expr, std::decay_t<X>> ||
    (std::is_same_v<V, std::string> && std::is_convertible_v<X, std::string_view>) ||
    (std::is_arithmetic_v<V> && std::is_arithmetic_v<std::decay_t<X>>) ||
    (!std::is_arithmetic_v<V> && !std::is_same_v<V, std::string> && std::is_convertible_v<X, V>);

Expr column_expr(const ClassInfo& cls, std::size_t column);
}  // namespace detail

/// The column a member maps to, as a typed expression: `col(&Pet::name) == "Rex"`.
template <class T, class M>
Col<typename detail::optional_value<M>::type> col(M T::*member) {
  const auto& cls = class_info<T>();
  return Col<typename detail::optional_value<M>::type>(
      detail::column_expr(cls, cls.column_of(detail::member_key(member), typeid(M))));
}

// A comparison whose right side is not of the column's type is refused.
#define RETORT_TYPED_COMPARISON(op)                                                   \
  template <class V, class X>                                                         \
    requires(!detail::comparable_with<V, X>)                                          \
  Expr operator op(const Col<V>&, const X&) = delete;                                 \
  template <class V, class X>                                                         \
    requires detail::comparable_with<V, X>                                            \
  Expr operator op(const Col<V>& c, const X& x) {                                     \
    return static_cast<const Expr&>(c) op Expr(x);                                    \
  }
RETORT_TYPED_COMPARISON(==)
RETORT_TYPED_COMPARISON(!=)
RETORT_TYPED_COMPARISON(<)
RETORT_TYPED_COMPARISON(<=)
RETORT_TYPED_COMPARISON(>)
RETORT_TYPED_COMPARISON(>=)
#undef RETORT_TYPED_COMPARISON

namespace detail {

class SessionImpl;
class StreamLoader;

/// The part of a query that does not depend on T: compiled once, in query.cpp.
class QueryCore {
 public:
  QueryCore(SessionImpl* session, const ClassInfo& cls);

  QueryCore filter(const Expr& condition) const;
  QueryCore filter_by(std::string_view name, Value value) const;
  QueryCore order_by(std::vector<Expr> keys) const;
  QueryCore order_by(std::string_view name, bool descending) const;
  QueryCore limit(std::int64_t n) const;
  QueryCore offset(std::int64_t n) const;
  QueryCore distinct() const;
  QueryCore with_for_update() const;
  /// JOINs the target of relationship `name` (by its foreign key), for filters on its columns.
  QueryCore join(std::string_view name) const;
  QueryCore options(const std::vector<LoadOption>& options) const;
  /// Objects related to `object` through `rel` (a relationship of object's model, targeting this one).
  QueryCore with_parent(const RelationshipInfo& rel, InstanceBase* object) const;
  /// Objects whose relationship `name` refers to (or contains) `object`.
  QueryCore filter_related(std::string_view name, InstanceBase* object) const;

  /// Runs the SELECT (after autoflush) and returns the objects, each once per row.
  std::vector<InstanceBase*> fetch() const;
  std::int64_t count() const;
  bool exists() const;
  /// Runs the SELECT (after autoflush) for reading `batch` objects at a time.
  std::shared_ptr<StreamLoader> stream(std::size_t batch) const;
  const Select& statement() const { return select_; }
  const ClassInfo& cls() const { return *cls_; }

 private:
  SessionImpl* session_;
  const ClassInfo* cls_;
  Select select_;
  bool limited_ = false;  ///< has LIMIT or OFFSET: joined eager loads wrap it in a subquery
  bool for_update_ = false;  ///< runs on the primary, whatever replicas there are
  std::vector<std::vector<std::pair<std::string, Lazy>>> options_;
  std::vector<const RelationshipInfo*> joins_;

  /// What every statement of this query needs first: autoflush, and with
  /// FOR UPDATE the primary, in the transaction that will write.
  void prepare_read() const;
};

/// The next batch of a stream; empty at its end.
std::vector<InstanceBase*> next_batch(StreamLoader& stream);

template <class T>
std::vector<Ptr<T>> wrap_instances(const std::vector<InstanceBase*>& instances) {
  std::vector<Ptr<T>> out;
  out.reserve(instances.size());
  for (auto* i : instances) out.emplace_back(i);
  return out;
}

}  // namespace detail

/// The results of Query::yield_per: one SELECT whose rows are turned into
/// objects a batch at a time. Iterate the objects (`for (Ptr<T> p : stream)`)
/// or take whole batches (`next_batch()`). A batch's objects stay in the
/// session only while something refers to them, so memory stays flat however
/// many rows the query returns. The session's commit(), rollback() or close()
/// ends the stream (reading on raises InvalidRequestError).
template <class T>
class Stream {
 public:
  explicit Stream(std::shared_ptr<detail::StreamLoader> loader) : loader_(std::move(loader)) {}

  /// The next batch of objects; empty once every row has been read.
  std::vector<Ptr<T>> next_batch() { return detail::wrap_instances<T>(detail::next_batch(*loader_)); }

  class iterator {
   public:
    using value_type = Ptr<T>;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(Stream* s) : s_(s->read_batch() ? s : nullptr) {}
    const Ptr<T>& operator*() const { return s_->batch_[s_->pos_]; }
    const Ptr<T>* operator->() const { return &**this; }
    iterator& operator++() {
      advance();
      return *this;
    }
    void operator++(int) { advance(); }
    bool operator==(const iterator& o) const { return s_ == o.s_; }

   private:
    void advance() {
      if (s_ && ++s_->pos_ == s_->batch_.size() && !s_->read_batch()) s_ = nullptr;
    }
    Stream* s_ = nullptr;
  };
  /// Objects one by one (rows are still read a batch at a time).
  iterator begin() { return iterator(this); }
  iterator end() { return iterator(); }

 private:
  bool read_batch() {
    batch_.clear();  // the finished batch is let go before the next one is read
    batch_ = next_batch();
    pos_ = 0;
    return !batch_.empty();
  }
  std::shared_ptr<detail::StreamLoader> loader_;
  std::vector<Ptr<T>> batch_;
  std::size_t pos_ = 0;
};

/// A page of results, as Flask-SQLAlchemy's Pagination.
template <class T>
struct Pagination {
  std::vector<Ptr<T>> items;
  std::int64_t page = 1;
  std::int64_t per_page = 20;
  std::int64_t total = 0;
  std::int64_t pages = 0;  ///< ceil(total / per_page); 0 when there are no items
  bool has_prev = false;
  bool has_next = false;
  std::int64_t prev_num = 0;  ///< 0 when there is no previous page
  std::int64_t next_num = 0;  ///< 0 when there is no next page
};

/// A query for objects of T; every method returns a new query.
template <class T>
class Query {
 public:
  explicit Query(detail::QueryCore core) : core_(std::move(core)) {}

  /// ANDs an SQL expression: `filter(col(&Pet::species) == "cat")`.
  Query filter(const Expr& condition) const { return Query(core_.filter(condition)); }
  /// Equality on a column named at run time; ArgumentError listing T's columns if unknown.
  Query filter_by(std::string_view column, Value value) const { return Query(core_.filter_by(column, std::move(value))); }
  Query order_by(std::vector<Expr> keys) const { return Query(core_.order_by(std::move(keys))); }
  /// Ordering by a column named at run time (a request's `?sort=`), limited to mapped columns.
  Query order_by(std::string_view column, bool descending = false) const {
    return Query(core_.order_by(column, descending));
  }
  Query limit(std::int64_t n) const { return Query(core_.limit(n)); }
  Query offset(std::int64_t n) const { return Query(core_.offset(n)); }
  Query distinct() const { return Query(core_.distinct()); }
  /// `SELECT ... FOR UPDATE`: on PostgreSQL the rows stay locked until the
  /// session commits or rolls back, so a read-modify-write loses no concurrent
  /// update. SQLite has no row locks and ignores it (see EngineOptions::transaction_mode).
  Query with_for_update() const { return Query(core_.with_for_update()); }
  /// Loader options: `options(selectinload(&Owner::pets), joinedload("owner"))`.
  template <class... O>
  Query options(const LoadOption& first, const O&... rest) const {
    return Query(core_.options({first, rest...}));
  }
  /// JOINs a relationship's target so filters can use its columns: `join(&Owner::pets)` or `join("owner")`.
  Query join(std::string_view relationship) const { return Query(core_.join(relationship)); }
  template <class U, class M>
  Query join(M U::*relationship) const {
    return join(LoadOption::name_of(relationship));
  }
  /// Objects whose relationship `name` refers to `object`: `filter_by("owner", ann)`.
  template <class U>
  Query filter_by(std::string_view relationship, const Ptr<U>& object) const {
    return Query(core_.filter_related(relationship, object.instance()));
  }

  std::vector<Ptr<T>> all() const { return wrap(core_.fetch()); }

  /// Reads the results `batch` rows at a time from one SELECT, as SQLAlchemy's
  /// yield_per: `for (auto pet : session.query<Pet>().yield_per(1000)) ...`.
  /// selectinload options load each batch's related objects; joinedload is refused.
  Stream<T> yield_per(std::size_t batch) const { return Stream<T>(core_.stream(batch)); }
  /// The first object, or a null Ptr (adds LIMIT 1).
  Ptr<T> first() const {
    auto r = wrap(core_.limit(1).fetch());
    return r.empty() ? Ptr<T>() : r.front();
  }
  /// Exactly one object: NoResultFound or MultipleResultsFound otherwise.
  Ptr<T> one() const {
    auto r = one_or_none();
    if (!r) throw NoResultFound("No row was found when one was required (query for " + core_.cls().type_name + ")");
    return r;
  }
  /// One object or a null Ptr; MultipleResultsFound when there are several.
  Ptr<T> one_or_none() const {
    auto r = wrap(core_.limit(2).fetch());
    if (r.size() > 1)
      throw MultipleResultsFound("Multiple rows were found when one or none was required (query for " +
                                 core_.cls().type_name + ")");
    return r.empty() ? Ptr<T>() : r.front();
  }
  /// `SELECT count(*) FROM (query)`.
  std::int64_t count() const { return core_.count(); }
  bool exists() const { return core_.exists(); }

  /// Items of page `page` (1-based) and the figures around it. ArgumentError
  /// for page < 1 or per_page < 1.
  Pagination<T> paginate(std::int64_t page, std::int64_t per_page = 20) const {
    if (page < 1 || per_page < 1)
      throw ArgumentError("paginate(page=" + std::to_string(page) + ", per_page=" + std::to_string(per_page) +
                          "): both must be at least 1");
    Pagination<T> p;
    p.page = page;
    p.per_page = per_page;
    p.items = wrap(core_.limit(per_page).offset((page - 1) * per_page).fetch());
    p.total = count();
    p.pages = (p.total + per_page - 1) / per_page;
    p.has_prev = page > 1;
    p.has_next = page < p.pages;
    p.prev_num = p.has_prev ? page - 1 : 0;
    p.next_num = p.has_next ? page + 1 : 0;
    return p;
  }

  /// The SELECT this query runs.
  const Select& statement() const { return core_.statement(); }

 private:
  static std::vector<Ptr<T>> wrap(const std::vector<detail::InstanceBase*>& instances) {
    return detail::wrap_instances<T>(instances);
  }
  detail::QueryCore core_;
};

}  // namespace retort
