// Engine and Connection on each backend: executing, typed rows, the
// compiled-statement and prepared-statement caches, executemany, echo, the pool.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "retort/core/config.hpp"
#include "retort/core/dialect.hpp"
#include "retort/core/engine.hpp"
#include "retort/core/error.hpp"
#include "retort/core/schema.hpp"
#include "support/database_fixture.hpp"

namespace r = retort;
using r::testing::SeedTables;
using r::testing::on_postgres;

class EngineTest : public r::testing::DatabaseTest {};

TEST_F(EngineTest, InsertAndSelectTypedRows) {
  SeedTables t;
  t.metadata.create_all(engine());
  auto conn = engine().connect();
  auto insert = r::insert(t.owner).values({{"name", "Ann"}});
  // PostgreSQL has no lastrowid: generated keys come back with RETURNING there.
  auto id = on_postgres() ? conn.execute(insert.returning({t.owner.c("id")})).scalar<std::int64_t>()
                          : conn.execute(insert).lastrowid();
  EXPECT_EQ(id, 1);
  conn.execute(r::insert(t.pet).values({{"name", "Rex"}, {"owner_id", id}}));
  auto rows = conn.execute(r::select(t.pet));
  ASSERT_TRUE(rows.next());
  const r::Row& row = rows.row();
  EXPECT_EQ(row.get<std::int64_t>("id"), 1);
  EXPECT_EQ(row.get<std::string>(1), "Rex");
  EXPECT_EQ(row.get<std::optional<std::string>>("species"), std::nullopt);
  EXPECT_THROW(row.get<std::string>("species"), r::ArgumentError);
  EXPECT_EQ(row.get<int>("owner_id"), 1);
  EXPECT_THROW(row.get<int>("nope"), r::ArgumentError);
  EXPECT_FALSE(rows.next());
}

TEST_F(EngineTest, ForeignKeysAreEnforced) {
  SeedTables t;
  t.metadata.create_all(engine());
  auto conn = engine().connect();
  if (!on_postgres()) {
    EXPECT_EQ(conn.exec_driver_sql("PRAGMA foreign_keys").scalar<int>(), 1);
  }
  EXPECT_THROW(conn.execute(r::insert(t.pet).values({{"name", "Rex"}, {"owner_id", 42}})), r::IntegrityError);
}

TEST_F(EngineTest, FileDatabaseUsesWalAndBusyTimeout) {
  RETORT_SQLITE_ONLY("journal mode and busy timeout are SQLite settings");
  auto conn = engine().connect();
  EXPECT_EQ(conn.exec_driver_sql("PRAGMA journal_mode").scalar<std::string>(), "wal");
  EXPECT_EQ(conn.exec_driver_sql("PRAGMA busy_timeout").scalar<int>(), 5000);
}

TEST_F(EngineTest, CompiledOnceForThousandExecutions) {
  SeedTables t;
  t.metadata.create_all(engine());
  auto conn = engine().connect();
  auto before = engine().stats();
  for (int i = 0; i < 1000; ++i)
    conn.execute(r::insert(t.owner).values({{"name", "owner " + std::to_string(i)}}));
  auto after = engine().stats();
  EXPECT_EQ(after.compilations - before.compilations, 1u);
  EXPECT_EQ(after.compile_cache_hits - before.compile_cache_hits, 999u);
  EXPECT_EQ(after.prepares - before.prepares, 1u);
  EXPECT_EQ(after.prepare_cache_hits - before.prepare_cache_hits, 999u);
  EXPECT_EQ(after.statements - before.statements, 1000u);
  EXPECT_EQ(conn.execute(r::select({r::func::count()}).select_from(t.owner)).scalar<int>(), 1000);
}

TEST_F(EngineTest, ExecuteManyReusesOnePreparedStatement) {
  SeedTables t;
  t.metadata.create_all(engine());
  auto conn = engine().connect();
  std::vector<r::Params> rows;
  for (int i = 0; i < 1000; ++i) rows.push_back({{"name", "owner " + std::to_string(i)}});
  take_statements();
  auto before = engine().stats();
  conn.execute_many(r::insert(t.owner), rows);
  auto after = engine().stats();
  auto stmts = take_statements();
  ASSERT_EQ(stmts.size(), 1000u);
  EXPECT_EQ(stmts.front(), "INSERT INTO owner (name) VALUES (?)");
  EXPECT_EQ(after.prepares - before.prepares, 1u);
  EXPECT_EQ(conn.execute(r::select({r::func::count()}).select_from(t.owner)).scalar<int>(), 1000);
}

