// The SQL compiler: one visit per node kind, asking the dialect where databases
// differ (quoting, placeholders, types, ILIKE). Values are never written into
// the text: each literal becomes a placeholder and a slot that says where its
// value comes from. cache_key() walks the tree in the same order, so the
// literals it collects line up with the slots of a cached compilation.
#include <algorithm>

#include "retort/core/dialect.hpp"
#include "retort/core/error.hpp"
#include "retort/core/sql.hpp"
#include "core/sql/node.hpp"

namespace retort {

using namespace detail;

namespace detail {
std::vector<NodePtr> effective_froms(const SelectNode& s);
}

namespace {

Precedence precedence_of(const Node& n) {
  switch (n.kind) {
    case NodeKind::binary: return as<BinaryNode>(n).precedence;
    case NodeKind::bool_list: return as<BoolListNode>(n).is_and ? Precedence::and_ : Precedence::or_;
    case NodeKind::unary: {
      auto& u = as<UnaryNode>(n);
      if (u.op == "NOT") return Precedence::not_;
      return u.postfix ? Precedence::comparison : Precedence::unary;
    }
    case NodeKind::in_list:
    case NodeKind::in_select:
    case NodeKind::between: return Precedence::comparison;
    // Written as its element (outside a column list), so it binds as its element does.
    case NodeKind::label: return precedence_of(*as<LabelNode>(n).element);
    default: return Precedence::atom;
  }
}

class Compiler {
 public:
  explicit Compiler(const Dialect& d) : d_(d) {}

  CompiledSql run(const Node& root) {
    statement(root);
    out_.returns_rows = root.kind == NodeKind::select || root.kind == NodeKind::text ||
                        has_returning(root);
    return std::move(out_);
  }

 private:
  static bool has_returning(const Node& n) {
    switch (n.kind) {
      case NodeKind::insert: return !as<InsertNode>(n).returning.empty();
      case NodeKind::update: return !as<UpdateNode>(n).returning.empty();
      case NodeKind::delete_: return !as<DeleteNode>(n).returning.empty();
      default: return false;
    }
  }

  void statement(const Node& n) {
    switch (n.kind) {
      case NodeKind::select: return select(as<SelectNode>(n));
      case NodeKind::insert: return insert(as<InsertNode>(n));
      case NodeKind::update: return update(as<UpdateNode>(n));
      case NodeKind::delete_: return delete_(as<DeleteNode>(n));
      case NodeKind::text: return text(as<TextNode>(n));
      default: throw ArgumentError("only SELECT, INSERT, UPDATE, DELETE and text() can be executed");
    }
  }

  // ---- placeholders --------------------------------------------------------
  void literal_slot() {
    CompiledSql::Slot s;
    s.literal = literal_count_++;
    out_.slots.push_back(std::move(s));
    sql() += d_.placeholder(out_.slots.size());
  }
  void named_slot(std::string name) {
    CompiledSql::Slot s;
    s.name = std::move(name);
    out_.slots.push_back(std::move(s));
    sql() += d_.placeholder(out_.slots.size());
  }
  std::string& sql() { return out_.sql; }
  void ident(std::string_view name) { sql() += d_.quote(name); }

