// The petshop program as a test fixture: `petshop db upgrade` on the test's
// database, then `petshop run --port P` as a child process, an HTTP client,
// and the database's rows.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/database_fixture.hpp"

namespace retort::testing {

using nlohmann::json;
using Rows = std::vector<std::vector<Value>>;

inline int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(s);
  return ntohs(addr.sin_port);
}

class PetshopServer : public DatabaseTest {
 protected:
  void SetUp() override {
    ASSERT_EQ(petshop("db upgrade -d '" + std::string(RETORT_SOURCE) + "/examples/petshop/migrations'"), 0) << output_;
    port_ = free_port();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setenv("DATABASE_URL", url().c_str(), 1);
      std::string log = (dir_ / "server.log").string();
      std::freopen(log.c_str(), "w", stderr);
      std::string port = std::to_string(port_);
      ::execl(RETORT_PETSHOP, "petshop", "run", "--port", port.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    for (int k = 0; k < 500; ++k) {  // up to 10 s for the server to answer
      if (auto res = client_->Get("/healthz"); res && res->status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL() << "petshop did not answer /healthz:\n" << server_log();
  }
  void TearDown() override {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "petshop did not stop cleanly:\n" << server_log();
  }

  /// `petshop ARGS` in the test's directory with its DATABASE_URL; the exit code (output in output_).
  int petshop(const std::string& args) {
    std::string cmd = "cd '" + dir_.path().string() + "' && DATABASE_URL='" + url() + "' '" + RETORT_PETSHOP + "' " +
                      args + " > out.txt 2>&1";
    int status = std::system(cmd.c_str());
    std::ifstream in(dir_ / "out.txt");
    output_.assign(std::istreambuf_iterator<char>(in), {});
    return WEXITSTATUS(status);
  }
  std::string server_log() const {
    std::ifstream in(dir_ / "server.log");
    return {std::istreambuf_iterator<char>(in), {}};
  }

  struct Reply {
    int status = 0;
    json body;
  };
  Reply send(const std::string& method, const std::string& path, const std::string& body = "") {
    httplib::Result res = method == "GET"      ? client_->Get(path)
                          : method == "POST"   ? client_->Post(path, body, "application/json")
                          : method == "PATCH"  ? client_->Patch(path, body, "application/json")
                          : method == "DELETE" ? client_->Delete(path)
                                               : client_->Put(path, body, "application/json");
    if (!res) {
      ADD_FAILURE() << method << " " << path << ": no response (" << httplib::to_string(res.error()) << ")";
      return {};
    }
    Reply r{res->status, nullptr};
    if (!res->body.empty() && res->get_header_value("Content-Type") == "application/json") r.body = json::parse(res->body);
    return r;
  }
  std::int64_t post_id(const std::string& path, const json& body) {
    auto r = send("POST", path, body.dump());
    EXPECT_EQ(r.status, 201) << path << " " << r.body.dump();
    return r.body.value("id", std::int64_t{0});
  }
  Rows rows(const std::string& query) {
    auto conn = engine().connect();
    auto result = conn.exec_driver_sql(query);
    Rows out;
    while (result.next()) {
      std::vector<Value> row;
      for (int i = 0; i < result.row().size(); ++i) row.push_back(result.row()[i]);
      out.push_back(row);
    }
    return out;
  }
  std::int64_t count(const std::string& table) {
    return rows("SELECT count(*) FROM " + table)[0][0].as_int();
  }

  std::string output_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace retort::testing
