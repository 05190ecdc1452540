// Concurrency on one SQLite file, with retort's defaults (WAL journaling, a
// busy timeout of 5 s): writers in two processes and eight threads, each
// thread with its own Session, all succeed by waiting for the write lock; a
// lock held longer than a busy timeout raises an OperationalError that says
// so; and a counter incremented from many threads loses no increment with the
// two documented patterns:
//
//   1. an UPDATE that computes the new value in SQL, in the session's
//      transaction: `session.connection().execute(r::update(t).values({{"value",
//      t.c("value") + 1}}).where(...))` (any dialect);
//   2. a read-modify-write of the ORM object in a transaction that holds the
//      write lock from its first read: EngineOptions::transaction_mode =
//      "immediate" on SQLite (BEGIN IMMEDIATE); on PostgreSQL, load the row
//      with `query<T>()...with_for_update()` (SELECT ... FOR UPDATE).
//
// The LostUpdate suite runs on PostgreSQL too (pg.LostUpdate.*).
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "reliability/crash_child.hpp"
#include "support/database_fixture.hpp"
#include "support/temp_dir.hpp"

namespace r = retort;
namespace fs = std::filesystem;
using reliability::ChildProcess;
using reliability::Entry;
using reliability::Tally;

namespace {

/// A gate the threads of a test wait at, so that they start together.
class StartGate {
 public:
  void wait() {
    std::unique_lock lock(mutex_);
    opened_.wait(lock, [&] { return open_; });
  }
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    opened_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable opened_;
  bool open_ = false;
};

/// Runs `work(i)` on `n` threads started together; the messages of what they threw.
template <class Work>
std::vector<std::string> on_threads(int n, Work work) {
  StartGate gate;
  std::mutex mutex;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      gate.wait();
      try {
        work(i);
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex);
        errors.push_back("thread " + std::to_string(i) + ": " + e.what());
      }
    });
  gate.open();
  for (auto& t : threads) t.join();
  return errors;
}

/// The models' tables (and only those: the program maps others).
void create_tables(r::Engine& engine) {
  r::MetaData md;
  md.add(*r::class_info<Entry>().table);
  md.add(*r::class_info<Tally>().table);
  md.create_all(engine);
}

std::int64_t scalar(r::Engine& engine, const std::string& sql) {
  auto conn = engine.connect();
  return conn.exec_driver_sql(sql).scalar<std::int64_t>();
}

const r::Table& tally_table() { return *r::class_info<Tally>().table; }

/// A SQLite file with the tables and the counter row (id 1, value 0).
class Concurrency : public ::testing::Test {
 protected:
  Concurrency() {
    r::Engine engine(url());
    create_tables(engine);
    r::Session s(engine);
    s.add(Tally{.id = 1, .value = 0});
    s.commit();
  }
  std::string url() const { return "sqlite:///" + file().string(); }
  fs::path file() const { return dir_ / "shared.db"; }

  r::testing::TempDir dir_;
};

// ---- many writers ------------------------------------------------------------------

