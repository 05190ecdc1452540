// Read replicas: a Session reads from a streaming replica while its
// transaction has not written, writes on the primary, reads its own writes
// after a commit (by the commit's WAL position), and falls back to the
// primary, with no error, when a replica lags, stops or is unreachable.
// Against a real primary/replica pair (scripts/with-postgres.sh --replica).
#include <algorithm>
#include <string>
#include <vector>

#include "replica/replica_fixture.hpp"

namespace r = retort;

namespace replicated {

struct Book;
struct Author {
  std::int64_t id = 0;
  std::string name;
  r::Collection<Book> books;
};
struct Book {
  std::int64_t id = 0;
  std::string title;
  std::optional<std::int64_t> author_id;
};

}  // namespace replicated

template <>
struct retort::Mapping<replicated::Author> {
  static void map(Mapper<replicated::Author>& m) {
    m.table("rep_author");
    m.column(&replicated::Author::id, "id").primary_key();
    m.column(&replicated::Author::name, "name", String(50));
    m.relationship(&replicated::Author::books, "books").backref("author");
  }
};

template <>
struct retort::Mapping<replicated::Book> {
  static void map(Mapper<replicated::Book>& m) {
    m.table("rep_book");
    m.column(&replicated::Book::id, "id").primary_key();
    m.column(&replicated::Book::title, "title", String(80));
    m.column(&replicated::Book::author_id, "author_id").foreign_key("rep_author.id");
  }
};

