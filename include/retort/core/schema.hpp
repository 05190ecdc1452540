// Schema metadata: MetaData, Table, Column and constraints.
//
// A Table keeps its constraints in one normal form whatever way they were
// declared: a column's `unique()`, `index()` and `foreign_key()` become table
// level UniqueConstraint, Index and ForeignKeyConstraint entries, each named by
// the naming convention (pk_<table>, uq_<table>_<col>, ix_<table>_<col>,
// fk_<table>_<col>_<referred>, ck_<table>_<n>). Reflection produces the same
// form, so the migration layer compares like with like.
#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "retort/core/sql.hpp"
#include "retort/core/types.hpp"
#include "retort/core/value.hpp"

namespace retort {

class Connection;
class Engine;

/// What a column is, once declared.
struct ColumnSpec {
  std::string name;
  SqlType type;
  bool primary_key = false;
  std::optional<bool> autoincrement;     ///< unset: "auto" (a single integer primary key)
  std::optional<bool> nullable;          ///< unset: nullable unless primary key
  bool unique = false;                   ///< declared on the column (also a UniqueConstraint)
  bool index = false;                    ///< declared on the column (also an Index)
  std::optional<Value> default_value;    ///< client-side default, bound into INSERT
  std::optional<std::string> server_default;  ///< SQL text for DDL DEFAULT
  std::string comment;

  bool is_nullable() const { return nullable.value_or(!primary_key); }

  // Defined in schema.cpp, not inlined into every translation unit that declares a table.
  ColumnSpec();
  ColumnSpec(const ColumnSpec&);
  ColumnSpec(ColumnSpec&&) noexcept;
  ColumnSpec& operator=(const ColumnSpec&);
  ColumnSpec& operator=(ColumnSpec&&) noexcept;
  ~ColumnSpec();
};

/// A foreign key on one column, in `Column::foreign_key`.
struct ForeignKey {
  std::string target;    ///< "table.column"
  std::string ondelete;  ///< CASCADE, SET NULL, RESTRICT, NO ACTION, SET DEFAULT
  std::string onupdate;
  std::string name;      ///< empty: named by convention
};

/// Builds a column: `Column("name", String(50)).not_null().unique()`.
class Column {
 public:
  Column(std::string name, SqlType type);
  Column(const Column&);
  Column(Column&&) noexcept;
  Column& operator=(const Column&);
  Column& operator=(Column&&) noexcept;
  ~Column();

  Column& primary_key(bool on = true);
  Column& autoincrement(bool on);
  Column& nullable(bool on);
  Column& not_null() { return nullable(false); }
  Column& unique(bool on = true);
  Column& index(bool on = true);
  Column& default_value(Value v);
  Column& server_default(std::string sql);
  Column& foreign_key(std::string target, std::string ondelete = {}, std::string onupdate = {});
  Column& foreign_key(ForeignKey fk);
  Column& comment(std::string text);

  const ColumnSpec& spec() const noexcept { return spec_; }
  const std::vector<ForeignKey>& foreign_keys() const noexcept { return foreign_keys_; }

 private:
  ColumnSpec spec_;
  std::vector<ForeignKey> foreign_keys_;
};

struct PrimaryKeyConstraint {
  std::vector<std::string> columns;
  std::string name;
};
struct ForeignKeyConstraint {
  std::vector<std::string> columns;
  std::string referred_table;
  std::vector<std::string> referred_columns;
  std::string ondelete;
  std::string onupdate;
  std::string name;
};
struct UniqueConstraint {
  std::vector<std::string> columns;
  std::string name;
};
struct CheckConstraint {
  std::string sql;  ///< the condition, as SQL text
  std::string name;
};
struct Index {
  std::string name;  ///< empty: ix_<table>_<first column>
  std::vector<std::string> columns;
  bool unique = false;
};

/// Anything a table declaration can hold: a Column or a constraint. Its
/// special members are compiled once in schema.cpp, so a translation unit that
/// declares tables does not instantiate the variant's machinery.
class TableItem {
 public:
  using Variant = std::variant<Column, PrimaryKeyConstraint, ForeignKeyConstraint, UniqueConstraint,
                               CheckConstraint, Index>;
  TableItem(Column c);                // NOLINT: implicit, as in {Column(...), Index{...}}
  TableItem(PrimaryKeyConstraint c);  // NOLINT
  TableItem(ForeignKeyConstraint c);  // NOLINT
  TableItem(UniqueConstraint c);      // NOLINT
  TableItem(CheckConstraint c);       // NOLINT
  TableItem(Index c);                 // NOLINT
  TableItem(const TableItem&);
  TableItem(TableItem&&) noexcept;
  TableItem& operator=(const TableItem&);
  TableItem& operator=(TableItem&&) noexcept;
  ~TableItem();

