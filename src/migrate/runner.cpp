// The runner: revisions applied one transaction each, with the version
// table; offline, the same statements printed. And autogenerate.
#include "retort/migrate/runner.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <set>

#include "migrate/text.hpp"
#include "retort/core/error.hpp"

namespace retort::migrate {

namespace {

using detail::join;

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

TableDef version_table_def(const std::string& name) {
  TableDef t;
  t.name = name;
  ColumnSpec c;
  c.name = "version_num";
  c.type = String(32);
  c.nullable = false;
  t.columns.push_back(c);
  t.primary_key = PrimaryKeyConstraint{{"version_num"}, name + "_pkc"};
  return t;
}

/// Splits `from:to` (offline mode's start and end).
std::pair<std::string, std::string> split_range(std::string_view target) {
  auto colon = target.find(':');
  if (colon == std::string_view::npos) return {"", std::string(target)};
  return {std::string(target.substr(0, colon)), std::string(target.substr(colon + 1))};
}

}  // namespace

Migrator::Migrator(Engine engine, RevisionGraph graph, RunOptions options)
    : engine_(std::move(engine)), graph_(std::move(graph)), options_(std::move(options)) {
  for (auto* r : graph_.ordered())
    if (r->layout == Layout::multidb)
      throw MigrationError("revision " + r->id + " (" + r->path.filename().string() +
                           ") holds operations per bind: run each bind's database with graph.for_bind(key)");
}

std::vector<std::string> Migrator::current() {
  auto conn = engine_.connect();
  if (!conn.dialect().has_table(conn, options_.version_table)) return {};
  auto result = conn.exec_driver_sql("SELECT version_num FROM " + conn.dialect().quote(options_.version_table));
  std::vector<std::string> out;
  while (result.next()) out.push_back(result.row().get<std::string>(0));
  std::sort(out.begin(), out.end());
  return out;
}

void Migrator::upgrade(std::string_view target) {
  std::vector<std::string> heads;
  std::string to(target);
  if (options_.sql) {
    auto [from, end] = split_range(target);
    if (!from.empty() && from != "base") heads = {graph_.get(from).id};
    to = end;
  } else {
    heads = current();
  }
  auto path = graph_.upgrade_path(heads, to);
  if (path.empty()) {
    if (options_.progress) options_.progress("Already at " + (heads.empty() ? std::string("base") : join(heads)));
    return;
  }
  run(path, true, heads);
}

void Migrator::downgrade(std::string_view target) {
  std::vector<std::string> heads;
  std::string to(target);
  if (options_.sql) {
    auto [from, end] = split_range(target);
    if (from.empty())
      throw MigrationError("downgrade with --sql needs the revision to start from: `downgrade --sql FROM:TO`");
    heads = {graph_.get(from).id};
    to = end;
  } else {
    heads = current();
  }
  auto path = graph_.downgrade_path(heads, to);
  if (path.empty()) {
    if (options_.progress) options_.progress("Already at " + (heads.empty() ? std::string("base") : join(heads)));
    return;
  }
  run(path, false, heads);
}

void Migrator::stamp(std::string_view target) {
  std::vector<std::string> heads;
  if (target == "head" || target == "heads") {
    heads = graph_.heads();
    if (target == "head" && heads.size() > 1)
      throw MigrationError("Multiple head revisions are present (" + join(heads) + "); stamp one of them, or 'heads'");
  } else if (target != "base") {
    heads = {graph_.get(target).id};
  }
  auto conn = engine_.connect();
  const Dialect& d = conn.dialect();
  auto tx = conn.begin();
  if (!d.has_table(conn, options_.version_table))
    conn.exec_driver_sql(create_table_sql(version_table_def(options_.version_table).to_table(), d));
  conn.exec_driver_sql("DELETE FROM " + d.quote(options_.version_table));
  for (auto& h : heads)
    conn.exec_driver_sql("INSERT INTO " + d.quote(options_.version_table) + " (version_num) VALUES ('" + h + "')");
  tx.commit();
}

void Migrator::run(const std::vector<const Revision*>& path, bool up, std::vector<std::string> heads) {
  const Dialect& d = engine_.dialect();
  const std::string vt = d.quote(options_.version_table);
  std::ostream* out = options_.sql;
  Schema schema;
  std::optional<Connection> conn;
  if (out) {
    // Offline: the schema at the start is what the revisions below it built.
    std::set<std::string> below;
    for (auto& h : heads)
      for (auto& a : graph_.ancestors(h)) below.insert(a);
    for (auto* r : graph_.ordered())
      if (below.count(r->id))
        for (auto& op : r->upgrade) schema.apply(op);
    if (heads.empty() && up) *out << create_table_sql(version_table_def(options_.version_table).to_table(), d) << ";\n\n";
  } else {
    conn.emplace(engine_.connect());
    if (!d.has_table(*conn, options_.version_table)) {
      auto tx = conn->begin();
      conn->exec_driver_sql(create_table_sql(version_table_def(options_.version_table).to_table(), d));
      tx.commit();
    }
    schema = Schema::reflect(*conn, options_.version_table);
  }

  for (const Revision* r : path) {
    const auto& ops = up ? r->upgrade : r->downgrade;
    std::string label = std::string(up ? "upgrade " : "downgrade ") +
                        (up ? (heads.empty() ? std::string() : join(heads)) + " -> " + r->id
                            : r->id + " -> " + join(r->down_revisions)) +
                        (r->message.empty() ? "" : ", " + r->message);
    // (1) the statements, from the schema as it is before each operation
    std::vector<std::pair<std::string, std::string>> statements;  // SQL, the operation it carries out
    bool rebuild = false;
    try {
      for (auto& op : ops) {
        rebuild = rebuild || rebuilds(op, d);
        for (auto& sql : render(op, schema, d)) statements.emplace_back(sql, describe(op));
        schema.apply(op);
      }
    } catch (const MigrationError& e) {
      throw MigrationError("revision " + r->id + " (" + r->path.filename().string() + "): " + e.what() +
                           "; nothing of it was run", ErrorDetails{.location = r->path.string(), .code = "bad-revision"});
    }
    auto next = up ? graph_.after_upgrade(heads, *r) : graph_.after_downgrade(heads, *r);
    for (auto& h : heads)
      if (std::find(next.begin(), next.end(), h) == next.end())
        statements.emplace_back("DELETE FROM " + vt + " WHERE version_num = '" + h + "'", "the version table");
    for (auto& h : next)
      if (std::find(heads.begin(), heads.end(), h) == heads.end())
        statements.emplace_back("INSERT INTO " + vt + " (version_num) VALUES ('" + h + "')", "the version table");

    if (out) {
      *out << "-- Running " << label << "\n\nBEGIN;\n\n";
      for (auto& [sql, what] : statements) *out << sql << ";\n\n";
      *out << "COMMIT;\n\n";
      heads = next;
      continue;
    }
    // (2) one transaction: the schema change and the version row together
    bool fk_off = rebuild && d.name() == "sqlite";  // PRAGMA foreign_keys is a no-op inside a transaction
    auto start = std::chrono::steady_clock::now();
    if (fk_off) conn->exec_driver_sql("PRAGMA foreign_keys=OFF");
    try {
      auto tx = conn->begin();
      for (auto& [sql, what] : statements) {
        try {
          conn->exec_driver_sql(sql);
        } catch (const Error& e) {
          ErrorDetails details = e.details();
          details.location = r->path.string();
          throw MigrationError("revision " + r->id + " (" + r->message + ") failed at '" + what + "': " + e.what() +
                                   "\nThe revision was rolled back: the schema and the version table are as before it.",
                               details);
        }
      }
      if (fk_off) {
        auto bad = conn->exec_driver_sql("PRAGMA foreign_key_check");
        if (bad.next())
          throw MigrationError("revision " + r->id + " (" + r->message + ") leaves rows in '" +
                               bad.row().get<std::string>(0) + "' whose foreign key refers to no row in '" +
                               bad.row().get<std::string>(2) + "'; it was rolled back. Fix the rows first (an execute "
                               "operation in the revision), then upgrade again");
      }
      tx.commit();
    } catch (...) {
      if (fk_off) conn->exec_driver_sql("PRAGMA foreign_keys=ON");
      throw;
    }
    if (fk_off) conn->exec_driver_sql("PRAGMA foreign_keys=ON");
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    if (options_.progress) options_.progress("Running " + label + " (" + std::to_string(ms) + " ms)");
    heads = next;
  }
}

// ---- autogenerate -------------------------------------------------------------------------------

namespace {

/// Tables in an order where each comes after the tables it refers to.
std::vector<const TableDef*> dependency_order(const Schema& s) {
  std::vector<const TableDef*> out;
  std::set<std::string> seen;
  std::function<void(const TableDef&)> visit = [&](const TableDef& t) {
    if (!seen.insert(t.name).second) return;
    for (auto& fk : t.foreign_keys)
      if (auto* parent = s.find(fk.referred_table); parent && parent != &t) visit(*parent);
    out.push_back(&t);
  };
  for (auto& [name, t] : s.tables()) visit(t);
  return out;
}

bool same_fk(const ForeignKeyConstraint& a, const ForeignKeyConstraint& b) {
  return a.columns == b.columns && a.referred_table == b.referred_table && a.referred_columns == b.referred_columns;
}

/// The 'quoted' literals of an SQL expression, in order ('it''s' is it's).
std::vector<std::string> quoted_literals(const std::string& sql) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] != '\'') continue;
    std::string literal;
    for (++i; i < sql.size(); ++i) {
      if (sql[i] == '\'' && i + 1 < sql.size() && sql[i + 1] == '\'') {
        literal += '\'';
        ++i;
      } else if (sql[i] == '\'') {
        break;
      } else {
        literal += sql[i];
      }
    }
    out.push_back(std::move(literal));
  }
  return out;
}

}  // namespace

