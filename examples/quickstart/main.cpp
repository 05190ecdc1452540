// The quickstart: DATABASE_URL from .env, two models, a session that adds,
// commits and queries them, and to_dict to print them as JSON.
//
// Run it from examples/quickstart (where its .env is):
//   ../../build/release/examples/quickstart
#include <iostream>

#include <retort/orm/to_dict.hpp>
#include <retort/retort.hpp>

namespace r = retort;

struct Owner {
  std::int64_t id = 0;
  std::string name;
};

struct Pet {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::string> species;
  std::optional<std::int64_t> owner_id;
};

template <>
struct r::Mapping<Owner> {
  static void map(r::Mapper<Owner>& m) {
    m.column(&Owner::id, "id").primary_key();
    m.column(&Owner::name, "name", r::String(50)).unique();
  }
};

template <>
struct r::Mapping<Pet> {
  static void map(r::Mapper<Pet>& m) {
    m.column(&Pet::id, "id").primary_key();
    m.column(&Pet::name, "name", r::String(50));
    m.column(&Pet::species, "species", r::String(20));
    m.column(&Pet::owner_id, "owner_id").foreign_key("owner.id").index();
  }
};

int main() try {
  auto config = r::Config::from_env();
  r::Engine engine(config.database_url(), r::EngineOptions::from_config(config));
  r::mapped_metadata().create_all(engine);  // CREATE TABLE owner, pet (when missing)

  r::Session s(engine);
  auto ann = s.query<Owner>().filter(r::col(&Owner::name) == "Ann").first();
  if (!ann) {
    ann = s.add(Owner{.name = "Ann"});
    s.flush();  // INSERT: ann->id is known from here on
    s.add(Pet{.name = "Rex", .species = "dog", .owner_id = ann->id});
    s.add(Pet{.name = "Tom", .species = "cat", .owner_id = ann->id});
    s.commit();
  }

  for (auto& owner : s.query<Owner>().order_by("name").all()) {
    auto json = owner.to_dict();
    json["pets"] = nlohmann::json::array();
    for (auto& pet : s.query<Pet>().filter(r::col(&Pet::owner_id) == owner->id).order_by("name").all())
      json["pets"].push_back(pet.to_dict({.exclude = {"owner_id"}}));
    std::cout << json.dump() << "\n";
  }
  std::cout << s.query<Pet>().count() << " pets in " << engine.url().render() << "\n";
  return 0;
} catch (const r::Error& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
