// The petshop program end to end: `petshop db upgrade` on a fresh database,
// then `petshop run --port P` as a child process, real HTTP requests against
// it, and the rows in the database checked afterwards.
#include <atomic>

#include "app/petshop_fixture.hpp"

namespace r = retort;

namespace {

using r::testing::json;
using r::testing::Rows;
class Petshop : public r::testing::PetshopServer {};


TEST_F(Petshop, HealthzIsOk) {
  auto r = send("GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["status"], "ok");
}

TEST_F(Petshop, APostedOwnerComesBackWithItsIdAndIsStored) {
  auto r = send("POST", "/owners", R"({"name": "Ann"})");
  EXPECT_EQ(r.status, 201);
  ASSERT_TRUE(r.body.contains("id"));
  auto id = r.body["id"].get<std::int64_t>();
  auto got = send("GET", "/owners/" + std::to_string(id));
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body["name"], "Ann");
  EXPECT_EQ(rows("SELECT id, name FROM owner"), (Rows{{r::Value(id), r::Value("Ann")}}));
}

TEST_F(Petshop, AMissingOwnerIs404WithAJsonBody) {
  auto r = send("GET", "/owners/999999");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body["error"], "no owner with id 999999");
}

TEST_F(Petshop, AMalformedBodyIs400NamingTheProblemAndStoresNothing) {
  auto r = send("POST", "/owners", R"({"name": "Ann")");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body["error"].get<std::string>().find("malformed JSON"), std::string::npos) << r.body;
  EXPECT_EQ(send("POST", "/owners", "[1, 2]").status, 400);  // not an object
  EXPECT_EQ(count("owner"), 0);
}

TEST_F(Petshop, AnUnknownFieldIs400NamingIt) {
  auto r = send("POST", "/owners", R"({"name": "Ann", "age": 3})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["fields"], json::array({"age"}));
  EXPECT_EQ(count("owner"), 0);
}

TEST_F(Petshop, AWrongTypeIs400NamingTheField) {
  auto r = send("POST", "/pets", R"({"name": "Rex", "owner_id": "one"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["fields"], json::array({"owner_id"}));
  EXPECT_EQ(send("POST", "/owners", R"({"name": 7})").status, 400);
  EXPECT_EQ(count("pet") + count("owner"), 0);
}

TEST_F(Petshop, OwnersCarryTheirPetsWithEveryLoadingStrategy) {
  auto ann = post_id("/owners", {{"name", "Ann"}});
  post_id("/owners", {{"name", "Bob"}});
  post_id("/pets", {{"name", "Rex"}, {"owner_id", ann}});
  post_id("/pets", {{"name", "Tom"}, {"owner_id", ann}});
  json expected;
  for (const char* load : {"selectin", "joined", "select"}) {
    auto r = send("GET", std::string("/owners?include=pets&load=") + load);
    ASSERT_EQ(r.status, 200) << load;
    auto& items = r.body["items"];
    ASSERT_EQ(items.size(), 2u) << load;
    EXPECT_EQ(items[0]["pets"].size(), 2u) << load;
    EXPECT_EQ(items[1]["pets"], json::array()) << load;
    if (expected.is_null()) expected = r.body;
    EXPECT_EQ(r.body, expected) << load;  // the same answer, whichever SQL fetched it
  }
  auto bad = send("GET", "/owners?include=pets&load=eager");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["error"], "load must be selectin, joined or select, not 'eager'");
}

TEST_F(Petshop, PatchChangesOnlyTheGivenFields) {
  auto rex = post_id("/pets", {{"name", "Rex"}});
  auto ann = post_id("/owners", {{"name", "Ann"}});
  auto r = send("PATCH", "/pets/" + std::to_string(rex), json{{"owner_id", ann}}.dump());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["name"], "Rex");
  EXPECT_EQ(r.body["owner_id"], ann);
  EXPECT_EQ(rows("SELECT name, owner_id FROM pet"), (Rows{{r::Value("Rex"), r::Value(ann)}}));
  EXPECT_EQ(send("PATCH", "/pets/" + std::to_string(rex), R"({"colour": "red"})").status, 400);
  EXPECT_EQ(send("PATCH", "/pets/999", R"({"name": "x"})").status, 404);
  EXPECT_EQ(rows("SELECT name FROM pet"), (Rows{{r::Value("Rex")}}));
}