Diff compare(const Schema& models, const Schema& database, const Dialect& d) {
  Diff diff;
  std::vector<Operation> inverse;  // reversed at the end: the downgrade undoes in the opposite order
  auto emit = [&](Operation up, Operation down) {
    diff.upgrade.push_back(std::move(up));
    inverse.push_back(std::move(down));
  };
  auto type_sql = [&](const SqlType& t) { return upper(d.type_sql(t)); };

  for (auto* t : dependency_order(models)) {
    const TableDef* live = database.find(t->name);
    if (!live) {
      TableDef bare = *t;
      bare.indexes.clear();
      emit(CreateTable{bare}, DropTable{t->name});
      for (auto& ix : t->indexes) emit(CreateIndex{t->name, ix}, DropIndex{t->name, ix.name});
      continue;
    }
    // Columns
    std::vector<const ColumnSpec*> added, dropped;
    for (auto& c : t->columns) {
      const ColumnSpec* l = live->find_column(c.name);
      if (!l) {
        added.push_back(&c);
        emit(AddColumn{t->name, c}, DropColumn{t->name, c.name});
        continue;
      }
      AlterColumn up{t->name, c.name, {}, {}, {}, {}}, down{t->name, c.name, {}, {}, {}, {}};
      if (type_sql(c.type) != type_sql(l->type)) {
        up.type = c.type;
        down.type = l->type;
      }
      if (c.is_nullable() != l->is_nullable()) {
        up.nullable = c.is_nullable();
        down.nullable = l->is_nullable();
      }
      if (c.server_default != l->server_default) {
        up.server_default = c.server_default;
        down.server_default = l->server_default;
      }
      if (up.type || up.nullable || up.server_default) emit(up, down);
    }
    for (auto& l : live->columns)
      if (!t->find_column(l.name)) {
        dropped.push_back(&l);
        emit(DropColumn{t->name, l.name}, AddColumn{t->name, l});
      }
    for (auto* a : added)
      for (auto* r : dropped)
        if (type_sql(a->type) == type_sql(r->type))
          diff.notes.push_back("possible rename: " + t->name + "." + r->name + " -> " + t->name + "." + a->name +
                               " (same type). If it is one, replace this drop_column and add_column by alter_column "
                               "{table: " + t->name + ", column: " + r->name + ", new_name: " + a->name +
                               "}, or the column's data is lost");
    // Indexes, by name
    for (auto& ix : t->indexes) {
      auto it = std::find_if(live->indexes.begin(), live->indexes.end(), [&](const Index& i) { return i.name == ix.name; });
      if (it == live->indexes.end()) {
        emit(CreateIndex{t->name, ix}, DropIndex{t->name, ix.name});
      } else if (it->columns != ix.columns || it->unique != ix.unique) {
        emit(DropIndex{t->name, ix.name}, CreateIndex{t->name, *it});
        emit(CreateIndex{t->name, ix}, DropIndex{t->name, ix.name});
      }
    }
    for (auto& ix : live->indexes)
      if (std::none_of(t->indexes.begin(), t->indexes.end(), [&](const Index& i) { return i.name == ix.name; }))
        emit(DropIndex{t->name, ix.name}, CreateIndex{t->name, ix});
    // Unique and check constraints, by name (PostgreSQL gives a check's
    // expression back in its own normal form); foreign keys, by what they join
    auto by_name = [&](const auto& modelled, const auto& existing) {
      auto has = [](const auto& list, const std::string& name) {
        return std::any_of(list.begin(), list.end(), [&](auto& x) { return x.name == name; });
      };
      for (auto& c : modelled)
        if (!has(existing, c.name)) emit(AddConstraint{t->name, c}, DropConstraint{t->name, c.name});
      for (auto& c : existing)
        if (!has(modelled, c.name)) emit(DropConstraint{t->name, c.name}, AddConstraint{t->name, c});
    };
    by_name(t->uniques, live->uniques);
    by_name(t->checks, live->checks);
    // A check of the same name whose quoted values differ (an Enum that gained
    // a value) is replaced. Only the literals are compared: PostgreSQL gives
    // the expression back in its own form, but keeps them.
    for (auto& c : t->checks)
      for (auto& l : live->checks)
        if (c.name == l.name && quoted_literals(c.sql) != quoted_literals(l.sql)) {
          emit(DropConstraint{t->name, l.name}, AddConstraint{t->name, l});
          emit(AddConstraint{t->name, c}, DropConstraint{t->name, c.name});
        }
    for (auto& f : t->foreign_keys)
      if (std::none_of(live->foreign_keys.begin(), live->foreign_keys.end(), [&](auto& x) { return same_fk(x, f); }))
        emit(AddConstraint{t->name, f}, DropConstraint{t->name, f.name});
    for (auto& f : live->foreign_keys)
      if (std::none_of(t->foreign_keys.begin(), t->foreign_keys.end(), [&](auto& x) { return same_fk(x, f); }))
        emit(DropConstraint{t->name, f.name}, AddConstraint{t->name, f});
  }
  // Tables the models no longer have: children first
  auto live_order = dependency_order(database);
  for (auto it = live_order.rbegin(); it != live_order.rend(); ++it) {
    const TableDef& l = **it;
    if (models.find(l.name)) continue;
    for (auto& ix : l.indexes) emit(DropIndex{l.name, ix.name}, CreateIndex{l.name, ix});
    TableDef bare = l;
    bare.indexes.clear();
    emit(DropTable{l.name}, CreateTable{bare});
  }
  diff.downgrade.assign(inverse.rbegin(), inverse.rend());
  return diff;
}

Diff compare(const MetaData& models, Connection& conn, std::string_view version_table) {
  return compare(Schema::of(models), Schema::reflect(conn, version_table), conn.dialect());
}

}  // namespace retort::migrate
