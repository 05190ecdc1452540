// PostgreSQL's own behaviour against a real server, reached through
// RETORT_TEST_POSTGRES_URL (scripts/with-postgres.sh starts one): native
// types, SQLSTATEs, server-side prepared statements, transactional DDL. The
// shared suites run here too (see tests/CMakeLists.txt). Each test works in a
// schema of its own, so tests run side by side.
#include <gtest/gtest.h>

#include "../../examples/petshop/models.hpp"
#include "retort/core/dialect.hpp"
#include "retort/migrate.hpp"
#include "support/database_fixture.hpp"

namespace r = retort;
namespace m = retort::migrate;

namespace {

using Rows = std::vector<std::vector<r::Value>>;

// Run with RETORT_TEST_BACKEND=postgresql: DatabaseTest gives each test its schema.
class Postgres : public r::testing::DatabaseTest {
 protected:
  Rows rows(const std::string& sql) {
    auto conn = engine().connect();
    auto result = conn.exec_driver_sql(sql);
    Rows out;
    while (result.next()) {
      std::vector<r::Value> row;
      for (int i = 0; i < static_cast<int>(result.keys().size()); ++i) row.push_back(result.row()[i]);
      out.push_back(row);
    }
    return out;
  }
  void exec(const std::string& sql) {
    auto conn = engine().connect();
    conn.exec_driver_sql(sql);
  }
};

TEST_F(Postgres, ValuesRoundTripAsBoundParameters) {
  exec("CREATE TABLE v (i BIGINT, t TEXT, b BOOLEAN, f DOUBLE PRECISION, y BYTEA, n INTEGER)");
  auto conn = engine().connect();
  std::vector<r::Value> params{r::Value(std::int64_t{1} << 40), r::Value("'); DROP TABLE v; --"), r::Value(true),
                               r::Value(2.5), r::Value(r::Bytes{0, 1, 255}), r::Value()};
  conn.exec_driver_sql("INSERT INTO v VALUES ($1, $2, $3, $4, $5, $6)", params);
  auto row = rows("SELECT i, t, b, f, y, n FROM v");
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row[0][0], r::Value(std::int64_t{1} << 40));
  EXPECT_EQ(row[0][1], r::Value("'); DROP TABLE v; --"));
  EXPECT_EQ(row[0][2], r::Value(true));
  EXPECT_EQ(row[0][3], r::Value(2.5));
  EXPECT_EQ(row[0][4], r::Value(r::Bytes{0, 1, 255}));
  EXPECT_TRUE(row[0][5].is_null());
}

TEST_F(Postgres, ConstraintViolationsAreIntegrityErrorsWithTheirSqlstate) {
  exec("CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, n INTEGER CHECK (n > 0))");
  exec("CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id))");
  exec("INSERT INTO p VALUES (1, 'a', 1)");
  auto expect = [&](const std::string& sql, const std::string& state) {
    try {
      exec(sql);
      ADD_FAILURE() << "expected IntegrityError for " << sql;
    } catch (const r::IntegrityError& e) {
      EXPECT_EQ(e.details().sqlstate, state) << e.what();
      EXPECT_EQ(e.details().sql, sql);
    }
  };
  expect("INSERT INTO p VALUES (2, 'a', 1)", "23505");
  expect("INSERT INTO p VALUES (3, NULL, 1)", "23502");
  expect("INSERT INTO c VALUES (1, 99)", "23503");
  expect("INSERT INTO p VALUES (4, 'd', -1)", "23514");
  try {
    exec("SELECT * FROM nowhere");
    FAIL();
  } catch (const r::ProgrammingError& e) {
    EXPECT_EQ(e.details().sqlstate, "42P01");
  }
}

