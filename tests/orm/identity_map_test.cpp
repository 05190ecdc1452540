// The identity map: one object per primary key per session, found without SQL.
#include <gtest/gtest.h>

#include "models.hpp"
#include "support/orm_fixture.hpp"

namespace r = retort;
using models::Owner;
using models::Pet;

class IdentityMap : public r::testing::OrmTest {};

TEST_F(IdentityMap, TwoGetsSameObjectOneSelect) {
  {
    r::Session s(engine());
    s.add(Owner{.name = "Ann"});
    s.commit();
  }
  r::Session s(engine());
  statements();
  auto a = s.get<Owner>(1);
  auto b = s.get<Owner>(1);
  ASSERT_TRUE(a);
  EXPECT_EQ(a, b);
  EXPECT_EQ(statements("SELECT").size(), 1u);
}

TEST_F(IdentityMap, GetAfterQueryEmitsNoSql) {
  r::Session s(engine());
  s.add_all(std::vector<Owner>{{.name = "Ann"}, {.name = "Bob"}});
  s.commit();
  auto all = s.query<Owner>().order_by("name").all();
  ASSERT_EQ(all.size(), 2u);
  statements();
  auto bob = s.get<Owner>(all[1]->id);
  EXPECT_EQ(bob, all[1]);
  EXPECT_TRUE(statements().empty());
}

TEST_F(IdentityMap, QueryReturnsLoadedObject) {
  r::Session s(engine());
  auto ann = s.add(Owner{.name = "Ann"});
  s.flush();
  ann->name = "Ann changed in memory";
  // The query's autoflush writes the change first; the row comes back as the same object.
  auto found = s.query<Owner>().filter(r::col(&Owner::name) == "Ann changed in memory").one();
  EXPECT_EQ(found, ann);
}

TEST_F(IdentityMap, MissingKeyGivesNullPtr) {
  r::Session s(engine());
  EXPECT_FALSE(s.get<Owner>(404));
  EXPECT_THROW(s.get<Owner>(std::vector<r::Value>{1, 2}), r::ArgumentError);
}

TEST_F(IdentityMap, UnreferencedObjectsAreReleased) {
  {
    r::Session s(engine());
    std::vector<Owner> owners;
    for (int i = 0; i < 100; ++i) owners.push_back({.name = "o" + std::to_string(i)});
    s.add_all(std::move(owners));
    s.commit();
  }
  r::Session s(engine());
  for (int round = 0; round < 3; ++round) {
    auto all = s.query<Owner>().all();
    EXPECT_EQ(all.size(), 100u);
    EXPECT_EQ(s.size(), 100u);
  }
  EXPECT_EQ(s.size(), 0u);  // every Ptr is gone: the map holds nothing
}

TEST_F(IdentityMap, ModifiedObjectSurvivesUntilFlush) {
  {
    r::Session s(engine());
    s.add(Owner{.name = "Ann"});
    s.commit();
  }
  r::Session s(engine());
  {
    auto ann = s.get<Owner>(1);
    ann->name = "Anne";
  }  // the last Ptr is gone, but the change is not lost
  s.commit();
  r::Session check(engine());
  EXPECT_EQ(check.get<Owner>(1)->name, "Anne");
}

TEST_F(IdentityMap, DetachedAfterClose) {
  r::Ptr<Owner> ann;
  {
    r::Session s(engine());
    ann = s.add(Owner{.name = "Ann"});
    s.flush();
    EXPECT_EQ(ann.state(), r::ObjectState::persistent);
    s.commit();
  }
  EXPECT_EQ(ann.state(), r::ObjectState::detached);
  // Committed (so expired), then closed: its values cannot be reloaded.
  EXPECT_THROW((void)ann->name, r::InvalidRequestError);
}

TEST_F(IdentityMap, ReadBeforeCloseStaysReadable) {
  r::Ptr<Owner> ann;
  {
    r::Session s(engine(), {.autoflush = true, .expire_on_commit = false});
    ann = s.add(Owner{.name = "Ann"});
    s.commit();
  }
  EXPECT_EQ(ann->name, "Ann");
  EXPECT_EQ(ann->id, 1);
}

TEST(MappedMetadata, ModelsFormMetaDataInDependencyOrder) {
  // Everything and OrderItem are not named by these tests' code: register them.
  r::register_models<models::Everything, models::OrderItem>();
  auto& md = r::mapped_metadata();
  for (auto* name : {"owner", "pet", "toy", "everything", "order_item"}) EXPECT_TRUE(md.find(name)) << name;
  auto sorted = md.sorted_tables();
  auto pos = [&](const char* n) {
    return std::find_if(sorted.begin(), sorted.end(), [&](auto& t) { return t.name() == n; }) - sorted.begin();
  };
  EXPECT_LT(pos("owner"), pos("pet"));
  EXPECT_LT(pos("pet"), pos("toy"));
}
