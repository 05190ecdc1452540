// The SQLite dialect: type names (SQLAlchemy's, so schemas read the same in
// either library), capabilities, and reflection of a live schema into the
// same Table form the models produce.
//
// Reflection reads the catalogue pragmas (table_info, foreign_key_list,
// index_list, index_info). SQLite does not report constraint names there, so
// they are read from the table's CREATE TABLE text in sqlite_master, where
// retort's DDL always writes them (CONSTRAINT name ...).
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

#include "core/dialect/type_argument.hpp"
#include "retort/core/dialect.hpp"
#include "retort/core/engine.hpp"
#include "retort/core/error.hpp"

namespace retort::detail {

namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

/// A token of a CREATE TABLE statement: a word or quoted identifier (unquoted), or one punctuation character.
struct Token {
  std::string text;
  bool quoted = false;
};

std::vector<Token> tokenize(std::string_view sql) {
  std::vector<Token> out;
  for (std::size_t i = 0; i < sql.size();) {
    char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '"' || c == '`' || c == '[' || c == '\'') {
      char close = c == '[' ? ']' : c;
      std::string text;
      std::size_t j = i + 1;
      for (; j < sql.size(); ++j) {
        if (sql[j] == close) {
          if (close != ']' && j + 1 < sql.size() && sql[j + 1] == close) {
            text += close;
            ++j;
            continue;
          }
          break;
        }
        text += sql[j];
      }
      out.push_back({c == '\'' ? "'" + text + "'" : text, c != '\''});
      i = j + 1;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$') {
      std::size_t j = i;
      while (j < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[j])) || sql[j] == '_' || sql[j] == '$')) ++j;
      out.push_back({std::string(sql.substr(i, j - i)), false});
      i = j;
    } else {
      out.push_back({std::string(1, c), false});
      ++i;
    }
  }
  return out;
}

bool is_kw(const Token& t, const char* kw) { return !t.quoted && upper(t.text) == kw; }

/// The names (and CHECK texts) of the table-level constraints in a CREATE TABLE statement.
struct NamedConstraints {
  std::string primary_key;
  std::vector<std::pair<std::vector<std::string>, std::string>> uniques;      // columns → name
  std::vector<std::pair<std::vector<std::string>, std::string>> foreign_keys; // columns → name
  std::vector<CheckConstraint> checks;
};

std::vector<std::string> column_list(const std::vector<Token>& t, std::size_t& i) {
  std::vector<std::string> cols;
  if (i >= t.size() || t[i].text != "(") return cols;
  for (++i; i < t.size() && t[i].text != ")"; ++i)
    if (t[i].text != ",") cols.push_back(t[i].text);
  ++i;
  return cols;
}

NamedConstraints parse_constraints(std::string_view create_sql) {
  NamedConstraints out;
  auto t = tokenize(create_sql);
  for (std::size_t i = 0; i + 2 < t.size(); ++i) {
    if (!is_kw(t[i], "CONSTRAINT")) continue;
    std::string name = t[i + 1].text;
    std::size_t j = i + 2;
    if (is_kw(t[j], "PRIMARY")) {
      out.primary_key = name;
    } else if (is_kw(t[j], "UNIQUE")) {
      ++j;
      out.uniques.emplace_back(column_list(t, j), name);
    } else if (is_kw(t[j], "FOREIGN") && j + 1 < t.size() && is_kw(t[j + 1], "KEY")) {
      j += 2;
      out.foreign_keys.emplace_back(column_list(t, j), name);
    } else if (is_kw(t[j], "CHECK")) {
      // The condition is the text between the balanced parentheses, taken from the source.
      auto pos = create_sql.find('(', create_sql.find(name) + name.size());
      int depth = 0;
      std::size_t k = pos;
      for (; k < create_sql.size(); ++k) {
        if (create_sql[k] == '(') ++depth;
        if (create_sql[k] == ')' && --depth == 0) break;
      }
      if (pos != std::string_view::npos && k < create_sql.size())
        out.checks.push_back({trim(create_sql.substr(pos + 1, k - pos - 1)), name});
    }
  }
  return out;
}

class SqliteDialect final : public Dialect {
 public:
  std::string_view name() const override { return "sqlite"; }
  std::string placeholder(std::size_t) const override { return "?"; }
  bool supports_returning() const override { return sqlite3_libversion_number() >= 3035000; }
  bool supports_alter_column() const override { return false; }
  bool has_lastrowid() const override { return true; }
  std::string begin_sql(std::string_view mode) const override {
    if (mode == "immediate") return "BEGIN IMMEDIATE";
    if (mode == "exclusive") return "BEGIN EXCLUSIVE";
    return "BEGIN";
  }

