// The seed's three pairs, written as the seed writes them: in-memory sync
// before any flush (both directions), the rows after commit, and a fresh
// session reading them back.
#include <gtest/gtest.h>

#include "relationships/models.hpp"
#include "retort/orm/to_dict.hpp"
#include "support/orm_fixture.hpp"

namespace r = retort;
using namespace rel;

namespace {

class Seed : public r::testing::OrmTest {
 protected:
  std::vector<std::vector<r::Value>> rows(const std::string& sql) {
    auto conn = engine().connect();
    auto result = conn.exec_driver_sql(sql);
    std::vector<std::vector<r::Value>> out;
    while (result.next()) {
      std::vector<r::Value> row;
      for (int i = 0; i < static_cast<int>(result.keys().size()); ++i) row.push_back(result.row()[i]);
      out.push_back(row);
    }
    return out;
  }
};

// ---- Owner/Pet: backref("owner") on the parent only ------------------------------------

TEST_F(Seed, BackrefAppendSetsOwnerBeforeFlushButNotTheColumn) {
  statements();
  r::Session s(engine());
  auto ann = s.add(Owner{.name = "Ann"});
  auto rex = s.add(Pet{.name = "Rex"});
  ann->pets.append(rex);
  EXPECT_EQ(r::backref<&Owner::pets>(rex).get(), ann);
  EXPECT_FALSE(rex->owner_id.has_value());  // the foreign key is written at flush
  EXPECT_TRUE(statements().empty());        // and nothing was sent yet
  s.flush();
  EXPECT_EQ(rex->owner_id, ann->id);
}

TEST_F(Seed, AssigningTheBackrefMovesThePetBetweenCollections) {
  r::Session s(engine());
  auto ann = s.add(Owner{.name = "Ann"});
  auto bob = s.add(Owner{.name = "Bob"});
  auto rex = s.add(Pet{.name = "Rex"});
  ann->pets.append(rex);
  r::backref<&Owner::pets>(rex) = bob;
  EXPECT_FALSE(ann->pets.contains(rex));
  EXPECT_TRUE(bob->pets.contains(rex));
  EXPECT_EQ(r::backref<&Owner::pets>(rex).get(), bob);
  s.commit();
  EXPECT_EQ(rows("SELECT owner.name FROM pet JOIN owner ON owner.id = pet.owner_id"),
            (std::vector<std::vector<r::Value>>{{r::Value("Bob")}}));
}

TEST_F(Seed, RemovingFromTheCollectionClearsTheBackref) {
  r::Session s(engine());
  auto ann = s.add(Owner{.name = "Ann"});
  auto rex = s.add(Pet{.name = "Rex"});
  ann->pets.append(rex);
  s.commit();
  ann->pets.remove(rex);
  EXPECT_FALSE(r::backref<&Owner::pets>(rex));
  s.commit();
  EXPECT_EQ(rows("SELECT name, owner_id FROM pet"), (std::vector<std::vector<r::Value>>{{r::Value("Rex"), r::Value()}}));
}

TEST_F(Seed, BackrefRowsAfterCommitAndAFreshSessionReadsThemBack) {
  {
    r::Session s(engine());
    auto ann = s.add(Owner{.name = "Ann"});
    ann->pets.append(s.add(Pet{.name = "Rex"}));
    ann->pets.append(s.add(Pet{.name = "Tom"}));
    s.commit();
  }
  EXPECT_EQ(rows("SELECT pet.name, owner.name FROM pet JOIN owner ON owner.id = pet.owner_id ORDER BY pet.id"),
            (std::vector<std::vector<r::Value>>{{r::Value("Rex"), r::Value("Ann")}, {r::Value("Tom"), r::Value("Ann")}}));
  r::Session fresh(engine());
  auto ann = fresh.query<Owner>().one();
  std::vector<std::string> names;
  for (auto p : ann->pets) names.push_back(p->name);
  EXPECT_EQ(names, (std::vector<std::string>{"Rex", "Tom"}));
  auto rex = fresh.query<Pet>().filter_by("name", "Rex").one();
  EXPECT_EQ(r::backref<&Owner::pets>(rex).get(), ann);
}

TEST_F(Seed, TheBackrefIsUsableInFiltersAndJoins) {
  r::Session s(engine());
  auto ann = s.add(Owner{.name = "Ann"});
  auto bob = s.add(Owner{.name = "Bob"});
  ann->pets.append(s.add(Pet{.name = "Rex"}));
  bob->pets.append(s.add(Pet{.name = "Tom"}));
  s.commit();
  EXPECT_EQ(s.query<Pet>().filter_by("owner", ann).one()->name, "Rex");
  EXPECT_EQ(s.query<Pet>().join("owner").filter(r::col(&Owner::name) == "Bob").one()->name, "Tom");
  EXPECT_EQ(s.query<Owner>().join(&Owner::pets).filter(r::col(&Pet::name) == "Rex").one(), ann);
  EXPECT_EQ(s.query<Pet>().filter_by("owner", r::Ptr<Owner>()).count(), 0);
}

TEST_F(Seed, TheBackrefAppearsInToDict) {
  r::Session s(engine());
  auto ann = s.add(Owner{.name = "Ann"});
  auto rex = s.add(Pet{.name = "Rex"});
  ann->pets.append(rex);
  s.commit();
  auto j = rex.to_dict({.include = {"owner"}});
  EXPECT_EQ(j["owner"]["name"], "Ann");
  EXPECT_EQ(j["name"], "Rex");
  auto o = ann.to_dict({.include = {"pets", "pets.owner"}});
  ASSERT_EQ(o["pets"].size(), 1u);
  EXPECT_EQ(o["pets"][0]["name"], "Rex");
  // Ann is on the path already: written as her key only, not again in full.
  EXPECT_EQ(o["pets"][0]["owner"], (nlohmann::json{{"id", ann->id}}));
  EXPECT_FALSE(rex.to_dict().contains("owner"));  // relationships only when included
}

TEST_F(Seed, ToDictOfAnUnknownRelationshipNamesTheModelsRelationships) {
  r::Session s(engine());
  auto rex = s.add(Pet{.name = "Rex"});
  try {
    (void)rex.to_dict({.include = {"ownr"}});
    FAIL() << "expected ArgumentError";
  } catch (const r::ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("no relationship 'ownr'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("toys, owner"), std::string::npos) << e.what();
  }
}

TEST_F(Seed, PetsAppendedBeforeTheOwnerJoinsASessionJoinWithIt) {
  r::Session s(engine());
  auto rex = s.add(Pet{.name = "Rex"});
  Owner ann{.name = "Ann"};
  ann.pets.append(rex);
  EXPECT_EQ(ann.pets.size(), 1u);
  auto added = s.add(std::move(ann));
  EXPECT_EQ(r::backref<&Owner::pets>(rex).get(), added);
  s.commit();
  EXPECT_EQ(rows("SELECT count(*) FROM pet WHERE owner_id IS NOT NULL"), (std::vector<std::vector<r::Value>>{{r::Value(1)}}));
}

TEST_F(Seed, AddingAParentAddsWhatItsCollectionHolds) {
  r::Session s(engine());
  auto rex = s.add(Pet{.name = "Rex"});
  s.expunge(rex);  // transient again
  auto ann = s.add(Owner{.name = "Ann"});
  ann->pets.append(rex);  // save-update cascade
  EXPECT_EQ(rex.state(), r::ObjectState::pending);
  s.commit();
  EXPECT_EQ(rows("SELECT name FROM pet"), (std::vector<std::vector<r::Value>>{{r::Value("Rex")}}));
}

TEST_F(Seed, AppendingAnObjectOfAnotherModelIsRefused) {
  r::Session s(engine());
  auto ann = s.add(Owner{.name = "Ann"});
  auto toy = s.add(Toy{.name = "ball"});
  auto& pets = static_cast<r::detail::RelState&>(ann->pets);
  EXPECT_THROW(pets.append(toy.instance()), r::ArgumentError);
  EXPECT_THROW(ann->pets.append(r::Ptr<Pet>()), r::ArgumentError);
}

// ---- Program/Workout: back_populates on both sides ---------------------------------

TEST_F(Seed, BackPopulatesSyncsBothDirectionsBeforeFlush) {
  r::Session s(engine());
  auto legs = s.add(Program{.name = "legs"});
  auto arms = s.add(Program{.name = "arms"});
  auto squat = s.add(Workout{.name = "squat"});
  legs->workout.append(squat);
  EXPECT_EQ(squat->program.get(), legs);
  auto curl = s.add(Workout{.name = "curl"});
  curl->program = arms;
  EXPECT_TRUE(arms->workout.contains(curl));
  squat->program = arms;  // moves it
  EXPECT_FALSE(legs->workout.contains(squat));
  EXPECT_EQ(arms->workout.size(), 2u);
  curl->program = nullptr;
  EXPECT_FALSE(arms->workout.contains(curl));
  EXPECT_FALSE(squat->program_id.has_value());
}

TEST_F(Seed, BackPopulatesRowsAfterCommitAndAFreshSession) {
  {
    r::Session s(engine());
    auto legs = s.add(Program{.name = "legs"});
    auto squat = s.add(Workout{.name = "squat"});
    squat->program = legs;
    legs->workout.append(s.add(Workout{.name = "lunge"}));
    s.commit();
  }
  EXPECT_EQ(rows("SELECT workout.name, program.name FROM workout JOIN program ON program.id = workout.program_id "
                 "ORDER BY workout.id"),
            (std::vector<std::vector<r::Value>>{{r::Value("squat"), r::Value("legs")}, {r::Value("lunge"), r::Value("legs")}}));
  r::Session fresh(engine());
  auto legs = fresh.query<Program>().one();
  EXPECT_EQ(legs->workout.size(), 2u);
  for (auto w : legs->workout) EXPECT_EQ(w->program.get(), legs);
}

// ---- User/Channel: many-to-many through user_channel, backref("followers") -----------

TEST_F(Seed, ManyToManyAppendPutsTheUserInTheChannelsFollowers) {
  r::Session s(engine());
  auto ann = s.add(User{.username = "ann"});
  auto news = s.add(Channel{.title = "news"});
  auto cats = s.add(Channel{.title = "cats"});
  ann->following.append(news);
  EXPECT_TRUE(r::backref<&User::following>(news).contains(ann));
  r::backref<&User::following>(cats).append(ann);  // the other direction
  EXPECT_TRUE(ann->following.contains(cats));
  ann->following.remove(news);
  EXPECT_FALSE(r::backref<&User::following>(news).contains(ann));
}

TEST_F(Seed, ManyToManyRowsAfterCommitAndAFreshSession) {
  {
    r::Session s(engine());
    auto ann = s.add(User{.username = "ann"});
    auto bob = s.add(User{.username = "bob"});
    auto news = s.add(Channel{.title = "news"});
    ann->following.append(news);
    bob->following.append(news);
    ann->following.append(s.add(Channel{.title = "cats"}));
    s.commit();
  }
  EXPECT_EQ(rows("SELECT user_id, channel_id FROM user_channel ORDER BY user_id, channel_id"),
            (std::vector<std::vector<r::Value>>{{r::Value(1), r::Value(1)}, {r::Value(1), r::Value(2)}, {r::Value(2), r::Value(1)}}));
  r::Session fresh(engine());
  auto news = fresh.query<Channel>().filter_by("title", "news").one();
  std::vector<std::string> followers;
  for (auto u : r::backref<&User::following>(news)) followers.push_back(u->username);
  std::sort(followers.begin(), followers.end());
  EXPECT_EQ(followers, (std::vector<std::string>{"ann", "bob"}));
  EXPECT_EQ(fresh.query<User>().filter_by("following", news).count(), 2);
  EXPECT_EQ(fresh.query<Channel>().join("followers").filter(r::col(&User::username) == "ann").count(), 2);
}

TEST_F(Seed, RemovingFromAManyToManyDeletesTheAssociationRow) {
  r::Session s(engine());
  auto ann = s.add(User{.username = "ann"});
  auto news = s.add(Channel{.title = "news"});
  ann->following.append(news);
  s.commit();
  statements();
  ann->following.remove(news);
  s.commit();
  auto deletes = statements("DELETE");
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_EQ(deletes[0], "DELETE FROM user_channel WHERE user_channel.user_id = ? AND user_channel.channel_id = ?");
  EXPECT_TRUE(rows("SELECT * FROM user_channel").empty());
}

TEST_F(Seed, AppendingTwiceStoresTwoRowsAndARemoveThenFailsAsSqlalchemyDoes) {
  r::Session s(engine());
  auto ann = s.add(User{.username = "ann"});
  auto news = s.add(Channel{.title = "news"});
  ann->following.append(news);
  ann->following.append(news);
  s.commit();
  EXPECT_EQ(rows("SELECT count(*) FROM user_channel"), (std::vector<std::vector<r::Value>>{{r::Value(2)}}));
  ann->following.remove(news);
  try {
    s.commit();
    FAIL() << "expected StaleDataError";
  } catch (const r::StaleDataError& e) {
    EXPECT_NE(std::string(e.what()).find("expected to delete 1 row(s); Only 2 were matched"), std::string::npos);
  }
  s.rollback();
  EXPECT_EQ(rows("SELECT count(*) FROM user_channel"), (std::vector<std::vector<r::Value>>{{r::Value(2)}}));
}

}  // namespace