namespace {

using replicated::Author;
using replicated::Book;

class Replicas : public r::testing::ReplicaTest {
 protected:
  void SetUp() override {
    ReplicaTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    r::Engine primary(primary_url());
    r::mapped_metadata().create_all(primary);
    r::Session s(primary);
    for (int a = 1; a <= 3; ++a) {
      auto author = s.add(Author{.name = "author " + std::to_string(a)});
      for (int b = 1; b <= 2; ++b) author->books.append(s.add(Book{.title = "book " + std::to_string(a) + "." + std::to_string(b)}));
    }
    s.commit();
    wait_for_replica();
  }
  /// Whether the session's next read is served by a server in recovery (the replica).
  static bool read_on_replica(r::Session& s) {
    return s.execute(r::select({r::func::call("pg_is_in_recovery", {})})).scalar<bool>();
  }
  static std::uint64_t replica_statements(r::Engine& e, std::size_t k = 0) { return e.replica_stats().at(k).statements; }
};

TEST_F(Replicas, ReadsOutsideAWriteAreServedByTheReplica) {
  r::Engine engine(primary_url(), with_replica());
  r::Session s(engine);
  EXPECT_TRUE(read_on_replica(s));
  auto before = replica_statements(engine);
  EXPECT_EQ(s.query<Author>().order_by("id").all().size(), 3u);
  EXPECT_EQ(s.query<Book>().count(), 6);
  EXPECT_EQ(replica_statements(engine), before + 2) << "both queries ran on the replica";
  EXPECT_EQ(engine.stats().statements, 0u) << "nothing ran on the primary";
}

TEST_F(Replicas, WritesAndTheSessionsOwnConnectionAreOnThePrimary) {
  r::Engine engine(primary_url(), with_replica());
  r::Session s(engine);
  EXPECT_FALSE(s.connection().execute(r::select({r::func::call("pg_is_in_recovery", {})})).scalar<bool>());
  s.rollback();
  s.add(Author{.name = "new"});
  s.commit();
  r::Engine primary(primary_url());
  EXPECT_EQ(r::Session(primary).query<Author>().count(), 4);
}

TEST_F(Replicas, AfterAFlushTheTransactionReadsFromThePrimary) {
  r::Engine engine(primary_url(), with_replica());
  r::Session s(engine);
  EXPECT_TRUE(read_on_replica(s));
  s.add(Author{.name = "flushed"});
  s.flush();
  EXPECT_FALSE(read_on_replica(s)) << "a transaction that wrote reads what it wrote";
  EXPECT_EQ(s.query<Author>().filter_by("name", std::string("flushed")).count(), 1);
  s.rollback();
  EXPECT_TRUE(read_on_replica(s)) << "the next transaction reads from the replica again";
}

TEST_F(Replicas, ObjectsReadOnTheReplicaAreWrittenOnThePrimary) {
  r::Engine engine(primary_url(), with_replica());
  r::Session s(engine);
  auto author = s.query<Author>().filter_by("name", std::string("author 1")).one();
  author->name = "renamed";
  author->books.append(s.add(Book{.title = "added"}));
  s.commit();
  r::Engine primary(primary_url());
  r::Session check(primary);
  EXPECT_EQ(check.query<Author>().filter_by("name", std::string("renamed")).count(), 1);
  EXPECT_EQ(check.query<Book>().count(), 7);
}

TEST_F(Replicas, LazyAndSelectinLoadsReadFromTheReplica) {
  r::Engine engine(primary_url(), with_replica());
  r::Session s(engine);
  auto authors = s.query<Author>().order_by("id").options(r::selectinload(&Author::books)).all();
  std::size_t books = 0;
  for (auto& a : authors) books += a->books.size();
  auto book = s.query<Book>().first();
  auto owner = r::backref<&Author::books>(book).get();  // a lazy many-to-one load
  EXPECT_EQ(books, 6u);
  EXPECT_TRUE(owner);
  EXPECT_EQ(engine.stats().statements, 0u) << "every read ran on the replica";
  EXPECT_GE(replica_statements(engine), 3u);
}

TEST_F(Replicas, YieldPerStreamsFromTheReplica) {
  r::Engine engine(primary_url(), with_replica());
  r::Session s(engine);
  int seen = 0;
  for (const auto& book : s.query<Book>().yield_per(2)) seen += !book.read().title.empty();
  EXPECT_EQ(seen, 6);
  EXPECT_EQ(engine.stats().statements, 0u);
}

TEST_F(Replicas, WithForUpdateLocksTheRowOnThePrimary) {
  r::Engine engine(primary_url(), with_replica());
  r::Session s(engine);
  auto author = s.query<Author>().filter_by("name", std::string("author 2")).with_for_update().one();
  EXPECT_GT(engine.stats().statements, 0u) << "FOR UPDATE ran on the primary (a standby refuses it)";
  EXPECT_FALSE(read_on_replica(s)) << "after locking rows, the transaction stays on the primary";
  author->name = "locked";
  s.commit();
}

TEST_F(Replicas, AReplicaWithNoFreeConnectionSendsTheReadToThePrimaryAtOnce) {
  r::EngineOptions o = with_replica();
  o.pool_size = 1;
  o.max_overflow = 0;
  o.pool_timeout_s = 30;
  r::Engine engine(primary_url(), o);
  r::Session holding(engine);
  ASSERT_TRUE(read_on_replica(holding));  // its transaction holds the replica's one connection
  r::Session next(engine);
  auto before = std::chrono::steady_clock::now();
  EXPECT_FALSE(read_on_replica(next)) << "the busy replica's read went to the primary";
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(5)) << "it waited for the replica's pool";
  next.close();
  holding.close();
  r::Session later(engine);
  EXPECT_TRUE(read_on_replica(later)) << "a busy replica is not set aside as a failed one";
}

TEST_F(Replicas, StatementHooksSeeWhatTheReplicaRuns) {
  r::Engine engine(primary_url(), with_replica());
  std::vector<std::string> seen;
  int hook = engine.add_statement_hook([&](const r::StatementEvent& e) { seen.emplace_back(e.sql); });
  r::Session s(engine);
  EXPECT_EQ(s.query<Author>().count(), 3);
  ASSERT_TRUE(read_on_replica(s));
  EXPECT_TRUE(std::any_of(seen.begin(), seen.end(), [](auto& sql) { return sql.find("count(*)") != std::string::npos; }))
      << "the replica's SELECT count(*) reached the engine's hook";
  s.close();
  engine.remove_statement_hook(hook);
  seen.clear();
  r::Session after(engine);
  EXPECT_EQ(after.query<Author>().count(), 3);
  EXPECT_TRUE(seen.empty()) << "a removed hook is removed from the replicas too";
}

