// The statements a flush emits, counted through the engine's statement hook.
#include <gtest/gtest.h>

#include <bit>

#include "models.hpp"
#include "support/orm_fixture.hpp"

namespace r = retort;
using models::Owner;
using models::Pet;
using models::Toy;

class UnitOfWork : public r::testing::OrmTest {};

TEST_F(UnitOfWork, ThousandInsertsOnePreparedStatement) {
  r::Session s(engine());
  std::vector<Owner> owners;
  for (int i = 0; i < 1000; ++i) owners.push_back({.name = "owner " + std::to_string(i)});
  auto added = s.add_all(std::move(owners));
  statements();
  auto before = engine().stats();
  s.commit();
  auto after = engine().stats();
  auto inserts = statements("INSERT");
  if (r::testing::on_postgres()) {
    // One multi-row INSERT ... RETURNING (SQLAlchemy's insertmanyvalues).
    ASSERT_EQ(inserts.size(), 1u);
    EXPECT_EQ(inserts.front().rfind("INSERT INTO owner (name, email) VALUES (?, ?), (?, ?), ", 0), 0u);
    EXPECT_NE(inserts.front().find("(?, ?) RETURNING id"), std::string::npos);
  } else {
    ASSERT_EQ(inserts.size(), 1000u);
    EXPECT_EQ(inserts.front(), "INSERT INTO owner (name, email) VALUES (?, ?)");
  }
  EXPECT_EQ(after.prepares - before.prepares, 1u);
  // Generated keys were read back into the right objects: each reloads its own row by its key.
  s.expire_all();
  for (std::size_t k = 0; k < added.size(); ++k) {
    ASSERT_EQ(added[k]->id, static_cast<std::int64_t>(k + 1));
    ASSERT_EQ(added[k]->name, "owner " + std::to_string(k));
  }
}

TEST_F(UnitOfWork, ManyObjectsOfSeveralShapesAndMoreThanAPageKeepTheirKeys) {
  r::Session s(engine());
  std::vector<r::Ptr<Owner>> added;
  for (int i = 0; i < 2500; ++i)  // more than one page of 1,000; some with an email, some without
    added.push_back(s.add(Owner{.name = "o" + std::to_string(i),
                                .email = i % 3 ? std::optional<std::string>("e" + std::to_string(i)) : std::nullopt}));
  statements();
  s.commit();
  auto inserts = statements("INSERT");
  // PostgreSQL: two pages of 1,000, then 500 as 256 + 128 + 64 + 32 + 16 + 4 (a few statement shapes, reused).
  EXPECT_EQ(inserts.size(), r::testing::on_postgres() ? 2u + std::popcount(500u) : 2500u);
  r::Session check(engine());
  for (int i = 0; i < 2500; i += 7) {
    auto o = check.get<Owner>(added[static_cast<std::size_t>(i)].read().id);
    ASSERT_TRUE(o);
    EXPECT_EQ(o->name, "o" + std::to_string(i));
    EXPECT_EQ(o->email, i % 3 ? std::optional<std::string>("e" + std::to_string(i)) : std::nullopt);
  }
}

TEST_F(UnitOfWork, UpdateWritesOnlyChangedColumns) {
  r::Session s(engine());
  auto ann = s.add(Owner{.name = "Ann", .email = "a@x"});
  s.commit();
  statements();
  ann->email = "ann@example.org";
  s.commit();
  auto sql = statements();
  // The expired object reloads (SELECT), then one UPDATE of one column.
  ASSERT_EQ(sql.size(), 2u);
  EXPECT_EQ(sql[1], "UPDATE owner SET email=? WHERE owner.id = ?");
  r::Session check(engine());
  EXPECT_EQ(check.get<Owner>(ann.read().id)->email, "ann@example.org");
}

TEST_F(UnitOfWork, FlushWithoutChangesEmitsNothing) {
  r::Session s(engine());
  auto ann = s.add(Owner{.name = "Ann"});
  s.commit();
  (void)ann->name;  // reload after commit
  statements();
  s.flush();
  s.commit();
  EXPECT_TRUE(statements().empty());
}

TEST_F(UnitOfWork, ParentsInsertedBeforeChildrenAcrossThreeTables) {
  // Added child-first on purpose; foreign keys are enforced, so a wrong order fails.
  r::Session s(engine());
  s.add(Toy{.id = 1, .name = "ball", .pet_id = 1});
  s.add(Pet{.id = 1, .name = "Rex", .owner_id = 1});
  s.add(Owner{.id = 1, .name = "Ann"});
  statements();
  s.commit();
  auto inserts = statements("INSERT");
  ASSERT_EQ(inserts.size(), 3u);
  EXPECT_EQ(inserts[0].rfind("INSERT INTO owner", 0), 0u);
  EXPECT_EQ(inserts[1].rfind("INSERT INTO pet", 0), 0u);
  EXPECT_EQ(inserts[2].rfind("INSERT INTO toy", 0), 0u);
}

