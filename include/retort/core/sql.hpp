// The SQL expression language: expressions, FROM clauses and the four DML
// statements, built as immutable trees and compiled per dialect (compiler.cpp).
// Values never enter the SQL text: every literal becomes a bound parameter.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "retort/core/types.hpp"
#include "retort/core/value.hpp"

namespace retort {

namespace detail {
struct Node;
}
class Select;
class Table;

/// A SQL expression: a column, a bound value, an operator applied to others.
/// Comparisons and logic build new expressions; `x == nullptr` renders `IS NULL`.
///
/// **Example**: `(pet.c("species") == "cat" && pet.c("id") > 10) || pet.c("name").like("R%")`
class Expr {
 public:
  Expr() = default;
  /// A bound parameter holding `v`.
  template <class T>
    requires std::constructible_from<Value, T>
  Expr(T&& v) : Expr(literal(Value(std::forward<T>(v)))) {}
  explicit Expr(std::shared_ptr<const detail::Node> node) : node_(std::move(node)) {}

  static Expr literal(Value v);

  Expr in_(std::vector<Value> values) const;
  Expr in_(std::initializer_list<Value> values) const { return in_(std::vector<Value>(values)); }
  Expr in_(const Select& subquery) const;
  Expr not_in(std::vector<Value> values) const;
  Expr not_in(std::initializer_list<Value> values) const { return not_in(std::vector<Value>(values)); }
  Expr like(Value pattern) const;
  Expr not_like(Value pattern) const;
  Expr ilike(Value pattern) const;  ///< case-insensitive LIKE (lower() on dialects without ILIKE)
  Expr is_null() const;
  Expr is_not_null() const;
  Expr between(Value low, Value high) const;
  Expr label(std::string name) const;
  Expr cast(SqlType type) const;
  Expr asc() const;
  Expr desc() const;
  Expr nulls_first() const;  ///< on an asc()/desc() expression (or plain: ascending)
  Expr nulls_last() const;
  Expr distinct() const;     ///< `DISTINCT x`, as in count(x.distinct())

  bool valid() const noexcept { return node_ != nullptr; }
  const std::shared_ptr<const detail::Node>& node() const noexcept { return node_; }

  // Operators build expressions. They are hidden friends, found only when an
  // operand is an Expr: `!flag` or `a && b` of types that merely convert to a
  // Value (std::atomic<bool>, say) keep their built-in meaning anywhere.
  friend Expr operator==(const Expr& a, const Expr& b);
  friend Expr operator!=(const Expr& a, const Expr& b);
  friend Expr operator<(const Expr& a, const Expr& b);
  friend Expr operator<=(const Expr& a, const Expr& b);
  friend Expr operator>(const Expr& a, const Expr& b);
  friend Expr operator>=(const Expr& a, const Expr& b);
  friend Expr operator+(const Expr& a, const Expr& b);
  friend Expr operator-(const Expr& a, const Expr& b);
  friend Expr operator*(const Expr& a, const Expr& b);
  friend Expr operator/(const Expr& a, const Expr& b);
  friend Expr operator&&(const Expr& a, const Expr& b);
  friend Expr operator||(const Expr& a, const Expr& b);
  friend Expr operator!(const Expr& a);

 private:
  std::shared_ptr<const detail::Node> node_;
};

Expr and_(std::vector<Expr> terms);  ///< empty: always true
Expr or_(std::vector<Expr> terms);   ///< empty: always false
Expr not_(const Expr& e);
/// A named placeholder whose value comes from the Params given at execution.
Expr bindparam(std::string name);
/// Raw SQL for an expression; the caller vouches for it. Values belong in bound parameters.
Expr literal_sql(std::string sql);
/// `EXISTS (subquery)`.
Expr exists(const Select& subquery);

/// SQL functions: `func::count()` is `count(*)`.
namespace func {
Expr count();
Expr count(const Expr& e);
Expr sum(const Expr& e);
Expr min(const Expr& e);
Expr max(const Expr& e);
Expr avg(const Expr& e);
Expr lower(const Expr& e);
Expr upper(const Expr& e);
Expr coalesce(std::vector<Expr> args);
Expr call(std::string name, std::vector<Expr> args);
}  // namespace func

/// Something to select from: a table, an alias, a join or a subquery.
class From {
 public:
  From(const Table& table);  // NOLINT: a table is a FROM clause
  explicit From(std::shared_ptr<const detail::Node> node) : node_(std::move(node)) {}

