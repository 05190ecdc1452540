// Transactions and savepoints: RAII rollback, nesting, a throwing block leaves
// the database unchanged, and integrity errors name the constraint.
#include <gtest/gtest.h>

#include "retort/core/engine.hpp"
#include "retort/core/error.hpp"
#include "retort/core/schema.hpp"
#include "support/database_fixture.hpp"

namespace r = retort;
using r::testing::SeedTables;

class TransactionTest : public r::testing::DatabaseTest {
 protected:
  void SetUp() override { t.metadata.create_all(engine()); }
  int owners(r::Connection& c) { return c.execute(r::select({r::func::count()}).select_from(t.owner)).scalar<int>(); }
  SeedTables t;
};

TEST_F(TransactionTest, CommitPersists) {
  auto conn = engine().connect();
  auto tx = conn.begin();
  conn.execute(r::insert(t.owner).values({{"name", "a"}}));
  tx.commit();
  auto other = engine().connect();
  EXPECT_EQ(owners(other), 1);
}

TEST_F(TransactionTest, NotCommittedRollsBackOnScopeExit) {
  auto conn = engine().connect();
  {
    auto tx = conn.begin();
    conn.execute(r::insert(t.owner).values({{"name", "a"}}));
  }
  EXPECT_FALSE(conn.in_transaction());
  EXPECT_EQ(owners(conn), 0);
}

TEST_F(TransactionTest, ThrowingBlockLeavesDatabaseUnchanged) {
  auto conn = engine().connect();
  conn.execute(r::insert(t.owner).values({{"name", "keep"}}));
  try {
    auto tx = conn.begin();
    conn.execute(r::insert(t.owner).values({{"name", "x"}}));
    conn.execute(r::update(t.owner).values({{"name", "changed"}}));
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  auto rows = conn.execute(r::select({t.owner.c("name")})).all();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].as_text(), "keep");
}

TEST_F(TransactionTest, SavepointRollbackKeepsOuterWork) {
  auto conn = engine().connect();
  auto tx = conn.begin();
  conn.execute(r::insert(t.owner).values({{"name", "outer"}}));
  {
    auto sp = conn.begin_nested();
    conn.execute(r::insert(t.owner).values({{"name", "inner"}}));
    sp.rollback();
  }
  {
    auto sp = conn.begin_nested();
    conn.execute(r::insert(t.owner).values({{"name", "inner2"}}));
    sp.commit();
  }
  tx.commit();
  auto rows = conn.execute(r::select({t.owner.c("name")}).order_by({t.owner.c("name")})).all();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0].as_text(), "inner2");
  EXPECT_EQ(rows[1][0].as_text(), "outer");
}

TEST_F(TransactionTest, SecondBeginIsAnError) {
  auto conn = engine().connect();
  auto tx = conn.begin();
  EXPECT_THROW(conn.begin(), r::ArgumentError);
}

TEST_F(TransactionTest, CommitTwiceIsAnError) {
  auto conn = engine().connect();
  auto tx = conn.begin();
  tx.commit();
  EXPECT_THROW(tx.commit(), r::ArgumentError);
}

TEST_F(TransactionTest, UniqueViolationNamesConstraint) {
  auto conn = engine().connect();
  conn.execute(r::insert(t.owner).values({{"name", "Ann"}}));
  try {
    conn.execute(r::insert(t.owner).values({{"name", "Ann"}}));
    FAIL() << "expected IntegrityError";
  } catch (const r::IntegrityError& e) {
    EXPECT_EQ(e.sqlstate(), "23505");
    // SQLite names the column; PostgreSQL the constraint itself.
    EXPECT_EQ(e.constraint(), r::testing::on_postgres() ? "uq_owner_name" : "owner.name");
    EXPECT_NE(std::string(e.what()).find(sql("INSERT INTO owner (name) VALUES (?)")), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'Ann'"), std::string::npos) << e.what();
  }
}

TEST_F(TransactionTest, NotNullViolationNamesColumn) {
  auto conn = engine().connect();
  try {
    conn.execute(r::insert(t.owner).values({{"name", nullptr}}));
    FAIL();
  } catch (const r::IntegrityError& e) {
    EXPECT_EQ(e.sqlstate(), "23502");
    EXPECT_EQ(e.constraint(), "owner.name");
  }
}

TEST_F(TransactionTest, CheckViolationNamesConstraint) {
  r::MetaData md;
  r::Table stock(md, "stock", {r::Column("id", r::Integer()).primary_key(), r::Column("qty", r::Integer()),
                               r::CheckConstraint{"qty >= 0", "ck_stock_qty_positive"}});
  md.create_all(engine());
  auto conn = engine().connect();
  try {
    conn.execute(r::insert(stock).values({{"qty", -1}}));
    FAIL();
  } catch (const r::IntegrityError& e) {
    EXPECT_EQ(e.sqlstate(), "23514");
    EXPECT_EQ(e.constraint(), "ck_stock_qty_positive");
  }
}

TEST_F(TransactionTest, FailedStatementInsideTransactionThenRollback) {
  auto conn = engine().connect();
  conn.execute(r::insert(t.owner).values({{"name", "Ann"}}));
  {
    auto tx = conn.begin();
    conn.execute(r::insert(t.owner).values({{"name", "Bob"}}));
    EXPECT_THROW(conn.execute(r::insert(t.owner).values({{"name", "Ann"}})), r::IntegrityError);
  }
  EXPECT_EQ(owners(conn), 1);
}