TEST_F(Petshop, DeletingAnOwnerKeepsItsPetsWithoutAnOwner) {
  auto ann = post_id("/owners", {{"name", "Ann"}});
  post_id("/pets", {{"name", "Rex"}, {"owner_id", ann}});
  EXPECT_EQ(send("DELETE", "/owners/" + std::to_string(ann)).status, 204);
  EXPECT_EQ(count("owner"), 0);
  EXPECT_EQ(rows("SELECT name, owner_id FROM pet"), (Rows{{r::Value("Rex"), r::Value()}}));  // SQLAlchemy's default
  EXPECT_EQ(send("DELETE", "/owners/" + std::to_string(ann)).status, 404);
}

TEST_F(Petshop, APetShowsItsOwnerThroughTheBackref) {
  auto ann = post_id("/owners", {{"name", "Ann"}});
  auto rex = post_id("/pets", {{"name", "Rex"}, {"owner_id", ann}});
  auto r = send("GET", "/pets/" + std::to_string(rex) + "?include=owner");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["owner"]["name"], "Ann");
  auto stray = post_id("/pets", {{"name", "Stray"}});
  EXPECT_EQ(send("GET", "/pets/" + std::to_string(stray) + "?include=owner").body["owner"], nullptr);
  EXPECT_FALSE(send("GET", "/pets/" + std::to_string(rex)).body.contains("owner"));  // only on request
}

TEST_F(Petshop, APetOfAMissingOwnerIs409AndNotStored) {
  auto r = send("POST", "/pets", R"({"name": "Rex", "owner_id": 4242})");
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body["error"].get<std::string>().find("constraint"), std::string::npos) << r.body;
  EXPECT_EQ(count("pet"), 0);
}

TEST_F(Petshop, ADuplicateUsernameIs409NamingTheConstraint) {
  post_id("/users", {{"username", "ann"}});
  auto r = send("POST", "/users", R"({"username": "ann"})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body["constraint"], r::testing::on_postgres() ? "uq_user_username" : "user.username");
  EXPECT_EQ(count("\"user\""), 1);
}

TEST_F(Petshop, ListsArePaginated) {
  for (int i = 0; i < 25; ++i) post_id("/owners", {{"name", "o" + std::to_string(i)}});
  auto r = send("GET", "/owners?page=3&per_page=10");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["items"].size(), 5u);
  EXPECT_EQ(r.body["items"][0]["name"], "o20");
  EXPECT_EQ(r.body["total"], 25);
  EXPECT_EQ(r.body["pages"], 3);
  EXPECT_EQ(r.body["page"], 3);
  EXPECT_EQ(send("GET", "/owners?page=9&per_page=10").body["items"], json::array());
  EXPECT_EQ(send("GET", "/owners?page=0").status, 400);
  EXPECT_EQ(send("GET", "/owners?per_page=ten").status, 400);
}

TEST_F(Petshop, ProgramsGetWorkoutsThroughBackPopulates) {
  auto legs = post_id("/programs", {{"name", "Legs"}});
  auto r = send("POST", "/programs/" + std::to_string(legs) + "/workouts", R"({"name": "Squats"})");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body["program_id"], legs);
  auto program = send("GET", "/programs/" + std::to_string(legs) + "?include=workout");
  EXPECT_EQ(program.body["workout"].size(), 1u);
  EXPECT_EQ(program.body["workout"][0]["name"], "Squats");
  EXPECT_EQ(rows("SELECT name, program_id FROM workout"), (Rows{{r::Value("Squats"), r::Value(legs)}}));
  EXPECT_EQ(send("POST", "/programs/999/workouts", R"({"name": "x"})").status, 404);
}