TEST_F(Concurrency, TwoProcessesAndEightThreadsWritingOneFileAllSucceedAndEveryRowIsThere) {
  constexpr int kThreads = 8, kProcesses = 2, kTransactions = 25, kRows = 20;
  std::vector<std::unique_ptr<ChildProcess>> children;
  for (int p = 0; p < kProcesses; ++p) {
    children.push_back(std::make_unique<ChildProcess>(std::vector<std::string>{
        "write", url(), std::to_string(100 + p), std::to_string(kTransactions), std::to_string(kRows)}));
  }
  for (auto& c : children) ASSERT_TRUE(c->wait_for('W', std::chrono::minutes(1))) << c->markers();

  r::Engine engine(url());  // shared by the threads; each has its own Session
  std::atomic<std::int64_t> longest_commit_us{0};
  auto started = std::chrono::steady_clock::now();
  for (auto& c : children) c->send('g');
  auto errors = on_threads(kThreads, [&](int writer) {
    r::Session s(engine);
    std::int64_t seq = 0;
    for (int t = 0; t < kTransactions; ++t) {
      for (int i = 0; i < kRows; ++i) s.add(Entry{.writer = writer, .seq = seq++});
      auto before = std::chrono::steady_clock::now();
      s.commit();
      std::int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - before).count();
      for (auto prev = longest_commit_us.load(); us > prev && !longest_commit_us.compare_exchange_weak(prev, us);) {
      }
    }
  });
  for (auto& c : children) {
    EXPECT_EQ(c->wait(), 0) << "a writer process failed (its error is above)";
    EXPECT_TRUE(c->saw('D')) << c->markers();
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  for (auto& e : errors) ADD_FAILURE() << e;

  constexpr std::int64_t kPerWriter = kTransactions * kRows;
  EXPECT_EQ(scalar(engine, "SELECT count(*) FROM concurrency_entry"), (kThreads + kProcesses) * kPerWriter);
  auto conn = engine.connect();
  auto per_writer = conn.exec_driver_sql("SELECT writer, count(*), count(DISTINCT seq) FROM concurrency_entry GROUP BY writer").all();
  EXPECT_EQ(per_writer.size(), static_cast<std::size_t>(kThreads + kProcesses));
  for (auto& row : per_writer) {
    EXPECT_EQ(row[1].as_int(), kPerWriter) << "writer " << row[0].as_int();
    EXPECT_EQ(row[2].as_int(), kPerWriter) << "writer " << row[0].as_int();
  }
  std::cout << "[ measured ] " << (kThreads + kProcesses) * kPerWriter << " rows in "
            << (kThreads + kProcesses) * kTransactions << " transactions of " << kThreads << " threads and "
            << kProcesses << " processes: " << seconds << " s; longest commit (waiting for the lock) "
            << longest_commit_us.load() / 1000.0 << " ms\n";
}

// ---- a lock held too long ------------------------------------------------------------

TEST_F(Concurrency, LockHeldPastTheBusyTimeoutRaisesOperationalErrorNamingFileTimeoutAndFix) {
  r::EngineOptions impatient;
  impatient.busy_timeout_ms = 100;
  r::Engine waiting(url(), impatient);
  r::Session s(waiting);
  for (int i = 0; i < 10; ++i) s.add(Entry{.writer = 1, .seq = i});
  s.commit();  // committed before the other connection takes the lock

  r::Engine holding(url());
  auto conn = holding.connect();
  auto tx = conn.begin();
  conn.exec_driver_sql("INSERT INTO concurrency_entry (writer, seq) VALUES (2, 0)");  // holds the write lock

  s.add(Entry{.writer = 1, .seq = 10});
  auto before = std::chrono::steady_clock::now();
  try {
    s.commit();
    FAIL() << "the commit did not wait for the lock";
  } catch (const r::OperationalError& e) {
    auto waited = std::chrono::steady_clock::now() - before;
    std::string what = e.what();
    std::cout << "[ message  ] " << what << "\n";
    EXPECT_GE(waited, std::chrono::milliseconds(90)) << "it did not wait for the busy timeout";
    EXPECT_TRUE(e.retryable());
    EXPECT_EQ(e.code(), "locked");
    EXPECT_EQ(e.db_message(), "database is locked");
    EXPECT_NE(what.find("database is locked"), std::string::npos) << what;
    EXPECT_NE(what.find("'" + file().string() + "'"), std::string::npos) << "the message does not name the file: " << what;
    EXPECT_NE(what.find("busy timeout (100 ms)"), std::string::npos) << "the message does not name the timeout: " << what;
    EXPECT_NE(what.find("EngineOptions::busy_timeout_ms"), std::string::npos) << "no fix: " << what;
    EXPECT_NE(what.find("keep write transactions short"), std::string::npos) << "no fix: " << what;
  }
  tx.rollback();

  // The session needs rollback() after a failed flush; what it committed before is intact.
  s.rollback();
  EXPECT_EQ(scalar(waiting, "SELECT count(*) FROM concurrency_entry WHERE writer = 1"), 10);
  EXPECT_EQ(scalar(waiting, "SELECT count(*) FROM concurrency_entry WHERE writer = 2"), 0);
  s.add(Entry{.writer = 1, .seq = 10});
  s.commit();  // the lock is free again: running it again works
  EXPECT_EQ(scalar(waiting, "SELECT count(*) FROM concurrency_entry WHERE writer = 1"), 11);
}