TEST_F(Replicas, WithForUpdateCountsExistsAndStreamsOnThePrimary) {
  r::Engine engine(primary_url(), with_replica());
  auto locked = [&] { return engine.stats().statements; };
  {
    r::Session s(engine);
    EXPECT_EQ(s.query<Author>().with_for_update().count(), 3);
    EXPECT_GT(locked(), 0u) << "count() with FOR UPDATE ran on the primary";
  }
  auto before = locked();
  {
    r::Session s(engine);
    EXPECT_TRUE(s.query<Author>().with_for_update().exists());
    EXPECT_GT(locked(), before) << "exists() with FOR UPDATE ran on the primary";
  }
  before = locked();
  r::Session s(engine);
  int seen = 0;
  for (const auto& author : s.query<Author>().with_for_update().yield_per(2)) seen += !author.read().name.empty();
  EXPECT_EQ(seen, 3);
  EXPECT_GT(locked(), before) << "yield_per() with FOR UPDATE ran on the primary";
  EXPECT_FALSE(read_on_replica(s));
}

TEST_F(Replicas, ReadYourWritesAfterCommitWhileTheReplicaIsDelayed) {
  set_apply_delay("3s");
  r::Engine engine(primary_url(), with_replica());
  r::Session writer(engine);
  writer.add(Author{.name = "mine"});
  writer.commit();
  // The committing session sees its row at once: the replica has not replayed it, so the primary serves.
  EXPECT_FALSE(read_on_replica(writer));
  EXPECT_EQ(writer.query<Author>().filter_by("name", std::string("mine")).count(), 1);
  writer.commit();
  // Another session has no write to wait for: it reads from the replica, which does not have the row yet.
  r::Session other(engine);
  EXPECT_TRUE(read_on_replica(other));
  EXPECT_EQ(other.query<Author>().filter_by("name", std::string("mine")).count(), 0) << "the replica is not delayed";
  other.close();
  // Once the replica has replayed the commit, the writer reads from the replica again.
  wait_for_replica();
  EXPECT_TRUE(read_on_replica(writer));
  EXPECT_EQ(writer.query<Author>().filter_by("name", std::string("mine")).count(), 1);
}

TEST_F(Replicas, WithoutReadYourWritesADelayedReplicaServesAStaleRead) {
  set_apply_delay("3s");
  auto options = with_replica();
  options.read_your_writes_s = 0;
  r::Engine engine(primary_url(), options);
  r::Session writer(engine);
  writer.add(Author{.name = "mine"});
  writer.commit();
  EXPECT_TRUE(read_on_replica(writer));
  EXPECT_EQ(writer.query<Author>().filter_by("name", std::string("mine")).count(), 0)
      << "with the window at 0 the session reads the replica, which has not replayed its commit";
}

