// The example app under hostile requests: every write route is sent bodies
// that are too big, too deep, not JSON, or of the wrong shape and types; the
// list routes get nonsense query strings; the socket gets garbage. Each answer
// is a 4xx, the server stays up, and what was stored before is unchanged.
#include <arpa/inet.h>

#include <string>
#include <vector>

#include "app/petshop_fixture.hpp"

namespace r = retort;
using r::testing::json;

namespace {

class HostileRequests : public r::testing::PetshopServer {
 protected:
  void SetUp() override {
    PetshopServer::SetUp();
    if (HasFatalFailure()) return;
    post_id("/owners", {{"name", "Ann"}});
    post_id("/pets", {{"name", "Rex"}, {"owner_id", 1}});
    post_id("/programs", {{"name", "Legs"}});
    post_id("/workouts", {{"name", "Squats"}, {"program_id", 1}});
    post_id("/users", {{"username", "ann"}});
    post_id("/channels", {{"name", "news"}});
    stored_ = snapshot();
  }

  /// Every stored row, as text: compared before and after the barrage.
  std::string snapshot() {
    std::string all;
    for (const char* table : {"owner", "pet", "program", "workout", "\"user\"", "channel", "user_channel"}) {
      for (const auto& row : rows(std::string("SELECT * FROM ") + table + " ORDER BY 1")) {
        for (const auto& v : row) all += v.repr() + ",";
        all += "\n";
      }
    }
    return all;
  }

  /// Sends the request and expects a 4xx; the server must answer /healthz afterwards.
  void expect_refused(const std::string& method, const std::string& path, const std::string& body) {
    auto reply = send(method, path, body);
    EXPECT_TRUE(reply.status >= 400 && reply.status < 500)
        << method << " " << path << " with " << body.substr(0, 80) << (body.size() > 80 ? "..." : "") << " ("
        << body.size() << " bytes): status " << reply.status << " " << reply.body.dump();
    ++requests_;
  }

  std::string stored_;
  int requests_ = 0;
};

/// Bodies no write route may accept.
std::vector<std::string> hostile_bodies(const std::string& name_field) {
  auto with = [&](const std::string& value) { return "{\"" + name_field + "\": " + value + "}"; };
  std::vector<std::string> bodies = {
      std::string(3 << 20, 'x'),                                      // over the 1 MiB limit
      "{\"" + name_field + "\": \"" + std::string(3 << 20, 'a') + "\"}",  // valid JSON, over the limit
      std::string(100000, '[') + std::string(100000, ']'),            // nesting far past the limit
      with(std::string(1000, '[') + std::string(1000, ']')),
      "", "not json", "{", "{\"" + name_field + "\": \"x\"", "null", "42", "\"just a string\"", "[]",
      "[{\"" + name_field + "\": \"x\"}]", "{\"" + name_field + "\": \"\xff\xfe\"}",  // invalid UTF-8
      with("42"), with("null"), with("{}"), with("[]"), with("true"), with("1e400"), with("-0.0"),
      with("99999999999999999999999"), "{\"" + name_field + "\": \"x\", \"no_such_field\": 1}",
      "{\"" + name_field + "\": \"x\", \"id\": \"1; DROP TABLE owner\"}",
      "{\"" + name_field + "\": \"x\", \"id\": 1.5}", "{\"" + name_field + "\": \"x\", \"id\": {}}",
  };
  return bodies;
}

TEST_F(HostileRequests, WriteRoutesAnswer4xxToHostileBodiesAndStoreNothing) {
  struct Route {
    std::string method, path, name_field;
  };
  const std::vector<Route> routes = {
      {"POST", "/owners", "name"},          {"POST", "/pets", "name"},
      {"POST", "/programs", "name"},        {"POST", "/workouts", "name"},
      {"POST", "/users", "username"},       {"POST", "/channels", "name"},
      {"PATCH", "/owners/1", "name"},       {"PATCH", "/pets/1", "name"},
      {"PATCH", "/users/1", "username"},    {"POST", "/programs/1/workouts", "name"},
      {"POST", "/users/1/following", "channel_id"},
  };
  for (const auto& route : routes)
    for (const auto& body : hostile_bodies(route.name_field)) expect_refused(route.method, route.path, body);
  // Wrong types in the foreign keys too.
  for (const auto& fk : {"\"1\"", "\"1 OR 1=1\"", "1.5", "[1]", "{\"id\": 1}", "true"}) {
    expect_refused("POST", "/pets", std::string("{\"name\": \"x\", \"owner_id\": ") + fk + "}");
    expect_refused("POST", "/users/1/following", std::string("{\"channel_id\": ") + fk + "}");
  }
  EXPECT_EQ(requests_, static_cast<int>(routes.size() * hostile_bodies("x").size() + 12));
  EXPECT_EQ(send("GET", "/healthz").status, 200);
  EXPECT_EQ(snapshot(), stored_) << "a refused request changed what was stored";
}

TEST_F(HostileRequests, NonsenseQueryStringsAre4xxOrAnEmptyPage) {
  for (const std::string query :
       {"page=abc", "page=-1", "page=0", "per_page=0", "per_page=-5", "page=99999999999999999999999",
        "per_page=1e9", "page=1%00", "include=pets&load=%27;DROP%20TABLE%20owner", "include=pets&load=joined;select"}) {
    auto reply = send("GET", "/owners?" + query);
    EXPECT_TRUE(reply.status == 400 || reply.status == 404) << query << ": " << reply.status << " " << reply.body.dump();
  }
  // Past the last page, or many per page: a valid, empty or short page.
  EXPECT_EQ(send("GET", "/owners?page=1000000").status, 200);
  EXPECT_EQ(send("GET", "/owners?include=no_such_relation,pets,,,").status, 200);
  EXPECT_EQ(send("GET", "/owners/99999999999999999999").status, 404);
  EXPECT_EQ(send("GET", "/healthz").status, 200);
  EXPECT_EQ(snapshot(), stored_);
}

TEST_F(HostileRequests, GarbageOnTheSocketLeavesTheServerUp) {
  auto raw = [&](const std::string& bytes) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    ::shutdown(fd, SHUT_WR);
    char buf[4096];
    timeval tv{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (::recv(fd, buf, sizeof buf, 0) > 0) {
    }
    ::close(fd);
  };
  raw(std::string(1 << 16, '\0'));
  raw("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03");  // a TLS ClientHello on the plain port
  raw("GET /owners HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(1 << 20, 'h') + "\r\n\r\n");
  raw("POST /owners HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n{\"name\": ");  // body cut short
  raw("POST /owners HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n{}");
  raw("POST /owners HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
  raw("GET /" + std::string(100000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(send("GET", "/healthz").status, 200) << server_log();
  EXPECT_EQ(snapshot(), stored_);
}

}  // namespace