  // ---- expressions -----------------------------------------------------------
  void expr(const Node& n) {
    switch (n.kind) {
      case NodeKind::column: {
        auto& c = as<ColumnNode>(n);
        if (qualify_) {
          ident(from_name(*c.from));
          sql() += '.';
        }
        ident(c.name);
        return;
      }
      case NodeKind::literal: return literal_slot();
      case NodeKind::bindparam: return named_slot(as<BindParamNode>(n).name);
      case NodeKind::raw_sql: sql() += as<RawSqlNode>(n).sql; return;
      case NodeKind::unary: {
        auto& u = as<UnaryNode>(n);
        if (u.postfix) {
          operand(*u.operand, precedence_of(n), false);
          sql() += ' ';
          sql() += u.op;
        } else {
          sql() += u.op;
          sql() += ' ';
          operand(*u.operand, precedence_of(n), true);
        }
        return;
      }
      case NodeKind::binary: {
        auto& b = as<BinaryNode>(n);
        if (b.op == "ILIKE" && !d_.supports_ilike()) {
          sql() += "lower(";
          expr(*b.left);
          sql() += ") LIKE lower(";
          expr(*b.right);
          sql() += ')';
          return;
        }
        operand(*b.left, b.precedence, false);
        sql() += ' ';
        sql() += b.op;
        sql() += ' ';
        operand(*b.right, b.precedence, true);
        return;
      }
      case NodeKind::bool_list: {
        auto& l = as<BoolListNode>(n);
        for (std::size_t i = 0; i < l.terms.size(); ++i) {
          if (i) sql() += l.is_and ? " AND " : " OR ";
          operand(*l.terms[i], precedence_of(n), false);
        }
        return;
      }
      case NodeKind::function: {
        auto& f = as<FunctionNode>(n);
        sql() += f.name;
        sql() += '(';
        if (f.star) sql() += '*';
        list(f.args);
        sql() += ')';
        return;
      }
      // A label names a column (see columns()); anywhere else it is only its element.
      case NodeKind::label: return expr(*as<LabelNode>(n).element);
      case NodeKind::cast: {
        auto& c = as<CastNode>(n);
        sql() += "CAST(";
        expr(*c.element);
        sql() += " AS ";
        sql() += d_.type_sql(c.type);
        sql() += ')';
        return;
      }
      case NodeKind::in_list: {
        auto& in = as<InListNode>(n);
        if (in.values.empty()) {
          // IN () is not SQL; an empty list matches nothing (NOT IN: everything).
          sql() += in.negate ? "1 = 1" : "1 = 0";
          return;
        }
        operand(*in.element, Precedence::comparison, false);
        sql() += in.negate ? " NOT IN (" : " IN (";
        list(in.values);
        sql() += ')';
        return;
      }
      case NodeKind::in_select: {
        auto& in = as<InSelectNode>(n);
        operand(*in.element, Precedence::comparison, false);
        sql() += in.negate ? " NOT IN (" : " IN (";
        nested_select(*in.select);
        sql() += ')';
        return;
      }
      case NodeKind::between: {
        auto& b = as<BetweenNode>(n);
        operand(*b.element, Precedence::comparison, false);
        sql() += " BETWEEN ";
        expr(*b.low);
        sql() += " AND ";
        expr(*b.high);
        return;
      }
      case NodeKind::ordering: {
        auto& o = as<OrderingNode>(n);
        expr(*o.element);
        if (o.descending) sql() += " DESC";
        if (o.nulls == NullsOrder::first) sql() += " NULLS FIRST";
        if (o.nulls == NullsOrder::last) sql() += " NULLS LAST";
        return;
      }
      case NodeKind::scalar_subquery:
        sql() += '(';
        nested_select(*as<ScalarSubqueryNode>(n).select);
        sql() += ')';
        return;
      case NodeKind::exists:
        sql() += "EXISTS (";
        nested_select(*as<ExistsNode>(n).select);
        sql() += ')';
        return;
      default: throw ArgumentError("a FROM clause or statement was used where an expression belongs");
    }
  }

  void operand(const Node& n, Precedence parent, bool right) {
    auto p = precedence_of(n);
    // Same level: a right operand needs parentheses (a - (b - c)), and so does
    // any comparison inside another: comparisons do not chain (PostgreSQL
    // rejects a = b = c; SQLite binds < tighter than =, IS, LIKE and BETWEEN).
    bool parens = p < parent || (p == parent && (right ? p >= Precedence::comparison : p == Precedence::comparison));
    if (parens) sql() += '(';
    expr(n);
    if (parens) sql() += ')';
  }

  void list(const std::vector<NodePtr>& items) {
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) sql() += ", ";
      expr(*items[i]);
    }
  }

  // ---- FROM ---------------------------------------------------------------------
  void from(const Node& n) {
    switch (n.kind) {
      case NodeKind::table: ident(as<TableNode>(n).data.name); return;
      case NodeKind::alias: {
        auto& a = as<AliasNode>(n);
        ident(as<TableNode>(*a.table).data.name);
        sql() += " AS ";
        ident(a.name);
        return;
      }
      case NodeKind::subquery: {
        auto& s = as<SubqueryNode>(n);
        sql() += '(';
        nested_select(*s.select, /*correlate=*/false);
        sql() += ") AS ";
        ident(s.name);
        return;
      }
      case NodeKind::join: {
        auto& j = as<JoinNode>(n);
        from(*j.left);
        sql() += j.outer ? " LEFT OUTER JOIN " : " JOIN ";
        from(*j.right);
        sql() += " ON ";
        expr(*j.on);
        return;
      }
      default: throw ArgumentError("an expression was used where a FROM clause belongs");
    }
  }

