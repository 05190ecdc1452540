#include "retort/app/database.hpp"

#include "retort/app/app.hpp"

namespace retort {

Database::Database() = default;
Database::Database(const Config& config) { bind(config); }
Database::~Database() = default;

void Database::bind(const Config& config) {
  engine_.emplace(config.database_url(), EngineOptions::from_config(config));
}

void Database::init_app(App& app) {
  bind(app.config());
  app.attach_session_factory([this] { return session(); });
}

Engine& Database::engine() {
  if (!engine_)
    throw InvalidRequestError("this Database is not bound to an app: call db.init_app(app) first, or make it with "
                              "Database(config)");
  return *engine_;
}

Session Database::session(SessionOptions options) { return Session(engine(), options); }
void Database::create_all() { metadata().create_all(engine()); }
void Database::drop_all() { metadata().drop_all(engine()); }

}  // namespace retort