TEST_F(EngineTest, NestedReadsOfOneStatementDoNotCollide) {
  SeedTables t;
  t.metadata.create_all(engine());
  auto conn = engine().connect();
  conn.execute_many(r::insert(t.owner), {{{"name", "a"}}, {{"name", "b"}}});
  int pairs = 0;
  for (auto& outer : conn.execute(r::select(t.owner))) {
    (void)outer;
    for (auto& inner : conn.execute(r::select(t.owner))) {
      (void)inner;
      ++pairs;
    }
  }
  EXPECT_EQ(pairs, 4);
}

TEST_F(EngineTest, HostileStringStoredVerbatim) {
  SeedTables t;
  t.metadata.create_all(engine());
  auto conn = engine().connect();
  std::string evil = "'); DROP TABLE owner; --";
  conn.execute(r::insert(t.owner).values({{"name", evil}}));
  EXPECT_EQ(conn.execute(r::select({t.owner.c("name")}).where(t.owner.c("name") == evil)).scalar<std::string>(), evil);
  EXPECT_TRUE(engine().dialect().has_table(conn, "owner"));
}

TEST_F(EngineTest, ValuesOfEveryStorageKindRoundTrip) {
  auto conn = engine().connect();
  conn.exec_driver_sql(on_postgres() ? "CREATE TABLE v (i BIGINT, d DOUBLE PRECISION, t TEXT, b BYTEA, n INTEGER)"
                                      : "CREATE TABLE v (i INTEGER, d FLOAT, t TEXT, b BLOB, n INTEGER)");
  std::vector<r::Value> in{std::int64_t{-9007199254740993}, 2.5, std::string("x'y\\"), r::Bytes{0, 1, 255}, nullptr};
  conn.exec_driver_sql(sql("INSERT INTO v VALUES (?, ?, ?, ?, ?)"), in);
  auto row = conn.exec_driver_sql("SELECT i, d, t, b, n FROM v").one();
  EXPECT_EQ(row, in);
}

TEST_F(EngineTest, TextWithANulCharacterIsKeptOnSqliteAndRefusedOnPostgresql) {
  auto conn = engine().connect();
  conn.exec_driver_sql("CREATE TABLE v (t TEXT)");
  std::vector<r::Value> in{std::string("x\0y", 3)};
  if (on_postgres()) {
    // libpq would cut the value at the NUL: refused with the fix instead of stored short.
    try {
      conn.exec_driver_sql(sql("INSERT INTO v VALUES (?)"), in);
      FAIL() << "expected DataError";
    } catch (const r::DataError& e) {
      EXPECT_NE(std::string(e.what()).find("LargeBinary"), std::string::npos) << e.what();
    }
    EXPECT_EQ(conn.exec_driver_sql("SELECT count(*) FROM v").scalar<int>(), 0);
  } else {
    conn.exec_driver_sql(sql("INSERT INTO v VALUES (?)"), in);
    EXPECT_EQ(conn.exec_driver_sql("SELECT t FROM v").one(), in);
  }
}

TEST_F(EngineTest, NamedParametersInText) {
  auto conn = engine().connect();
  EXPECT_EQ(conn.execute(r::text("SELECT :a + :b"), {{"a", 2}, {"b", 3}}).scalar<int>(), 5);
  EXPECT_THROW(conn.execute(r::text("SELECT :a"), {}), r::ArgumentError);
}

TEST_F(EngineTest, OneAndFirst) {
  SeedTables t;
  t.metadata.create_all(engine());
  auto conn = engine().connect();
  EXPECT_THROW(conn.execute(r::select(t.owner)).one(), r::NoResultFound);
  EXPECT_FALSE(conn.execute(r::select(t.owner)).first());
  conn.execute_many(r::insert(t.owner), {{{"name", "a"}}, {{"name", "b"}}});
  EXPECT_THROW(conn.execute(r::select(t.owner)).one(), r::MultipleResultsFound);
  EXPECT_EQ((*conn.execute(r::select(t.owner).order_by({t.owner.c("name").desc()})).first())[1].as_text(), "b");
}

