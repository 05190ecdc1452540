// docs/app.md, as a program: a web app in the seed's order (config,
// init_app, Migrate, a model with to_dict, routes). Run with arguments it is
// the app (`app_app run --port 5000`, `app_app db upgrade`); without, the
// test suite runs it and it answers a few requests in-process.
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <retort/app/app.hpp>
#include <retort/app/database.hpp>
#include <retort/app/migrate.hpp>
#include <retort/orm/to_dict.hpp>

namespace r = retort;

// [model]
struct Owner {
  std::int64_t id = 0;
  std::string name;
  nlohmann::json to_dict() const { return {{"id", id}, {"name", name}}; }  // what the routes send
};
template <>
struct r::Mapping<Owner> {
  static void map(r::Mapper<Owner>& m) {
    m.column(&Owner::id, "id").primary_key();
    m.column(&Owner::name, "name", r::String(50));
  }
};
// [model]

int main(int argc, char** argv) {
  auto scratch = std::filesystem::temp_directory_path() / "retort-docs-app";
  std::filesystem::create_directories(scratch);

  // [config]
  r::App app("owners");                          // app.config() read DATABASE_URL from the environment, .env, .flaskenv
  if (!app.config().get("DATABASE_URL"))
    app.config().set("DATABASE_URL", "sqlite:///" + (scratch / "app.db").string());
  // [config]

  // [init]
  r::Database db;                                // made without an app, as Flask-SQLAlchemy's db = SQLAlchemy()
  db.init_app(app);                              // bound to app.config(): DATABASE_URL, SQLALCHEMY_ECHO, pool settings
  r::Migrate migrate(app, db);                   // `owners db init|migrate|upgrade|...` for the mapped models
  // [init]

  // [routes]
  app.get("/owners/<int:id>", [](r::Request& req) {
    auto owner = req.session().get<Owner>(req.arg_int("id"));  // each request has its own session
    if (!owner) throw r::NotFound("no owner with id " + req.arg("id"));
    return r::Response::json(owner.to_dict());
  });
  app.post("/owners", [](r::Request& req) {
    auto owner = req.session().add(r::from_dict<Owner>(req.json()));  // 400 naming a bad or unknown field
    req.session().commit();
    return r::Response::json(owner.to_dict(), 201);
  });
  // [routes]

  if (argc > 1) return app.main(argc, argv);     // run [--host H] [--port P] | db ...

  db.drop_all();
  db.create_all();
  auto created = app.handle("POST", "/owners", R"({"name": "Ann"})", {});
  auto found = app.handle("GET", "/owners/1", "", {});
  auto missing = app.handle("GET", "/owners/2", "", {});
  auto bad = app.handle("POST", "/owners", R"({"name": "Ann", "age": 3})", {});
  std::cout << created.status << " " << created.body << "\n"
            << found.status << " " << found.body << "\n"
            << missing.status << " " << missing.body << "\n"
            << bad.status << " " << bad.body << "\n";
  db.drop_all();
  std::filesystem::remove_all(scratch);
  bool ok = created.status == 201 && found.status == 200 && missing.status == 404 && bad.status == 400;
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