  /// A column of this FROM clause (of its underlying table, alias or subquery).
  Expr c(std::string_view name) const;
  Expr operator[](std::string_view name) const { return c(name); }
  From join(const From& right, const Expr& on) const;
  From outerjoin(const From& right, const Expr& on) const;

  const std::shared_ptr<const detail::Node>& node() const noexcept { return node_; }

 private:
  std::shared_ptr<const detail::Node> node_;
};

/// The root of any executable statement (Select, Insert, Update, Delete, text).
class Statement {
 public:
  Statement() = default;
  explicit Statement(std::shared_ptr<const detail::Node> node) : node_(std::move(node)) {}
  const std::shared_ptr<const detail::Node>& node() const noexcept { return node_; }

 protected:
  std::shared_ptr<const detail::Node> node_;
};

/// Column assignments for INSERT and UPDATE: name → value or expression.
using Assignments = std::vector<std::pair<std::string, Expr>>;

/// A SELECT. Every method returns a new statement; the original is unchanged.
class Select : public Statement {
 public:
  using Statement::Statement;
  Select where(const Expr& condition) const;  ///< ANDed with earlier conditions
  Select select_from(const From& from) const;
  Select join(const From& target, const Expr& on) const;
  Select outerjoin(const From& target, const Expr& on) const;
  Select add_columns(std::vector<Expr> columns) const;
  Select order_by(std::vector<Expr> keys) const;
  Select group_by(std::vector<Expr> keys) const;
  Select having(const Expr& condition) const;
  Select limit(std::int64_t n) const;
  Select offset(std::int64_t n) const;
  Select distinct() const;
  /// `FOR UPDATE` where the dialect supports it (ignored on SQLite, which locks the database).
  Select with_for_update() const;
  /// This SELECT as a named FROM clause: `(SELECT ...) AS name`.
  From subquery(std::string name = "anon_1") const;
  /// This single-column SELECT as a value: `(SELECT ...)`.
  Expr scalar_subquery() const;
};

Select select(std::vector<Expr> columns);
Select select(const From& from);  ///< every column of a table, alias or subquery

class Insert : public Statement {
 public:
  using Statement::Statement;
  /// Without values, the columns come from the keys of the Params given at execution.
  Insert values(Assignments values) const;
  Insert returning(std::vector<Expr> columns) const;
};
class Update : public Statement {
 public:
  using Statement::Statement;
  Update where(const Expr& condition) const;
  Update values(Assignments values) const;
  Update returning(std::vector<Expr> columns) const;
};
class Delete : public Statement {
 public:
  using Statement::Statement;
  Delete where(const Expr& condition) const;
  Delete returning(std::vector<Expr> columns) const;
};

Insert insert(const Table& table);
Update update(const Table& table);
Delete delete_(const Table& table);  // `delete` is a C++ keyword
/// Raw SQL with `:name` placeholders bound from Params.
Statement text(std::string sql);

class Dialect;
/// A statement compiled for one dialect: its SQL and how to fill its placeholders.
struct CompiledSql {
  struct Slot {
    std::int32_t literal = -1;  ///< index into the statement's literal values, or
    std::string name;           ///< a named parameter filled from Params
  };
  std::string sql;
  std::vector<Slot> slots;  ///< one per placeholder, in order
  bool returns_rows = false;
};

/// Compiles `stmt` for `dialect` (no cache; Connection::execute caches).
CompiledSql compile(const Statement& stmt, const Dialect& dialect);
/// A structural key: equal for statements that compile to the same SQL.
/// Also collects the statement's literal values in placeholder order.
std::string cache_key(const Statement& stmt, std::vector<Value>* literals = nullptr);
/// The positional parameters for one execution of `compiled`.
std::vector<Value> bind_parameters(const CompiledSql& compiled, const std::vector<Value>& literals,
                                   const Params& params);

}  // namespace retort
