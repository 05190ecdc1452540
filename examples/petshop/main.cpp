// petshop: the seed's models served as a JSON API, Flask-style.
//
//   petshop run [--host 127.0.0.1] [--port 5000]   serve the API and the page at /
//   petshop db upgrade                              the migrations in ./migrations (Flask-Migrate's flask db ...)
//   petshop seed                                    demo data, once
//
// The database is DATABASE_URL, from the environment, .env or .flaskenv.
#include <iostream>
#include <string>

#include <retort/app/app.hpp>
#include <retort/app/database.hpp>
#include <retort/app/migrate.hpp>

#include "models.hpp"
#include "page.hpp"

namespace r = retort;
using namespace petshop;
using nlohmann::json;

namespace {

/// Flask-SQLAlchemy's get_or_404.
template <class T>
r::Ptr<T> get_or_404(r::Request& req, const char* what) {
  auto id = req.arg_int("id");
  auto obj = req.session().get<T>(id);
  if (!obj) throw r::NotFound("no " + std::string(what) + " with id " + std::to_string(id));
  return obj;
}

/// The body's fields for a new T: from_dict rejects unknown fields and wrong types (400).
template <class T>
T from_body(r::Request& req) {
  if (!req.json().is_object()) throw r::BadRequest("the body must be a JSON object");
  return r::from_dict<T>(req.json());
}

/// `?include=a,b`: whether `name` is asked for.
bool includes(r::Request& req, const std::string& name) {
  auto list = req.query("include").value_or("");
  std::size_t start = 0;
  while (start <= list.size()) {
    auto end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    if (list.compare(start, end - start, name) == 0) return true;
    start = end + 1;
  }
  return false;
}

/// The loader option `?load=selectin|joined|select` asks for `relationship`
/// (selectin when not given): the SQL of each is visible with SQLALCHEMY_ECHO=1.
r::LoadOption load_option(r::Request& req, const std::string& relationship) {
  auto how = req.query("load").value_or("selectin");
  if (how == "selectin") return r::selectinload(relationship);
  if (how == "joined") return r::joinedload(relationship);
  if (how == "select") return r::lazyload(relationship);
  throw r::BadRequest("load must be selectin, joined or select, not '" + how + "'");
}

/// A page of JSON items, as Flask-SQLAlchemy's Pagination shows it.
template <class T, class Show>
json page_of(r::Request& req, const r::Query<T>& query, Show show) {
  auto page = query.paginate(req.query_int("page", 1), req.query_int("per_page", 20));
  json items = json::array();
  for (auto& item : page.items) items.push_back(show(item));
  return {{"items", items}, {"page", page.page}, {"per_page", page.per_page}, {"total", page.total},
          {"pages", page.pages}};
}

/// Adds `name`: the to_dict of each related object, when `?include=` names it.
template <class Collection>
void include_list(r::Request& req, json& j, const std::string& name, const Collection& related) {
  if (!includes(req, name)) return;
  j[name] = json::array();
  for (auto item : related) j[name].push_back(item.to_dict());
}

json owner_json(r::Request& req, const r::Ptr<Owner>& owner) {
  json j = owner.to_dict();
  include_list(req, j, "pets", owner->pets);
  return j;
}

json pet_json(r::Request& req, const r::Ptr<Pet>& pet) {
  json j = pet.to_dict();
  if (includes(req, "owner")) {
    r::Ptr<Owner> owner = r::backref<&Owner::pets>(pet);  // the attribute backref("owner") created
    j["owner"] = owner ? owner.to_dict() : json(nullptr);
  }
  return j;
}

json program_json(r::Request& req, const r::Ptr<Program>& program) {
  json j = program.to_dict();
  include_list(req, j, "workout", program->workout);
  return j;
}

json user_json(r::Request& req, const r::Ptr<User>& user) {
  json j = user.to_dict();
  include_list(req, j, "following", user->following);
  return j;
}

/// GET/POST /base, GET/PATCH/DELETE /base/<int:id> for model T.
template <class T, class Show>
void resource(r::App& app, const std::string& base, const char* what, Show show,
              std::optional<std::string> eager = std::nullopt) {
  app.get(base, [=](r::Request& req) {
    auto query = req.session().query<T>().order_by("id");
    if (eager && includes(req, *eager)) query = query.options(load_option(req, *eager));
    return r::Response::json(page_of(req, query, [&](const r::Ptr<T>& o) { return show(req, o); }));
  });
  app.post(base, [=](r::Request& req) {
    auto& s = req.session();
    auto obj = s.add(from_body<T>(req));
    s.commit();
    return r::Response::json(show(req, obj), 201);
  });
  app.get(base + "/<int:id>", [=](r::Request& req) { return r::Response::json(show(req, get_or_404<T>(req, what))); });
  app.patch(base + "/<int:id>", [=](r::Request& req) {
    auto obj = get_or_404<T>(req, what);
    if (!req.json().is_object()) throw r::BadRequest("the body must be a JSON object");
    r::update_from_dict(obj, req.json());
    req.session().commit();
    return r::Response::json(show(req, obj));
  });
  app.delete_(base + "/<int:id>", [=](r::Request& req) {
    req.session().delete_(get_or_404<T>(req, what));
    req.session().commit();
    return r::Response::empty();
  });
}

int seed(r::Database& db) {
  auto s = db.session();
  if (s.query<Owner>().count() > 0) {
    std::cout << "petshop: the database already has data; nothing loaded\n";
    return 0;
  }
  auto ann = s.add(Owner{.name = "Ann"});
  ann->pets.append(s.add(Pet{.name = "Rex"}));
  ann->pets.append(s.add(Pet{.name = "Tom"}));
  auto bob = s.add(Owner{.name = "Bob"});
  bob->pets.append(s.add(Pet{.name = "Fido"}));
  auto legs = s.add(Program{.name = "Legs"});
  legs->workout.append(s.add(Workout{.name = "Squats"}));
  auto news = s.add(Channel{.name = "news"});
  s.add(Channel{.name = "sports"});
  s.add(User{.username = "ann"})->following.append(news);
  s.commit();
  std::cout << "petshop: loaded 2 owners, 3 pets, 1 program, 2 channels, 1 user\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  r::register_models<Owner, Pet, Program, Workout, User, Channel>();
  r::App app("petshop");
  r::Database db;
  if (argc > 1 && std::string_view(argv[1]) != "db") {
    try {
      db.init_app(app);  // DATABASE_URL from app.config(): environment, .env, .flaskenv
    } catch (const r::Error& e) {
      std::cerr << "petshop: " << e.what() << "\n";
      return 1;
    }
  }
  r::Migrate migrate(app, db);

  app.get("/", [](r::Request&) { return r::Response::html(petshop::page_html); });
  app.get("/healthz", [&](r::Request&) {
    db.engine().connect().exec_driver_sql("SELECT 1");
    return r::Response::json({{"status", "ok"}});
  });
  resource<Owner>(app, "/owners", "owner", owner_json, "pets");
  resource<Pet>(app, "/pets", "pet", pet_json);
  resource<Program>(app, "/programs", "program", program_json, "workout");
  resource<Workout>(app, "/workouts", "workout", [](r::Request&, const r::Ptr<Workout>& w) { return w.to_dict(); });
  resource<User>(app, "/users", "user", user_json, "following");
  resource<Channel>(app, "/channels", "channel", [](r::Request&, const r::Ptr<Channel>& c) { return c.to_dict(); });

  // A program's workouts: appended through the back_populates pair.
  app.post("/programs/<int:id>/workouts", [](r::Request& req) {
    auto program = get_or_404<Program>(req, "program");
    auto workout = req.session().add(from_body<Workout>(req));
    program->workout.append(workout);  // workout->program is this program now, before any flush
    req.session().commit();
    return r::Response::json(workout.to_dict(), 201);
  });
  // Following and unfollowing channels: rows of user_channel.
  app.post("/users/<int:id>/following", [](r::Request& req) {
    auto user = get_or_404<User>(req, "user");
    auto& body = req.json();
    if (!body.is_object() || !body.contains("channel_id") || !body["channel_id"].is_number_integer())
      throw r::BadRequest("send {\"channel_id\": <an integer>}");
    auto channel = req.session().get<Channel>(body["channel_id"].get<std::int64_t>());
    if (!channel) throw r::NotFound("no channel with id " + body["channel_id"].dump());
    if (!user->following.contains(channel)) user->following.append(channel);
    req.session().commit();
    return r::Response::json(user_json(req, user));
  });
  app.delete_("/users/<int:id>/following/<int:channel_id>", [](r::Request& req) {
    auto user = get_or_404<User>(req, "user");
    auto channel = req.session().get<Channel>(req.arg_int("channel_id"));
    if (!channel || !user->following.contains(channel))
      throw r::NotFound("user " + req.arg("id") + " does not follow channel " + req.arg("channel_id"));
    user->following.remove(channel);
    req.session().commit();
    return r::Response::empty();
  });
  app.get("/channels/<int:id>/followers", [](r::Request& req) {
    auto channel = get_or_404<Channel>(req, "channel");
    json followers = json::array();
    for (auto u : r::backref<&User::following>(channel)) followers.push_back(u.to_dict());  // backref("followers")
    return r::Response::json(followers);
  });

  app.command("seed", [&](int, char**) { return seed(db); });
  return app.main(argc, argv);
}
