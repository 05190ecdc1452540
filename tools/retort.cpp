// The `retort` command: the db commands that need no models (upgrade,
// downgrade, current, history, heads, branches, show, stamp, --sql). migrate
// and check compare the models, so they run through the program that has
// them: `PROGRAM db migrate`.
#include <retort/app/migrate.hpp>

#include <string_view>

int main(int argc, char** argv) {
  static const retort::MetaData no_models;
  // `retort db upgrade` and `retort upgrade` are the same command.
  if (argc > 1 && std::string_view(argv[1]) == "db") return retort::Migrate(no_models, false).main(argc - 1, argv + 1);
  return retort::Migrate(no_models, false).main(argc, argv);
}
