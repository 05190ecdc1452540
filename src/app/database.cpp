#include "retort/app/database.hpp"

#include "retort/app/app.hpp"

namespace retort {

Database::Database() = default;
Database::Database(const Config& config) { bind(config); }
Database::~Database() = default;

void Database::bind(const Config& config) {
  auto options = EngineOptions::from_config(config);
  engine_.emplace(config.database_url(), options);
  binds_.clear();
  for (auto& [key, url] : config.binds()) {
    options.replicas = config.replica_urls(key);
    binds_.emplace(key, Engine(url, options));
  }
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

Engine& Database::engine(std::string_view bind_key) {
  if (bind_key.empty()) return engine();
  (void)engine();  // bound at all?
  auto it = binds_.find(bind_key);
  if (it == binds_.end()) {
    throw ConfigError("no database for bind key '" + std::string(bind_key) + "': set " + Config::bind_url_setting(bind_key) +
                      " (or add it to SQLALCHEMY_BINDS) in the environment or .env");
  }
  return it->second;
}

std::vector<std::string> Database::bind_keys() const {
  std::vector<std::string> keys;
  for (auto& [key, engine] : binds_) keys.push_back(key);
  return keys;
}

Session Database::session(SessionOptions options) {
  for (auto& [key, engine] : binds_) options.binds.try_emplace(key, engine);
  return Session(engine(), std::move(options));
}

void Database::create_all() {
  for (auto& key : mapped_bind_keys()) mapped_metadata(key).create_all(engine(key));
}

void Database::drop_all() {
  for (auto& key : mapped_bind_keys()) mapped_metadata(key).drop_all(engine(key));
}

}  // namespace retort
