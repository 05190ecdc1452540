// What the db commands share: the migrations folder and its settings, the
// parsed command, writing a revision. The commands of one database are in
// migrate.cpp, those of a --multidb folder in multidb.cpp.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "retort/app/migrate.hpp"
#include "retort/core/config.hpp"
#include "retort/migrate/revision.hpp"

namespace retort::detail {

/// The migrations folder and its settings (`retort.yaml`: `version_table: NAME`,
/// `multidb: true` when made with `db init --multidb`).
struct MigrationsFolder {
  std::filesystem::path dir;
  std::string version_table = "retort_version";
  bool multidb = false;

  explicit MigrationsFolder(std::filesystem::path d) : dir(std::move(d)) {}
  std::filesystem::path versions() const { return dir / "versions"; }
  /// Reads retort.yaml; MigrationError when the folder is missing.
  void load();
  migrate::Layout layout() const { return multidb ? migrate::Layout::multidb : migrate::Layout::single; }
  migrate::RevisionGraph graph() const { return migrate::RevisionGraph::load(versions(), layout()); }
};

/// A parsed db command: its name (upgrade, migrate, ...) and arguments.
struct DbCommand {
  std::string name;
  std::string message;
  std::string target;    ///< upgrade/downgrade's revision, defaulted
  std::string revision;  ///< stamp's
  bool sql = false;
};

/// "  - add column pet.species\n" per operation.
std::string describe_ops(const std::vector<migrate::Operation>& ops);
/// Writes `rev` (dated now) into the versions folder; returns its path.
std::filesystem::path write_revision(const MigrationsFolder& folder, migrate::Revision rev);

/// Runs migrate, revision, merge, upgrade, downgrade, stamp, current or check
/// in a --multidb folder, over the default database and every bind. `models`
/// is every bind's unless `all_binds` is false (then the default's only).
int run_multidb(const DbCommand& command, const MigrationsFolder& folder, const migrate::RevisionGraph& graph,
                const Config& config, const Migrate::BindModels& models, bool all_binds, std::ostream& out,
                std::ostream& err);

}  // namespace retort::detail
