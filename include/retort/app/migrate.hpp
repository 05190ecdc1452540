// Migrate: Flask-Migrate's `flask db ...` commands for a C++ program. The
// models live in the program, so the program offers the commands:
//
// **Example**:
//   int main(int argc, char** argv) {
//     if (argc > 1 && std::string_view(argv[1]) == "db")
//       return retort::Migrate(retort::mapped_metadata()).main(argc - 1, argv + 1);
//     ...
//   }
//
// `petshop db upgrade` then reads DATABASE_URL (environment, .env,
// .flaskenv) and the migrations folder (`-d DIR`, default `migrations`).
//
// Several databases (Flask-Migrate's `--multidb`): `db init --multidb` makes
// a folder whose revisions hold each bind's operations; give Migrate every
// bind's models (`Migrate(Migrate::mapped_models())`, or `Migrate(app, db)`),
// and each command covers the default database and every bind, each with its
// own version table (docs/migrations.md).
#pragma once

#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "retort/core/config.hpp"
#include "retort/core/schema.hpp"

namespace retort {

class App;
class Database;

class Migrate {
 public:
  /// The models of each database: bind key ("" the default) → its tables.
  /// The MetaData must outlive the Migrate.
  using BindModels = std::map<std::string, const MetaData*, std::less<>>;

  /// `models`: what autogenerate and `db check` compare the database with;
  /// without models (`has_models` false) those two commands are refused.
  /// The database comes from DATABASE_URL (environment, .env, .flaskenv).
  /// These are the default database's models only: in a --multidb folder
  /// with other binds, `db migrate` and `db check` are refused.
  explicit Migrate(const MetaData& models, bool has_models = true);
  /// Every database's models, for a --multidb folder: `db migrate` and
  /// `db check` compare each bind's database (DATABASE_URL, DATABASE_URL_<KEY>
  /// or SQLALCHEMY_BINDS) with its models; a bind the revisions name and
  /// `models` lacks has no tables. In a single-database folder only the
  /// default's ("") are used.
  explicit Migrate(BindModels models);
  /// The mapped models of every bind: mapped_metadata(key) for "" and each of mapped_bind_keys().
  static BindModels mapped_models();
  /// Flask-Migrate's `Migrate(app, db)`: `app.main()` runs `PROGRAM db ...`
  /// with these commands, on the databases of the app's config, for the
  /// mapped models of every bind. Keep it alive as long as the app.
  Migrate(App& app, Database& db);
  // The app keeps a reference: a Migrate stays where it was made.
  Migrate(const Migrate&) = delete;
  Migrate& operator=(const Migrate&) = delete;

  /// Runs `argv[1..]` as a db command (`argv[0]` is "db"); returns the exit code.
  int main(int argc, char** argv);
  /// Runs `args` (without "db"), writing to `out` and errors to `err`; returns the exit code.
  int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

 private:
  BindModels models_;
  bool has_models_;
  bool all_binds_;  // models_ covers every bind (not just the default's)
  std::optional<Config> config_;  // the app's; unset: read at each command
};

}  // namespace retort
