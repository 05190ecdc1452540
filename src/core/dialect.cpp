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

// SQLAlchemy's generic type names (SQLite's spelling); dialects override what differs.
std::string Dialect::type_sql(const SqlType& t) const {
  switch (t.kind) {
    case TypeKind::integer: return "INTEGER";
    case TypeKind::big_integer: return "BIGINT";
    case TypeKind::small_integer: return "SMALLINT";
    case TypeKind::string: return t.length ? "VARCHAR(" + std::to_string(*t.length) + ")" : "VARCHAR";
    case TypeKind::text: return "TEXT";
    case TypeKind::boolean: return "BOOLEAN";
    case TypeKind::floating: return "FLOAT";
    case TypeKind::numeric: return "NUMERIC(" + std::to_string(t.precision) + ", " + std::to_string(t.scale) + ")";
    case TypeKind::date: return "DATE";
    case TypeKind::date_time: return "DATETIME";
    case TypeKind::time: return "TIME";
    case TypeKind::json: return "JSON";
    case TypeKind::enumeration: {
      std::size_t longest = 0;
      for (auto& v : t.enum_values) longest = std::max(longest, v.size());
      return "VARCHAR(" + std::to_string(longest) + ")";
    }
    case TypeKind::large_binary: return "BLOB";
    case TypeKind::uuid: return "UUID";
    case TypeKind::unknown: return t.raw.empty() ? "BLOB" : t.raw;
  }
  return "BLOB";
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