TEST_F(Postgres, ATransactionRollsBackAndPreparedStatementsAreReused) {
  exec("CREATE TABLE t (n INTEGER)");
  {
    auto conn = engine().connect();
    auto tx = conn.begin();
    for (int k = 0; k < 100; ++k) {
      std::vector<r::Value> p{r::Value(k)};
      conn.exec_driver_sql("INSERT INTO t VALUES ($1)", p);
    }
    tx.rollback();
  }
  EXPECT_EQ(rows("SELECT count(*) FROM t"), (Rows{{r::Value(0)}}));
  auto before = engine().stats();
  {
    auto conn = engine().connect();
    for (int k = 0; k < 50; ++k) {
      std::vector<r::Value> p{r::Value(k)};
      conn.exec_driver_sql("INSERT INTO t VALUES ($1)", p);
    }
  }
  auto after = engine().stats();
  EXPECT_GE(after.prepare_cache_hits - before.prepare_cache_hits, 49u);
}

TEST_F(Postgres, CreateAllWritesNativeTypesAndReflectionReadsThemBack) {
  r::MetaData md;
  r::Table(md, "owner", {r::Column("id", r::Integer()).primary_key(), r::Column("name", r::String(50)).not_null().unique()});
  r::Table(md, "pet", {r::Column("id", r::Integer()).primary_key(), r::Column("name", r::Text()),
                       r::Column("born", r::DateTime(true)), r::Column("price", r::Numeric(10, 2)),
                       r::Column("doc", r::JSON()), r::Column("raw", r::LargeBinary()), r::Column("ok", r::Boolean()),
                       r::Column("owner_id", r::Integer()).foreign_key("owner.id", "CASCADE").index()});
  md.create_all(engine());
  auto conn = engine().connect();
  auto live = m::Schema::reflect(conn);
  auto diff = m::compare(m::Schema::of(md), live, conn.dialect());
  std::vector<std::string> ops;
  for (auto& op : diff.upgrade) ops.push_back(m::describe(op));
  EXPECT_TRUE(diff.empty()) << ::testing::PrintToString(ops);
  auto& pet = live.table("pet");
  EXPECT_EQ(pet.foreign_keys.at(0).ondelete, "CASCADE");
  EXPECT_EQ(pet.indexes.at(0).name, "ix_pet_owner_id");
  EXPECT_EQ(live.table("owner").uniques.at(0).name, "uq_owner_name");
  EXPECT_TRUE(live.table("owner").columns.at(0).autoincrement.value_or(false));
}

TEST_F(Postgres, TheOrmReadsGeneratedKeysWithReturningAndLoadsRelationships) {
  r::mapped_metadata().create_all(engine());
  r::Session s(engine());
  auto ann = s.add(petshop::Owner{.name = "Ann"});
  ann->pets.append(s.add(petshop::Pet{.name = "Rex"}));
  ann->pets.append(s.add(petshop::Pet{.name = "Tom"}));
  auto u = s.add(petshop::User{.username = "u"});
  u->following.append(s.add(petshop::Channel{.name = "news"}));
  s.commit();
  EXPECT_GT(ann->id, 0);
  r::Session fresh(engine());
  auto owners = fresh.query<petshop::Owner>().options(r::selectinload(&petshop::Owner::pets)).all();
  ASSERT_EQ(owners.size(), 1u);
  EXPECT_EQ(owners[0]->pets.size(), 2u);
  auto joined = fresh.query<petshop::User>().options(r::joinedload(&petshop::User::following)).one();
  EXPECT_EQ(joined->following[0]->name, "news");
  EXPECT_EQ(fresh.query<petshop::Pet>().filter(r::col(&petshop::Pet::name).ilike("r%")).count(), 1);
}

TEST_F(Postgres, ThePetshopMigrationsUpgradeAndDowngradeAndCheckIsClean) {
  m::Migrator mig(engine(), m::RevisionGraph::load(std::string(RETORT_SOURCE) + "/examples/petshop/migrations/versions"));
  mig.upgrade();
  auto conn = engine().connect();
  auto names = conn.dialect().table_names(conn);
  EXPECT_EQ(names, (std::vector<std::string>{"channel", "owner", "pet", "program", "retort_version", "user",
                                             "user_channel", "workout"}));
  EXPECT_TRUE(m::compare(r::mapped_metadata(), conn).empty());
  mig.downgrade("base");
  EXPECT_EQ(conn.dialect().table_names(conn), (std::vector<std::string>{"retort_version"}));
  mig.upgrade();
  EXPECT_TRUE(m::compare(r::mapped_metadata(), conn).empty());
}

