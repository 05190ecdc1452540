// Tables, columns and constraints in one normal form, and MetaData with
// create_all/drop_all in foreign-key dependency order.
//
// Naming convention (applied to every unnamed constraint, so that a migration
// can always drop what it created): pk_<table>, uq_<table>_<col0>,
// ix_<table>_<col0>, fk_<table>_<col0>_<referred>, ck_<table>_<n>.
#include <algorithm>
#include <functional>

#include "retort/core/dialect.hpp"
#include "retort/core/engine.hpp"
#include "retort/core/error.hpp"
#include "retort/core/schema.hpp"
#include "core/sql/node.hpp"

namespace retort {

using namespace detail;

// ---- Column ------------------------------------------------------------------

ColumnSpec::ColumnSpec() = default;
ColumnSpec::ColumnSpec(const ColumnSpec&) = default;
ColumnSpec::ColumnSpec(ColumnSpec&&) noexcept = default;
ColumnSpec& ColumnSpec::operator=(const ColumnSpec&) = default;
ColumnSpec& ColumnSpec::operator=(ColumnSpec&&) noexcept = default;
ColumnSpec::~ColumnSpec() = default;

Column::Column(const Column&) = default;
Column::Column(Column&&) noexcept = default;
Column& Column::operator=(const Column&) = default;
Column& Column::operator=(Column&&) noexcept = default;
Column::~Column() = default;

Column::Column(std::string name, SqlType type) {
  if (name.empty()) throw ArgumentError("a column needs a name");
  spec_.name = std::move(name);
  spec_.type = std::move(type);
}

Column& Column::primary_key(bool on) {
  spec_.primary_key = on;
  return *this;
}
Column& Column::autoincrement(bool on) {
  spec_.autoincrement = on;
  return *this;
}
Column& Column::nullable(bool on) {
  spec_.nullable = on;
  return *this;
}
Column& Column::unique(bool on) {
  spec_.unique = on;
  return *this;
}
Column& Column::index(bool on) {
  spec_.index = on;
  return *this;
}
Column& Column::default_value(Value v) {
  spec_.default_value = std::move(v);
  return *this;
}
Column& Column::server_default(std::string sql) {
  spec_.server_default = std::move(sql);
  return *this;
}
Column& Column::foreign_key(std::string target, std::string ondelete, std::string onupdate) {
  return foreign_key(ForeignKey{std::move(target), std::move(ondelete), std::move(onupdate), {}});
}
Column& Column::foreign_key(ForeignKey fk) {
  if (fk.target.find('.') == std::string::npos || fk.target.front() == '.' || fk.target.back() == '.')
    throw ArgumentError("foreign key target '" + fk.target + "' of column '" + spec_.name +
                        "' must be written \"table.column\"");
  foreign_keys_.push_back(std::move(fk));
  return *this;
}
Column& Column::comment(std::string text) {
  spec_.comment = std::move(text);
  return *this;
}

// ---- TableItem -----------------------------------------------------------------

TableItem::TableItem(Column c) : v_(std::move(c)) {}
TableItem::TableItem(PrimaryKeyConstraint c) : v_(std::move(c)) {}
TableItem::TableItem(ForeignKeyConstraint c) : v_(std::move(c)) {}
TableItem::TableItem(UniqueConstraint c) : v_(std::move(c)) {}
TableItem::TableItem(CheckConstraint c) : v_(std::move(c)) {}
TableItem::TableItem(Index c) : v_(std::move(c)) {}
TableItem::TableItem(const TableItem&) = default;
TableItem::TableItem(TableItem&&) noexcept = default;
TableItem& TableItem::operator=(const TableItem&) = default;
TableItem& TableItem::operator=(TableItem&&) noexcept = default;
TableItem::~TableItem() = default;

// ---- Table -------------------------------------------------------------------

namespace {

// Tables are the one node kind that changes after construction (append), and
// only through the Table that created it.
TableData& data_of(const std::shared_ptr<const Node>& n) {
  return const_cast<TableNode&>(static_cast<const TableNode&>(*n)).data;
}

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::vector<std::string> column_names(const TableData& t) {
  std::vector<std::string> names;
  for (auto& c : t.columns) names.push_back(c.name);
  return names;
}

void require_columns(const TableData& t, const std::vector<std::string>& cols, const char* what) {
  if (cols.empty()) throw ArgumentError(std::string(what) + " on table '" + t.name + "' names no column");
  for (auto& c : cols) {
    bool found = std::any_of(t.columns.begin(), t.columns.end(), [&](auto& col) { return col.name == c; });
    if (!found)
      throw ArgumentError(std::string(what) + " on table '" + t.name + "' names unknown column '" + c +
                          "'; the columns are: " + join(column_names(t)) +
                          " (declare the column before the constraint)");
  }
}

struct Appender {
  TableData& t;

