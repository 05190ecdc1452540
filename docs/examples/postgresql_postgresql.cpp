// docs/postgresql.md, as a program: the same models and code as on SQLite,
// against the PostgreSQL server in DATABASE_URL; the pool's settings and
// statistics; a retryable error. Built and run as a test (label postgresql).
#include <cstdlib>
#include <iostream>
#include <thread>
#include <vector>

#include <retort/retort.hpp>

namespace r = retort;

struct Owner {
  std::int64_t id = 0;
  std::string name;
};
template <>
struct r::Mapping<Owner> {
  static void map(r::Mapper<Owner>& m) {
    m.column(&Owner::id, "id").primary_key();
    m.column(&Owner::name, "name", r::String(50)).not_null().unique();
  }
};

int main() {
  // [pool]
  r::Config config = r::Config::from_env();  // DATABASE_URL=postgresql://user:secret@db.internal:5432/shop
  config.set("SQLALCHEMY_POOL_SIZE", "4");    // or in .env, as Flask-SQLAlchemy 2 named them
  config.set("SQLALCHEMY_MAX_OVERFLOW", "4");
  config.set("SQLALCHEMY_POOL_PRE_PING", "true");
  r::Engine engine(config.database_url(), r::EngineOptions::from_config(config));
  // [pool]
  r::mapped_metadata().drop_all(engine);
  r::mapped_metadata().create_all(engine);

  // [threads]
  std::vector<std::thread> workers;
  for (int t = 0; t < 8; ++t)
    workers.emplace_back([&engine, t] {
      r::Session session(engine);  // one session per thread; the engine and its pool are shared
      session.add(Owner{.name = "owner " + std::to_string(t)});
      session.commit();
    });
  for (auto& w : workers) w.join();
  auto stats = engine.stats();
  std::cout << "opened " << stats.connections_opened << ", idle " << stats.connections_idle << ", in use "
            << stats.connections_checked_out << "\n";
  // [threads]

  // [errors]
  r::Session session(engine);
  session.add(Owner{.name = "owner 1"});  // taken: uq_owner_name
  try {
    session.commit();
  } catch (const r::IntegrityError& e) {
    std::cout << "IntegrityError " << e.sqlstate() << " on " << e.constraint() << "\n";
    session.rollback();
  } catch (const r::OperationalError& e) {
    if (e.retryable()) std::cout << "a serialization failure or deadlock: run the transaction again\n";
    throw;
  }
  // [errors]

  int n = static_cast<int>(session.query<Owner>().count());
  session.close();
  r::mapped_metadata().drop_all(engine);
  return n == 8 && stats.connections_checked_out == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
