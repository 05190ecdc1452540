// Revision files and the revision graph, as Alembic's script directory.
//
// A revision is one YAML file in `migrations/versions/`: its id, the
// revision(s) it follows (`down_revision`: none for a base, several for a
// merge), a message, a date, and its `upgrade` and `downgrade` operation
// lists. Users may edit it; what the file says is what runs.
//
// **Example** (a file `versions/3f2a9c1b7d4e_add_species.yaml`):
//   revision: 3f2a9c1b7d4e
//   down_revision: 1c0d5e8a2b6f
//   message: add species
//   create_date: 2026-11-25 17:30:00
//   upgrade:
//     - add_column: {table: pet, column: {name: species, type: String(20), nullable: true}}
//   downgrade:
//     - drop_column: {table: pet, column: species}
//
// In a migrations folder made with `db init --multidb` a revision holds the
// operations of each database (bind) instead, under `binds`, keyed by bind
// key; the default database (DATABASE_URL) is written `default`:
//   binds:
//     default:
//       upgrade: []
//       downgrade: []
//     auth:
//       upgrade:
//         - add_column: {table: account, column: {name: email, type: String(100), nullable: true}}
//       downgrade:
//         - drop_column: {table: account, column: email}
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "retort/migrate/operations.hpp"

namespace retort::migrate {

/// The name a --multidb revision file gives the default bind ("").
inline constexpr const char* kDefaultBindName = "default";

/// One database's part of a --multidb revision.
struct BindOperations {
  std::vector<Operation> upgrade;
  std::vector<Operation> downgrade;
  std::string location;  ///< file:line:column of its key, for errors naming it
};

/// How a migrations folder's revisions hold their operations.
enum class Layout {
  single,   ///< one database: `upgrade` and `downgrade` at the top
  multidb,  ///< `db init --multidb`: `binds: {KEY: {upgrade, downgrade}}`
};

struct Revision {
  std::string id;
  std::vector<std::string> down_revisions;  ///< empty: a base; two or more: a merge
  std::string message;
  std::string create_date;
  std::vector<Operation> upgrade;
  std::vector<Operation> downgrade;
  /// Layout::multidb: the operations by bind key ("" the default database);
  /// a bind a revision does not name has nothing to do in it. `upgrade` and
  /// `downgrade` above are then empty.
  Layout layout = Layout::single;
  std::map<std::string, BindOperations, std::less<>> binds;
  /// Lines written as comments above the upgrade (autogenerate's notes, e.g. a possible rename).
  std::vector<std::string> notes;
  std::filesystem::path path;  ///< the file it was read from
};

/// Reads one revision file; MigrationError naming the file and line of what is
/// wrong, including a file of the other layout than `layout`.
Revision read_revision(const std::filesystem::path& file, Layout layout = Layout::single);
/// Parses the text of a revision file; `file` is where errors say it is from.
Revision parse_revision(std::string_view text, const std::filesystem::path& file, Layout layout = Layout::single);
/// The YAML text of a revision.
std::string revision_yaml(const Revision& revision);
/// A new revision id: 12 hexadecimal digits, as Alembic's.
std::string new_revision_id();
/// `3f2a9c1b7d4e_add_species.yaml`
std::string revision_file_name(const Revision& revision);

/// Every revision of a versions folder, linked by their down_revisions.
class RevisionGraph {
 public:
  RevisionGraph() = default;
  /// Reads every *.yaml of `versions`; MigrationError for a malformed file, a
  /// duplicate id, or a down_revision that no file has.
  static RevisionGraph load(const std::filesystem::path& versions, Layout layout = Layout::single);
  /// Adds a revision (checked like a loaded one).
  void add(Revision revision);

  bool empty() const { return revisions_.empty(); }
  /// By id or unique prefix; MigrationError for an unknown or ambiguous one.
  const Revision& get(std::string_view id) const;
  /// Revisions no other revision follows.
  std::vector<std::string> heads() const;
  /// Revisions that follow nothing.
  std::vector<std::string> bases() const;
  /// Heads that share an ancestor with another head: branch points' children.
  std::vector<std::string> branch_points() const;
  /// Every revision, parents before children (history is this reversed).
  std::vector<const Revision*> ordered() const;
  /// `id` and every revision below it.
  std::vector<std::string> ancestors(std::string_view id) const;

  /// Layout::multidb: the bind keys the revisions name ("" the default), each
  /// with where it is first written (file:line:column).
  std::map<std::string, std::string, std::less<>> bind_keys() const;
  /// Layout::multidb: the graph one bind's database runs, each revision with
  /// that bind's operations as its upgrade and downgrade (none where it is not named).
  RevisionGraph for_bind(std::string_view bind_key) const;

  /// What `upgrade target` applies when `current` are the applied heads, in order.
  /// Targets: head, heads, an id or prefix, +N.
  std::vector<const Revision*> upgrade_path(const std::vector<std::string>& current, std::string_view target) const;
  /// What `downgrade target` undoes, in order. Targets: base, an id or prefix, -N.
  std::vector<const Revision*> downgrade_path(const std::vector<std::string>& current, std::string_view target) const;
  /// The heads after applying (or undoing) one revision.
  std::vector<std::string> after_upgrade(std::vector<std::string> current, const Revision& r) const;
  std::vector<std::string> after_downgrade(std::vector<std::string> current, const Revision& r) const;

 private:
  std::vector<std::string> normalize(std::vector<std::string> heads) const;
  std::vector<std::string> resolve_upgrade_targets(const std::vector<std::string>& current, std::string_view target) const;
  std::map<std::string, Revision, std::less<>> revisions_;
};

}  // namespace retort::migrate
