// The pool against a real server: threads sharing it, connections the server
// drops, pre-ping, and a Unix-socket URL.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "../../examples/petshop/models.hpp"
#include "support/database_fixture.hpp"

namespace r = retort;

namespace {

class Pool : public r::testing::DatabaseTest {
 protected:
  /// This test's URL with an application_name that marks its connections.
  std::string marked_url() const { return url() + "&application_name=" + schema_->name(); }
  /// Ends this test's marked server connections, as a server crash would
  /// (tests running beside it are left alone).
  void terminate_marked() {
    std::vector<r::Value> p{r::Value(schema_->name())};
    auto conn = engine().connect();
    conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", p);
    for (int wait = 0; wait < 500; ++wait) {  // they exit at once, but asynchronously
      if (conn.exec_driver_sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", p).scalar<int>() == 0)
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL() << "the terminated connections did not go away";
  }
};

TEST_F(Pool, EightThreadsTimesAThousandTransactionsCountExactlyAndLeakNothing) {
  {
    auto conn = engine().connect();
    conn.exec_driver_sql("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)");
    conn.exec_driver_sql("CREATE TABLE event (id BIGSERIAL PRIMARY KEY, thread INTEGER NOT NULL, k INTEGER NOT NULL)");
    conn.exec_driver_sql("INSERT INTO counter VALUES (1, 0)");
  }
  r::EngineOptions o;
  o.pool_size = 4;
  o.max_overflow = 2;  // 8 threads on 6 connections: some wait for a free one
  r::Engine shared(url(), o);
  constexpr int kThreads = 8, kTransactions = 1000;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int k = 0; k < kTransactions; ++k) {
          auto conn = shared.connect();
          auto tx = conn.begin();
          conn.exec_driver_sql("UPDATE counter SET n = n + 1 WHERE id = 1");
          std::vector<r::Value> p{r::Value(t), r::Value(k)};
          conn.exec_driver_sql("INSERT INTO event (thread, k) VALUES ($1, $2)", p);
          tx.commit();
        }
      } catch (const std::exception& e) {
        ++failures;
        ADD_FAILURE() << "thread " << t << ": " << e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  auto conn = engine().connect();
  EXPECT_EQ(conn.exec_driver_sql("SELECT n FROM counter").scalar<int>(), kThreads * kTransactions);
  EXPECT_EQ(conn.exec_driver_sql("SELECT count(*) FROM event").scalar<int>(), kThreads * kTransactions);
  EXPECT_EQ(conn.exec_driver_sql("SELECT count(DISTINCT (thread, k)) FROM event").scalar<int>(), kThreads * kTransactions);
  auto s = shared.stats();
  EXPECT_EQ(s.connections_checked_out, 0u);
  EXPECT_LE(s.connections_opened, 6u);
  EXPECT_EQ(s.connections_idle + s.connections_closed, s.connections_opened);
  EXPECT_LE(s.connections_idle, 4u);
  EXPECT_EQ(s.pool_timeouts, 0u);
}

TEST_F(Pool, AConnectionLostBetweenTransactionsFailsOnceThenTheSessionGoesOn) {
  r::mapped_metadata().create_all(engine());
  r::Engine e(marked_url());
  r::Session s(e);
  s.add(petshop::Owner{.name = "Ann"});
  s.commit();
  terminate_marked();  // the session's pooled connection is gone
  EXPECT_THROW(s.query<petshop::Owner>().count(), r::OperationalError);
  EXPECT_EQ(s.query<petshop::Owner>().count(), 1);  // a fresh connection, no rollback() needed: nothing was written
  EXPECT_EQ(e.stats().connections_invalidated, 1u);
}

TEST_F(Pool, AConnectionLostAfterAWriteNeedsRollbackAndLosesOnlyThatTransaction) {
  r::mapped_metadata().create_all(engine());
  r::Engine e(marked_url());
  r::Session s(e);
  s.add(petshop::Owner{.name = "Ann"});
  s.commit();
  s.add(petshop::Owner{.name = "Bob"});
  s.flush();  // written, not committed
  terminate_marked();
  EXPECT_THROW(s.query<petshop::Owner>().count(), r::OperationalError);
  try {
    s.query<petshop::Owner>().count();
    FAIL() << "expected InvalidRequestError";
  } catch (const r::InvalidRequestError& err) {
    EXPECT_NE(std::string(err.what()).find("its writes are gone. Call rollback()"), std::string::npos) << err.what();
  }
  s.rollback();
  EXPECT_EQ(s.query<petshop::Owner>().count(), 1);  // Ann, committed; Bob's flush went with the connection
  s.add(petshop::Owner{.name = "Bob"});
  s.commit();
  r::Session fresh(engine());
  EXPECT_EQ(fresh.query<petshop::Owner>().count(), 2);
}

TEST_F(Pool, PrePingReplacesADroppedConnectionWithoutAnError) {
  r::EngineOptions o;
  o.pool_pre_ping = true;
  r::Engine e(marked_url(), o);
  { e.connect().exec_driver_sql("SELECT 1"); }
  terminate_marked();
  auto conn = e.connect();
  EXPECT_EQ(conn.exec_driver_sql("SELECT 1").scalar<int>(), 1);
  EXPECT_EQ(e.stats().connections_invalidated, 1u);
  EXPECT_EQ(e.stats().connections_opened, 2u);
}

TEST_F(Pool, UrlQueryParametersReachLibpq) {
  std::string base = std::getenv("RETORT_TEST_POSTGRES_URL");
  r::Engine e(base + "?application_name=retort_test_app&connect_timeout=5&sslmode=disable");
  auto conn = e.connect();
  EXPECT_EQ(conn.exec_driver_sql("SELECT current_setting('application_name')").scalar<std::string>(), "retort_test_app");
  EXPECT_EQ(conn.exec_driver_sql("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").scalar<bool>(), false);
}

TEST_F(Pool, AUnixSocketHostConnects) {
  const char* dir = std::getenv("RETORT_TEST_POSTGRES_SOCKET_DIR");
  if (!dir) GTEST_SKIP() << "RETORT_TEST_POSTGRES_SOCKET_DIR is not set (scripts/with-postgres.sh sets it)";
  std::string base = std::getenv("RETORT_TEST_POSTGRES_URL");
  auto at = base.find('@'), slash = base.find('/', at);
  auto port = base.substr(base.rfind(':', slash) + 1, slash - base.rfind(':', slash) - 1);
  // postgresql://user@/db?host=/dir&port=N: the host is a directory, as libpq and SQLAlchemy take it.
  r::Engine e(base.substr(0, at + 1) + base.substr(slash) + "?host=" + dir + "&port=" + port);
  auto conn = e.connect();
  EXPECT_TRUE(conn.exec_driver_sql("SELECT inet_server_addr() IS NULL").scalar<bool>());  // not over TCP
}

}  // namespace