  // ---- statements -----------------------------------------------------------------
  void nested_select(const SelectNode& s, bool correlate = true) { select(s, correlate); }

  /// A SELECT's or RETURNING's columns: a label there is `element AS name`; a
  /// label inside an expression (lower(x.label("a"))) or of a label is no
  /// column name, so only the outermost one is written.
  void columns(const std::vector<NodePtr>& items) {
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) sql() += ", ";
      const Node& item = *items[i];
      if (item.kind != NodeKind::label) {
        expr(item);
        continue;
      }
      expr(*as<LabelNode>(item).element);
      sql() += " AS ";
      ident(as<LabelNode>(item).name);
    }
  }

  void select(const SelectNode& s, bool correlate = false) {
    auto froms = effective_froms(s);
    if (correlate && !enclosing_.empty()) {
      // A subquery in an expression refers to the enclosing query's tables
      // instead of selecting from them again (SQLAlchemy's auto-correlation).
      std::vector<NodePtr> own;
      for (auto& f : froms) {
        bool outer = std::any_of(enclosing_.begin(), enclosing_.end(), [&](const std::vector<NodePtr>* fs) {
          return std::find(fs->begin(), fs->end(), f) != fs->end();
        });
        if (!outer) own.push_back(f);
      }
      if (!own.empty()) froms = std::move(own);
    }
    sql() += s.distinct ? "SELECT DISTINCT " : "SELECT ";
    if (s.columns.empty()) throw ArgumentError("a SELECT needs at least one column");
    enclosing_.push_back(&froms);
    columns(s.columns);
    if (!froms.empty()) {
      sql() += " FROM ";
      for (std::size_t i = 0; i < froms.size(); ++i) {
        if (i) sql() += ", ";
        from(*froms[i]);
      }
    }
    if (s.where) {
      sql() += " WHERE ";
      expr(*s.where);
    }
    if (!s.group_by.empty()) {
      sql() += " GROUP BY ";
      list(s.group_by);
    }
    if (s.having) {
      sql() += " HAVING ";
      expr(*s.having);
    }
    if (!s.order_by.empty()) {
      sql() += " ORDER BY ";
      list(s.order_by);
    }
    if (s.limit || s.offset) {
      if (s.limit) {
        sql() += " LIMIT ";
        expr(*s.limit);
      } else if (d_.name() == "sqlite") {
        sql() += " LIMIT -1";  // SQLite accepts OFFSET only after a LIMIT
      }
      if (s.offset) {
        sql() += " OFFSET ";
        expr(*s.offset);
      }
    }
    if (s.for_update && d_.supports_for_update()) sql() += " FOR UPDATE";
    enclosing_.pop_back();
  }

  void returning(const std::vector<NodePtr>& cols) {
    if (cols.empty()) return;
    if (!d_.supports_returning()) throw ArgumentError(std::string(d_.name()) + " does not support RETURNING");
    sql() += " RETURNING ";
    columns(cols);
  }

  void insert(const InsertNode& n) {
    qualify_ = false;
    sql() += "INSERT INTO ";
    ident(as<TableNode>(*n.table).data.name);
    if (n.values.empty()) {
      sql() += " DEFAULT VALUES";
    } else {
      sql() += " (";
      for (std::size_t i = 0; i < n.values.size(); ++i) {
        if (i) sql() += ", ";
        ident(n.values[i].first);
      }
      sql() += ") VALUES (";
      for (std::size_t i = 0; i < n.values.size(); ++i) {
        if (i) sql() += ", ";
        expr(*n.values[i].second);
      }
      sql() += ')';
    }
    returning(n.returning);
  }

  void update(const UpdateNode& n) {
    if (n.values.empty()) throw ArgumentError("update(" + as<TableNode>(*n.table).data.name + ") has no values to set");
    sql() += "UPDATE ";
    ident(as<TableNode>(*n.table).data.name);
    sql() += " SET ";
    for (std::size_t i = 0; i < n.values.size(); ++i) {
      if (i) sql() += ", ";
      ident(n.values[i].first);
      sql() += '=';
      expr(*n.values[i].second);
    }
    where_of_target(n.table, n.where);
    qualify_ = false;
    returning(n.returning);
  }

  void delete_(const DeleteNode& n) {
    sql() += "DELETE FROM ";
    ident(as<TableNode>(*n.table).data.name);
    where_of_target(n.table, n.where);
    qualify_ = false;
    returning(n.returning);
  }

  // The WHERE of an UPDATE or DELETE: subqueries in it correlate to the target table.
  void where_of_target(const NodePtr& table, const NodePtr& where) {
    if (!where) return;
    std::vector<NodePtr> target{table};
    enclosing_.push_back(&target);
    sql() += " WHERE ";
    expr(*where);
    enclosing_.pop_back();
  }

  // `:name` becomes a named slot; quoted strings, quoted identifiers and `::` are left alone.
  void text(const TextNode& n) {
    const std::string& s = n.sql;
    for (std::size_t i = 0; i < s.size();) {
      char ch = s[i];
      if (ch == '\'' || ch == '"') {
        std::size_t end = s.find(ch, i + 1);
        while (end != std::string::npos && end + 1 < s.size() && s[end + 1] == ch) end = s.find(ch, end + 2);
        if (end == std::string::npos) end = s.size() - 1;
        sql().append(s, i, end - i + 1);
        i = end + 1;
      } else if (ch == ':' && i + 1 < s.size() && s[i + 1] == ':') {
        sql() += "::";
        i += 2;
      } else if (ch == '\\' && i + 1 < s.size() && s[i + 1] == ':') {
        sql() += ':';
        i += 2;
      } else if (ch == ':' && i + 1 < s.size() && (std::isalpha(static_cast<unsigned char>(s[i + 1])) || s[i + 1] == '_')) {
        std::size_t j = i + 1;
        while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
        named_slot(s.substr(i + 1, j - i - 1));
        i = j;
      } else {
        sql() += ch;
        ++i;
      }
    }
  }

  const Dialect& d_;
  CompiledSql out_;
  std::int32_t literal_count_ = 0;
  bool qualify_ = true;
  std::vector<const std::vector<NodePtr>*> enclosing_;
};

