// The SQL expression language and its compiler, driven by FuzzedDataProvider:
// the input picks an expression tree over two small fixed tables (columns,
// literal ints, doubles, strings, blobs, NULLs, bound parameters, comparisons,
// arithmetic, and/or/not, LIKE, IN, BETWEEN, functions, casts, subqueries) and
// the statement around it (SELECT with joins, aliases, subqueries, GROUP BY,
// ORDER BY, LIMIT; INSERT, UPDATE, DELETE), then compiles it for SQLite and
// PostgreSQL. Properties:
//  1. every value is a bound parameter: no string or blob literal (each holds a
//     distinctive marker) appears in either SQL text;
//  2. placeholders, slots and bound values agree: as many "?" (or $1..$n in
//     order) as slots, as many literal slots as cache_key collects literals;
//  3. on an in-memory SQLite database the statement never fails with a
//     syntax error or a placeholder-count mismatch;
//  4. for SELECTs over the first table, the compiled statement returns the
//     same rows as a reference text the target writes itself with every
//     subexpression in parentheses: the compiler's precedence rules and its
//     correlation of subqueries must not change what an expression means.
// Only retort errors may be thrown while building and compiling.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "retort/core/dialect.hpp"
#include "retort/core/engine.hpp"
#include "retort/core/schema.hpp"
#include "retort/core/sql.hpp"

namespace {

using namespace retort;
using retort::fuzz::only_retort_errors;
using retort::fuzz::quoted;

// ---- the fixed schema and database ------------------------------------------------------

struct Fixture {
  // "Order" is a reserved word in upper case: it is always quoted.
  Table t{"t",
          {Column("id", Integer()).primary_key(), Column("name", String(50)), Column("score", Float()),
           Column("data", LargeBinary()), Column("Order", Integer())}};
  Table u{"u", {Column("id", Integer()).primary_key(), Column("t_id", Integer()), Column("note", Text())}};
  Engine engine{"sqlite://"};
  Connection conn = engine.connect();

