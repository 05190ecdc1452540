// docs/connecting.md, as a program: configuration from .env, an engine, a
// transaction, and the core SQL expression language. Built and run as a test.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <retort/retort.hpp>

namespace r = retort;

int main() {
  // A scratch directory with a .env, as a project would have.
  auto dir = std::filesystem::temp_directory_path() / "retort-docs-connecting";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / ".env") << "DATABASE_URL=sqlite:///" << (dir / "dev.db").string() << "\n";

  // [connect]
  r::Config::Options where;
  where.start_dir = dir;                         // default: the working directory
  auto config = r::Config::from_env(where);      // environment > .env > .flaskenv
  r::Engine engine(config.database_url(), r::EngineOptions::from_config(config));
  // [connect]

  // [schema]
  r::MetaData metadata;
  r::Table owner(metadata, "owner",
                 {r::Column("id", r::Integer()).primary_key(), r::Column("name", r::String(50)).not_null()});
  metadata.create_all(engine);  // CREATE TABLE owner ... (skipped when it exists)
  // [schema]

  // [transaction]
  auto conn = engine.connect();
  {
    auto tx = conn.begin();
    conn.execute(r::insert(owner).values({{"name", "Ann"}}));
    conn.execute(r::insert(owner).values({{"name", "Bob"}}));
    tx.commit();  // without this line, both inserts roll back at the end of the block
  }
  // [transaction]

  // [query]
  auto rows = conn.execute(r::select(owner).where(owner.c("name").like("A%")).order_by({owner.c("id")}));
  for (const r::Row& row : rows) std::cout << row.get<std::int64_t>("id") << " " << row.get<std::string>("name") << "\n";
  // [query]

  int n = conn.execute(r::select({r::func::count()}).select_from(owner)).scalar<int>();
  metadata.drop_all(engine);
  std::filesystem::remove_all(dir);
  return n == 2 ? EXIT_SUCCESS : EXIT_FAILURE;
}
