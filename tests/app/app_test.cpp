// The App in-process and over real HTTP: routing, the session of a request,
// errors as JSON, Database and Migrate(app, db), the program's commands.
#include <gtest/gtest.h>
#include <httplib.h>

#include <sstream>

#include "retort/app/app.hpp"
#include "retort/app/database.hpp"
#include "retort/app/migrate.hpp"
#include "retort/orm/to_dict.hpp"
#include "support/database_fixture.hpp"
#include "support/temp_dir.hpp"

namespace r = retort;
using nlohmann::json;

namespace {

struct Note {
  std::int64_t id = 0;
  std::string title;
  std::optional<std::int64_t> stars;
};

}  // namespace

template <>
struct retort::Mapping<Note> {
  static void map(Mapper<Note>& m) {
    m.column(&Note::id, "id").primary_key();
    m.column(&Note::title, "title", String(20)).unique();
    m.column(&Note::stars, "stars");
  }
};

namespace {

class AppTest : public r::testing::DatabaseTest {
 protected:
  AppTest() : app_("notes") {
    r::register_models<Note>();
    app_.config().set("DATABASE_URL", url());
    db_.init_app(app_);
    db_.create_all();
    app_.set_log([this](const std::string& line) { log_ += line + "\n"; });
  }
  r::Response call(const std::string& method, const std::string& path, const std::string& body = "",
                   std::map<std::string, std::string> query = {}) {
    return app_.handle(method, path, body, query);
  }
  static json body(const r::Response& response) { return json::parse(response.body); }
  std::int64_t notes() { return db_.session().query<Note>().count(); }

  r::App app_;
  r::Database db_;
  std::string log_;
};

TEST_F(AppTest, IntRoutesMatchDigitsOnlyAndGiveTheirArguments) {
  app_.get("/notes/<int:id>", [](r::Request& req) { return r::Response::json({{"id", req.arg_int("id")}}); });
  app_.get("/tags/<name>", [](r::Request& req) { return r::Response::json({{"name", req.arg("name")}}); });
  EXPECT_EQ(body(call("GET", "/notes/42"))["id"], 42);
  EXPECT_EQ(call("GET", "/notes/abc").status, 404);  // <int:id> does not match
  EXPECT_EQ(body(call("GET", "/tags/abc"))["name"], "abc");
  EXPECT_EQ(call("GET", "/notes/42/").status, 200);  // a trailing slash is the same path
}

TEST_F(AppTest, AnUnknownPathIs404AndAnotherMethodIs405WithJsonBodies) {
  app_.get("/notes", [](r::Request&) { return r::Response::json(json::array()); });
  auto missing = call("GET", "/nowhere");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(body(missing)["error"], "no route for /nowhere");
  auto wrong = call("DELETE", "/notes");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(body(wrong)["status"], 405);
  EXPECT_EQ(call("HEAD", "/notes").status, 200);  // a GET route answers HEAD
}

TEST_F(AppTest, ABadRoutePatternIsNamed) {
  try {
    app_.get("/notes/<float:x>", [](r::Request&) { return r::Response::empty(); });
    FAIL() << "expected ArgumentError";
  } catch (const r::ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("write a parameter as <name> or <int:name>"), std::string::npos) << e.what();
  }
}

TEST_F(AppTest, ARequestsSessionIsRolledBackWhenTheHandlerDoesNotCommit) {
  app_.post("/forgetful", [](r::Request& req) {
    req.session().add(Note{.title = "lost"});
    req.session().flush();  // written in the transaction, never committed
    return r::Response::json({{"ok", true}});
  });
  EXPECT_EQ(call("POST", "/forgetful").status, 200);
  EXPECT_EQ(notes(), 0);
}

TEST_F(AppTest, ARequestsSessionIsRolledBackWhenTheHandlerThrows) {
  app_.post("/half", [](r::Request& req) -> r::Response {
    req.session().add(Note{.title = "half"});
    req.session().flush();
    throw std::runtime_error("disk on fire at /var/lib/secret");
  });
  auto r1 = call("POST", "/half");
  EXPECT_EQ(r1.status, 500);
  EXPECT_EQ(body(r1)["error"], "internal server error");  // nothing of the internals
  EXPECT_EQ(r1.body.find("secret"), std::string::npos);
  EXPECT_NE(log_.find("disk on fire at /var/lib/secret"), std::string::npos) << log_;  // but logged
  EXPECT_EQ(notes(), 0);
}