  /// CHECK ("mood" IN ('happy', 'sad')): standard SQL, the same on every
  /// dialect (the column quoted: it may be a reserved word).
  CheckConstraint enum_check(const ColumnSpec& spec) const {
    std::string sql = "\"";
    for (char ch : spec.name) sql += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    sql += "\" IN (";
    for (std::size_t i = 0; i < spec.type.enum_values.size(); ++i) {
      sql += i ? ", '" : "'";
      for (char ch : spec.type.enum_values[i]) sql += ch == '\'' ? std::string("''") : std::string(1, ch);
      sql += '\'';
    }
    return CheckConstraint{sql + ")", "ck_" + t.name + "_" + spec.name};
  }

  void operator()(const Column& c) {
    auto& spec = c.spec();
    if (std::any_of(t.columns.begin(), t.columns.end(), [&](auto& col) { return col.name == spec.name; }))
      throw ArgumentError("table '" + t.name + "' declares column '" + spec.name + "' twice");
    t.columns.push_back(spec);
    if (spec.primary_key) {
      t.primary_key.columns.push_back(spec.name);
      if (t.primary_key.name.empty()) t.primary_key.name = "pk_" + t.name;
    }
    for (auto& fk : c.foreign_keys()) {
      auto dot = fk.target.rfind('.');
      (*this)(ForeignKeyConstraint{{spec.name}, fk.target.substr(0, dot), {fk.target.substr(dot + 1)},
                                   fk.ondelete, fk.onupdate, fk.name});
    }
    if (spec.type.kind == TypeKind::enumeration && spec.type.enum_check && !spec.type.enum_values.empty())
      (*this)(enum_check(spec));
    // unique + index together is one unique index, as in SQLAlchemy.
    if (spec.index) (*this)(Index{"", {spec.name}, spec.unique});
    else if (spec.unique) (*this)(UniqueConstraint{{spec.name}, ""});
  }
  void operator()(PrimaryKeyConstraint pk) {
    require_columns(t, pk.columns, "PrimaryKeyConstraint");
    for (auto& col : t.columns) col.primary_key = std::find(pk.columns.begin(), pk.columns.end(), col.name) != pk.columns.end();
    if (pk.name.empty()) pk.name = "pk_" + t.name;
    t.primary_key = std::move(pk);
  }
  void operator()(ForeignKeyConstraint fk) {
    require_columns(t, fk.columns, "ForeignKeyConstraint");
    if (fk.referred_table.empty() || fk.referred_columns.size() != fk.columns.size())
      throw ArgumentError("ForeignKeyConstraint on table '" + t.name + "' (" + join(fk.columns) +
                          ") must name a referred table and as many referred columns as columns");
    if (fk.name.empty()) fk.name = "fk_" + t.name + "_" + fk.columns.front() + "_" + fk.referred_table;
    t.foreign_keys.push_back(std::move(fk));
  }
  void operator()(UniqueConstraint uq) {
    require_columns(t, uq.columns, "UniqueConstraint");
    if (uq.name.empty()) uq.name = "uq_" + t.name + "_" + uq.columns.front();
    t.uniques.push_back(std::move(uq));
  }
  void operator()(CheckConstraint ck) {
    if (ck.sql.empty()) throw ArgumentError("CheckConstraint on table '" + t.name + "' has no condition");
    if (ck.name.empty()) {
      // ck_<table>_<n>, numbered among the unnamed ones only (an Enum's check has its own name).
      std::string prefix = "ck_" + t.name + "_";
      auto numbered = std::count_if(t.checks.begin(), t.checks.end(), [&](const CheckConstraint& c) {
        return c.name.rfind(prefix, 0) == 0 && c.name.size() > prefix.size() &&
               std::all_of(c.name.begin() + static_cast<std::ptrdiff_t>(prefix.size()), c.name.end(),
                           [](char ch) { return ch >= '0' && ch <= '9'; });
      });
      ck.name = prefix + std::to_string(numbered + 1);
    }
    t.checks.push_back(std::move(ck));
  }
  void operator()(Index ix) {
    require_columns(t, ix.columns, "Index");
    if (ix.name.empty()) ix.name = "ix_" + t.name + "_" + ix.columns.front();
    t.indexes.push_back(std::move(ix));
  }
};

}  // namespace

Table::Table(std::string name, const std::vector<TableItem>& items) : node_(std::make_shared<TableNode>()) {
  if (name.empty()) throw ArgumentError("a table needs a name");
  data_of(node_).name = std::move(name);
  for (auto& item : items) append(item);
}

Table::Table(std::string name, std::initializer_list<TableItem> items)
    : Table(std::move(name), std::vector<TableItem>(items)) {}

Table::Table(MetaData& metadata, std::string name, std::initializer_list<TableItem> items)
    : Table(std::move(name), items) {
  metadata.add(*this);
}

const std::string& Table::name() const { return data_of(node_).name; }

void Table::append(TableItem item) { std::visit(Appender{data_of(node_)}, item.variant()); }

const std::vector<ColumnSpec>& Table::columns() const { return data_of(node_).columns; }

const ColumnSpec* Table::find_column(std::string_view name) const {
  auto& cols = data_of(node_).columns;
  auto it = std::find_if(cols.begin(), cols.end(), [&](auto& c) { return c.name == name; });
  return it == cols.end() ? nullptr : &*it;
}

const ColumnSpec& Table::column(std::string_view name) const {
  if (auto* c = find_column(name)) return *c;
  throw ArgumentError("table '" + this->name() + "' has no column '" + std::string(name) +
                      "'; its columns are: " + join(column_names(data_of(node_))));
}

const PrimaryKeyConstraint& Table::primary_key() const { return data_of(node_).primary_key; }
const std::vector<ForeignKeyConstraint>& Table::foreign_keys() const { return data_of(node_).foreign_keys; }
const std::vector<UniqueConstraint>& Table::unique_constraints() const { return data_of(node_).uniques; }
const std::vector<CheckConstraint>& Table::check_constraints() const { return data_of(node_).checks; }
const std::vector<Index>& Table::indexes() const { return data_of(node_).indexes; }

Table Table::without_foreign_keys_to(const std::vector<std::string>& referred_tables) const {
  Table copy(name());
  auto& data = data_of(copy.node_);
  data = data_of(node_);
  auto dropped = [&](const ForeignKeyConstraint& fk) {
    return std::find(referred_tables.begin(), referred_tables.end(), fk.referred_table) != referred_tables.end();
  };
  for (auto& fk : data.foreign_keys)
    if (dropped(fk))  // a key column stays one the database does not generate, as it was with the key
      for (auto& col : data.columns)
        if (col.primary_key && !col.autoincrement && std::find(fk.columns.begin(), fk.columns.end(), col.name) != fk.columns.end())
          col.autoincrement = false;
  std::erase_if(data.foreign_keys, dropped);
  return copy;
}

const ColumnSpec* Table::autoincrement_column() const {
  auto& t = data_of(node_);
  if (t.primary_key.columns.size() != 1) return nullptr;
  auto* c = find_column(t.primary_key.columns.front());
  bool integer = c->type.kind == TypeKind::integer || c->type.kind == TypeKind::big_integer ||
                 c->type.kind == TypeKind::small_integer;
  if (!integer || c->autoincrement == false) return nullptr;
  // "auto": an integer key that is also a foreign key is not generated.
  bool is_fk = std::any_of(t.foreign_keys.begin(), t.foreign_keys.end(), [&](auto& fk) {
    return std::find(fk.columns.begin(), fk.columns.end(), c->name) != fk.columns.end();
  });
  if (is_fk && !c->autoincrement) return nullptr;
  return c;
}

Expr Table::c(std::string_view name) const { return From(*this).c(name); }

From Table::alias(std::string name) const { return From(std::make_shared<AliasNode>(node_, std::move(name))); }

// ---- MetaData ------------------------------------------------------------------

MetaData::MetaData() = default;
MetaData::MetaData(const MetaData&) = default;
MetaData::MetaData(MetaData&&) noexcept = default;
MetaData& MetaData::operator=(const MetaData&) = default;
MetaData& MetaData::operator=(MetaData&&) noexcept = default;
MetaData::~MetaData() = default;

Table& MetaData::add(const Table& table) {
  for (auto& t : tables_) {
    if (t.name() != table.name()) continue;
    if (t == table) return t;
    throw ArgumentError("MetaData already has a different table named '" + table.name() +
                        "'; give the new table another name or reuse the existing one");
  }
  tables_.push_back(table);
  return tables_.back();
}

const Table* MetaData::find(std::string_view name) const {
  for (auto& t : tables_)
    if (t.name() == name) return &t;
  return nullptr;
}

const Table& MetaData::table(std::string_view name) const {
  if (auto* t = find(name)) return *t;
  std::vector<std::string> names;
  for (auto& t : tables_) names.push_back(t.name());
  throw ArgumentError("no table named '" + std::string(name) + "'; the tables are: " +
                      (names.empty() ? std::string("(none)") : join(names)));
}

std::vector<Table> MetaData::sorted_tables() const {
  // Depth-first topological sort in declaration order; a table already on the
  // stack (a cycle, or a self reference) is skipped, which breaks the cycle.
  std::vector<Table> out;
  std::vector<int> state(tables_.size(), 0);  // 0 new, 1 visiting, 2 done
  std::function<void(std::size_t)> visit = [&](std::size_t i) {
    if (state[i]) return;
    state[i] = 1;
    for (auto& fk : tables_[i].foreign_keys()) {
      for (std::size_t j = 0; j < tables_.size(); ++j)
        if (j != i && tables_[j].name() == fk.referred_table) visit(j);
    }
    state[i] = 2;
    out.push_back(tables_[i]);
  };
  for (std::size_t i = 0; i < tables_.size(); ++i) visit(i);
  return out;
}

void MetaData::create_all(Connection& conn, bool checkfirst) const {
  auto tx = conn.begin_nested();
  const Dialect& d = conn.dialect();
  for (auto& t : sorted_tables()) {
    if (checkfirst && d.has_table(conn, t.name())) continue;
    conn.exec_driver_sql(create_table_sql(t, d));
    for (auto& ix : t.indexes()) conn.exec_driver_sql(create_index_sql(t, ix, d));
  }
  tx.commit();
}

void MetaData::create_all(Engine& engine, bool checkfirst) const {
  auto conn = engine.connect();
  create_all(conn, checkfirst);
}

void MetaData::drop_all(Connection& conn, bool checkfirst) const {
  auto tx = conn.begin_nested();
  const Dialect& d = conn.dialect();
  auto sorted = sorted_tables();
  for (auto it = sorted.rbegin(); it != sorted.rend(); ++it) {
    if (checkfirst && !d.has_table(conn, it->name())) continue;
    conn.exec_driver_sql(drop_table_sql(*it, d));
  }
  tx.commit();
}

void MetaData::drop_all(Engine& engine, bool checkfirst) const {
  auto conn = engine.connect();
  drop_all(conn, checkfirst);
}

}  // namespace retort