TEST_F(EngineTest, RowcountOfUpdateAndDelete) {
  SeedTables t;
  t.metadata.create_all(engine());
  auto conn = engine().connect();
  conn.execute_many(r::insert(t.owner), {{{"name", "a"}}, {{"name", "b"}}, {{"name", "c"}}});
  EXPECT_EQ(conn.execute(r::update(t.owner).values({{"name", r::func::upper(t.owner.c("name"))}}).where(t.owner.c("id") > 1)).rowcount(), 2);
  EXPECT_EQ(conn.execute(r::delete_(t.owner).where(t.owner.c("name") == "a")).rowcount(), 1);
}

TEST_F(EngineTest, ReturningGivesGeneratedKey) {
  SeedTables t;
  t.metadata.create_all(engine());
  auto conn = engine().connect();
  auto r1 = conn.execute(r::insert(t.owner).values({{"name", "a"}}).returning({t.owner.c("id")}));
  EXPECT_EQ(r1.scalar<int>(), 1);
}

TEST_F(EngineTest, EchoLogsStatementAndParameters) {
  std::vector<std::string> lines;
  r::EngineOptions o;
  o.echo = true;
  o.echo_sink = [&](std::string_view l) { lines.emplace_back(l); };
  r::Engine e(url(), o);
  auto conn = e.connect();
  conn.execute(r::text("SELECT :x"), {{"x", 42}});
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], sql("SELECT ?"));
  EXPECT_NE(lines[1].find("(42,)"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("generated in "), std::string::npos) << lines[1];
}

TEST_F(EngineTest, MemoryDatabaseIsSharedByConnections) {
  r::Engine e("sqlite://");
  {
    auto c1 = e.connect();
    c1.exec_driver_sql("CREATE TABLE t (x INTEGER)");
    c1.exec_driver_sql("INSERT INTO t VALUES (1)");
  }
  auto c2 = e.connect();
  EXPECT_EQ(c2.exec_driver_sql("SELECT count(*) FROM t").scalar<int>(), 1);
}

TEST_F(EngineTest, CannotOpenNamesTheFile) {
  r::Engine e("sqlite:////nonexistent-dir-retort/x.db");
  try {
    e.connect();
    FAIL() << "expected OperationalError";
  } catch (const r::OperationalError& err) {
    EXPECT_NE(std::string(err.what()).find("/nonexistent-dir-retort/x.db"), std::string::npos) << err.what();
  }
}

TEST_F(EngineTest, SyntaxErrorIsProgrammingErrorWithSql) {
  auto conn = engine().connect();
  try {
    conn.exec_driver_sql("SELEC 1");
    FAIL();
  } catch (const r::ProgrammingError& e) {
    EXPECT_EQ(e.sql(), "SELEC 1");
    EXPECT_EQ(e.sqlstate(), "42601");
  }
  try {
    conn.exec_driver_sql("SELECT * FROM missing_table");
    FAIL();
  } catch (const r::ProgrammingError& e) {
    EXPECT_EQ(e.sqlstate(), "42P01");
    EXPECT_NE(std::string(e.what()).find("missing_table"), std::string::npos);
  }
}

TEST_F(EngineTest, UnknownDialectIsArgumentError) {
  EXPECT_THROW(r::Engine("mysql://u@h/db"), r::ArgumentError);
}

TEST_F(EngineTest, EmptyBlobAndEmptyTextAreNotNull) {
  auto conn = engine().connect();
  conn.exec_driver_sql(on_postgres() ? "CREATE TABLE e (b BYTEA NOT NULL, t TEXT NOT NULL)"
                                      : "CREATE TABLE e (b BLOB NOT NULL, t TEXT NOT NULL)");
  std::vector<r::Value> in{r::Bytes{}, std::string()};
  conn.exec_driver_sql(sql("INSERT INTO e VALUES (?, ?)"), in);
  EXPECT_EQ(conn.exec_driver_sql("SELECT b, t FROM e").one(), in);
}

