// Regression tests for what the fuzz targets in fuzz/ found (docs/fuzzing.md):
// one test per bug, named after what was wrong; the input that found it is in
// fuzz/corpus/<target>/crash_*.
#include <gtest/gtest.h>

#include <string>

#include "retort/core/dialect.hpp"
#include "retort/core/engine.hpp"
#include "retort/core/error.hpp"
#include "retort/core/schema.hpp"
#include "retort/core/sql.hpp"
#include "retort/core/url.hpp"

namespace r = retort;

namespace {

// ---- fuzz_url -----------------------------------------------------------------------------

// crash_ipv6_zone_without_colon: "[e2%]" is a bracketed host with a zone but
// no ':'; render() wrote it without brackets, and '%' is no host character.
TEST(FuzzUrl, BracketedHostWithoutColonRendersInBrackets) {
  auto u = r::Url::parse("ej://[e2%eth0]/db");
  EXPECT_EQ(u.host, "e2%eth0");
  EXPECT_EQ(u.render(), "ej://[e2%eth0]/db");
  EXPECT_EQ(r::Url::parse(u.render()).host, u.host);
  EXPECT_EQ(r::Url::parse("postgresql://[::1]:5432/db").render(), "postgresql://[::1]:5432/db");
  EXPECT_EQ(r::Url::parse("postgresql://[127.0.0.1]/db").render(), "postgresql://127.0.0.1/db");
}

// ---- fuzz_sql_compiler --------------------------------------------------------------------

struct Tables {
  r::Table t{"t", {r::Column("id", r::Integer()).primary_key(), r::Column("a", r::Integer()),
                   r::Column("b", r::Integer()), r::Column("name", r::String(20))}};
};

std::string sql(const r::Statement& s) { return r::compile(s, r::dialect_for("sqlite")).sql; }
std::string pg(const r::Statement& s) { return r::compile(s, r::dialect_for("postgresql")).sql; }

/// The single value `select({e})` gives on an in-memory SQLite database.
r::Value evaluate(const r::Expr& e) {
  r::Engine engine("sqlite://");
  auto conn = engine.connect();
  return conn.execute(r::select({e})).one().at(0);
}

// crash_label_of_label: a label of a label, or a label inside a column's
// expression, was written `x AS a AS b` / `lower(x AS a)`.
TEST(FuzzSqlCompiler, OnlyTheOutermostLabelOfAColumnNamesIt) {
  Tables s;
  EXPECT_EQ(sql(r::select({s.t.c("id").label("a").label("b")})), "SELECT t.id AS b FROM t");
  EXPECT_EQ(sql(r::select({r::func::lower(s.t.c("name").label("n")).label("l")})), "SELECT lower(t.name) AS l FROM t");
  EXPECT_EQ(sql(r::insert(s.t).values({{"a", 1}}).returning({s.t.c("id").label("x").label("y")})),
            "INSERT INTO t (a) VALUES (?) RETURNING id AS y");
}

// crash_label_precedence: a label inside an expression binds as its element
// does; it was taken for an atom, and `(NOT x).label(..) - y` lost its parentheses.
TEST(FuzzSqlCompiler, ALabelInsideAnExpressionKeepsItsParentheses) {
  Tables s;
  EXPECT_EQ(sql(r::select({s.t.c("id"), (!s.t.c("a")).label("l") - s.t.c("b")})), "SELECT t.id, (NOT t.a) - t.b FROM t");
  EXPECT_EQ(sql(r::select({((s.t.c("a") + 1).label("l") * 2).label("c")})), "SELECT (t.a + ?) * ? AS c FROM t");
}

// crash_empty_or_precedence: and_({}) and or_({}) were the raw text `1 = 1` /
// `1 = 0`, so `or_({}) - x` was `1 = 0 - x`, which means 1 = (0 - x).
TEST(FuzzSqlCompiler, EmptyAndOrAreParenthesisedLikeComparisons) {
  Tables s;
  EXPECT_EQ(sql(r::select({r::or_({}) - s.t.c("a")})), "SELECT (1 = 0) - t.a FROM t");
  EXPECT_EQ(sql(r::select({s.t.c("id")}).where(r::and_({}))), "SELECT t.id FROM t WHERE 1 = 1");
  EXPECT_EQ(evaluate(r::or_({}) - 1), r::Value(-1));
  EXPECT_EQ(evaluate(r::and_({}) * 5), r::Value(5));
}

// crash_chained_comparison: a comparison inside another was written without
// parentheses: `(a = b) < c` as `a = b < c`, which SQLite reads as a = (b < c)
// (< binds tighter than =) and PostgreSQL rejects (comparisons do not chain).
TEST(FuzzSqlCompiler, ComparisonsInsideComparisonsAreParenthesised) {
  Tables s;
  auto a = s.t.c("a"), b = s.t.c("b"), id = s.t.c("id");
  EXPECT_EQ(sql(r::select({id}).where((a == b) < id)), "SELECT t.id FROM t WHERE (t.a = t.b) < t.id");
  EXPECT_EQ(pg(r::select({id}).where((a == b) == (id != 1))), "SELECT t.id FROM t WHERE (t.a = t.b) = (t.id <> $1)");
  EXPECT_EQ(sql(r::select({id}).where((a < b).is_null())), "SELECT t.id FROM t WHERE (t.a < t.b) IS NULL");
  EXPECT_EQ(sql(r::select({id}).where((a == b).between(0, 1))), "SELECT t.id FROM t WHERE (t.a = t.b) BETWEEN ? AND ?");
  EXPECT_EQ(sql(r::select({id}).where((a == b).in_({1}))), "SELECT t.id FROM t WHERE (t.a = t.b) IN (?)");
  EXPECT_EQ(sql(r::select({id}).where(a.like("x%") == b.is_null())), "SELECT t.id FROM t WHERE (t.a LIKE ?) = (t.b IS NULL)");
  // Arithmetic keeps its usual rules: left-associative, no extra parentheses.
  EXPECT_EQ(sql(r::select({a - b - id, a - (b - id), a * b + id})), "SELECT t.a - t.b - t.id, t.a - (t.b - t.id), t.a * t.b + t.id FROM t");
  // (1 = 2) < 1 is 0 < 1; written as 1 = 2 < 1 SQLite computed 1 = (2 < 1), false.
  EXPECT_EQ(evaluate((r::Expr(1) == 2) < 1), r::Value(1));
}

}  // namespace