TEST_F(AppTest, EachRequestHasItsOwnSession) {
  std::vector<const r::Session*> seen;
  app_.get("/s", [&](r::Request& req) {
    seen.push_back(&req.session());
    EXPECT_EQ(&req.session(), seen.back());  // one per request, however often asked
    return r::Response::empty();
  });
  call("GET", "/s");
  call("GET", "/s");
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(engine().stats().connections_checked_out, 0u);
  EXPECT_EQ(db_.engine().stats().connections_checked_out, 0u);  // every request gave its connection back
}

TEST_F(AppTest, MalformedJsonIs400NamingWhereItBroke) {
  app_.post("/notes", [](r::Request& req) { return r::Response::json(req.json()); });
  auto r1 = call("POST", "/notes", "{\"title\": ");
  EXPECT_EQ(r1.status, 400);
  EXPECT_NE(body(r1)["error"].get<std::string>().find("malformed JSON: parse error at line 1, column 11"),
            std::string::npos)
      << r1.body;
  EXPECT_EQ(call("POST", "/notes", "").status, 400);
}

TEST_F(AppTest, DeeplyNestedJsonIsRefused) {
  app_.post("/notes", [](r::Request& req) { return r::Response::json(req.json()); });
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto r1 = call("POST", "/notes", deep);
  EXPECT_EQ(r1.status, 400);
  EXPECT_NE(body(r1)["error"].get<std::string>().find("nests deeper than 64 levels"), std::string::npos);
  EXPECT_EQ(call("POST", "/notes", std::string(60, '[') + std::string(60, ']')).status, 200);
}

TEST_F(AppTest, ValidationErrorsAre400NamingEveryField) {
  app_.post("/notes", [](r::Request& req) {
    auto note = req.session().add(r::from_dict<Note>(req.json()));
    req.session().commit();
    return r::Response::json(note.to_dict(), 201);
  });
  auto r1 = call("POST", "/notes", R"({"title": 5, "colour": "red"})");
  EXPECT_EQ(r1.status, 400);
  auto fields = body(r1)["fields"].get<std::vector<std::string>>();
  std::sort(fields.begin(), fields.end());
  EXPECT_EQ(fields, (std::vector<std::string>{"colour", "title"}));
  EXPECT_EQ(call("POST", "/notes", R"({"title": "a title much longer than twenty"})").status, 400);
  EXPECT_EQ(call("POST", "/notes", R"({"title": "ok"})").status, 201);
  EXPECT_EQ(notes(), 1);
}

TEST_F(AppTest, ADuplicateIs409NamingTheConstraintAndKeepsWhatWasStored) {
  app_.post("/notes", [](r::Request& req) {
    auto note = req.session().add(r::from_dict<Note>(req.json()));
    req.session().commit();
    return r::Response::json(note.to_dict(), 201);
  });
  ASSERT_EQ(call("POST", "/notes", R"({"title": "same"})").status, 201);
  auto r1 = call("POST", "/notes", R"({"title": "same"})");
  EXPECT_EQ(r1.status, 409);
  EXPECT_EQ(body(r1)["constraint"], r::testing::on_postgres() ? "uq_note_title" : "note.title");
  EXPECT_EQ(r1.body.find("INSERT"), std::string::npos);  // the SQL stays in the log
  EXPECT_NE(log_.find("INSERT INTO note"), std::string::npos);
  EXPECT_EQ(notes(), 1);
}

TEST_F(AppTest, HttpErrorsKeepTheirStatusAndNoResultFoundIs404) {
  app_.get("/teapot", [](r::Request&) -> r::Response { throw r::HttpError(418, "I'm a teapot"); });
  app_.get("/one", [](r::Request& req) { return r::Response::json(req.session().query<Note>().one().to_dict()); });
  auto tea = call("GET", "/teapot");
  EXPECT_EQ(tea.status, 418);
  EXPECT_EQ(body(tea)["error"], "I'm a teapot");
  EXPECT_EQ(call("GET", "/one").status, 404);
}

TEST_F(AppTest, AnUnavailableDatabaseIs503AndABadValueIs400) {
  app_.get("/busy", [](r::Request&) -> r::Response {
    throw r::PoolTimeoutError("QueuePool limit of size 5 overflow 10 reached", {}, true);
  });
  app_.get("/range", [](r::Request&) -> r::Response {
    r::ErrorDetails d;
    d.db_message = "value out of range for type integer";
    throw r::DataError("(psycopg2.errors.DataError) value out of range [SQL: ...]", d);
  });
  auto busy = call("GET", "/busy");
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(body(busy)["error"], "the database is unavailable; try again");
  auto range = call("GET", "/range");
  EXPECT_EQ(range.status, 400);
  EXPECT_EQ(body(range)["error"], "a value the database cannot store: value out of range for type integer");
  EXPECT_EQ(range.body.find("SQL"), std::string::npos);
}

