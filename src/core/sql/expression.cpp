// Building SQL trees: the operators and methods of Expr, From and the four
// statements. Every builder returns a new node; nodes are never changed after
// construction, so trees can be shared freely between statements and threads.
#include <algorithm>

#include "retort/core/error.hpp"
#include "retort/core/schema.hpp"
#include "retort/core/sql.hpp"
#include "core/sql/node.hpp"

namespace retort {

using namespace detail;

namespace {

NodePtr need(const Expr& e, const char* what) {
  if (!e.valid()) throw ArgumentError(std::string("empty expression given to ") + what);
  return e.node();
}

bool is_null_literal(const NodePtr& n) {
  return n->kind == NodeKind::literal && as<LiteralNode>(*n).value.is_null();
}

Expr binary(const Expr& a, const char* op, const Expr& b, Precedence p) {
  return Expr(std::make_shared<BinaryNode>(op, need(a, op), need(b, op), p));
}

Expr comparison(const Expr& a, const char* op, const Expr& b) {
  return binary(a, op, b, Precedence::comparison);
}

Expr bool_list(bool is_and, std::vector<Expr> terms) {
  std::vector<NodePtr> nodes;
  for (auto& t : terms) {
    auto n = need(t, is_and ? "and_" : "or_");
    // Flatten nested lists of the same kind: a && b && c is one AND list.
    if (n->kind == NodeKind::bool_list && as<BoolListNode>(*n).is_and == is_and) {
      auto& inner = as<BoolListNode>(*n).terms;
      nodes.insert(nodes.end(), inner.begin(), inner.end());
    } else {
      nodes.push_back(std::move(n));
    }
  }
  if (nodes.size() == 1) return Expr(nodes.front());
  return Expr(std::make_shared<BoolListNode>(is_and, std::move(nodes)));
}

std::vector<NodePtr> nodes_of(const std::vector<Expr>& exprs, const char* what) {
  std::vector<NodePtr> out;
  out.reserve(exprs.size());
  for (auto& e : exprs) out.push_back(need(e, what));
  return out;
}

std::vector<NodePtr> literals_of(std::vector<Value> values) {
  std::vector<NodePtr> out;
  out.reserve(values.size());
  for (auto& v : values) out.push_back(std::make_shared<LiteralNode>(std::move(v)));
  return out;
}

std::shared_ptr<const SelectNode> select_node(const Select& s) {
  if (!s.node()) throw ArgumentError("empty Select used as a subquery");
  return std::static_pointer_cast<const SelectNode>(s.node());
}

Expr ordering(const Expr& e, std::optional<bool> descending, NullsOrder nulls) {
  auto n = need(e, "order_by");
  if (n->kind == NodeKind::ordering) {
    auto& o = as<OrderingNode>(*n);
    return Expr(std::make_shared<OrderingNode>(o.element, descending.value_or(o.descending),
                                               nulls == NullsOrder::unspecified ? o.nulls : nulls));
  }
  return Expr(std::make_shared<OrderingNode>(n, descending.value_or(false), nulls));
}

}  // namespace

// ---- Expr --------------------------------------------------------------------

Expr Expr::literal(Value v) { return Expr(std::make_shared<LiteralNode>(std::move(v))); }

Expr Expr::in_(std::vector<Value> values) const {
  return Expr(std::make_shared<InListNode>(need(*this, "in_"), literals_of(std::move(values)), false));
}
Expr Expr::in_(const Select& subquery) const {
  return Expr(std::make_shared<InSelectNode>(need(*this, "in_"), select_node(subquery), false));
}
Expr Expr::not_in(std::vector<Value> values) const {
  return Expr(std::make_shared<InListNode>(need(*this, "not_in"), literals_of(std::move(values)), true));
}
Expr Expr::like(Value pattern) const { return comparison(*this, "LIKE", Expr(std::move(pattern))); }
Expr Expr::not_like(Value pattern) const { return comparison(*this, "NOT LIKE", Expr(std::move(pattern))); }
Expr Expr::ilike(Value pattern) const { return comparison(*this, "ILIKE", Expr(std::move(pattern))); }
Expr Expr::is_null() const { return Expr(std::make_shared<UnaryNode>("IS NULL", need(*this, "is_null"), true)); }
Expr Expr::is_not_null() const {
  return Expr(std::make_shared<UnaryNode>("IS NOT NULL", need(*this, "is_not_null"), true));
}
Expr Expr::between(Value low, Value high) const {
  return Expr(std::make_shared<BetweenNode>(need(*this, "between"), std::make_shared<LiteralNode>(std::move(low)),
                                            std::make_shared<LiteralNode>(std::move(high))));
}
Expr Expr::label(std::string name) const {
  return Expr(std::make_shared<LabelNode>(std::move(name), need(*this, "label")));
}
Expr Expr::cast(SqlType type) const { return Expr(std::make_shared<CastNode>(std::move(type), need(*this, "cast"))); }
Expr Expr::asc() const { return ordering(*this, false, NullsOrder::unspecified); }
Expr Expr::desc() const { return ordering(*this, true, NullsOrder::unspecified); }
Expr Expr::nulls_first() const { return ordering(*this, std::nullopt, NullsOrder::first); }
Expr Expr::nulls_last() const { return ordering(*this, std::nullopt, NullsOrder::last); }
Expr Expr::distinct() const { return Expr(std::make_shared<UnaryNode>("DISTINCT", need(*this, "distinct"), false)); }

Expr operator==(const Expr& a, const Expr& b) {
  if (b.valid() && is_null_literal(b.node())) return a.is_null();
  if (a.valid() && is_null_literal(a.node())) return b.is_null();
  return comparison(a, "=", b);
}
Expr operator!=(const Expr& a, const Expr& b) {
  if (b.valid() && is_null_literal(b.node())) return a.is_not_null();
  if (a.valid() && is_null_literal(a.node())) return b.is_not_null();
  return comparison(a, "<>", b);
}
Expr operator<(const Expr& a, const Expr& b) { return comparison(a, "<", b); }
Expr operator<=(const Expr& a, const Expr& b) { return comparison(a, "<=", b); }
Expr operator>(const Expr& a, const Expr& b) { return comparison(a, ">", b); }
Expr operator>=(const Expr& a, const Expr& b) { return comparison(a, ">=", b); }
Expr operator+(const Expr& a, const Expr& b) { return binary(a, "+", b, Precedence::additive); }
Expr operator-(const Expr& a, const Expr& b) { return binary(a, "-", b, Precedence::additive); }
Expr operator*(const Expr& a, const Expr& b) { return binary(a, "*", b, Precedence::multiplicative); }
Expr operator/(const Expr& a, const Expr& b) { return binary(a, "/", b, Precedence::multiplicative); }
Expr operator&&(const Expr& a, const Expr& b) { return bool_list(true, {a, b}); }
Expr operator||(const Expr& a, const Expr& b) { return bool_list(false, {a, b}); }
Expr operator!(const Expr& a) { return not_(a); }

/// `1 = 1` or `1 = 0` as a comparison, not raw text: the compiler parenthesises
/// it like any comparison (`or_({}) - x` is `(1 = 0) - x`, not `1 = 0 - x`).
static Expr constant_truth(bool value) { return literal_sql("1") == literal_sql(value ? "1" : "0"); }

Expr and_(std::vector<Expr> terms) {
  if (terms.empty()) return constant_truth(true);
  return bool_list(true, std::move(terms));
}
Expr or_(std::vector<Expr> terms) {
  if (terms.empty()) return constant_truth(false);
  return bool_list(false, std::move(terms));
}
Expr not_(const Expr& e) { return Expr(std::make_shared<UnaryNode>("NOT", need(e, "not_"), false)); }
Expr bindparam(std::string name) {
  if (name.empty()) throw ArgumentError("bindparam() needs a name");
  return Expr(std::make_shared<BindParamNode>(std::move(name)));
}
Expr literal_sql(std::string sql) { return Expr(std::make_shared<RawSqlNode>(std::move(sql))); }
Expr exists(const Select& subquery) { return Expr(std::make_shared<ExistsNode>(select_node(subquery))); }

namespace func {
Expr call(std::string name, std::vector<Expr> args) {
  return Expr(std::make_shared<FunctionNode>(std::move(name), nodes_of(args, "func"), false));
}
Expr count() { return Expr(std::make_shared<FunctionNode>("count", std::vector<NodePtr>{}, true)); }
Expr count(const Expr& e) { return call("count", {e}); }
Expr sum(const Expr& e) { return call("sum", {e}); }
Expr min(const Expr& e) { return call("min", {e}); }
Expr max(const Expr& e) { return call("max", {e}); }
Expr avg(const Expr& e) { return call("avg", {e}); }
Expr lower(const Expr& e) { return call("lower", {e}); }
Expr upper(const Expr& e) { return call("upper", {e}); }
Expr coalesce(std::vector<Expr> args) { return call("coalesce", std::move(args)); }
}  // namespace func

// ---- FROM clauses ------------------------------------------------------------

const TableData* detail::table_of(const Node& from) {
  if (from.kind == NodeKind::table) return &as<TableNode>(from).data;
  if (from.kind == NodeKind::alias) return &as<TableNode>(*as<AliasNode>(from).table).data;
  return nullptr;
}

const std::string& detail::from_name(const Node& from) {
  switch (from.kind) {
    case NodeKind::table: return as<TableNode>(from).data.name;
    case NodeKind::alias: return as<AliasNode>(from).name;
    case NodeKind::subquery: return as<SubqueryNode>(from).name;
    default: throw ArgumentError("a join has no single name; name a column of one of its sides");
  }
}

namespace {

std::vector<std::string> select_column_names(const SelectNode& s) {
  std::vector<std::string> names;
  for (auto& c : s.columns) {
    if (c->kind == NodeKind::label) names.push_back(as<LabelNode>(*c).name);
    else if (c->kind == NodeKind::column) names.push_back(as<ColumnNode>(*c).name);
  }
  return names;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

From::From(const Table& table) : node_(table.node()) {}

Expr From::c(std::string_view name) const {
  if (!node_) throw ArgumentError("c() on an empty FROM clause");
  if (auto* t = table_of(*node_)) {
    auto it = std::find_if(t->columns.begin(), t->columns.end(), [&](auto& col) { return col.name == name; });
    if (it == t->columns.end()) {
      std::vector<std::string> names;
      for (auto& col : t->columns) names.push_back(col.name);
      throw ArgumentError("table '" + t->name + "' has no column '" + std::string(name) +
                          "'; its columns are: " + join_names(names));
    }
  } else if (node_->kind == NodeKind::subquery) {
    auto names = select_column_names(*as<SubqueryNode>(*node_).select);
    if (std::find(names.begin(), names.end(), name) == names.end())
      throw ArgumentError("subquery '" + from_name(*node_) + "' has no column '" + std::string(name) +
                          "'; its columns are: " + join_names(names));
  } else {
    throw ArgumentError("c('" + std::string(name) + "') on a join: name the column through one of its tables");
  }
  return Expr(std::make_shared<ColumnNode>(node_, std::string(name)));
}

From From::join(const From& right, const Expr& on) const {
  auto j = std::make_shared<JoinNode>();
  j->left = node_;
  j->right = right.node();
  j->on = need(on, "join");
  return From(j);
}

From From::outerjoin(const From& right, const Expr& on) const {
  auto j = std::make_shared<JoinNode>();
  j->left = node_;
  j->right = right.node();
  j->on = need(on, "outerjoin");
  j->outer = true;
  return From(j);
}

// ---- SELECT ------------------------------------------------------------------

namespace {

template <class N, class S>
std::shared_ptr<N> copy_of(const S& stmt) {
  if (!stmt.node()) throw ArgumentError("builder method called on an empty statement");
  return std::make_shared<N>(static_cast<const N&>(*stmt.node()));
}

NodePtr and_where(const NodePtr& existing, const Expr& condition) {
  if (!existing) return need(condition, "where");
  return and_({Expr(existing), condition}).node();
}

void collect_tables(const NodePtr& n, std::vector<NodePtr>& out);

/// The FROM element a column expression refers to, found by walking the expression.
void collect_tables(const NodePtr& n, std::vector<NodePtr>& out) {
  if (!n) return;
  switch (n->kind) {
    case NodeKind::column: {
      auto& from = as<ColumnNode>(*n).from;
      if (std::find(out.begin(), out.end(), from) == out.end()) out.push_back(from);
      return;
    }
    case NodeKind::unary: return collect_tables(as<UnaryNode>(*n).operand, out);
    case NodeKind::binary:
      collect_tables(as<BinaryNode>(*n).left, out);
      return collect_tables(as<BinaryNode>(*n).right, out);
    case NodeKind::bool_list:
      for (auto& t : as<BoolListNode>(*n).terms) collect_tables(t, out);
      return;
    case NodeKind::function:
      for (auto& a : as<FunctionNode>(*n).args) collect_tables(a, out);
      return;
    case NodeKind::label: return collect_tables(as<LabelNode>(*n).element, out);
    case NodeKind::cast: return collect_tables(as<CastNode>(*n).element, out);
    case NodeKind::in_list: return collect_tables(as<InListNode>(*n).element, out);
    case NodeKind::in_select: return collect_tables(as<InSelectNode>(*n).element, out);
    case NodeKind::between: return collect_tables(as<BetweenNode>(*n).element, out);
    case NodeKind::ordering: return collect_tables(as<OrderingNode>(*n).element, out);
    default: return;  // literals, subqueries (correlated or not) and raw SQL add no FROM
  }
}

}  // namespace

namespace detail {
/// The FROM list of a SELECT: the explicit ones, then the tables its columns and
/// WHERE clause name that no explicit FROM (or join inside one) already covers.
std::vector<NodePtr> effective_froms(const SelectNode& s);
}  // namespace detail

static bool covers(const NodePtr& from, const NodePtr& target) {
  if (from == target) return true;
  if (from->kind == NodeKind::join) {
    auto& j = as<JoinNode>(*from);
    return covers(j.left, target) || covers(j.right, target);
  }
  return false;
}

std::vector<NodePtr> detail::effective_froms(const SelectNode& s) {
  std::vector<NodePtr> referenced;
  for (auto& c : s.columns) collect_tables(c, referenced);
  collect_tables(s.where, referenced);
  std::vector<NodePtr> froms = s.froms;
  for (auto& r : referenced) {
    bool covered = std::any_of(froms.begin(), froms.end(), [&](const NodePtr& f) { return covers(f, r); });
    if (!covered) froms.push_back(r);
  }
  return froms;
}

Select select(std::vector<Expr> columns) {
  auto s = std::make_shared<SelectNode>();
  s->columns = nodes_of(columns, "select");
  return Select(s);
}

Select select(const From& from) {
  auto s = std::make_shared<SelectNode>();
  if (auto* t = table_of(*from.node())) {
    for (auto& col : t->columns) s->columns.push_back(std::make_shared<ColumnNode>(from.node(), col.name));
  } else if (from.node()->kind == NodeKind::subquery) {
    for (auto& name : select_column_names(*as<SubqueryNode>(*from.node()).select))
      s->columns.push_back(std::make_shared<ColumnNode>(from.node(), name));
  } else {
    throw ArgumentError("select(join): list the columns to select, e.g. select({a.c(\"id\"), b.c(\"id\")})");
  }
  s->froms.push_back(from.node());
  return Select(s);
}

Select Select::where(const Expr& condition) const {
  auto s = copy_of<SelectNode>(*this);
  s->where = and_where(s->where, condition);
  return Select(s);
}

Select Select::select_from(const From& from) const {
  auto s = copy_of<SelectNode>(*this);
  s->froms.push_back(from.node());
  return Select(s);
}

static Select join_impl(const Select& self, const From& target, const Expr& on, bool outer) {
  auto s = copy_of<SelectNode>(self);
  NodePtr left;
  if (!s->froms.empty()) {
    left = s->froms.back();
    s->froms.pop_back();
  } else {
    auto inferred = effective_froms(*s);
    if (inferred.empty()) throw ArgumentError("join(): the SELECT has no table to join from; call select_from first");
    left = inferred.front();
  }
  From l(left);
  s->froms.push_back((outer ? l.outerjoin(target, on) : l.join(target, on)).node());
  return Select(s);
}

Select Select::join(const From& target, const Expr& on) const { return join_impl(*this, target, on, false); }
Select Select::outerjoin(const From& target, const Expr& on) const { return join_impl(*this, target, on, true); }

Select Select::add_columns(std::vector<Expr> columns) const {
  auto s = copy_of<SelectNode>(*this);
  for (auto& n : nodes_of(columns, "add_columns")) s->columns.push_back(n);
  return Select(s);
}

Select Select::order_by(std::vector<Expr> keys) const {
  auto s = copy_of<SelectNode>(*this);
  for (auto& n : nodes_of(keys, "order_by")) s->order_by.push_back(n);
  return Select(s);
}

Select Select::group_by(std::vector<Expr> keys) const {
  auto s = copy_of<SelectNode>(*this);
  for (auto& n : nodes_of(keys, "group_by")) s->group_by.push_back(n);
  return Select(s);
}

Select Select::having(const Expr& condition) const {
  auto s = copy_of<SelectNode>(*this);
  s->having = and_where(s->having, condition);
  return Select(s);
}

Select Select::limit(std::int64_t n) const {
  if (n < 0) throw ArgumentError("limit(" + std::to_string(n) + "): a limit cannot be negative");
  auto s = copy_of<SelectNode>(*this);
  s->limit = std::make_shared<LiteralNode>(Value(n));
  return Select(s);
}

Select Select::offset(std::int64_t n) const {
  if (n < 0) throw ArgumentError("offset(" + std::to_string(n) + "): an offset cannot be negative");
  auto s = copy_of<SelectNode>(*this);
  s->offset = std::make_shared<LiteralNode>(Value(n));
  return Select(s);
}

Select Select::distinct() const {
  auto s = copy_of<SelectNode>(*this);
  s->distinct = true;
  return Select(s);
}

Select Select::with_for_update() const {
  auto s = copy_of<SelectNode>(*this);
  s->for_update = true;
  return Select(s);
}

From Select::subquery(std::string name) const {
  return From(std::make_shared<SubqueryNode>(select_node(*this), std::move(name)));
}

Expr Select::scalar_subquery() const { return Expr(std::make_shared<ScalarSubqueryNode>(select_node(*this))); }

// ---- INSERT / UPDATE / DELETE ---------------------------------------------------

namespace {

const TableData& table_data(const NodePtr& table) { return as<TableNode>(*table).data; }

std::vector<std::pair<std::string, NodePtr>> checked_assignments(const NodePtr& table, Assignments values,
                                                                 const char* what) {
  std::vector<std::pair<std::string, NodePtr>> out;
  for (auto& [name, e] : values) {
    From(table).c(name);  // throws ArgumentError listing the columns
    out.emplace_back(name, need(e, what));
  }
  return out;
}

}  // namespace

Insert insert(const Table& table) {
  auto n = std::make_shared<InsertNode>();
  n->table = table.node();
  return Insert(n);
}

Insert Insert::values(Assignments values) const {
  auto n = copy_of<InsertNode>(*this);
  n->values = checked_assignments(n->table, std::move(values), "insert().values");
  n->has_values = true;
  return Insert(n);
}

Insert Insert::returning(std::vector<Expr> columns) const {
  auto n = copy_of<InsertNode>(*this);
  n->returning = nodes_of(columns, "returning");
  return Insert(n);
}

Update update(const Table& table) {
  auto n = std::make_shared<UpdateNode>();
  n->table = table.node();
  return Update(n);
}

Update Update::where(const Expr& condition) const {
  auto n = copy_of<UpdateNode>(*this);
  n->where = and_where(n->where, condition);
  return Update(n);
}

Update Update::values(Assignments values) const {
  auto n = copy_of<UpdateNode>(*this);
  n->values = checked_assignments(n->table, std::move(values), "update().values");
  return Update(n);
}

Update Update::returning(std::vector<Expr> columns) const {
  auto n = copy_of<UpdateNode>(*this);
  n->returning = nodes_of(columns, "returning");
  return Update(n);
}

Delete delete_(const Table& table) {
  auto n = std::make_shared<DeleteNode>();
  n->table = table.node();
  return Delete(n);
}

Delete Delete::where(const Expr& condition) const {
  auto n = copy_of<DeleteNode>(*this);
  n->where = and_where(n->where, condition);
  return Delete(n);
}

Delete Delete::returning(std::vector<Expr> columns) const {
  auto n = copy_of<DeleteNode>(*this);
  n->returning = nodes_of(columns, "returning");
  return Delete(n);
}

Statement text(std::string sql) { return Statement(std::make_shared<TextNode>(std::move(sql))); }

NodePtr detail::with_param_columns(const NodePtr& stmt, const Params& params) {
  if (params.empty()) return stmt;
  if (stmt->kind == NodeKind::insert && !as<InsertNode>(*stmt).has_values) {
    auto n = std::make_shared<InsertNode>(as<InsertNode>(*stmt));
    Assignments a;
    for (auto& [name, v] : params) a.emplace_back(name, bindparam(name));
    n->values = checked_assignments(n->table, std::move(a), "insert() parameters");
    n->has_values = true;
    return n;
  }
  if (stmt->kind == NodeKind::update && as<UpdateNode>(*stmt).values.empty()) {
    auto n = std::make_shared<UpdateNode>(as<UpdateNode>(*stmt));
    Assignments a;
    // Keys that are not columns fill the WHERE clause's bindparams instead.
    auto& columns = table_data(n->table).columns;
    for (auto& param : params) {
      const std::string& name = param.first;  // not a structured binding: clang 14 cannot capture one
      bool is_column = std::any_of(columns.begin(), columns.end(), [&](auto& c) { return c.name == name; });
      if (is_column) a.emplace_back(name, bindparam(name));
    }
    n->values = checked_assignments(n->table, std::move(a), "update() parameters");
    return n;
  }
  return stmt;
}

}  // namespace retort
