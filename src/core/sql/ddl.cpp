// DDL: CREATE TABLE with every constraint named inline, CREATE INDEX, DROP
// TABLE. DDL cannot bind parameters, so server defaults and CHECK conditions
// are SQL text the user wrote; identifiers are quoted by the dialect.
#include "retort/core/dialect.hpp"

namespace retort {

namespace {

std::string quoted_list(const std::vector<std::string>& names, const Dialect& d) {
  std::string out;
  for (auto& n : names) out += (out.empty() ? "" : ", ") + d.quote(n);
  return out;
}

}  // namespace

std::string column_ddl(const ColumnSpec& c, const Dialect& d) {
  std::string col = d.quote(c.name) + " " + d.type_sql(c.type);
  if (!c.is_nullable()) col += " NOT NULL";
  if (c.server_default) col += " DEFAULT " + *c.server_default;
  return col;
}

std::string create_table_sql(const Table& t, const Dialect& d) {
  std::string sql = "CREATE TABLE " + d.quote(t.name()) + " (";
  bool first = true;
  auto item = [&](const std::string& text) {
    sql += first ? "\n\t" : ",\n\t";
    sql += text;
    first = false;
  };
  const ColumnSpec* generated = d.autoincrement_sql().empty() ? nullptr : t.autoincrement_column();
  for (auto& c : t.columns()) item(column_ddl(c, d) + (generated && generated->name == c.name ? " " + d.autoincrement_sql() : ""));
  auto& pk = t.primary_key();
  if (!pk.columns.empty()) item("CONSTRAINT " + d.quote(pk.name) + " PRIMARY KEY (" + quoted_list(pk.columns, d) + ")");
  for (auto& uq : t.unique_constraints())
    item("CONSTRAINT " + d.quote(uq.name) + " UNIQUE (" + quoted_list(uq.columns, d) + ")");
  for (auto& fk : t.foreign_keys()) {
    std::string s = "CONSTRAINT " + d.quote(fk.name) + " FOREIGN KEY(" + quoted_list(fk.columns, d) +
                    ") REFERENCES " + d.quote(fk.referred_table) + " (" + quoted_list(fk.referred_columns, d) + ")";
    if (!fk.ondelete.empty()) s += " ON DELETE " + fk.ondelete;
    if (!fk.onupdate.empty()) s += " ON UPDATE " + fk.onupdate;
    item(s);
  }
  for (auto& ck : t.check_constraints()) item("CONSTRAINT " + d.quote(ck.name) + " CHECK (" + ck.sql + ")");
  sql += "\n)";
  return sql;
}

std::string create_index_sql(const Table& t, const Index& ix, const Dialect& d) {
  return std::string(ix.unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ") + d.quote(ix.name) + " ON " +
         d.quote(t.name()) + " (" + quoted_list(ix.columns, d) + ")";
}

std::string drop_table_sql(const Table& t, const Dialect& d) { return "DROP TABLE " + d.quote(t.name()); }

}  // namespace retort