// ---- cache keys -------------------------------------------------------------------
//
// The key spells out everything the compiler's output depends on except the
// literal values, which it collects in the compiler's order instead.

class KeyWriter {
 public:
  explicit KeyWriter(std::vector<Value>* literals) : literals_(literals) {}
  std::string key;

  void node(const Node* n) {
    if (!n) {
      key += '~';
      return;
    }
    key += static_cast<char>('A' + static_cast<int>(n->kind));
    switch (n->kind) {
      case NodeKind::column: return column(as<ColumnNode>(*n));
      case NodeKind::literal:
        if (literals_) literals_->push_back(as<LiteralNode>(*n).value);
        return;
      case NodeKind::bindparam: return str(as<BindParamNode>(*n).name);
      case NodeKind::raw_sql: return str(as<RawSqlNode>(*n).sql);
      case NodeKind::unary: {
        auto& u = as<UnaryNode>(*n);
        str(u.op);
        return node(u.operand.get());
      }
      case NodeKind::binary: {
        auto& b = as<BinaryNode>(*n);
        str(b.op);
        node(b.left.get());
        return node(b.right.get());
      }
      case NodeKind::bool_list: {
        auto& l = as<BoolListNode>(*n);
        key += l.is_and ? '&' : '|';
        return nodes(l.terms);
      }
      case NodeKind::function: {
        auto& f = as<FunctionNode>(*n);
        str(f.name);
        key += f.star ? '*' : '-';
        return nodes(f.args);
      }
      case NodeKind::label: {
        auto& l = as<LabelNode>(*n);
        str(l.name);
        return node(l.element.get());
      }
      case NodeKind::cast: {
        auto& c = as<CastNode>(*n);
        str(c.type.describe());
        return node(c.element.get());
      }
      case NodeKind::in_list: {
        auto& in = as<InListNode>(*n);
        key += in.negate ? '!' : '=';
        if (in.values.empty()) return;  // compiled as a constant, without the element
        node(in.element.get());
        return nodes(in.values);
      }
      case NodeKind::in_select: {
        auto& in = as<InSelectNode>(*n);
        key += in.negate ? '!' : '=';
        node(in.element.get());
        return node(in.select.get());
      }
      case NodeKind::between: {
        auto& b = as<BetweenNode>(*n);
        node(b.element.get());
        node(b.low.get());
        return node(b.high.get());
      }
      case NodeKind::ordering: {
        auto& o = as<OrderingNode>(*n);
        key += o.descending ? 'd' : 'a';
        key += static_cast<char>('0' + static_cast<int>(o.nulls));
        return node(o.element.get());
      }
      case NodeKind::scalar_subquery: return node(as<ScalarSubqueryNode>(*n).select.get());
      case NodeKind::exists: return node(as<ExistsNode>(*n).select.get());
      case NodeKind::table: return str(as<TableNode>(*n).data.name);
      case NodeKind::alias: {
        auto& a = as<AliasNode>(*n);
        str(a.name);
        return node(a.table.get());
      }
      case NodeKind::subquery: {
        auto& s = as<SubqueryNode>(*n);
        str(s.name);
        return node(s.select.get());
      }
      case NodeKind::join: {
        auto& j = as<JoinNode>(*n);
        key += j.outer ? 'o' : 'i';
        node(j.left.get());
        node(j.right.get());
        return node(j.on.get());
      }
      case NodeKind::select: return select(as<SelectNode>(*n));
      case NodeKind::insert: {
        auto& i = as<InsertNode>(*n);
        node(i.table.get());
        for (auto& [name, v] : i.values) str(name);
        for (auto& [name, v] : i.values) node(v.get());
        key += '/';
        return nodes(i.returning);
      }
      case NodeKind::update: {
        auto& u = as<UpdateNode>(*n);
        node(u.table.get());
        for (auto& [name, v] : u.values) {
          str(name);
          node(v.get());
        }
        node(u.where.get());
        return nodes(u.returning);
      }
      case NodeKind::delete_: {
        auto& d = as<DeleteNode>(*n);
        node(d.table.get());
        node(d.where.get());
        return nodes(d.returning);
      }
      case NodeKind::text: return str(as<TextNode>(*n).sql);
    }
  }