TEST_F(AppTest, QueryParametersAreCheckedIntegers) {
  app_.get("/page", [](r::Request& req) { return r::Response::json({{"page", req.query_int("page", 1)}}); });
  EXPECT_EQ(body(call("GET", "/page"))["page"], 1);
  EXPECT_EQ(body(call("GET", "/page", "", {{"page", "3"}}))["page"], 3);
  auto bad = call("GET", "/page", "", {{"page", "three"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(body(bad)["error"].get<std::string>().find("'page' must be a positive integer, not 'three'"),
            std::string::npos);
  EXPECT_EQ(call("GET", "/page", "", {{"page", "0"}}).status, 400);
}

TEST_F(AppTest, EveryRequestIsLoggedWithItsStatus) {
  app_.get("/x", [](r::Request&) { return r::Response::empty(); });
  call("GET", "/x");
  call("GET", "/y");
  EXPECT_NE(log_.find("notes: GET /x 204"), std::string::npos) << log_;
  EXPECT_NE(log_.find("notes: GET /y 404"), std::string::npos) << log_;
}

TEST_F(AppTest, AnUnboundDatabaseSaysToCallInitApp) {
  r::Database unbound;
  try {
    unbound.engine();
    FAIL() << "expected InvalidRequestError";
  } catch (const r::InvalidRequestError& e) {
    EXPECT_NE(std::string(e.what()).find("call db.init_app(app) first"), std::string::npos);
  }
  r::App bare("bare");
  bare.get("/s", [](r::Request& req) {
    req.session();
    return r::Response::empty();
  });
  EXPECT_EQ(bare.handle("GET", "/s", "", {}).status, 500);  // a programming error, logged
}

TEST_F(AppTest, InitAppReadsTheAppsConfig) {
  r::App other("other");
  other.config().set("DATABASE_URL", url());
  other.config().set("SQLALCHEMY_POOL_SIZE", "2");
  r::Database db;
  db.init_app(other);
  EXPECT_EQ(db.engine().options().pool_size, 2u);
  EXPECT_EQ(db.engine().url().render(), r::Url::parse(url()).render());
}

TEST_F(AppTest, TheServerAnswersRealHttpAndRefusesOversizedBodies) {
  app_.post("/echo", [](r::Request& req) { return r::Response::json(req.json()); });
  app_.get("/hello", [](r::Request&) { return r::Response::json({{"hello", "world"}}); });
  int port = app_.start();
  httplib::Client client("127.0.0.1", port);
  auto ok = client.Post("/echo", R"({"a": [1, 2]})", "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(json::parse(ok->body)["a"][1], 2);
  EXPECT_EQ(ok->get_header_value("Content-Type"), "application/json");
  auto big = client.Post("/echo", std::string(2 << 20, 'x'), "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  auto after = client.Post("/echo", "[1]", "application/json");  // still up
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
  auto head = client.Head("/hello");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
  app_.stop();
}

TEST_F(AppTest, MainRunsTheDbCommandsOfMigrateAndNamesUnknownCommands) {
  r::Migrate migrate(app_, db_);
  int called = 0;
  app_.command("hello", [&](int argc, char** argv) {
    ++called;
    EXPECT_EQ(argc, 2);
    EXPECT_STREQ(argv[0], "hello");
    EXPECT_STREQ(argv[1], "world");
    return 7;
  });
  auto run = [&](std::vector<std::string> args) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    return app_.main(static_cast<int>(argv.size()), argv.data());
  };
  EXPECT_EQ(run({"notes", "hello", "world"}), 7);
  EXPECT_EQ(called, 1);
  EXPECT_EQ(run({"notes", "nope"}), 2);
  EXPECT_EQ(run({"notes"}), 2);
  EXPECT_EQ(run({"notes", "run", "--port", "99999"}), 2);
  db_.drop_all();
  auto folder = (dir_ / "migrations").string();
  EXPECT_EQ(run({"notes", "db", "init", "-d", folder}), 0);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "migrations" / "versions"));
  EXPECT_EQ(run({"notes", "db", "migrate", "-m", "notes", "-d", folder}), 0);  // the app's database, the mapped models
  EXPECT_EQ(run({"notes", "db", "check", "-d", folder}), 1);                   // not upgraded yet
  EXPECT_EQ(run({"notes", "db", "upgrade", "-d", folder}), 0);
  EXPECT_EQ(run({"notes", "db", "check", "-d", folder}), 0);
  auto s = db_.session();
  s.add(Note{.title = "migrated"});
  s.commit();  // the table the revision made
}

}  // namespace
