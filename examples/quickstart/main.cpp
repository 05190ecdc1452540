// The quickstart: read DATABASE_URL from .env, create the seed's owner and pet
// tables, write a few rows and read them back, all through retort's core layer.
//
// Run it from examples/quickstart (where its .env is):
//   ../../build/release/examples/quickstart
#include <iostream>

#include <retort/retort.hpp>

namespace r = retort;

int main() try {
  auto config = r::Config::from_env();
  r::Engine engine(config.database_url(), r::EngineOptions::from_config(config));

  r::MetaData metadata;
  r::Table owner(metadata, "owner",
                 {r::Column("id", r::Integer()).primary_key(), r::Column("name", r::String(50)).not_null()});
  r::Table pet(metadata, "pet",
               {r::Column("id", r::Integer()).primary_key(), r::Column("name", r::String(50)).not_null(),
                r::Column("owner_id", r::Integer()).foreign_key("owner.id").index()});
  metadata.create_all(engine);

  auto conn = engine.connect();
  {
    auto tx = conn.begin();
    auto ann = conn.execute(r::insert(owner).values({{"name", "Ann"}})).lastrowid();
    conn.execute_many(r::insert(pet), {{{"name", "Rex"}, {"owner_id", ann}}, {{"name", "Tom"}, {"owner_id", ann}}});
    tx.commit();
  }

  auto rows = conn.execute(r::select({owner.c("name"), pet.c("name").label("pet"), r::func::count().label("n")})
                               .select_from(r::From(owner).join(pet, pet.c("owner_id") == owner.c("id")))
                               .group_by({owner.c("id"), pet.c("name")})
                               .order_by({owner.c("name"), pet.c("name")}));
  for (const r::Row& row : rows)
    std::cout << row.get<std::string>("name") << " owns " << row.get<std::string>("pet") << "\n";

  auto total = conn.execute(r::select({r::func::count()}).select_from(pet)).scalar<std::int64_t>();
  std::cout << total << " pets in " << engine.url().render() << "\n";
  return 0;
} catch (const r::Error& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