TEST_F(EngineTest, ParametersMayBeGoneBeforeTheRowsAreRead) {
  // The driver keeps what a query needs to step on; a write's RETURNING rows
  // are made in the first step (ASan checks that nothing reads freed values).
  auto conn = engine().connect();
  conn.exec_driver_sql("CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT)");
  for (int i = 0; i < 50; ++i) {
    std::vector<r::Value> row{std::int64_t{i}, std::string(40, static_cast<char>('a' + i % 26))};
    conn.exec_driver_sql(sql("INSERT INTO p VALUES (?, ?)"), row);
  }
  auto query = [&] {
    std::vector<r::Value> params{std::string(40, 'm')};
    return conn.exec_driver_sql(sql("SELECT id FROM p WHERE name >= ? ORDER BY id"), params);
  }();
  std::int64_t matched = 0;
  for (const r::Row& row : query) matched += row.get<std::int64_t>(0) % 26 >= 12;
  EXPECT_EQ(matched, 26) << "the names from 'm' on: ids with i % 26 >= 12";
  auto written = [&] {
    std::vector<r::Value> params{std::string(40, 'z'), std::int64_t{10}};
    return conn.exec_driver_sql(sql("UPDATE p SET name = ? WHERE id < ? RETURNING name"), params);
  }();
  int renamed = 0;
  for (const r::Row& row : written) renamed += row.get<std::string>(0) == std::string(40, 'z');
  EXPECT_EQ(renamed, 10);
}

TEST_F(EngineTest, DroppingATableAnUnfinishedResultReadsNamesTheResult) {
  RETORT_SQLITE_ONLY("SQLITE_LOCKED: a statement of the same connection holds the table");
  auto conn = engine().connect();
  conn.exec_driver_sql("CREATE TABLE held (id INTEGER)");
  conn.exec_driver_sql("INSERT INTO held VALUES (1), (2)");
  auto reading = conn.exec_driver_sql("SELECT id FROM held");
  ASSERT_TRUE(reading.next());
  try {
    conn.exec_driver_sql("DROP TABLE held");
    FAIL() << "the table was dropped under an unfinished Result";
  } catch (const r::OperationalError& e) {
    EXPECT_EQ(e.code(), "locked");
    EXPECT_FALSE(e.retryable()) << "running it again meets the same Result";
    EXPECT_NE(std::string(e.what()).find("close() it first"), std::string::npos) << e.what();
  }
  reading.close();
  conn.exec_driver_sql("DROP TABLE held");  // with the Result closed, it goes
}

TEST_F(EngineTest, IntOrNullAndTextOrNullTellNullFromZeroAndEmpty) {
  auto conn = engine().connect();
  conn.exec_driver_sql(on_postgres() ? "CREATE TABLE z (i BIGINT, t TEXT, b BYTEA)" : "CREATE TABLE z (i INTEGER, t TEXT, b BLOB)");
  std::vector<r::Value> zero_empty{std::int64_t{0}, std::string(), r::Bytes{}};
  std::vector<r::Value> nulls{r::Value(), r::Value(), r::Value()};
  std::vector<r::Value> set{std::int64_t{-7}, std::string("seven"), r::Bytes{}};
  for (auto* row : {&zero_empty, &nulls, &set}) conn.exec_driver_sql(sql("INSERT INTO z VALUES (?, ?, ?)"), *row);
  auto result = conn.exec_driver_sql("SELECT i, t, b FROM z");
  std::vector<std::string> seen;
  for (const r::Row& row : result) {
    auto i = row.int_or_null(0);
    auto t = row.text_or_null(1);
    // SQLite: a zero-length blob read as text is empty, not NULL (PostgreSQL spells bytea as text "\\x").
    auto b = on_postgres() ? std::optional<std::string_view>(row.is_null(2) ? std::nullopt : std::optional(std::string_view()))
                           : row.text_or_null(2);
    seen.push_back((i ? std::to_string(*i) : "NULL") + "|" + (t ? "'" + std::string(*t) + "'" : "NULL") + "|" +
                   (b ? "'" + std::string(*b) + "'" : "NULL"));
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"-7|'seven'|''", "0|''|''", "NULL|NULL|NULL"}));
}