  Fixture() {
    auto& d = engine.dialect();
    conn.exec_driver_sql(create_table_sql(t, d));
    conn.exec_driver_sql(create_table_sql(u, d));
    conn.exec_driver_sql(
        "INSERT INTO t VALUES (1, 'Rex', 1.5, x'00ff', 3), (2, NULL, -2.0, NULL, NULL), (3, 'a%_b', 0.0, x'', -7), "
        "(4, '', NULL, x'61', 0)");
    conn.exec_driver_sql("INSERT INTO u VALUES (1, 1, 'x'), (2, 1, NULL), (3, 3, 'Rex'), (4, NULL, '')");
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

const char* const t_columns[] = {"id", "name", "score", "data", "Order"};
const char* const u_columns[] = {"id", "t_id", "note"};

/// `"name"`: how the reference text writes every identifier.
std::string q(std::string_view name) { return "\"" + std::string(name) + "\""; }

// ---- generated expressions: the tree and its reference text ------------------------------

/// An expression and how the reference writes it: fully parenthesised, with
/// "?" placeholders whose values are in `params`, in text order.
struct Gen {
  Expr expr;
  std::string ref;
  std::vector<Value> params;
  bool null_literal = false;
};

Gen concat(std::string before, const Gen& a, std::string middle, const Gen& b, std::string after) {
  Gen g;
  g.ref = before + a.ref + middle + b.ref + after;
  g.params = a.params;
  g.params.insert(g.params.end(), b.params.begin(), b.params.end());
  return g;
}

class Builder {
 public:
  explicit Builder(FuzzedDataProvider& in) : in_(in) {
    marker_ = "fuzzmark" + std::to_string(in_.ConsumeIntegral<std::uint16_t>()) + "x";
  }

  const std::vector<std::string>& markers() const { return markers_; }
  const Params& named() const { return named_; }

  /// A value for a literal; strings and blobs carry a fresh marker.
  Value value() {
    switch (in_.ConsumeIntegralInRange(0, 6)) {
      case 0: return Value(in_.ConsumeIntegral<std::int64_t>());
      case 1: return Value(in_.ConsumeIntegralInRange<std::int64_t>(-3, 5));
      case 2: return Value(in_.ConsumeFloatingPoint<double>());
      case 3: {
        std::string s = in_.ConsumeRandomLengthString(16) + mark();
        return Value(std::move(s));
      }
      case 4: {
        std::string raw = in_.ConsumeRandomLengthString(8) + mark();
        return Value(Bytes(raw.begin(), raw.end()));
      }
      case 5: return Value(in_.ConsumeBool());
      default: return Value();
    }
  }

  /// An expression. `outer` is the table a subquery correlates to (nullptr at the top);
  /// `scope` the table whose columns it may name besides `outer`'s.
  Gen expr(int depth, const Table& scope, const Table* outer) {
    if (depth <= 0 || budget_ <= 0 || in_.remaining_bytes() == 0) return leaf(scope, outer);
    --budget_;
    --depth;
    switch (in_.ConsumeIntegralInRange(0, 17)) {
      case 0:
      case 1: return leaf(scope, outer);
      case 2: {  // comparison, with x == NULL written IS NULL as the library does
        static const char* const ops[] = {"=", "<>", "<", "<=", ">", ">="};
        std::size_t op = in_.ConsumeIntegralInRange<std::size_t>(0, 5);
        Gen a = expr(depth, scope, outer), b = expr(depth, scope, outer);
        Expr e;
        Gen g;
        if (op <= 1 && (b.null_literal || a.null_literal)) {
          const Gen& other = b.null_literal ? a : b;
          g = other;
          g.ref = "(" + other.ref + (op == 0 ? " IS NULL)" : " IS NOT NULL)");
        } else {
          g = concat("(", a, std::string(" ") + ops[op] + " ", b, ")");
        }
        switch (op) {
          case 0: e = a.expr == b.expr; break;
          case 1: e = a.expr != b.expr; break;
          case 2: e = a.expr < b.expr; break;
          case 3: e = a.expr <= b.expr; break;
          case 4: e = a.expr > b.expr; break;
          default: e = a.expr >= b.expr; break;
        }
        g.expr = e;
        g.null_literal = false;
        return g;
      }
      case 3: {  // arithmetic
        static const char* const ops[] = {"+", "-", "*", "/"};
        std::size_t op = in_.ConsumeIntegralInRange<std::size_t>(0, 3);
        Gen a = expr(depth, scope, outer), b = expr(depth, scope, outer);
        Gen g = concat("(", a, std::string(" ") + ops[op] + " ", b, ")");
        g.expr = op == 0 ? a.expr + b.expr : op == 1 ? a.expr - b.expr : op == 2 ? a.expr * b.expr : a.expr / b.expr;
        return g;
      }
      case 4: {  // and / or of two
        bool is_and = in_.ConsumeBool();
        Gen a = expr(depth, scope, outer), b = expr(depth, scope, outer);
        Gen g = concat("(", a, is_and ? " AND " : " OR ", b, ")");
        g.expr = is_and ? (a.expr && b.expr) : (a.expr || b.expr);
        return g;
      }
      case 5: {  // and_ / or_ of a list, possibly empty or of one
        bool is_and = in_.ConsumeBool();
        std::size_t n = in_.ConsumeIntegralInRange<std::size_t>(0, 3);
        if (n == 0) {
          Gen g;
          g.ref = is_and ? "(1 = 1)" : "(1 = 0)";
          g.expr = is_and ? and_({}) : or_({});
          return g;
        }
        std::vector<Expr> terms;
        Gen g;
        g.ref = "(";
        for (std::size_t i = 0; i < n; ++i) {
          Gen term = expr(depth, scope, outer);
          if (i) g.ref += is_and ? " AND " : " OR ";
          g.ref += term.ref;
          g.params.insert(g.params.end(), term.params.begin(), term.params.end());
          terms.push_back(term.expr);
          g.null_literal = n == 1 && term.null_literal;  // and_ of one term is that term
        }
        g.ref += ")";
        g.expr = is_and ? and_(terms) : or_(terms);
        return g;
      }
      case 6: {  // not
        Gen a = expr(depth, scope, outer);
        Gen g = a;
        g.ref = "(NOT " + a.ref + ")";
        g.expr = in_.ConsumeBool() ? !a.expr : not_(a.expr);
        g.null_literal = false;
        return g;
      }
      case 7: {  // IS [NOT] NULL
        bool negate = in_.ConsumeBool();
        Gen a = expr(depth, scope, outer);
        Gen g = a;
        g.ref = "(" + a.ref + (negate ? " IS NOT NULL)" : " IS NULL)");
        g.expr = negate ? a.expr.is_not_null() : a.expr.is_null();
        g.null_literal = false;
        return g;
      }
      case 8: {  // LIKE, NOT LIKE, ILIKE (lower() on SQLite)
        int kind = in_.ConsumeIntegralInRange(0, 2);
        Gen a = expr(depth, scope, outer);
        Value pattern = value();
        Gen g = a;
        g.null_literal = false;
        if (kind == 2) {
          g.ref = "(lower(" + a.ref + ") LIKE lower(?))";
        } else {
          g.ref = "(" + a.ref + (kind == 0 ? " LIKE ?)" : " NOT LIKE ?)");
        }
        g.params.push_back(pattern);
        g.expr = kind == 0 ? a.expr.like(pattern) : kind == 1 ? a.expr.not_like(pattern) : a.expr.ilike(pattern);
        return g;
      }
      case 9: {  // [NOT] IN (values); an empty list is a constant
        bool negate = in_.ConsumeBool();
        Gen a = expr(depth, scope, outer);
        std::vector<Value> values(in_.ConsumeIntegralInRange<std::size_t>(0, 4));
        for (auto& v : values) v = value();
        Gen g;
        g.expr = negate ? a.expr.not_in(values) : a.expr.in_(values);
        if (values.empty()) {
          g.ref = negate ? "(1 = 1)" : "(1 = 0)";
          return g;
        }
        g.ref = "(" + a.ref + (negate ? " NOT IN (" : " IN (");
        g.params = a.params;
        for (std::size_t i = 0; i < values.size(); ++i) {
          g.ref += i ? ", ?" : "?";
          g.params.push_back(values[i]);
        }
        g.ref += "))";
        return g;
      }
      case 10: {  // BETWEEN
        Gen a = expr(depth, scope, outer);
        Value low = value(), high = value();
        Gen g = a;
        g.null_literal = false;
        g.ref = "(" + a.ref + " BETWEEN ? AND ?)";
        g.params.push_back(low);
        g.params.push_back(high);
        g.expr = a.expr.between(low, high);
        return g;
      }
      case 11: {  // scalar functions (no aggregates: they would change the row count)
        static const char* const names[] = {"lower", "upper", "abs", "length", "coalesce"};
        std::size_t f = in_.ConsumeIntegralInRange<std::size_t>(0, 4);
        Gen a = expr(depth, scope, outer);
        Gen g = a;
        g.null_literal = false;
        if (f == 4) {
          Gen b = expr(depth, scope, outer);
          g = concat("coalesce(", a, ", ", b, ")");
          g.expr = func::coalesce({a.expr, b.expr});
          return g;
        }
        g.ref = std::string(names[f]) + "(" + a.ref + ")";
        g.expr = f == 0 ? func::lower(a.expr) : f == 1 ? func::upper(a.expr) : func::call(names[f], {a.expr});
        return g;
      }
      case 12: {  // CAST
        static const SqlType types[] = {Integer(), Float(), String(20), Text(), BigInteger()};
        const SqlType& type = types[in_.ConsumeIntegralInRange<std::size_t>(0, 4)];
        Gen a = expr(depth, scope, outer);
        Gen g = a;
        g.null_literal = false;
        g.ref = "CAST(" + a.ref + " AS " + fixture().engine.dialect().type_sql(type) + ")";
        g.expr = a.expr.cast(type);
        return g;
      }
      case 13: {  // a label inside an expression is only a name for it: the text is the element's
        Gen a = expr(depth, scope, outer);
        Gen g = a;
        g.expr = a.expr.label("lbl");
        g.null_literal = false;
        return g;
      }
      case 14:
        if (outer == nullptr) return subquery(depth);
        return leaf(scope, outer);
      default: return leaf(scope, outer);
    }
  }

 private:
  std::string mark() {
    std::string m = marker_ + std::to_string(markers_.size()) + "z";
    markers_.push_back(m);
    return m;
  }

  Gen column(const Table& table) {
    bool is_t = table.name() == "t";
    const char* name = is_t ? t_columns[in_.ConsumeIntegralInRange<std::size_t>(0, 4)]
                            : u_columns[in_.ConsumeIntegralInRange<std::size_t>(0, 2)];
    Gen g;
    g.expr = table.c(name);
    g.ref = q(table.name()) + "." + q(name);
    return g;
  }

  Gen leaf(const Table& scope, const Table* outer) {
    Gen g;
    switch (in_.ConsumeIntegralInRange(0, 7)) {
      case 0:
      case 1: return column(scope);
      case 2:
        if (outer) return column(*outer);
        return column(scope);
      case 3: {  // a named parameter, given at execution
        std::string name = "p" + std::to_string(named_.size());
        Value v = value();
        named_.emplace_back(name, v);
        g.expr = bindparam(name);
        g.ref = "?";
        g.params.push_back(v);
        return g;
      }
      case 4: {  // raw SQL the caller vouches for: atoms only
        static const char* const raw[] = {"1", "NULL", "'raw'", "(2 + 3)"};
        const char* sql = raw[in_.ConsumeIntegralInRange<std::size_t>(0, 3)];
        g.expr = literal_sql(sql);
        g.ref = sql;
        return g;
      }
      default: {
        Value v = value();
        g.null_literal = v.is_null();
        g.expr = Expr(v);
        g.ref = "?";
        g.params.push_back(std::move(v));
        return g;
      }
    }
  }

  /// A subquery over u correlated to t: scalar, EXISTS or IN.
  Gen subquery(int depth) {
    auto& f = fixture();
    Gen where = expr(depth, f.u, &f.t);
    Gen col = column(f.u);
    std::int64_t limit = in_.ConsumeIntegralInRange<std::int64_t>(0, 3);
    Select s = select({col.expr}).where(where.expr).order_by({f.u.c("id")});
    std::string text = "SELECT " + col.ref + " FROM " + q("u") + " WHERE " + where.ref + " ORDER BY " + q("u") + "." + q("id");
    Gen g;
    g.params = where.params;
    switch (in_.ConsumeIntegralInRange(0, 2)) {
      case 0:
        g.expr = s.limit(limit).scalar_subquery();
        g.ref = "(" + text + " LIMIT ?)";
        g.params.push_back(Value(limit));
        return g;
      case 1:
        g.expr = exists(s);
        g.ref = "(EXISTS (" + text + "))";
        return g;
      default: {
        Gen a = expr(depth, f.t, nullptr);
        g.expr = a.expr.in_(s);
        g.ref = "(" + a.ref + " IN (" + text + "))";
        g.params.insert(g.params.begin(), a.params.begin(), a.params.end());
        return g;
      }
    }
  }

  FuzzedDataProvider& in_;
  std::string marker_;
  std::vector<std::string> markers_;
  Params named_;
  int budget_ = 40;
};

// ---- checking a compiled statement -------------------------------------------------------

/// Placeholders outside quoted strings and identifiers: "?" (SQLite) or "$n" (PostgreSQL, which must run 1..n).
std::size_t count_placeholders(const std::string& sql, bool dollar) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (c == '\'' || c == '"') {
      std::size_t end = sql.find(c, i + 1);
      if (end == std::string::npos) retort::fuzz::fail("an unterminated quote in the compiled SQL", sql);
      i = end;
    } else if (!dollar && c == '?') {
      ++count;
    } else if (dollar && c == '$') {
      std::size_t j = i + 1;
      while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') ++j;
      RETORT_FUZZ_CHECK(sql.substr(i + 1, j - i - 1) == std::to_string(count + 1), "placeholders out of order: " + sql);
      ++count;
      i = j - 1;
    }
  }
  return count;
}

std::string hex(std::string_view s, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (char c : s) {
    out += digits[static_cast<unsigned char>(c) >> 4];
    out += digits[static_cast<unsigned char>(c) & 15];
  }
  return out;
}

/// Compiles `stmt` for `dialect` and checks properties 1 and 2; nullopt when compiling raised a retort error.
std::optional<CompiledSql> compile_checked(const Statement& stmt, const Dialect& dialect, const Builder& b) {
  std::optional<CompiledSql> compiled;
  std::vector<Value> literals;
  std::string key;
  if (!only_retort_errors("compile", [&] { compiled = compile(stmt, dialect); })) return std::nullopt;
  only_retort_errors("cache_key", [&] { key = cache_key(stmt, &literals); });
  const std::string& sql = compiled->sql;
  for (auto& m : b.markers()) {
    RETORT_FUZZ_CHECK(sql.find(m) == std::string::npos, "a value was written into the SQL text (" + std::string(dialect.name()) + "): " + m + "\n" + sql);
    RETORT_FUZZ_CHECK(sql.find(hex(m, false)) == std::string::npos && sql.find(hex(m, true)) == std::string::npos,
                      "a blob was written into the SQL text: " + sql);
  }
  std::size_t placeholders = count_placeholders(sql, dialect.name() == "postgresql");
  RETORT_FUZZ_CHECK(placeholders == compiled->slots.size(),
                    std::to_string(placeholders) + " placeholders, " + std::to_string(compiled->slots.size()) + " slots: " + sql);
  std::int32_t literal_slots = 0;
  for (auto& slot : compiled->slots) {
    if (slot.literal < 0) continue;
    RETORT_FUZZ_CHECK(slot.literal == literal_slots, "literal slots out of order: " + sql);
    ++literal_slots;
  }
  RETORT_FUZZ_CHECK(static_cast<std::size_t>(literal_slots) == literals.size(),
                    std::to_string(literal_slots) + " literal slots, but cache_key collected " +
                        std::to_string(literals.size()) + " literals: " + sql);
  std::vector<Value> bound;
  bool ok = only_retort_errors("bind_parameters", [&] { bound = bind_parameters(*compiled, literals, b.named()); });
  RETORT_FUZZ_CHECK(ok && bound.size() == placeholders, "bind_parameters failed for: " + sql);
  return compiled;
}

bool syntax_error(const retort::Error& e) {
  // 42601: SQLite's "syntax error" and "incomplete input"; 42000 also covers a placeholder-count mismatch.
  std::string_view m = e.what();
  return e.sqlstate() == "42601" || m.find("placeholders but") != std::string_view::npos ||
         m.find("unrecognized token") != std::string_view::npos;
}

/// Runs `stmt` on the SQLite fixture (inside a transaction that is rolled back).
/// Returns the rows, or the error's message.
struct Outcome {
  std::vector<std::vector<Value>> rows;
  std::optional<std::string> error;
};

Outcome run(const Statement& stmt, const Params& params, const std::string& sql_for_messages) {
  auto& conn = fixture().conn;
  Outcome out;
  auto tx = conn.begin();
  try {
    out.rows = conn.execute(stmt, params).all();
  } catch (const retort::Error& e) {
    RETORT_FUZZ_CHECK(!syntax_error(e), std::string("SQLite rejects the compiled SQL: ") + e.what() + "\n" + sql_for_messages);
    out.error = e.what();
  }
  tx.rollback();
  return out;
}

Outcome run_reference(const std::string& sql, const std::vector<Value>& params) {
  auto& conn = fixture().conn;
  Outcome out;
  try {
    out.rows = conn.exec_driver_sql(sql, params).all();
  } catch (const retort::Error& e) {
    out.error = e.what();
  }
  return out;
}

std::string show_rows(const Outcome& o) {
  if (o.error) return "error: " + *o.error;
  std::string out;
  for (auto& row : o.rows) {
    out += "(";
    for (auto& v : row) out += v.repr(40) + ", ";
    out += ")\n";
  }
  return out;
}

// ---- the statements ------------------------------------------------------------------------

/// Property 4: SELECT t.id, <e>... FROM t [WHERE <c>] ORDER BY t.id against its reference text.
void differential_select(FuzzedDataProvider& in, Builder& b) {
  auto& f = fixture();
  std::vector<Expr> columns{f.t.c("id")};
  std::string ref_columns = q("t") + "." + q("id");
  std::vector<Value> ref_params;
  std::size_t n = in.ConsumeIntegralInRange<std::size_t>(1, 3);
  for (std::size_t i = 0; i < n; ++i) {
    Gen g = b.expr(in.ConsumeIntegralInRange(1, 6), f.t, nullptr);
    columns.push_back(in.ConsumeBool() ? g.expr.label("v" + std::to_string(i)) : g.expr);
    ref_columns += ", " + g.ref;
    ref_params.insert(ref_params.end(), g.params.begin(), g.params.end());
  }
  Select s = select(columns);
  std::string ref_where;
  if (in.ConsumeBool()) {
    Gen w = b.expr(in.ConsumeIntegralInRange(1, 5), f.t, nullptr);
    s = s.where(w.expr);
    ref_where = " WHERE " + w.ref;
    ref_params.insert(ref_params.end(), w.params.begin(), w.params.end());
  }
  s = s.order_by({f.t.c("id")});
  std::string reference = "SELECT " + ref_columns + " FROM " + q("t") + ref_where + " ORDER BY " + q("t") + "." + q("id");

  auto sqlite = compile_checked(s, dialect_for("sqlite"), b);
  compile_checked(s, dialect_for("postgresql"), b);
  if (!sqlite) fuzz::fail("compiling a SELECT built only of valid parts failed", reference);

  Outcome got = run(s, b.named(), sqlite->sql);
  Outcome want = run_reference(reference, ref_params);
  bool same = got.error ? want.error.has_value() : (!want.error && got.rows == want.rows);
  RETORT_FUZZ_CHECK(same, "compiled:  " + sqlite->sql + "\nreference: " + reference + "\ncompiled gives:\n" +
                              show_rows(got) + "reference gives:\n" + show_rows(want));
}

/// Properties 1-3 for a statement of any shape: joins, aliases, subqueries,
/// aggregates, ordering, INSERT / UPDATE / DELETE with RETURNING.
void structural_statement(FuzzedDataProvider& in, Builder& b) {
  auto& f = fixture();
  Statement stmt;
  switch (in.ConsumeIntegralInRange(0, 4)) {
    case 0: {  // INSERT
      Assignments values;
      for (auto* name : {"id", "name", "score", "data", "Order"}) {
        if (in.ConsumeBool()) values.emplace_back(name, b.expr(in.ConsumeIntegralInRange(0, 3), f.t, nullptr).expr);
      }
      Insert ins = insert(f.t);
      if (!values.empty() || in.ConsumeBool()) ins = ins.values(values);
      if (in.ConsumeBool()) ins = ins.returning({f.t.c("id"), f.t.c("name")});
      stmt = ins;
      break;
    }
    case 1: {  // UPDATE
      Assignments values{{"name", b.expr(3, f.t, nullptr).expr}};
      if (in.ConsumeBool()) values.emplace_back("score", b.expr(3, f.t, nullptr).expr);
      Update up = update(f.t).values(values);
      if (in.ConsumeBool()) up = up.where(b.expr(4, f.t, nullptr).expr);
      if (in.ConsumeBool()) up = up.returning({f.t.c("id")});
      stmt = up;
      break;
    }
    case 2: {  // DELETE
      Delete del = delete_(f.t);
      if (in.ConsumeBool()) del = del.where(b.expr(4, f.t, nullptr).expr);
      if (in.ConsumeBool()) del = del.returning({f.t.c("id")});
      stmt = del;
      break;
    }
    default: {  // SELECT with joins, aliases, a subquery in FROM, aggregates
      From alias = f.t.alias("t2");
      Select inner = select({f.u.c("t_id").label("tid"), func::count().label("n")}).group_by({f.u.c("t_id")});
      From sub = inner.subquery("sq");
      Select s;
      switch (in.ConsumeIntegralInRange(0, 3)) {
        case 0:
          s = select({f.t.c("id"), f.u.c("note")}).select_from(f.t).join(f.u, f.u.c("t_id") == f.t.c("id"));
          break;
        case 1:
          s = select({f.t.c("id"), alias.c("name")}).select_from(f.t).outerjoin(alias, alias.c("id") == f.t.c("Order"));
          break;
        case 2: s = select({f.t.c("id"), sub.c("n")}).select_from(f.t).join(sub, sub.c("tid") == f.t.c("id")); break;
        default: s = select(f.t); break;
      }
      if (in.ConsumeBool()) s = s.where(b.expr(4, f.t, nullptr).expr);
      if (in.ConsumeBool()) s = s.add_columns({b.expr(3, f.t, nullptr).expr.label("extra")});
      if (in.ConsumeBool()) {
        s = s.group_by({f.t.c("id")});
        static const int kinds = 5;
        Gen arg = b.expr(2, f.t, nullptr);
        Expr agg;
        switch (in.ConsumeIntegralInRange(0, kinds - 1)) {
          case 0: agg = func::count(arg.expr.distinct()); break;
          case 1: agg = func::sum(arg.expr); break;
          case 2: agg = func::min(arg.expr); break;
          case 3: agg = func::max(arg.expr); break;
          default: agg = func::avg(arg.expr); break;
        }
        s = s.add_columns({agg.label("agg")});
        if (in.ConsumeBool()) s = s.having(agg > b.expr(2, f.t, nullptr).expr);
      }
      if (in.ConsumeBool()) {
        Expr key = in.ConsumeBool() ? f.t.c("name") : b.expr(2, f.t, nullptr).expr;
        switch (in.ConsumeIntegralInRange(0, 4)) {
          case 0: key = key.asc(); break;
          case 1: key = key.desc(); break;
          case 2: key = key.desc().nulls_first(); break;
          case 3: key = key.nulls_last(); break;
          default: break;
        }
        s = s.order_by({key});
      }
      if (in.ConsumeBool()) s = s.limit(in.ConsumeIntegralInRange<std::int64_t>(0, 1000));
      if (in.ConsumeBool()) s = s.offset(in.ConsumeIntegralInRange<std::int64_t>(0, 1000));
      if (in.ConsumeBool()) s = s.distinct();
      if (in.ConsumeBool()) s = s.with_for_update();
      stmt = s;
      break;
    }
  }
  auto sqlite = compile_checked(stmt, dialect_for("sqlite"), b);
  compile_checked(stmt, dialect_for("postgresql"), b);
  if (sqlite) run(stmt, b.named(), sqlite->sql);
}

/// text(): `:name` placeholders outside quotes become named slots.
void text_statement(FuzzedDataProvider& in) {
  std::string sql = in.ConsumeRandomLengthString(200);
  for (const char* name : {"sqlite", "postgresql"}) {
    std::optional<CompiledSql> compiled;
    if (!only_retort_errors("compile(text())", [&] { compiled = compile(text(sql), dialect_for(name)); })) continue;
    for (auto& slot : compiled->slots) {
      RETORT_FUZZ_CHECK(slot.literal < 0 && !slot.name.empty(), "a text() slot without a name: " + quoted(sql));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  // Statements built only of valid parts: building them may not throw at all
  // (compiling and running them may, e.g. a UNIQUE violation; see run()).
  try {
    Builder b(in);
    switch (in.ConsumeIntegralInRange(0, 7)) {
      case 0: text_statement(in); break;
      case 1:
      case 2:
      case 3: structural_statement(in, b); break;
      default: differential_select(in, b); break;
    }
  } catch (const std::exception& e) {
    retort::fuzz::fail("building a statement of valid parts threw", e.what());
  }
  return 0;
}