TEST_F(Concurrency, WriteAfterAReadWhileAnotherWritesIsRefusedAtOnceSayingWhy) {
  r::Engine engine(url());  // a busy timeout of 5 s, which SQLite does not use here
  r::Session s(engine);
  s.connection();                // BEGIN (deferred)
  auto tally = s.get<Tally>(1);  // a read transaction
  r::Engine other(url());
  auto writer = other.connect();
  auto tx = writer.begin();
  writer.exec_driver_sql("UPDATE concurrency_tally SET value = 5 WHERE id = 1");  // holds the write lock
  tally->value += 1;
  auto before = std::chrono::steady_clock::now();
  try {
    s.commit();
    FAIL() << "the write went through while another connection held the lock";
  } catch (const r::OperationalError& e) {
    std::string what = e.what();
    EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::milliseconds(2500)) << "it waited";
    EXPECT_TRUE(e.retryable());
    EXPECT_NE(what.find("refuses at once"), std::string::npos) << what;
    EXPECT_EQ(what.find("busy timeout (5000 ms)"), std::string::npos) << "a timeout that was not waited for: " << what;
    EXPECT_NE(what.find("transaction_mode = \"immediate\""), std::string::npos) << what;
  }
  s.rollback();
  tx.rollback();
  EXPECT_EQ(scalar(engine, "SELECT value FROM concurrency_tally WHERE id = 1"), 0) << "nothing was written";
}

TEST_F(Concurrency, WriteAfterAReadThatAnotherWriterOvertookRaisesRetryableErrorSayingWhy) {
  r::Engine engine(url());
  r::Session s(engine);
  s.connection();                        // BEGIN (deferred): the transaction starts here
  auto tally = s.get<Tally>(1);          // ... and reads a snapshot
  ASSERT_EQ(tally->value, 0);
  r::Engine other(url());
  other.connect().exec_driver_sql("UPDATE concurrency_tally SET value = 5 WHERE id = 1");  // commits
  tally->value += 1;
  try {
    s.commit();  // writing 1 would overwrite the 5 it never saw
    FAIL() << "the stale write went through";
  } catch (const r::OperationalError& e) {
    std::string what = e.what();
    std::cout << "[ message  ] " << what << "\n";
    EXPECT_TRUE(e.retryable());
    EXPECT_NE(what.find("SQLITE_BUSY_SNAPSHOT"), std::string::npos) << what;
    EXPECT_NE(what.find("transaction_mode = \"immediate\""), std::string::npos) << what;
  }
  s.rollback();
  EXPECT_EQ(scalar(engine, "SELECT value FROM concurrency_tally WHERE id = 1"), 5);
}

// ---- a counter, incremented from eight threads -----------------------------------------

constexpr int kWorkers = 8, kIncrements = 50;