TEST_F(Postgres, AlterColumnIsAnAlterTableAndAFailedRevisionChangesNothing) {
  r::MetaData v1, v2;
  r::Table(v1, "pet", {r::Column("id", r::Integer()).primary_key(), r::Column("name", r::String(20))});
  r::Table(v2, "pet", {r::Column("id", r::Integer()).primary_key(), r::Column("name", r::Text()).not_null(),
                       r::Column("kind", r::String(10)).server_default("'dog'")});
  v1.create_all(engine());
  exec("INSERT INTO pet (name) VALUES ('Rex')");
  auto conn = engine().connect();
  auto diff = m::compare(v2, conn);
  auto schema = m::Schema::reflect(conn);
  std::vector<std::string> sql;
  for (auto& op : diff.upgrade) {
    for (auto& s : m::render(op, schema, conn.dialect())) sql.push_back(s);
    schema.apply(op);
  }
  EXPECT_EQ(sql, (std::vector<std::string>{"ALTER TABLE pet ALTER COLUMN name TYPE TEXT",
                                           "ALTER TABLE pet ALTER COLUMN name SET NOT NULL",
                                           "ALTER TABLE pet ADD COLUMN kind VARCHAR(10) DEFAULT 'dog'"}));
  for (auto& s : sql) conn.exec_driver_sql(s);
  EXPECT_TRUE(m::compare(v2, conn).empty());
  EXPECT_EQ(rows("SELECT name, kind FROM pet"), (Rows{{r::Value("Rex"), r::Value("dog")}}));
}

TEST_F(Postgres, AnUnreachableServerIsAnOperationalError) {
  try {
    r::Engine bad("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2");
    auto conn = bad.connect();
    FAIL() << "expected OperationalError";
  } catch (const r::OperationalError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot connect to postgresql://nobody@127.0.0.1:1/none"), std::string::npos)
        << e.what();
  }
}

}  // namespace

namespace {

TEST_F(Postgres, SerializationFailuresAndDeadlocksAreRetryableOperationalErrors) {
  auto conn = engine().connect();
  for (std::string state : {"40001", "40P01"}) {
    try {
      conn.exec_driver_sql("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '" + state + "'; END $$");
      ADD_FAILURE() << "expected OperationalError for " << state;
    } catch (const r::OperationalError& e) {
      EXPECT_TRUE(e.retryable()) << state;
      EXPECT_EQ(e.sqlstate(), state);
      EXPECT_NE(std::string(e.what()).find("run it again"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(conn.exec_driver_sql("SELECT 1").scalar<int>(), 1);  // the connection stays usable
}

TEST_F(Postgres, ARealSerializationConflictIsRetryable) {
  exec("CREATE TABLE account (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)");
  exec("INSERT INTO account VALUES (1, 100), (2, 100)");
  auto a = engine().connect(), b = engine().connect();
  a.exec_driver_sql("BEGIN ISOLATION LEVEL SERIALIZABLE");
  b.exec_driver_sql("BEGIN ISOLATION LEVEL SERIALIZABLE");
  a.exec_driver_sql("SELECT sum(balance) FROM account");
  b.exec_driver_sql("SELECT sum(balance) FROM account");
  a.exec_driver_sql("UPDATE account SET balance = balance - 10 WHERE id = 1");
  b.exec_driver_sql("UPDATE account SET balance = balance - 10 WHERE id = 2");
  a.exec_driver_sql("COMMIT");
  try {
    b.exec_driver_sql("COMMIT");
    FAIL() << "expected a serialization failure";
  } catch (const r::OperationalError& e) {
    EXPECT_TRUE(e.retryable());
    EXPECT_EQ(e.sqlstate(), "40001");
  }
}

}  // namespace
