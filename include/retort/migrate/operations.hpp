// Migration operations: dialect-neutral schema changes, as Alembic's `op.*`.
//
// A revision's upgrade and downgrade are lists of these. Each renders to SQL
// per dialect (render.cpp); on SQLite, what ALTER TABLE cannot do (alter a
// column, drop one, add or drop a constraint) becomes a table rebuild. A
// Schema follows the operations in memory, so a rebuild knows the table it
// rebuilds even when only SQL is printed (`--sql`).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "retort/core/dialect.hpp"
#include "retort/core/schema.hpp"

namespace retort::migrate {

/// A table as operations see it: columns, named constraints and indexes.
struct TableDef {
  std::string name;
  std::vector<ColumnSpec> columns;
  PrimaryKeyConstraint primary_key;
  std::vector<ForeignKeyConstraint> foreign_keys;
  std::vector<UniqueConstraint> uniques;
  std::vector<CheckConstraint> checks;
  std::vector<Index> indexes;

  /// The definition of a declared or reflected table.
  static TableDef of(const Table& table);
  /// The core Table (without its indexes, which are created separately).
  Table to_table() const;
  const ColumnSpec* find_column(std::string_view column) const;
};

struct CreateTable {
  TableDef table;  ///< indexes are separate CreateIndex operations
};
struct DropTable {
  std::string table;
};
struct RenameTable {
  std::string from;
  std::string to;
};
struct AddColumn {
  std::string table;
  ColumnSpec column;
};
struct DropColumn {
  std::string table;
  std::string column;
};
/// Changes what is set: the type, nullability, server default (an empty
/// optional inside drops it), or the name.
struct AlterColumn {
  std::string table;
  std::string column;
  std::optional<SqlType> type;
  std::optional<bool> nullable;
  std::optional<std::optional<std::string>> server_default;
  std::optional<std::string> new_name;
};
struct CreateIndex {
  std::string table;
  Index index;
};
struct DropIndex {
  std::string table;
  std::string name;
};
using Constraint = std::variant<UniqueConstraint, ForeignKeyConstraint, CheckConstraint>;
struct AddConstraint {
  std::string table;
  Constraint constraint;
};
struct DropConstraint {
  std::string table;
  std::string name;
};
/// Raw SQL (a data migration), on every dialect or on the one named.
struct Execute {
  std::string sql;
  std::string dialect;
};

using Operation = std::variant<CreateTable, DropTable, RenameTable, AddColumn, DropColumn, AlterColumn, CreateIndex,
                               DropIndex, AddConstraint, DropConstraint, Execute>;

/// "add column pet.species": how progress and errors name an operation.
std::string describe(const Operation& op);

/// The schema operations act on, kept in memory: table name → definition.
class Schema {
 public:
  Schema() = default;
  /// The live schema (every table but `skip`, the version table).
  static Schema reflect(Connection& conn, std::string_view skip = {});
  /// The schema of a MetaData (the models).
  static Schema of(const MetaData& metadata);

  /// Applies `op`; MigrationError when it names a table, column, index or
  /// constraint that is not there (or one that already is).
  void apply(const Operation& op);
  const TableDef* find(std::string_view table) const;
  const TableDef& table(std::string_view table) const;
  const std::map<std::string, TableDef, std::less<>>& tables() const { return tables_; }

 private:
  std::map<std::string, TableDef, std::less<>> tables_;
};

/// The statements that carry out `op` on `dialect`, given the schema before it.
std::vector<std::string> render(const Operation& op, const Schema& before, const Dialect& dialect);
/// Whether `op` rebuilds a table on this dialect (SQLite: foreign keys are
/// switched off around the revision and checked before it commits).
bool rebuilds(const Operation& op, const Dialect& dialect);

}  // namespace retort::migrate
