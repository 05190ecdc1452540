// Running revisions against a database, and autogenerate.
//
// Each revision runs in one transaction with its version-table update, so a
// revision that fails half way leaves the schema and the version table as
// they were (SQLite's DDL is transactional; so is PostgreSQL's). On SQLite, a
// revision that rebuilds tables runs with foreign keys off and is checked
// with `PRAGMA foreign_key_check` before it commits.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "retort/core/engine.hpp"
#include "retort/migrate/revision.hpp"

namespace retort::migrate {

struct RunOptions {
  std::string version_table = "retort_version";
  /// Offline mode (`--sql`): the statements are written here instead of run.
  std::ostream* sql = nullptr;
  /// Called with a line per revision applied: its id, message and time.
  std::function<void(const std::string&)> progress;
};

class Migrator {
 public:
  Migrator(Engine engine, RevisionGraph graph, RunOptions options = {});

  /// The revisions the version table holds (empty: base, or no version table).
  std::vector<std::string> current();
  /// Applies revisions up to `target` (head, heads, an id or prefix, +N).
  /// In offline mode, `from:to` starts at `from` instead of base.
  void upgrade(std::string_view target = "head");
  /// Undoes revisions down to `target` (base, an id or prefix, -N; offline: `from:to`).
  void downgrade(std::string_view target);
  /// Writes `target` into the version table without running anything.
  void stamp(std::string_view target);

  const RevisionGraph& graph() const { return graph_; }

 private:
  struct Step;
  void run(const std::vector<const Revision*>& path, bool up, std::vector<std::string> heads);
  Engine engine_;
  RevisionGraph graph_;
  RunOptions options_;
};

/// What autogenerate found: the operations that make the database match the
/// models, their exact inverse, and notes for the revision file.
struct Diff {
  std::vector<Operation> upgrade;
  std::vector<Operation> downgrade;
  std::vector<std::string> notes;  ///< e.g. a drop and an add that may be a rename
  bool empty() const { return upgrade.empty(); }
};

/// Compares the models' schema with the database's (SQLAlchemy/Alembic's
/// compare_metadata): tables, columns, nullability, types, server defaults,
/// indexes, unique constraints and foreign keys.
Diff compare(const Schema& models, const Schema& database, const Dialect& dialect);
Diff compare(const MetaData& models, Connection& conn, std::string_view version_table = "retort_version");

}  // namespace retort::migrate
