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
#pragma once

#include <iosfwd>
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
  /// `models`: what autogenerate and `db check` compare the database with;
  /// without models (`has_models` false) those two commands are refused.
  /// The database comes from DATABASE_URL (environment, .env, .flaskenv).
  explicit Migrate(const MetaData& models, bool has_models = true);
  /// Flask-Migrate's `Migrate(app, db)`: `app.main()` runs `PROGRAM db ...`
  /// with these commands, on the database of the app's config, for the
  /// mapped models. Keep it alive as long as the app.
  Migrate(App& app, Database& db);
  // The app keeps a reference: a Migrate stays where it was made.
  Migrate(const Migrate&) = delete;
  Migrate& operator=(const Migrate&) = delete;

  /// Runs `argv[1..]` as a db command (`argv[0]` is "db"); returns the exit code.
  int main(int argc, char** argv);
  /// Runs `args` (without "db"), writing to `out` and errors to `err`; returns the exit code.
  int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

 private:
  const MetaData& models_;
  bool has_models_;
  std::optional<Config> config_;  // the app's; unset: read at each command
};

}  // namespace retort
