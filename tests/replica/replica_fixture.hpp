// A PostgreSQL primary and its streaming replica, as `scripts/with-postgres.sh
// --replica` starts them: each test gets a schema of its own on the primary
// (replayed to the replica), URLs for both, and the commands that delay, stop
// and start the replica. Without the replica the tests skip (fail under CI).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "retort/app/database.hpp"
#include "retort/retort.hpp"
#include "support/database_fixture.hpp"

namespace retort::testing {

inline std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

class ReplicaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (env_or_empty("RETORT_TEST_POSTGRES_REPLICA_URL").empty()) {
      if (!env_or_empty("CI").empty()) FAIL() << "CI is set and RETORT_TEST_POSTGRES_REPLICA_URL is not: run under scripts/with-postgres.sh --replica";
      GTEST_SKIP() << "no replica: run under scripts/with-postgres.sh --replica";
    }
    schema_ = std::make_unique<PostgresSchema>();
    std::string replica = env_or_empty("RETORT_TEST_POSTGRES_REPLICA_URL");
    replica_url_ = replica + (replica.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema_->name();
  }
  void TearDown() override {
    if (delayed_) set_apply_delay("0");
    if (stopped_) start_replica();
  }

  const std::string& primary_url() const { return schema_->url(); }
  const std::string& replica_url() const { return replica_url_; }

  /// Options whose replicas are this test's replica.
  EngineOptions with_replica() const {
    EngineOptions o;
    o.replicas = {replica_url_};
    return o;
  }

  /// Waits until the replica has replayed everything the primary has written so far.
  void wait_for_replica(double timeout_s = 20) {
    Engine primary(primary_url()), replica(replica_url_);
    auto lsn = primary.connect().exec_driver_sql("SELECT pg_current_wal_insert_lsn()::text").scalar<std::string>();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (std::chrono::steady_clock::now() < deadline) {
      auto conn = replica.connect();
      std::vector<Value> params{Value(lsn)};
      if (conn.exec_driver_sql("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", params).scalar<bool>()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "the replica did not replay " << lsn << " within " << timeout_s << " s";
  }

  /// recovery_min_apply_delay on the replica ("0" removes it); ALTER SYSTEM works on a standby.
  void set_apply_delay(const std::string& delay) {
    Engine replica(env_or_empty("RETORT_TEST_POSTGRES_REPLICA_URL"));
    auto conn = replica.connect();
    conn.exec_driver_sql("ALTER SYSTEM SET recovery_min_apply_delay = '" + delay + "'");
    conn.exec_driver_sql("SELECT pg_reload_conf()");
    delayed_ = delay != "0";
  }
  void stop_replica() {
    ASSERT_EQ(std::system(env_or_empty("RETORT_TEST_POSTGRES_REPLICA_STOP").c_str()), 0);
    stopped_ = true;
  }
  void start_replica() {
    ASSERT_EQ(std::system(env_or_empty("RETORT_TEST_POSTGRES_REPLICA_START").c_str()), 0);
    stopped_ = false;
  }

  std::unique_ptr<PostgresSchema> schema_;
  std::string replica_url_;
  bool delayed_ = false, stopped_ = false;
};

}  // namespace retort::testing