  const Variant& variant() const noexcept { return v_; }

 private:
  Variant v_;
};

class MetaData;

/// A table. Copies share one definition (a handle), so expressions built from
/// any copy refer to the same table.
///
/// **Example**:
/// `Table user_channel{"user_channel", {Column("user_id", Integer()).foreign_key("user.id"),
///                                      Column("channel_id", Integer()).foreign_key("channel.id")}};`
class Table {
 public:
  explicit Table(std::string name) : Table(std::move(name), std::vector<TableItem>{}) {}
  Table(std::string name, std::initializer_list<TableItem> items);
  Table(std::string name, const std::vector<TableItem>& items);
  /// Declares the table and adds it to `metadata`.
  Table(MetaData& metadata, std::string name, std::initializer_list<TableItem> items);

  const std::string& name() const;
  /// Adds a column or constraint; names it by convention when unnamed.
  void append(TableItem item);

  const std::vector<ColumnSpec>& columns() const;
  const ColumnSpec* find_column(std::string_view name) const;
  /// The column, or ArgumentError listing the table's columns.
  const ColumnSpec& column(std::string_view name) const;
  const PrimaryKeyConstraint& primary_key() const;
  const std::vector<ForeignKeyConstraint>& foreign_keys() const;
  const std::vector<UniqueConstraint>& unique_constraints() const;
  const std::vector<CheckConstraint>& check_constraints() const;
  const std::vector<Index>& indexes() const;
  /// The single integer primary key column whose value the database generates, if any.
  const ColumnSpec* autoincrement_column() const;
  /// A copy with its own definition, without the foreign keys to the tables
  /// named in `referred_tables`. The ORM declares a bind's schema with it: a
  /// key to another database's table relates models but is no constraint.
  Table without_foreign_keys_to(const std::vector<std::string>& referred_tables) const;

  /// A column as an expression; ArgumentError listing the columns if unknown.
  Expr c(std::string_view name) const;
  Expr operator[](std::string_view name) const { return c(name); }
  /// `table AS name`, for self-joins.
  From alias(std::string name) const;

  bool operator==(const Table& other) const noexcept { return node_ == other.node_; }
  const std::shared_ptr<const detail::Node>& node() const noexcept { return node_; }

 private:
  std::shared_ptr<const detail::Node> node_;
};

/// A collection of tables: what `create_all` creates and autogenerate compares.
class MetaData {
 public:
  MetaData();
  MetaData(const MetaData&);
  MetaData(MetaData&&) noexcept;
  MetaData& operator=(const MetaData&);
  MetaData& operator=(MetaData&&) noexcept;
  ~MetaData();

  /// Adds `table`; ArgumentError if a different table of that name is there.
  Table& add(const Table& table);
  const Table* find(std::string_view name) const;
  /// The table, or ArgumentError listing the known tables.
  const Table& table(std::string_view name) const;
  const std::vector<Table>& tables() const noexcept { return tables_; }
  /// Tables ordered so that every table comes after the tables it refers to.
  /// A cycle is broken deterministically (in declaration order).
  std::vector<Table> sorted_tables() const;

  /// CREATE TABLE and CREATE INDEX for every table in dependency order, in one
  /// transaction; with `checkfirst`, existing tables are left alone.
  void create_all(Connection& conn, bool checkfirst = true) const;
  void create_all(Engine& engine, bool checkfirst = true) const;
  /// DROP TABLE in reverse dependency order.
  void drop_all(Connection& conn, bool checkfirst = true) const;
  void drop_all(Engine& engine, bool checkfirst = true) const;

 private:
  std::vector<Table> tables_;
};

}  // namespace retort