// ---- the pool ----------------------------------------------------------------

TEST_F(EngineTest, ThePoolWaitsForAFreeConnectionThenTimesOutNamingTheLimits) {
  r::EngineOptions o;
  o.pool_size = 2;
  o.max_overflow = 1;
  o.pool_timeout_s = 1;
  r::Engine e(url(), o);
  std::vector<r::Connection> held;
  for (int k = 0; k < 3; ++k) held.push_back(e.connect());
  try {
    e.connect();
    FAIL() << "expected PoolTimeoutError";
  } catch (const r::PoolTimeoutError& err) {
    EXPECT_TRUE(err.retryable());
    EXPECT_NE(std::string(err.what()).find("QueuePool limit of size 2 overflow 1 reached, connection timed out, timeout 1.00"),
              std::string::npos)
        << err.what();
  }
  EXPECT_EQ(e.stats().pool_timeouts, 1u);
  // A connection returned by another thread while one waits is handed over.
  std::thread giver([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    held.pop_back();
  });
  auto waited = e.connect();
  giver.join();
  EXPECT_EQ(waited.exec_driver_sql("SELECT 1").scalar<int>(), 1);
  held.clear();
  { auto drop = std::move(waited); }
  auto s = e.stats();
  EXPECT_EQ(s.connections_opened, 3u);
  EXPECT_EQ(s.connections_checked_out, 0u);
  EXPECT_EQ(s.connections_idle, 2u);    // pool_size kept...
  EXPECT_EQ(s.connections_closed, 1u);  // ...the overflow one closed
}

TEST_F(EngineTest, ThePoolReplacesConnectionsOlderThanPoolRecycle) {
  r::EngineOptions o;
  o.pool_recycle_s = 0.5;
  r::Engine e(url(), o);
  { auto c = e.connect(); }
  { auto c = e.connect(); }
  EXPECT_EQ(e.stats().connections_opened, 1u);  // reused while young
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  { auto c = e.connect(); }
  EXPECT_EQ(e.stats().connections_opened, 2u);
  EXPECT_EQ(e.stats().connections_closed, 1u);
}

TEST_F(EngineTest, PoolSettingsComeFromTheConfig) {
  r::Config config;
  config.set("SQLALCHEMY_POOL_SIZE", "3");
  config.set("SQLALCHEMY_MAX_OVERFLOW", "0");
  config.set("SQLALCHEMY_POOL_TIMEOUT", "2.5");
  config.set("SQLALCHEMY_POOL_RECYCLE", "3600");
  config.set("SQLALCHEMY_POOL_PRE_PING", "true");
  auto o = r::EngineOptions::from_config(config);
  EXPECT_EQ(o.pool_size, 3u);
  EXPECT_EQ(o.max_overflow, 0u);
  EXPECT_DOUBLE_EQ(o.pool_timeout_s, 2.5);
  EXPECT_DOUBLE_EQ(o.pool_recycle_s, 3600);
  EXPECT_TRUE(o.pool_pre_ping);
  config.set("SQLALCHEMY_MAX_OVERFLOW", "-1");  // SQLAlchemy's "no limit"
  EXPECT_EQ(r::EngineOptions::from_config(config).max_overflow, r::EngineOptions::unlimited);
  config.set("SQLALCHEMY_POOL_TIMEOUT", "nan");
  EXPECT_THROW(r::EngineOptions::from_config(config), r::ConfigError);
  config.set("SQLALCHEMY_POOL_TIMEOUT", "30");
  config.set("SQLALCHEMY_POOL_SIZE", "-3");
  EXPECT_THROW(r::EngineOptions::from_config(config), r::ConfigError);
  config.set("SQLALCHEMY_POOL_SIZE", "five");
  try {
    r::EngineOptions::from_config(config);
    FAIL() << "expected ConfigError";
  } catch (const r::ConfigError& err) {
    EXPECT_NE(std::string(err.what()).find("SQLALCHEMY_POOL_SIZE = 'five' is not a number"), std::string::npos)
        << err.what();
  }
}