 private:
  void str(const std::string& s) {
    key += std::to_string(s.size());
    key += ':';
    key += s;
  }
  void nodes(const std::vector<NodePtr>& ns) {
    key += '[';
    for (auto& n : ns) node(n.get());
    key += ']';
  }
  void column(const ColumnNode& c) {
    // The column's FROM is written by name only: the FROM list itself is keyed by the SELECT.
    key += static_cast<char>('a' + static_cast<int>(c.from->kind));
    if (c.from->kind != NodeKind::join) str(from_name(*c.from));
    str(c.name);
  }
  void select(const SelectNode& s) {
    key += s.distinct ? 'D' : '-';
    key += s.for_update ? 'U' : '-';
    nodes(s.columns);
    // The effective FROM list (explicit plus inferred) decides the FROM clause.
    nodes(effective_froms(s));
    node(s.where.get());
    nodes(s.group_by);
    node(s.having.get());
    nodes(s.order_by);
    node(s.limit.get());
    node(s.offset.get());
  }

  std::vector<Value>* literals_;
};

}  // namespace

CompiledSql compile(const Statement& stmt, const Dialect& dialect) {
  if (!stmt.node()) throw ArgumentError("compile() of an empty statement");
  return Compiler(dialect).run(*stmt.node());
}

std::string cache_key(const Statement& stmt, std::vector<Value>* literals) {
  if (!stmt.node()) throw ArgumentError("cache_key() of an empty statement");
  KeyWriter w(literals);
  w.node(stmt.node().get());
  return std::move(w.key);
}

std::vector<Value> bind_parameters(const CompiledSql& compiled, const std::vector<Value>& literals,
                                   const Params& params) {
  std::vector<Value> out;
  out.reserve(compiled.slots.size());
  for (auto& slot : compiled.slots) {
    if (slot.literal >= 0) {
      out.push_back(literals.at(static_cast<std::size_t>(slot.literal)));
      continue;
    }
    auto it = std::find_if(params.begin(), params.end(), [&](auto& p) { return p.first == slot.name; });
    if (it == params.end()) {
      std::string given;
      for (auto& p : params) given += (given.empty() ? "" : ", ") + p.first;
      throw ArgumentError("no value for parameter :" + slot.name + " (given: " + (given.empty() ? "none" : given) +
                          ")\nSQL: " + compiled.sql);
    }
    out.push_back(it->second);
  }
  return out;
}

}  // namespace retort
