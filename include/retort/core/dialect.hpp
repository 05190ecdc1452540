// A dialect is what differs between databases: how SQL is spelled (quoting,
// placeholders, types) and what the database can do (capabilities). One
// compiler serves every dialect and asks it at the points where they differ.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "retort/core/schema.hpp"
#include "retort/core/types.hpp"

namespace retort {

class Connection;

class Dialect {
 public:
  virtual ~Dialect() = default;

  /// "sqlite", "postgresql".
  virtual std::string_view name() const = 0;

  // --- spelling -----------------------------------------------------------
  /// The placeholder for the `position`-th (1-based) parameter: "?" or "$1".
  virtual std::string placeholder(std::size_t position) const = 0;
  /// Whether an identifier must be quoted: reserved words, upper case,
  /// anything but [a-z_][a-z0-9_$]*.
  virtual bool needs_quoting(std::string_view identifier) const;
  /// The identifier, quoted (with embedded quotes doubled) when it needs it.
  std::string quote(std::string_view identifier) const;
  /// The column type as DDL: "VARCHAR(50)", "INTEGER". The generic names by
  /// default; a dialect overrides the types it spells its own way.
  virtual std::string type_sql(const SqlType& type) const;
  /// Parses a type the database reports back (reflection).
  virtual SqlType parse_type(std::string_view declared) const = 0;

  // --- capabilities ---------------------------------------------------------
  virtual bool supports_returning() const = 0;
  virtual bool supports_ilike() const { return false; }
  virtual bool supports_for_update() const { return false; }
  /// ALTER TABLE can change a column's type or nullability and add/drop constraints.
  virtual bool supports_alter_column() const = 0;
  virtual bool supports_transactional_ddl() const { return true; }
  virtual bool supports_savepoints() const { return true; }
  /// The driver reports the key an INSERT generated (SQLite's rowid); without
  /// it, the ORM reads generated keys with RETURNING.
  virtual bool has_lastrowid() const { return false; }
  /// Rows per multi-row INSERT when a flush writes many objects of one model
  /// (SQLAlchemy's insertmanyvalues); 0: one INSERT per object.
  virtual std::size_t insert_many_rows() const { return 0; }
  /// The statement that begins a transaction in EngineOptions::transaction_mode
  /// `mode` (SQLite's "deferred", "immediate", "exclusive"); "BEGIN" where the
  /// dialect has no such modes.
  virtual std::string begin_sql(std::string_view mode) const {
    (void)mode;
    return "BEGIN";
  }
  /// What follows an autoincrement key column's type in CREATE TABLE ("" when the type alone does it).
  virtual std::string autoincrement_sql() const { return {}; }

  // --- reflection -----------------------------------------------------------
  virtual std::vector<std::string> table_names(Connection& conn) const = 0;
  virtual bool has_table(Connection& conn, std::string_view name) const;
  /// The live table as metadata (columns, types, keys, indexes, constraints);
  /// ProgrammingError if it does not exist.
  virtual Table reflect_table(Connection& conn, std::string_view name) const = 0;
};

/// The dialect registered for a URL's dialect name; ArgumentError listing the known ones.
const Dialect& dialect_for(std::string_view name);

/// Every table of the live database, reflected.
MetaData reflect(Connection& conn);

// DDL, rendered for a dialect.
std::string create_table_sql(const Table& table, const Dialect& dialect);
/// A column as CREATE TABLE and ALTER TABLE ADD COLUMN write it: name, type, NOT NULL, DEFAULT.
std::string column_ddl(const ColumnSpec& column, const Dialect& dialect);
std::string create_index_sql(const Table& table, const Index& index, const Dialect& dialect);
std::string drop_table_sql(const Table& table, const Dialect& dialect);

}  // namespace retort
