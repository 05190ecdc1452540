// What every dialect shares: identifier quoting, the registry of dialects by
// URL name (an explicit table, not self-registration, so a static link keeps
// them all), and reflection of a whole database.
#include "retort/core/dialect.hpp"

#include <algorithm>
#include <array>

#include "retort/core/engine.hpp"
#include "retort/core/error.hpp"

namespace retort {

namespace detail {
const Dialect& sqlite_dialect();
const Dialect& postgresql_dialect();
}

namespace {

// Reserved words of SQL:2016, SQLite and PostgreSQL together (lower case,
// sorted): quoting a few words more than one database needs is harmless.
constexpr std::array kReserved = {
    "abort", "action", "add", "after", "all", "alter", "always", "analyse", "analyze", "and", "any", "array", "as",
    "asc", "asymmetric", "attach", "authorization", "autoincrement", "before", "begin", "between", "binary", "both",
    "by", "cascade", "case", "cast", "check", "collate", "column", "commit", "concurrently", "conflict", "constraint",
    "create", "cross", "current", "current_catalog", "current_date", "current_role", "current_schema",
    "current_time", "current_timestamp", "current_user", "database", "default", "deferrable", "deferred", "delete",
    "desc", "detach", "distinct", "do", "drop", "each", "else", "end", "escape", "except", "exclude", "exclusive",
    "exists", "explain", "false", "fetch", "filter", "first", "following", "for", "foreign", "freeze", "from", "full",
    "generated", "glob", "grant", "group", "groups", "having", "if", "ignore", "ilike", "immediate", "in", "index",
    "indexed", "initially", "inner", "insert", "instead", "intersect", "into", "is", "isnull", "join", "key", "last",
    "lateral", "leading", "left", "like", "limit", "localtime", "localtimestamp", "match", "materialized", "natural",
    "no", "not", "nothing", "notnull", "null", "nulls", "of", "offset", "on", "only", "or", "order", "others", "outer",
    "over", "overlaps", "partition", "placing", "plan", "pragma", "preceding", "primary", "query", "raise", "range",
    "recursive", "references", "regexp", "reindex", "release", "rename", "replace", "restrict", "returning", "right",
    "rollback", "row", "rows", "savepoint", "select", "session_user", "set", "similar", "some", "symmetric", "table",
    "tablesample", "temp", "temporary", "then", "ties", "to", "trailing", "transaction", "trigger", "true",
    "unbounded", "union", "unique", "update", "user", "using", "vacuum", "values", "variadic", "verbose", "view",
    "virtual", "when", "where", "window", "with", "without"};

}  // namespace

bool Dialect::needs_quoting(std::string_view id) const {
  if (id.empty()) return true;
  char first = id.front();
  if (!((first >= 'a' && first <= 'z') || first == '_')) return true;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '$')) return true;
  return std::binary_search(kReserved.begin(), kReserved.end(), id,
                            [](std::string_view a, std::string_view b) { return a < b; });
}

std::string Dialect::quote(std::string_view id) const {
  if (!needs_quoting(id)) return std::string(id);
  std::string out = "\"";
  for (char c : id) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

bool Dialect::has_table(Connection& conn, std::string_view name) const {
  auto names = table_names(conn);
  return std::find(names.begin(), names.end(), name) != names.end();
}

const Dialect& dialect_for(std::string_view name) {
  if (name == "sqlite") return detail::sqlite_dialect();
  if (name == "postgresql") return detail::postgresql_dialect();
  throw ArgumentError("no dialect named '" + std::string(name) + "'; retort knows: sqlite, postgresql");
}

MetaData reflect(Connection& conn) {
  MetaData md;
  const Dialect& d = conn.dialect();
  for (auto& name : d.table_names(conn)) md.add(d.reflect_table(conn, name));
  return md;
}

}  // namespace retort