TEST_F(UnitOfWork, ChildrenDeletedBeforeParents) {
  r::Session s(engine());
  auto ann = s.add(Owner{.id = 1, .name = "Ann"});
  auto rex = s.add(Pet{.id = 1, .name = "Rex", .owner_id = 1});
  auto ball = s.add(Toy{.id = 1, .name = "ball", .pet_id = 1});
  s.commit();
  s.delete_(ann);
  s.delete_(rex);
  s.delete_(ball);
  statements();
  s.commit();
  auto deletes = statements("DELETE");
  ASSERT_EQ(deletes.size(), 3u);
  EXPECT_EQ(deletes[0], "DELETE FROM toy WHERE toy.id = ?");
  EXPECT_EQ(deletes[2], "DELETE FROM owner WHERE owner.id = ?");
  EXPECT_EQ(ann.state(), r::ObjectState::detached);
}

TEST_F(UnitOfWork, AutoflushBeforeQuery) {
  r::Session s(engine());
  s.add(Owner{.name = "Ann"});
  statements();
  auto n = s.query<Owner>().count();
  EXPECT_EQ(n, 1);
  auto sql = statements();
  ASSERT_EQ(sql.size(), 2u);
  EXPECT_EQ(sql[0].rfind("INSERT", 0), 0u);
  EXPECT_EQ(sql[1].rfind("SELECT count(*)", 0), 0u);
}

TEST_F(UnitOfWork, NoAutoflushWhenDisabled) {
  r::Session s(engine(), {.autoflush = false});
  s.add(Owner{.name = "Ann"});
  EXPECT_EQ(s.query<Owner>().count(), 0);
  s.flush();
  EXPECT_EQ(s.query<Owner>().count(), 1);
}

TEST_F(UnitOfWork, ExpireOnCommitReloads) {
  r::Session s(engine());
  auto ann = s.add(Owner{.name = "Ann"});
  s.commit();
  {
    auto conn = engine().connect();
    conn.exec_driver_sql("UPDATE owner SET name = 'Changed elsewhere'");
  }
  statements();
  EXPECT_EQ(ann->name, "Changed elsewhere");
  EXPECT_EQ(statements("SELECT").size(), 1u);
  EXPECT_EQ(ann->name, "Changed elsewhere");
  EXPECT_EQ(statements().size(), 0u);  // loaded once
}

TEST_F(UnitOfWork, RefreshAndExpire) {
  r::Session s(engine(), {.autoflush = true, .expire_on_commit = false});
  auto ann = s.add(Owner{.name = "Ann"});
  s.commit();
  engine().connect().exec_driver_sql("UPDATE owner SET name = 'B'");
  EXPECT_EQ(ann->name, "Ann");  // not expired: the old state
  s.refresh(ann);
  EXPECT_EQ(ann->name, "B");
  engine().connect().exec_driver_sql("UPDATE owner SET name = 'C'");
  s.expire(ann);
  EXPECT_EQ(ann->name, "C");
}

TEST_F(UnitOfWork, DeletePendingJustDropsIt) {
  r::Session s(engine());
  auto ann = s.add(Owner{.name = "Ann"});
  s.delete_(ann);
  statements();
  s.commit();
  EXPECT_TRUE(statements("INSERT").empty());
  EXPECT_EQ(ann.state(), r::ObjectState::transient);
}

TEST_F(UnitOfWork, ExpungeDetaches) {
  r::Session s(engine());
  auto ann = s.add(Owner{.name = "Ann"});
  s.commit();
  (void)ann->name;
  s.expunge(ann);
  EXPECT_EQ(ann.state(), r::ObjectState::detached);
  EXPECT_EQ(s.size(), 0u);
  auto again = s.get<Owner>(1);
  EXPECT_FALSE(again == ann);  // a new object for the same row
}

TEST_F(UnitOfWork, MergeCopiesOntoLoadedObject) {
  r::Session s(engine());
  auto ann = s.add(Owner{.name = "Ann"});
  s.commit();
  auto merged = s.merge(Owner{.id = 1, .name = "Ann M", .email = "m@x"});
  EXPECT_EQ(merged, ann);
  s.commit();
  r::Session check(engine());
  EXPECT_EQ(check.get<Owner>(1)->name, "Ann M");
  auto fresh = check.merge(Owner{.id = 7, .name = "New"});
  check.commit();
  EXPECT_EQ(fresh.state(), r::ObjectState::persistent);
  EXPECT_EQ(check.query<Owner>().count(), 2);
}

TEST_F(UnitOfWork, InsertThenDeleteInOneTransaction) {
  r::Session s(engine());
  auto ann = s.add(Owner{.name = "Ann"});
  s.flush();
  s.delete_(ann);
  s.flush();
  s.rollback();
  EXPECT_EQ(ann.state(), r::ObjectState::transient);
  auto bob = s.add(Owner{.name = "Bob"});
  s.flush();
  s.delete_(bob);
  s.commit();
  EXPECT_EQ(bob.state(), r::ObjectState::detached);
  EXPECT_EQ(s.query<Owner>().count(), 0);
}