TEST_F(Concurrency, ImmediateTransactionsMakeTheSecondReaderWaitForTheFirstCommit) {
  r::EngineOptions immediate;
  immediate.transaction_mode = "immediate";
  r::Engine engine(url(), immediate);
  r::Session first(engine);
  auto mine = first.get<Tally>(1);  // BEGIN IMMEDIATE: the write lock, from the first read on
  std::int64_t seen_by_second = -1;
  std::chrono::steady_clock::duration waited{};
  std::thread second([&] {
    r::Session s(engine);
    auto before = std::chrono::steady_clock::now();
    auto theirs = s.get<Tally>(1);  // waits for `first` to commit, then reads its value
    waited = std::chrono::steady_clock::now() - before;
    seen_by_second = theirs->value;
    theirs->value += 1;
    s.commit();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  mine->value += 1;
  first.commit();
  second.join();
  EXPECT_EQ(seen_by_second, 1) << "the second session read before the first committed";
  EXPECT_GE(waited, std::chrono::milliseconds(150));
  EXPECT_EQ(scalar(engine, "SELECT value FROM concurrency_tally WHERE id = 1"), 2);
}

TEST_F(Concurrency, OrmReadModifyWriteInImmediateTransactionsFromEightThreadsLosesNoIncrement) {
  r::EngineOptions immediate;
  immediate.transaction_mode = "immediate";
  r::Engine engine(url(), immediate);
  auto errors = on_threads(kWorkers, [&](int) {
    for (int k = 0; k < kIncrements; ++k) {
      r::Session s(engine);
      auto tally = s.get<Tally>(1);
      tally->value += 1;
      s.commit();
    }
  });
  for (auto& e : errors) ADD_FAILURE() << e;
  EXPECT_EQ(scalar(engine, "SELECT value FROM concurrency_tally WHERE id = 1"), kWorkers * kIncrements);
}

TEST(EngineOptionsTransactionMode, AnUnknownModeIsRefusedNamingTheValidOnes) {
  r::EngineOptions o;
  o.transaction_mode = "immediately";
  try {
    r::Engine engine("sqlite://", o);
    FAIL() << "accepted";
  } catch (const r::ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("'immediately'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("\"immediate\""), std::string::npos) << e.what();
  }
}

// ---- the same, on either backend (pg.LostUpdate.*) -------------------------------------

class LostUpdate : public r::testing::DatabaseTest {
 protected:
  LostUpdate() {
    create_tables(engine());
    r::Session s(engine());
    s.add(Tally{.id = 1, .value = 0});
    s.commit();
  }
  std::int64_t value() { return scalar(engine(), "SELECT value FROM concurrency_tally WHERE id = 1"); }
};

TEST_F(LostUpdate, NaiveReadModifyWriteOfTwoSessionsLosesOneIncrement) {
  // What the patterns below prevent: both read 0, both write 1.
  r::Session a(engine()), b(engine());
  auto ta = a.get<Tally>(1);
  auto tb = b.get<Tally>(1);
  ta->value += 1;
  tb->value += 1;
  a.commit();
  b.commit();
  EXPECT_EQ(value(), 1) << "two increments, one lost";
}

TEST_F(LostUpdate, UpdateComputedInSqlFromEightThreadsLosesNoIncrement) {
  const r::Table& t = tally_table();
  auto errors = on_threads(kWorkers, [&](int) {
    for (int k = 0; k < kIncrements; ++k) {
      r::Session s(engine());
      s.connection().execute(r::update(t).values({{"value", t.c("value") + 1}}).where(t.c("id") == 1));
      s.commit();
    }
  });
  for (auto& e : errors) ADD_FAILURE() << e;
  EXPECT_EQ(value(), kWorkers * kIncrements);
}

TEST_F(LostUpdate, OrmReadModifyWriteAfterLockingTheRowFromEightThreadsLosesNoIncrement) {
  // SQLite: BEGIN IMMEDIATE locks the database (FOR UPDATE is not rendered);
  // PostgreSQL: the SELECT ... FOR UPDATE locks the row (transaction_mode is ignored).
  r::EngineOptions immediate;
  immediate.transaction_mode = "immediate";
  r::Engine locking(url(), immediate);
  auto errors = on_threads(kWorkers, [&](int) {
    for (int k = 0; k < kIncrements; ++k) {
      r::Session s(locking);
      auto tally = s.query<Tally>().filter(r::col(&Tally::id) == 1).with_for_update().one();
      tally->value += 1;
      s.commit();
    }
  });
  for (auto& e : errors) ADD_FAILURE() << e;
  EXPECT_EQ(value(), kWorkers * kIncrements);
}

}  // namespace
