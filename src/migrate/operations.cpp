// Operations: how they change the in-memory Schema, and the SQL that carries
// them out per dialect. SQLite's ALTER TABLE adds and renames columns and
// renames tables; anything else on SQLite is a rebuild: a new table with the
// changed definition, the rows copied, the old table dropped, the new one
// renamed, the indexes created again.
#include "retort/migrate/operations.hpp"

#include <algorithm>

#include "migrate/text.hpp"
#include "retort/core/error.hpp"

namespace retort::migrate {

namespace {

using detail::join;
using detail::overloaded;

bool is_sqlite(const Dialect& d) { return d.name() == "sqlite"; }

std::string quoted(const std::vector<std::string>& names, const Dialect& d) {
  std::string out;
  for (auto& n : names) out += (out.empty() ? "" : ", ") + d.quote(n);
  return out;
}

[[noreturn]] void missing(const std::string& what) { throw MigrationError(what); }

bool contains(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

void rename_in(std::vector<std::string>& v, const std::string& from, const std::string& to) {
  for (auto& x : v)
    if (x == from) x = to;
}

std::string constraint_sql(const Constraint& c, const Dialect& d) {
  return std::visit(overloaded{
                        [&](const UniqueConstraint& u) {
                          return "CONSTRAINT " + d.quote(u.name) + " UNIQUE (" + quoted(u.columns, d) + ")";
                        },
                        [&](const ForeignKeyConstraint& f) {
                          std::string s = "CONSTRAINT " + d.quote(f.name) + " FOREIGN KEY(" + quoted(f.columns, d) +
                                          ") REFERENCES " + d.quote(f.referred_table) + " (" +
                                          quoted(f.referred_columns, d) + ")";
                          if (!f.ondelete.empty()) s += " ON DELETE " + f.ondelete;
                          if (!f.onupdate.empty()) s += " ON UPDATE " + f.onupdate;
                          return s;
                        },
                        [&](const CheckConstraint& c2) { return "CONSTRAINT " + d.quote(c2.name) + " CHECK (" + c2.sql + ")"; },
                    },
                    c);
}

/// SQLite: rebuild `before` as `after`; `source` gives, per column of
/// `after`, the column of `before` its values come from (empty: none).
std::vector<std::string> rebuild(const TableDef& before, const TableDef& after,
                                 const std::map<std::string, std::string>& renamed, const Dialect& d) {
  std::vector<std::string> out;
  TableDef temp = after;
  temp.name = "_retort_tmp_" + after.name;
  out.push_back(create_table_sql(temp.to_table(), d));
  std::vector<std::string> to, from;
  for (auto& c : after.columns) {
    auto it = renamed.find(c.name);
    std::string source = it != renamed.end() ? it->second : c.name;
    if (before.find_column(source)) {
      to.push_back(c.name);
      from.push_back(source);
    }
  }
  out.push_back("INSERT INTO " + d.quote(temp.name) + " (" + quoted(to, d) + ") SELECT " + quoted(from, d) + " FROM " +
                d.quote(before.name));
  out.push_back("DROP TABLE " + d.quote(before.name));
  out.push_back("ALTER TABLE " + d.quote(temp.name) + " RENAME TO " + d.quote(after.name));
  Table named(after.name);
  for (auto& ix : after.indexes) out.push_back(create_index_sql(named, ix, d));
  return out;
}

bool simple_add_column(const ColumnSpec& c) {
  return !c.primary_key && !c.unique && (c.is_nullable() || c.server_default.has_value());
}

}  // namespace

// ---- TableDef --------------------------------------------------------------------------

TableDef TableDef::of(const Table& table) {
  TableDef t;
  t.name = table.name();
  for (auto c : table.columns()) {
    c.nullable = c.is_nullable();
    c.primary_key = false;  // the key is the primary_key constraint
    c.unique = false;       // and uniques, indexes and checks are their own lists
    c.index = false;
    c.type.enum_check = false;
    c.default_value.reset();
    t.columns.push_back(std::move(c));
  }
  t.primary_key = table.primary_key();
  t.foreign_keys = table.foreign_keys();
  t.uniques = table.unique_constraints();
  t.checks = table.check_constraints();
  t.indexes = table.indexes();
  return t;
}

Table TableDef::to_table() const {
  std::vector<TableItem> items;
  for (auto& c : columns) {
    Column col(c.name, c.type);
    col.nullable(c.is_nullable());
    if (c.server_default) col.server_default(*c.server_default);
    if (c.autoincrement) col.autoincrement(*c.autoincrement);
    items.emplace_back(col);
  }
  if (!primary_key.columns.empty()) items.emplace_back(primary_key);
  for (auto& f : foreign_keys) items.emplace_back(f);
  for (auto& u : uniques) items.emplace_back(u);
  for (auto& c : checks) items.emplace_back(c);
  return Table(name, items);
}

const ColumnSpec* TableDef::find_column(std::string_view column) const {
  for (auto& c : columns)
    if (c.name == column) return &c;
  return nullptr;
}

// ---- describe -----------------------------------------------------------------------------

std::string describe(const Operation& op) {
  return std::visit(
      overloaded{
          [](const CreateTable& o) { return "create table " + o.table.name; },
          [](const DropTable& o) { return "drop table " + o.table; },
          [](const RenameTable& o) { return "rename table " + o.from + " to " + o.to; },
          [](const AddColumn& o) { return "add column " + o.table + "." + o.column.name; },
          [](const DropColumn& o) { return "drop column " + o.table + "." + o.column; },
          [](const AlterColumn& o) { return "alter column " + o.table + "." + o.column; },
          [](const CreateIndex& o) { return "create index " + o.index.name + " on " + o.table; },
          [](const DropIndex& o) { return "drop index " + o.name + " on " + o.table; },
          [](const AddConstraint& o) {
            return "add constraint " + std::visit([](auto& c) { return c.name; }, o.constraint) + " on " + o.table;
          },
          [](const DropConstraint& o) { return "drop constraint " + o.name + " on " + o.table; },
          [](const Execute& o) { return "execute " + (o.sql.size() > 40 ? o.sql.substr(0, 40) + "..." : o.sql); },
      },
      op);
}

// ---- Schema ------------------------------------------------------------------------------

Schema Schema::reflect(Connection& conn, std::string_view skip) {
  Schema s;
  MetaData live = retort::reflect(conn);
  for (auto& t : live.tables())
    if (t.name() != skip) s.tables_.emplace(t.name(), TableDef::of(t));
  return s;
}

Schema Schema::of(const MetaData& metadata) {
  Schema s;
  for (auto& t : metadata.tables()) s.tables_.emplace(t.name(), TableDef::of(t));
  return s;
}

const TableDef* Schema::find(std::string_view table) const {
  auto it = tables_.find(table);
  return it == tables_.end() ? nullptr : &it->second;
}

const TableDef& Schema::table(std::string_view table) const {
  if (auto* t = find(table)) return *t;
  std::vector<std::string> names;
  for (auto& [n, t] : tables_) names.push_back(n);
  missing("no table '" + std::string(table) + "'" + (names.empty() ? "" : " (the tables are: " + join(names) + ")"));
}

void Schema::apply(const Operation& op) {
  auto table_of = [&](const std::string& name) -> TableDef& {
    (void)table(name);
    return tables_.find(name)->second;
  };
  auto column_of = [&](TableDef& t, const std::string& column) -> ColumnSpec& {
    for (auto& c : t.columns)
      if (c.name == column) return c;
    std::vector<std::string> names;
    for (auto& c : t.columns) names.push_back(c.name);
    missing("table '" + t.name + "' has no column '" + column + "' (its columns are: " + join(names) + ")");
  };
  std::visit(
      overloaded{
          [&](const CreateTable& o) {
            if (find(o.table.name)) missing("table '" + o.table.name + "' already exists");
            tables_.emplace(o.table.name, o.table);
          },
          [&](const DropTable& o) {
            (void)table(o.table);
            tables_.erase(tables_.find(o.table));
          },
          [&](const RenameTable& o) {
            if (find(o.to)) missing("cannot rename table '" + o.from + "' to '" + o.to + "': that table exists");
            TableDef t = table(o.from);
            tables_.erase(tables_.find(o.from));
            t.name = o.to;
            tables_.emplace(o.to, std::move(t));
            for (auto& [n, other] : tables_)
              for (auto& fk : other.foreign_keys)
                if (fk.referred_table == o.from) fk.referred_table = o.to;
          },
          [&](const AddColumn& o) {
            auto& t = table_of(o.table);
            if (t.find_column(o.column.name)) missing("table '" + o.table + "' already has a column '" + o.column.name + "'");
            t.columns.push_back(o.column);
          },
          [&](const DropColumn& o) {
            auto& t = table_of(o.table);
            (void)column_of(t, o.column);
            std::erase_if(t.columns, [&](const ColumnSpec& c) { return c.name == o.column; });
            // What the column was part of goes with it.
            std::erase_if(t.indexes, [&](const Index& i) { return contains(i.columns, o.column); });
            std::erase_if(t.uniques, [&](const UniqueConstraint& u) { return contains(u.columns, o.column); });
            std::erase_if(t.foreign_keys, [&](const ForeignKeyConstraint& f) { return contains(f.columns, o.column); });
          },
          [&](const AlterColumn& o) {
            auto& t = table_of(o.table);
            auto& c = column_of(t, o.column);
            if (o.type) c.type = *o.type;
            if (o.nullable) c.nullable = *o.nullable;
            if (o.server_default) c.server_default = *o.server_default;
            if (o.new_name) {
              if (t.find_column(*o.new_name)) missing("table '" + o.table + "' already has a column '" + *o.new_name + "'");
              c.name = *o.new_name;
              rename_in(t.primary_key.columns, o.column, *o.new_name);
              for (auto& i : t.indexes) rename_in(i.columns, o.column, *o.new_name);
              for (auto& u : t.uniques) rename_in(u.columns, o.column, *o.new_name);
              for (auto& f : t.foreign_keys) rename_in(f.columns, o.column, *o.new_name);
            }
          },
          [&](const CreateIndex& o) {
            auto& t = table_of(o.table);
            for (auto& i : t.indexes)
              if (i.name == o.index.name) missing("table '" + o.table + "' already has an index '" + o.index.name + "'");
            for (auto& col : o.index.columns) (void)column_of(t, col);
            t.indexes.push_back(o.index);
          },
          [&](const DropIndex& o) {
            auto& t = table_of(o.table);
            if (!std::erase_if(t.indexes, [&](const Index& i) { return i.name == o.name; }))
              missing("table '" + o.table + "' has no index '" + o.name + "'");
          },
          [&](const AddConstraint& o) {
            auto& t = table_of(o.table);
            std::visit(overloaded{[&](const UniqueConstraint& u) { t.uniques.push_back(u); },
                                  [&](const ForeignKeyConstraint& f) { t.foreign_keys.push_back(f); },
                                  [&](const CheckConstraint& c) { t.checks.push_back(c); }},
                       o.constraint);
          },
          [&](const DropConstraint& o) {
            auto& t = table_of(o.table);
            std::size_t n = std::erase_if(t.uniques, [&](auto& u) { return u.name == o.name; }) +
                            std::erase_if(t.foreign_keys, [&](auto& f) { return f.name == o.name; }) +
                            std::erase_if(t.checks, [&](auto& c) { return c.name == o.name; });
            if (n == 0) missing("table '" + o.table + "' has no constraint '" + o.name + "'");
          },
          [&](const Execute&) {},
      },
      op);
}

// ---- SQL ------------------------------------------------------------------------------------

bool rebuilds(const Operation& op, const Dialect& d) {
  if (!is_sqlite(d)) return false;
  return std::visit(overloaded{
                        [](const AddColumn& o) { return !simple_add_column(o.column); },
                        [](const DropColumn&) { return true; },
                        [](const AlterColumn& o) { return o.type || o.nullable || o.server_default; },
                        [](const AddConstraint&) { return true; },
                        [](const DropConstraint&) { return true; },
                        [](const auto&) { return false; },
                    },
                    op);
}

std::vector<std::string> render(const Operation& op, const Schema& before, const Dialect& d) {
  if (rebuilds(op, d)) {
    Schema after = before;
    after.apply(op);
    std::map<std::string, std::string> renamed;
    std::string table;
    std::visit(overloaded{[&](const AlterColumn& o) {
                            table = o.table;
                            if (o.new_name) renamed[*o.new_name] = o.column;
                          },
                          [&](const AddColumn& o) { table = o.table; }, [&](const DropColumn& o) { table = o.table; },
                          [&](const AddConstraint& o) { table = o.table; },
                          [&](const DropConstraint& o) { table = o.table; }, [](const auto&) {}},
               op);
    return rebuild(before.table(table), after.table(table), renamed, d);
  }
  auto alter = [&](const std::string& table) { return "ALTER TABLE " + d.quote(table) + " "; };
  return std::visit(
      overloaded{
          [&](const CreateTable& o) { return std::vector<std::string>{create_table_sql(o.table.to_table(), d)}; },
          [&](const DropTable& o) { return std::vector<std::string>{"DROP TABLE " + d.quote(o.table)}; },
          [&](const RenameTable& o) { return std::vector<std::string>{alter(o.from) + "RENAME TO " + d.quote(o.to)}; },
          [&](const AddColumn& o) { return std::vector<std::string>{alter(o.table) + "ADD COLUMN " + column_ddl(o.column, d)}; },
          [&](const DropColumn& o) { return std::vector<std::string>{alter(o.table) + "DROP COLUMN " + d.quote(o.column)}; },
          [&](const AlterColumn& o) {
            std::vector<std::string> out;
            std::string col = alter(o.table) + "ALTER COLUMN " + d.quote(o.column) + " ";
            if (o.type) out.push_back(col + "TYPE " + d.type_sql(*o.type));
            if (o.nullable) out.push_back(col + (*o.nullable ? "DROP NOT NULL" : "SET NOT NULL"));
            if (o.server_default)
              out.push_back(col + (*o.server_default ? "SET DEFAULT " + **o.server_default : std::string("DROP DEFAULT")));
            if (o.new_name) out.push_back(alter(o.table) + "RENAME COLUMN " + d.quote(o.column) + " TO " + d.quote(*o.new_name));
            return out;
          },
          [&](const CreateIndex& o) { return std::vector<std::string>{create_index_sql(Table(o.table), o.index, d)}; },
          [&](const DropIndex& o) { return std::vector<std::string>{"DROP INDEX " + d.quote(o.name)}; },
          [&](const AddConstraint& o) { return std::vector<std::string>{alter(o.table) + "ADD " + constraint_sql(o.constraint, d)}; },
          [&](const DropConstraint& o) {
            return std::vector<std::string>{alter(o.table) + "DROP CONSTRAINT " + d.quote(o.name)};
          },
          [&](const Execute& o) {
            return o.dialect.empty() || o.dialect == d.name() ? std::vector<std::string>{o.sql} : std::vector<std::string>{};
          },
      },
      op);
}

}  // namespace retort::migrate