TEST_F(Petshop, UsersFollowAndUnfollowChannels) {
  auto ann = post_id("/users", {{"username", "ann"}});
  auto bob = post_id("/users", {{"username", "bob"}});
  auto news = post_id("/channels", {{"name", "news"}});
  auto a = std::to_string(ann), n = std::to_string(news);
  EXPECT_EQ(send("POST", "/users/" + a + "/following", json{{"channel_id", news}}.dump()).status, 200);
  EXPECT_EQ(send("POST", "/users/" + std::to_string(bob) + "/following", json{{"channel_id", news}}.dump()).status, 200);
  EXPECT_EQ(send("POST", "/users/" + a + "/following", json{{"channel_id", news}}.dump()).status, 200);  // idempotent
  EXPECT_EQ(count("user_channel"), 2);
  auto followers = send("GET", "/channels/" + n + "/followers");
  EXPECT_EQ(followers.body.size(), 2u);
  EXPECT_EQ(send("GET", "/users/" + a + "?include=following").body["following"][0]["name"], "news");
  EXPECT_EQ(send("DELETE", "/users/" + a + "/following/" + n).status, 204);
  EXPECT_EQ(rows("SELECT user_id FROM user_channel"), (Rows{{r::Value(bob)}}));
  EXPECT_EQ(send("DELETE", "/users/" + a + "/following/" + n).status, 404);
  EXPECT_EQ(send("POST", "/users/" + a + "/following", R"({"channel_id": 999})").status, 404);
  EXPECT_EQ(send("POST", "/users/" + a + "/following", R"({"channel": 1})").status, 400);
}

TEST_F(Petshop, ThePageIsServedAtTheRoot) {
  auto res = client_->Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(res->body.find("/owners?include=pets"), std::string::npos);
  EXPECT_NE(res->body.find("api(\"POST\", \"/pets\""), std::string::npos);
}

TEST_F(Petshop, HostileRequestsGet4xxAndTheServerStaysUp) {
  EXPECT_EQ(send("POST", "/owners", std::string(3 << 20, 'x')).status, 413);
  EXPECT_EQ(send("POST", "/owners", std::string(5000, '[') + std::string(5000, ']')).status, 400);
  EXPECT_EQ(send("PUT", "/owners/1", "{}").status, 405);
  EXPECT_EQ(send("GET", "/owners/abc").status, 404);
  EXPECT_EQ(send("POST", "/owners", R"({"name": "'); DROP TABLE owner; --"})").status, 201);
  EXPECT_EQ(rows("SELECT name FROM owner"), (Rows{{r::Value("'); DROP TABLE owner; --")}}));
  EXPECT_EQ(send("GET", "/healthz").status, 200);
}

TEST_F(Petshop, EightClientsWritingAtOnceLoseNothing) {
  std::atomic<int> server_errors{0}, created{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", port_);
      for (int k = 0; k < 25; ++k) {
        auto res = c.Post("/owners", json{{"name", "t" + std::to_string(t) + "-" + std::to_string(k)}}.dump(),
                          "application/json");
        if (!res || res->status >= 500) ++server_errors;
        else if (res->status == 201) ++created;
        auto list = c.Get("/owners?include=pets&per_page=5");
        if (!list || list->status >= 500) ++server_errors;
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(server_errors, 0) << server_log();
  EXPECT_EQ(created, 200);
  EXPECT_EQ(count("owner"), 200);
  EXPECT_EQ(rows("SELECT count(DISTINCT name) FROM owner")[0][0].as_int(), 200);
}

TEST_F(Petshop, SeedLoadsDemoDataOnce) {
  ASSERT_EQ(petshop("seed"), 0) << output_;
  EXPECT_NE(output_.find("loaded 2 owners"), std::string::npos) << output_;
  ASSERT_EQ(petshop("seed"), 0) << output_;
  EXPECT_NE(output_.find("already has data"), std::string::npos) << output_;
  EXPECT_EQ(count("owner"), 2);
  EXPECT_EQ(count("pet"), 3);
  auto r = send("GET", "/owners?include=pets");
  EXPECT_EQ(r.body["items"][0]["pets"][0]["name"], "Rex");
}

TEST_F(Petshop, SigintStopsTheServerCleanly) {
  ::kill(pid_, SIGINT);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << server_log();
  EXPECT_NE(server_log().find("petshop: stopped"), std::string::npos) << server_log();
}

TEST_F(Petshop, EveryRequestIsLogged) {
  send("GET", "/owners/77");
  client_->Get("/healthz");
  auto log = server_log();
  EXPECT_NE(log.find("petshop: GET /owners/77 404"), std::string::npos) << log;
  EXPECT_NE(log.find("no owner with id 77"), std::string::npos) << log;
}

}  // namespace