  SqlType parse_type(std::string_view declared) const override {
    std::string d = upper(trim(declared));
    std::string base = trim(d.substr(0, d.find('(')));
    std::vector<int> args;
    if (auto open = d.find('('); open != std::string::npos) {
      std::string inner = d.substr(open + 1, d.find(')') - open - 1);
      std::size_t pos = 0;
      while (pos < inner.size()) {
        auto comma = inner.find(',', pos);
        auto part = trim(inner.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
        if (auto n = type_argument(part)) args.push_back(*n);
        if (comma == std::string::npos) break;
        pos = comma + 1;
      }
    }
    SqlType t;
    if (base == "INTEGER" || base == "INT") t = Integer();
    else if (base == "BIGINT") t = BigInteger();
    else if (base == "SMALLINT") t = SmallInteger();
    else if (base == "VARCHAR" || base == "CHAR" || base == "NVARCHAR" || base == "CHARACTER VARYING")
      t = String(args.empty() ? std::nullopt : std::optional<int>(args[0]));
    else if (base == "TEXT" || base == "CLOB") t = Text();
    else if (base == "BOOLEAN" || base == "BOOL") t = Boolean();
    else if (base == "FLOAT" || base == "REAL" || base == "DOUBLE" || base == "DOUBLE PRECISION") t = Float();
    else if (base == "NUMERIC" || base == "DECIMAL")
      t = Numeric(args.size() > 0 ? args[0] : 10, args.size() > 1 ? args[1] : 0);
    else if (base == "DATE") t = Date();
    else if (base == "DATETIME" || base == "TIMESTAMP") t = DateTime();
    else if (base == "TIME") t = Time();
    else if (base == "JSON") t = JSON();
    else if (base == "BLOB") t = LargeBinary();
    else if (base == "UUID") t = UUID();
    t.raw = std::string(declared);
    return t;
  }

  std::vector<std::string> table_names(Connection& conn) const override {
    std::vector<std::string> names;
    auto r = conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name");
    for (auto& row : r) names.push_back(row.get<std::string>(0));
    return names;
  }

  bool has_table(Connection& conn, std::string_view name) const override {
    Value p(name);
    return conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", std::span(&p, 1))
        .first()
        .has_value();
  }

  Table reflect_table(Connection& conn, std::string_view name) const override {
    Value tname(name);
    std::span<const Value> p(&tname, 1);
    auto create = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", p).first();
    if (!create) {
      ErrorDetails d;
      d.sqlstate = "42P01";
      throw ProgrammingError("cannot reflect table '" + std::string(name) + "': no such table", d);
    }
    auto named = parse_constraints((*create)[0].is_null() ? "" : (*create)[0].as_text());

    Table table{std::string(name)};
    std::vector<std::pair<int, std::string>> pk;
    for (auto& row : conn.exec_driver_sql(
             "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid", p)) {
      Column c(row.get<std::string>(0), parse_type(row.get<std::string>(1)));
      c.nullable(row.get<int>(2) == 0);
      if (auto dflt = row.get<std::optional<std::string>>(3)) c.server_default(*dflt);
      table.append(c);
      if (int pos = row.get<int>(4); pos > 0) pk.emplace_back(pos, row.get<std::string>(0));
    }
    if (!pk.empty()) {
      std::sort(pk.begin(), pk.end());
      PrimaryKeyConstraint pkc;
      for (auto& [pos, col] : pk) pkc.columns.push_back(col);
      pkc.name = named.primary_key;
      table.append(pkc);
      // The nullability the model declared: a primary key column is NOT NULL.
    }

    // Foreign keys: one row per column, grouped by id.
    std::vector<ForeignKeyConstraint> fks;
    int current = -1;
    for (auto& row : conn.exec_driver_sql(
             "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq",
             p)) {
      int id = row.get<int>(0);
      if (id != current) {
        current = id;
        fks.emplace_back();
        fks.back().referred_table = row.get<std::string>(1);
        auto upd = row.get<std::string>(4), del = row.get<std::string>(5);
        fks.back().onupdate = upd == "NO ACTION" ? "" : upd;
        fks.back().ondelete = del == "NO ACTION" ? "" : del;
      }
      fks.back().columns.push_back(row.get<std::string>(2));
      fks.back().referred_columns.push_back(row.get<std::optional<std::string>>(3).value_or(""));
    }
    // pragma_foreign_key_list lists them last-declared first; restore declaration order.
    std::reverse(fks.begin(), fks.end());
    for (auto& fk : fks) {
      for (auto& [cols, cname] : named.foreign_keys)
        if (cols == fk.columns) fk.name = cname;
      table.append(fk);
    }

    // Indexes: origin 'c' is CREATE INDEX, 'u' a UNIQUE constraint, 'pk' the primary key.
    struct IndexRow {
      std::string name, origin;
      bool unique;
    };
    std::vector<IndexRow> index_rows;
    for (auto& row : conn.exec_driver_sql("SELECT name, \"unique\", origin FROM pragma_index_list(?) ORDER BY seq DESC", p))
      index_rows.push_back({row.get<std::string>(0), row.get<std::string>(2), row.get<int>(1) != 0});
    for (auto& ir : index_rows) {
      if (ir.origin == "pk") continue;
      Value iname(ir.name);
      std::vector<std::string> cols;
      for (auto& row : conn.exec_driver_sql("SELECT name FROM pragma_index_info(?) ORDER BY seqno", std::span(&iname, 1)))
        cols.push_back(row.get<std::optional<std::string>>(0).value_or(""));
      if (ir.origin == "u") {
        std::string cname;
        for (auto& [ucols, n] : named.uniques)
          if (ucols == cols) cname = n;
        table.append(UniqueConstraint{cols, cname});
      } else {
        table.append(Index{ir.name, cols, ir.unique});
      }
    }
    for (auto& ck : named.checks) table.append(ck);
    return table;
  }
};

}  // namespace

const Dialect& sqlite_dialect() {
  static const SqliteDialect dialect;
  return dialect;
}

}  // namespace retort::detail
