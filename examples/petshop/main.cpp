// petshop: the seed's models as a program. `petshop db ...` runs the
// migration commands (Flask-Migrate's `flask db ...`) for these models; its
// migrations are in examples/petshop/migrations. Without arguments it lists
// what the database holds.
#include <iostream>

#include <retort/app/migrate.hpp>

#include "models.hpp"

namespace r = retort;

int main(int argc, char** argv) try {
  r::register_models<petshop::Owner, petshop::Pet, petshop::Program, petshop::Workout, petshop::User, petshop::Channel>();
  if (argc > 1 && std::string_view(argv[1]) == "db") return r::Migrate(r::mapped_metadata()).main(argc - 1, argv + 1);
  if (argc > 1) {
    std::cerr << "usage: petshop [db COMMAND ...]\n";
    return 2;
  }
  auto config = r::Config::from_env();
  r::Engine engine(config.database_url(), r::EngineOptions::from_config(config));
  r::Session s(engine);
  for (auto& owner : s.query<petshop::Owner>().order_by("id").options(r::selectinload(&petshop::Owner::pets)).all()) {
    auto json = owner.to_dict();
    json["pets"] = nlohmann::json::array();
    for (auto pet : owner->pets) json["pets"].push_back(pet.to_dict());
    std::cout << json.dump() << "\n";
  }
  return 0;
} catch (const r::Error& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
