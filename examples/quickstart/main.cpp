// The quickstart: DATABASE_URL from .env, two models related by a backref,
// a session that adds, commits and queries them (the pets loaded with one
// extra statement), and to_dict to print them as JSON.
//
// Run it from examples/quickstart (where its .env is):
//   ../../build/release/examples/quickstart
#include <iostream>

#include <retort/orm/to_dict.hpp>
#include <retort/retort.hpp>

namespace r = retort;

struct Pet;
struct Owner {
  std::int64_t id = 0;
  std::string name;
  r::Collection<Pet> pets;  // pets = db.relationship('Pet', backref='owner')
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
    m.relationship(&Owner::pets, "pets").order_by({"name"}).backref("owner");
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
    ann->pets.append(s.add(Pet{.name = "Rex", .species = "dog"}));  // Rex's owner is Ann from here on
    ann->pets.append(s.add(Pet{.name = "Tom", .species = "cat"}));
    s.commit();  // INSERT the owner, then the pets with owner_id set
  }

  for (auto& owner : s.query<Owner>().order_by("name").options(r::selectinload(&Owner::pets)).all())
    std::cout << owner.to_dict({.include = {"pets"}}).dump() << "\n";
  std::cout << s.query<Pet>().count() << " pets in " << engine.url().render() << "\n";
  return 0;
} catch (const r::Error& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