TEST_F(Replicas, AReplicaLaggingPastTheBoundIsSkipped) {
  set_apply_delay("4s");
  auto options = with_replica();
  options.replica_max_lag_s = 1;
  options.read_your_writes_s = 0;
  r::Engine engine(primary_url(), options);
  {
    r::Session writer(engine);
    writer.add(Author{.name = "lag"});
    writer.commit();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  r::Session reader(engine);
  EXPECT_FALSE(read_on_replica(reader)) << "the replica is 2 s behind, past the 1 s bound";
  EXPECT_EQ(reader.query<Author>().filter_by("name", std::string("lag")).count(), 1);
}

TEST_F(Replicas, ReadsRotateRoundRobinOverTheReplicas) {
  auto options = with_replica();
  options.replicas = {replica_url() + "&application_name=first", replica_url() + "&application_name=second"};
  r::Engine engine(primary_url(), options);
  for (int k = 0; k < 6; ++k) {
    r::Session s(engine);
    EXPECT_EQ(s.query<Author>().count(), 3);
  }
  EXPECT_GE(replica_statements(engine, 0), 3u);
  EXPECT_GE(replica_statements(engine, 1), 3u);
  EXPECT_EQ(engine.stats().statements, 0u);
}

TEST_F(Replicas, AnUnreachableReplicaIsSkippedWithoutAnError) {
  auto options = with_replica();
  options.replicas.insert(options.replicas.begin(), "postgresql://retort@127.0.0.1:1/retort_test?connect_timeout=2");
  r::Engine engine(primary_url(), options);
  for (int k = 0; k < 4; ++k) {
    r::Session s(engine);
    EXPECT_TRUE(read_on_replica(s)) << "session " << k;
    EXPECT_EQ(s.query<Author>().count(), 3);
  }
  EXPECT_EQ(replica_statements(engine, 0), 0u);
  EXPECT_GE(replica_statements(engine, 1), 8u);
}

TEST_F(Replicas, AStoppedReplicaFallsBackToThePrimaryWithNoErrorAndIsUsedAgainOnceBack) {
  auto options = with_replica();
  options.replica_retry_s = 0.5;
  r::Engine engine(primary_url(), options);
  {
    r::Session s(engine);
    EXPECT_TRUE(read_on_replica(s));
  }
  stop_replica();
  for (int k = 0; k < 3; ++k) {
    r::Session s(engine);
    EXPECT_NO_THROW({
      EXPECT_FALSE(read_on_replica(s));
      EXPECT_EQ(s.query<Author>().count(), 3);
    });
  }
  start_replica();
  wait_for_replica();
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // past replica_retry_s
  r::Session s(engine);
  EXPECT_TRUE(read_on_replica(s));
}

TEST_F(Replicas, AReplicaLostMidTransactionIsReadAgainOnThePrimary) {
  r::Engine engine(primary_url(), with_replica());
  r::Session s(engine);
  EXPECT_TRUE(read_on_replica(s));  // the session's read transaction is open on the replica
  stop_replica();
  std::vector<r::Ptr<Author>> authors;
  EXPECT_NO_THROW(authors = s.query<Author>().order_by("id").all());
  EXPECT_EQ(authors.size(), 3u);
  EXPECT_FALSE(read_on_replica(s));
  s.close();
  EXPECT_EQ(engine.stats().connections_checked_out, 0u);
}

TEST_F(Replicas, CommitAndRollbackEndTheReplicaTransaction) {
  r::Engine engine(primary_url(), with_replica());
  {
    r::Session s(engine);
    EXPECT_EQ(s.query<Author>().count(), 3);
    EXPECT_EQ(engine.replica_stats().at(0).transactions_open, 1);
    s.commit();
    EXPECT_EQ(engine.replica_stats().at(0).transactions_open, 0);
    EXPECT_EQ(s.query<Author>().count(), 3);
    s.rollback();
    EXPECT_EQ(engine.replica_stats().at(0).connections_checked_out, 0u);
  }
  EXPECT_EQ(engine.replica_stats().at(0).results_open, 0);
}

TEST_F(Replicas, DatabaseTakesTheReplicasFromConfig) {
  r::Config config;
  config.set("DATABASE_URL", primary_url());
  config.set("DATABASE_REPLICA_URLS", " " + replica_url() + " ,");
  r::Database db(config);
  auto s = db.session();
  EXPECT_TRUE(read_on_replica(s));
  EXPECT_EQ(s.query<Author>().count(), 3);
}

TEST(ReplicaConfig, AMalformedReplicaUrlIsAConfigErrorNamingTheSetting) {
  r::Config config;
  config.set("DATABASE_URL", "sqlite://");
  config.set("DATABASE_REPLICA_URLS", "postgresql://ok@127.0.0.1/db, not a url");
  try {
    (void)r::EngineOptions::from_config(config);
    FAIL() << "a malformed replica URL was accepted";
  } catch (const r::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("DATABASE_REPLICA_URLS"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not a url"), std::string::npos) << e.what();
  }
}

TEST(ReplicaConfig, ReplicasOfASqliteDatabaseAreRefused) {
  r::EngineOptions options;
  options.replicas = {"sqlite:///elsewhere.db"};
  try {
    r::Engine engine("sqlite://", options);
    FAIL() << "SQLite replicas were accepted";
  } catch (const r::ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("PostgreSQL streaming replicas"), std::string::npos) << e.what();
  }
}

}  // namespace
