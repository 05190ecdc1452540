// Database: Flask-SQLAlchemy's `db` object. Made without an app and bound
// later with `db.init_app(app)`, or bound at once to a Config.
//
// **Example**:
//   r::Database db{r::Config::from_env()};   // DATABASE_URL from the environment, .env or .flaskenv
//   db.create_all();
//   auto s = db.session();
#pragma once

#include <map>
#include <memory>
#include <optional>

#include "retort/core/config.hpp"
#include "retort/core/engine.hpp"
#include "retort/orm/mapper.hpp"
#include "retort/orm/session.hpp"

namespace retort {

class App;

class Database {
 public:
  /// Not bound yet: call init_app(app) before using it.
  Database();
  /// Bound to `config`: DATABASE_URL, SQLALCHEMY_ECHO and the pool settings.
  explicit Database(const Config& config);
  ~Database();
  // The app keeps a reference: a Database stays where it was made.
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  /// Binds to the app's config and gives the app's requests their sessions.
  void init_app(App& app);
  bool bound() const noexcept { return engine_.has_value(); }

  /// The engine of the default bind; InvalidRequestError before init_app, saying so.
  Engine& engine();
  /// The engine of a bind key ("" the default), from DATABASE_URL_<KEY> or
  /// SQLALCHEMY_BINDS; ConfigError naming the setting when it has none.
  Engine& engine(std::string_view bind_key);
  /// The configured bind keys other than the default.
  std::vector<std::string> bind_keys() const;
  /// A new session on the engine, with every configured bind in SessionOptions::binds.
  Session session(SessionOptions options = {});
  /// The mapped models' tables of the default bind: what create_all creates and migrations compare.
  const MetaData& metadata() const { return mapped_metadata(); }
  /// Creates (drops) the tables of every bind's models in that bind's database.
  void create_all();
  void drop_all();

 private:
  void bind(const Config& config);
  std::optional<Engine> engine_;
  std::map<std::string, Engine, std::less<>> binds_;
};

}  // namespace retort
