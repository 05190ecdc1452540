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
#include "retort/core/types.hpp"
#include "retort/core/url.hpp"
#include "retort/migrate/revision.hpp"

namespace r = retort;
namespace m = retort::migrate;

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

// ---- fuzz_sql_type (and fuzz_migration_file) ----------------------------------------------

// crash_sqlite_length_out_of_range (fuzz_sql_type), crash_type_length_out_of_range
// (fuzz_migration_file): a type argument beyond int went to std::stoi, whose
// std::out_of_range escaped from reading a migration file and from reflecting
// a SQLite table (SQLite keeps any declared type text).
TEST(FuzzSqlType, TypeArgumentsBeyondIntAreNoStdExceptions) {
  try {
    (void)r::SqlType::from_description("String(99999999999)");
    FAIL() << "no error";
  } catch (const r::ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("99999999999 is too large (at most 2147483647)"), std::string::npos) << e.what();
  }
  EXPECT_EQ(r::SqlType::from_description("Numeric(12, 2)").describe(), "Numeric(12, 2)");
  auto sqlite = r::dialect_for("sqlite").parse_type("VARCHAR(99999999999)");
  EXPECT_EQ(sqlite.kind, r::TypeKind::string);
  EXPECT_FALSE(sqlite.length.has_value());
  EXPECT_EQ(r::dialect_for("sqlite").parse_type("NUMERIC( 12 , 2 )").describe(), "Numeric(12, 2)");
  EXPECT_EQ(r::dialect_for("postgresql").parse_type("numeric(99999999999,2)").describe(), "Numeric(0, 2)");
  EXPECT_EQ(r::dialect_for("postgresql").parse_type("character varying(50)").describe(), "String(50)");

  r::Engine engine("sqlite://");
  auto conn = engine.connect();
  conn.exec_driver_sql("CREATE TABLE huge (id INTEGER PRIMARY KEY, name VARCHAR(99999999999))");
  auto reflected = r::reflect(conn);
  ASSERT_EQ(reflected.tables().size(), 1u);
  EXPECT_EQ(reflected.tables()[0].column("name").type.describe(), "String()");

  std::string file = "revision: abc\ndown_revision: null\nupgrade:\n  - add_column: {table: t, column: {name: c, type: \"Numeric(1000000000000, 2)\"}}\n";
  try {
    (void)m::parse_revision(file, "versions/x.yaml");
    FAIL() << "no error";
  } catch (const r::MigrationError& e) {
    EXPECT_NE(std::string(e.what()).find("versions/x.yaml:4:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("1000000000000 is too large"), std::string::npos) << e.what();
  }
}

// ---- fuzz_migration_file --------------------------------------------------------------------

/// The MigrationError parse_revision raises for `text`.
std::string revision_error(const std::string& text) {
  try {
    (void)m::parse_revision(text, "versions/x.yaml");
  } catch (const r::MigrationError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("not a MigrationError: ") + e.what();
  }
  return "no error";
}

void expect_error(const std::string& text, const std::string& fragment) {
  std::string message = revision_error(text);
  EXPECT_NE(message.find(fragment), std::string::npos) << message;
}

// crash_invalid_utf8: yaml-cpp keeps a byte that is not UTF-8 when reading and
// writes U+FFFD for it, so the file changed when written back.
TEST(FuzzMigrationFile, TextThatIsNotUtf8IsRefusedWithItsPlace) {
  expect_error("revision: abc\ndown_revision: null\ncreate_date: 2\xff" "6-12-03\n",
               "versions/x.yaml:3:15: not UTF-8: byte 0xFF");
  expect_error("revision: abc\ndown_revision: null\nmessage: \xc3\x28\n", "versions/x.yaml:3:10: not UTF-8: byte 0xC3");
  expect_error("message: \xed\xa0\x80\n", "x.yaml:1:10: not UTF-8");  // a surrogate
  EXPECT_EQ(m::parse_revision("revision: abc\ndown_revision: null\nmessage: caf\xc3\xa9 \xf0\x9f\x90\xb6\n", "x.yaml").message,
            "caf\xc3\xa9 \xf0\x9f\x90\xb6");
}

// crash_nul_byte: yaml-cpp read a raw NUL byte and the byte after it as one
// other byte (0x00 '_' became 0xA0), which is not UTF-8 when written back.
// Raw control characters are not YAML (c-printable); their escapes are.
TEST(FuzzMigrationFile, RawControlCharactersAreRefusedAndTheirEscapesRoundTrip) {
  expect_error(std::string("revision: abc\ndown_revision: null\ncreate_date: 2027\0_x\n", 55),
               "versions/x.yaml:3:18: control character 0x00 is not allowed in YAML; inside double quotes write it as an escape, e.g. \"\\x00\"");
  expect_error("revision: abc\ndown_revision: null\nmessage: a\x01" "b\n", "versions/x.yaml:3:11: control character 0x01");
  auto rev = m::parse_revision("revision: abc\ndown_revision: null\nmessage: \"a\\x00_b\\x01\\x7f\"\n", "x.yaml");
  EXPECT_EQ(rev.message, std::string("a\0_b\x01\x7f", 6));
  auto back = m::parse_revision(m::revision_yaml(rev), "x.yaml");
  EXPECT_EQ(back.message, rev.message);
}

// crash_down_revision_map: a down_revision that is a mapping threw yaml-cpp's
// "bad conversion", which names no file.
TEST(FuzzMigrationFile, ADownRevisionThatIsNoIdIsAMigrationError) {
  expect_error("revision: abc\ndown_revision:\n  - aaa\n  - {b: c}\n", "versions/x.yaml:4:5: each down_revision of a merge must be a revision id");
  expect_error("revision: abc\ndown_revision: {b: c}\n", "versions/x.yaml:2:16: down_revision must be a revision id");
}

// crash_down_revision_carriage_returns: a down_revision of '\r' characters was
// written as a plain scalar and read back shorter. Ids are now checked as the
// revision's own id is; any other text is written double-quoted.
TEST(FuzzMigrationFile, DownRevisionsAreIdsAndControlCharactersSurviveWriting) {
  expect_error("revision: abc\ndown_revision: \"\\r\\r\"\n", "down_revision '\r\r' may hold only lower-case letters, digits and '_'");
  expect_error("revision: abc\ndown_revision: [aaa, B]\n", "down_revision 'B' may hold only");
  m::Revision rev;
  rev.id = "abc";
  rev.message = "line\r\nbreak\r\t\x01 end ";
  rev.create_date = "\r";
  rev.upgrade = {m::Execute{"UPDATE t SET a = 1\r\n", ""}};
  auto back = m::parse_revision(m::revision_yaml(rev), "x.yaml");
  EXPECT_EQ(back.message, rev.message);
  EXPECT_EQ(back.create_date, rev.create_date);
  EXPECT_EQ(m::revision_yaml(back), m::revision_yaml(rev));
}

// crash_checks_not_a_list: `checks:` holding a mapping was iterated as a list;
// yaml-cpp threw "invalid node" from the error path itself.
TEST(FuzzMigrationFile, ConstraintListsThatAreNoListsAreMigrationErrors) {
  std::string head = "revision: abc\ndown_revision: null\nupgrade:\n  - create_table:\n      name: pet\n"
                     "      columns: [{name: id, type: Integer()}]\n";
  expect_error(head + "      checks: {a: b}\n", "versions/x.yaml:7:15: 'checks' of create_table must be a list");
  expect_error(head + "      unique: text\n", "'unique' of create_table must be a list");
  expect_error(head + "      foreign_keys: {a: b}\n", "'foreign_keys' of create_table must be a list");
  EXPECT_EQ(revision_error(head + "      checks:\n"), "no error");  // empty: none
}

// Operation names and server defaults that are not text.
TEST(FuzzMigrationFile, NonTextNamesAndDefaultsAreMigrationErrors) {
  std::string head = "revision: abc\ndown_revision: null\nupgrade:\n";
  expect_error(head + "  - {[a]: {name: t}}\n", "an operation's name must be a text");
  expect_error(head + "  - add_column: {table: t, column: {name: c, type: Integer(), server_default: [1]}}\n",
               "'server_default' must be SQL text");
  expect_error(head + "  - alter_column: {table: t, column: c, server_default: {a: 1}}\n", "'server_default' must be SQL text");
}

}  // namespace
