// A migration test: a SQLite file, a versions folder, helpers to write
// revisions, run them, and read the schema and rows back.
#pragma once

#include <fstream>
#include <sstream>

#include "retort/core/dialect.hpp"
#include "retort/migrate.hpp"
#include "support/database_fixture.hpp"

namespace retort::testing {

/// The live schema as YAML (reflected, then written as a create_table per table): for exact comparisons.
inline std::string schema_text(Connection& conn) {
  auto schema = migrate::Schema::reflect(conn, "retort_version");
  migrate::Revision r;
  r.id = "schema";
  for (auto& [name, t] : schema.tables()) {
    r.upgrade.push_back(migrate::CreateTable{t});
    for (auto& ix : t.indexes) r.upgrade.push_back(migrate::CreateIndex{name, ix});
  }
  return migrate::revision_yaml(r);
}

class MigrateTest : public DatabaseTest {
 protected:
  MigrateTest() { std::filesystem::create_directories(versions()); }
  std::filesystem::path versions() const { return dir_ / "versions"; }

  /// Writes a revision file; `body` is its upgrade/downgrade YAML.
  void revision(const std::string& id, const std::string& down, const std::string& body, const std::string& message = "") {
    std::ofstream(versions() / (id + ".yaml")) << "revision: " << id << "\ndown_revision: " << (down.empty() ? "null" : down)
                                               << "\nmessage: " << (message.empty() ? id : message) << "\n"
                                               << body;
  }
  migrate::Migrator migrator(migrate::RunOptions options = {}) {
    return migrate::Migrator(engine(), migrate::RevisionGraph::load(versions()), std::move(options));
  }
  /// Names of the live tables, sorted.
  std::vector<std::string> tables() {
    auto conn = engine().connect();
    auto names = conn.dialect().table_names(conn);
    std::sort(names.begin(), names.end());
    return names;
  }
  std::vector<std::vector<Value>> rows(const std::string& sql) {
    auto conn = engine().connect();
    auto result = conn.exec_driver_sql(sql);
    std::vector<std::vector<Value>> out;
    while (result.next()) {
      std::vector<Value> row;
      for (int i = 0; i < static_cast<int>(result.keys().size()); ++i) row.push_back(result.row()[i]);
      out.push_back(row);
    }
    return out;
  }
  /// A live table as the dialect reflects it: dialect-neutral checks of columns and constraints.
  Table live(const std::string& table) {
    auto conn = engine().connect();
    return conn.dialect().reflect_table(conn, table);
  }
  void exec(const std::string& sql) {
    auto conn = engine().connect();
    conn.exec_driver_sql(sql);
  }
  std::string schema_text() {
    auto conn = engine().connect();
    return testing::schema_text(conn);
  }
};

}  // namespace retort::testing
