// The node kinds of retort's SQL trees. The set is closed: the compiler
// (compiler.cpp) and the cache-key writer (cache_key.cpp) each have one case per
// kind and must visit children in the same order, because placeholders are
// numbered in that order.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "retort/core/schema.hpp"
#include "retort/core/sql.hpp"
#include "retort/core/value.hpp"

namespace retort::detail {

enum class NodeKind : std::uint8_t {
  // expressions
  column,
  literal,
  bindparam,
  raw_sql,
  unary,
  binary,
  bool_list,
  function,
  label,
  cast,
  in_list,
  in_select,
  between,
  ordering,
  scalar_subquery,
  exists,
  // FROM clauses
  table,
  alias,
  join,
  subquery,
  // statements
  select,
  insert,
  update,
  delete_,
  text,
};

using NodePtr = std::shared_ptr<const Node>;

struct Node {
  explicit Node(NodeKind k) : kind(k) {}
  virtual ~Node() = default;
  NodeKind kind;
};

template <class T>
const T& as(const Node& n) {
  return static_cast<const T&>(n);
}

struct TableData {
  std::string name;
  std::vector<ColumnSpec> columns;
  PrimaryKeyConstraint primary_key;
  std::vector<ForeignKeyConstraint> foreign_keys;
  std::vector<UniqueConstraint> uniques;
  std::vector<CheckConstraint> checks;
  std::vector<Index> indexes;
};

struct TableNode : Node {
  TableNode() : Node(NodeKind::table) {}
  TableData data;
};

struct AliasNode : Node {
  AliasNode(NodePtr t, std::string n) : Node(NodeKind::alias), table(std::move(t)), name(std::move(n)) {}
  NodePtr table;  // a TableNode
  std::string name;
};

struct SelectNode;

struct SubqueryNode : Node {
  SubqueryNode(std::shared_ptr<const SelectNode> s, std::string n)
      : Node(NodeKind::subquery), select(std::move(s)), name(std::move(n)) {}
  std::shared_ptr<const SelectNode> select;
  std::string name;
};

struct JoinNode : Node {
  JoinNode() : Node(NodeKind::join) {}
  NodePtr left, right, on;
  bool outer = false;
};

/// A column of a table, alias or subquery.
struct ColumnNode : Node {
  ColumnNode(NodePtr f, std::string n) : Node(NodeKind::column), from(std::move(f)), name(std::move(n)) {}
  NodePtr from;
  std::string name;
};

struct LiteralNode : Node {
  explicit LiteralNode(Value v) : Node(NodeKind::literal), value(std::move(v)) {}
  Value value;
};

struct BindParamNode : Node {
  explicit BindParamNode(std::string n) : Node(NodeKind::bindparam), name(std::move(n)) {}
  std::string name;
};

struct RawSqlNode : Node {
  explicit RawSqlNode(std::string s) : Node(NodeKind::raw_sql), sql(std::move(s)) {}
  std::string sql;
};

enum class Precedence : std::uint8_t { lowest, or_, and_, not_, comparison, additive, multiplicative, unary, atom };

struct UnaryNode : Node {
  UnaryNode(std::string o, NodePtr e, bool post)
      : Node(NodeKind::unary), op(std::move(o)), operand(std::move(e)), postfix(post) {}
  std::string op;  // "NOT", "IS NULL", "IS NOT NULL", "DISTINCT", "-"
  NodePtr operand;
  bool postfix;
};

struct BinaryNode : Node {
  BinaryNode(std::string o, NodePtr l, NodePtr r, Precedence p)
      : Node(NodeKind::binary), op(std::move(o)), left(std::move(l)), right(std::move(r)), precedence(p) {}
  std::string op;  // "=", "<>", "LIKE", "ILIKE", "+", ...
  NodePtr left, right;
  Precedence precedence;
};

struct BoolListNode : Node {
  BoolListNode(bool a, std::vector<NodePtr> t) : Node(NodeKind::bool_list), is_and(a), terms(std::move(t)) {}
  bool is_and;
  std::vector<NodePtr> terms;
};

struct FunctionNode : Node {
  FunctionNode(std::string n, std::vector<NodePtr> a, bool s)
      : Node(NodeKind::function), name(std::move(n)), args(std::move(a)), star(s) {}
  std::string name;
  std::vector<NodePtr> args;
  bool star;  // count(*)
};

struct LabelNode : Node {
  LabelNode(std::string n, NodePtr e) : Node(NodeKind::label), name(std::move(n)), element(std::move(e)) {}
  std::string name;
  NodePtr element;
};

struct CastNode : Node {
  CastNode(SqlType t, NodePtr e) : Node(NodeKind::cast), type(std::move(t)), element(std::move(e)) {}
  SqlType type;
  NodePtr element;
};

struct InListNode : Node {
  InListNode(NodePtr e, std::vector<NodePtr> v, bool n)
      : Node(NodeKind::in_list), element(std::move(e)), values(std::move(v)), negate(n) {}
  NodePtr element;
  std::vector<NodePtr> values;  // literals
  bool negate;
};

struct InSelectNode : Node {
  InSelectNode(NodePtr e, std::shared_ptr<const SelectNode> s, bool n)
      : Node(NodeKind::in_select), element(std::move(e)), select(std::move(s)), negate(n) {}
  NodePtr element;
  std::shared_ptr<const SelectNode> select;
  bool negate;
};

struct BetweenNode : Node {
  BetweenNode(NodePtr e, NodePtr lo, NodePtr hi)
      : Node(NodeKind::between), element(std::move(e)), low(std::move(lo)), high(std::move(hi)) {}
  NodePtr element, low, high;
};

enum class NullsOrder : std::uint8_t { unspecified, first, last };

struct OrderingNode : Node {
  OrderingNode(NodePtr e, bool d, NullsOrder n)
      : Node(NodeKind::ordering), element(std::move(e)), descending(d), nulls(n) {}
  NodePtr element;
  bool descending;
  NullsOrder nulls;
};

struct ScalarSubqueryNode : Node {
  explicit ScalarSubqueryNode(std::shared_ptr<const SelectNode> s) : Node(NodeKind::scalar_subquery), select(std::move(s)) {}
  std::shared_ptr<const SelectNode> select;
};

struct ExistsNode : Node {
  explicit ExistsNode(std::shared_ptr<const SelectNode> s) : Node(NodeKind::exists), select(std::move(s)) {}
  std::shared_ptr<const SelectNode> select;
};

struct SelectNode : Node {
  SelectNode() : Node(NodeKind::select) {}
  std::vector<NodePtr> columns;
  std::vector<NodePtr> froms;  // explicit FROM clauses; tables of the columns are added when missing
  NodePtr where;
  std::vector<NodePtr> group_by;
  NodePtr having;
  std::vector<NodePtr> order_by;
  NodePtr limit, offset;  // literals
  bool distinct = false;
  bool for_update = false;
};

struct InsertNode : Node {
  InsertNode() : Node(NodeKind::insert) {}
  NodePtr table;
  std::vector<std::pair<std::string, NodePtr>> values;
  bool has_values = false;
  std::vector<NodePtr> returning;
};

struct UpdateNode : Node {
  UpdateNode() : Node(NodeKind::update) {}
  NodePtr table;
  std::vector<std::pair<std::string, NodePtr>> values;
  NodePtr where;
  std::vector<NodePtr> returning;
};

struct DeleteNode : Node {
  DeleteNode() : Node(NodeKind::delete_) {}
  NodePtr table;
  NodePtr where;
  std::vector<NodePtr> returning;
};

struct TextNode : Node {
  explicit TextNode(std::string s) : Node(NodeKind::text), sql(std::move(s)) {}
  std::string sql;
};

/// The table a FROM node names (the table itself, or an alias's table); nullptr otherwise.
const TableData* table_of(const Node& from);
/// The name a FROM node is referred to by in SQL (table name, alias name, subquery name).
const std::string& from_name(const Node& from);

/// For an INSERT or UPDATE without values: the same statement with one
/// bindparam per key of `params`. Otherwise `stmt` itself.
NodePtr with_param_columns(const NodePtr& stmt, const Params& params);

}  // namespace retort::detail
