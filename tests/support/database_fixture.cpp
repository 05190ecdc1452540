#include "support/database_fixture.hpp"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <random>
#include <stdexcept>

namespace retort::testing {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string server_url() {
  std::string url = env("RETORT_TEST_POSTGRES_URL");
  if (url.empty())
    throw std::runtime_error(
        "RETORT_TEST_POSTGRES_URL is not set: run the PostgreSQL tests through scripts/with-postgres.sh");
  return url;
}

/// Without a server, a PostgreSQL run fails in CI and is skipped elsewhere
/// (so `ctest` on a machine without the server is not a wall of failures).
class PostgresEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (!on_postgres() || !env("RETORT_TEST_POSTGRES_URL").empty()) return;
    if (!env("CI").empty()) FAIL() << "RETORT_TEST_POSTGRES_URL is not set: run the tests through scripts/with-postgres.sh";
    GTEST_SKIP() << "no PostgreSQL server: run through scripts/with-postgres.sh";
  }
};
[[maybe_unused]] auto* const postgres_environment = ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

/// `$12` becomes `?` outside quotes.
std::string qmark_placeholders(std::string_view sql) {
  std::string out;
  bool quoted = false;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] == '\'') quoted = !quoted;
    if (!quoted && sql[i] == '$' && i + 1 < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      out += '?';
      while (i + 1 < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i + 1]))) ++i;
    } else {
      out += sql[i];
    }
  }
  return out;
}

}  // namespace

bool on_postgres() {
  static const bool pg = env("RETORT_TEST_BACKEND") == "postgresql";
  return pg;
}

PostgresSchema::PostgresSchema() : server_(server_url()) {
  static std::mt19937_64 random{std::random_device{}()};
  name_ = "t_" + std::to_string(::getpid()) + "_" + std::to_string(random() % 1000000000);
  Engine admin(server_);
  admin.connect().exec_driver_sql("CREATE SCHEMA " + name_);
  url_ = server_ + (server_.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + name_;
}

PostgresSchema::~PostgresSchema() {
  try {
    Engine admin(server_);
    auto conn = admin.connect();
    // A connection the test leaked would hold its locks forever: fail instead of hanging.
    conn.exec_driver_sql("SET lock_timeout = '10s'");
    conn.exec_driver_sql("DROP SCHEMA " + name_ + " CASCADE");
  } catch (const std::exception& e) {
    ADD_FAILURE() << "cannot drop the test schema " << name_ << ": " << e.what();
  }
}

bool PostgresDatabase::available() { return !env("RETORT_TEST_POSTGRES_URL").empty(); }

PostgresDatabase::PostgresDatabase() : server_(server_url()) {
  static std::mt19937_64 random{std::random_device{}()};
  name_ = "retort_db_" + std::to_string(::getpid()) + "_" + std::to_string(random() % 1000000000);
  Engine admin(server_);
  admin.connect().exec_driver_sql("CREATE DATABASE " + name_);
  // postgresql://user@host:port/DATABASE?query: the same server, this database
  auto scheme = server_.find("://");
  auto path = server_.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  auto query = server_.find('?');
  if (path == std::string::npos || (query != std::string::npos && path > query)) path = query;
  url_ = (path == std::string::npos ? server_ : server_.substr(0, path)) + "/" + name_ +
         (query == std::string::npos ? "" : server_.substr(query));
}

PostgresDatabase::~PostgresDatabase() {
  try {
    Engine admin(server_);
    admin.connect().exec_driver_sql("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception& e) {
    ADD_FAILURE() << "cannot drop the test database " << name_ << ": " << e.what();
  }
}

DatabaseTest::DatabaseTest()
    : schema_(on_postgres() ? std::make_unique<PostgresSchema>() : nullptr), engine_(url()) {
  hook_ = engine_.add_statement_hook([this](const StatementEvent& e) { statements_.push_back(qmark_placeholders(e.sql)); });
}

// The engine (and its pooled connections) goes before the schema is dropped.
DatabaseTest::~DatabaseTest() {
  engine_.dispose();
}

std::string DatabaseTest::url() const {
  return schema_ ? schema_->url() : "sqlite:///" + (dir_ / "test.db").string();
}

std::string DatabaseTest::sql(std::string_view text) {
  if (!on_postgres()) return std::string(text);
  std::string out;
  int n = 0;
  bool quoted = false;
  for (char c : text) {
    if (c == '\'') quoted = !quoted;
    if (c == '?' && !quoted) out += "$" + std::to_string(++n);
    else out += c;
  }
  return out;
}

}  // namespace retort::testing
