// Loading strategies: exact statement counts for N parents with two children
// each (N = 3 and N = 1,200), as SQLAlchemy measures them (mission-anchors
// §1f): lazy 1+N, joined 1, subquery 2, selectin 1+ceil(N/500), immediate
// 1+N; a second access costs nothing; the same for many-to-many.
#include <gtest/gtest.h>

#include "relationships/models.hpp"
#include "retort/orm/to_dict.hpp"
#include "support/orm_fixture.hpp"

namespace r = retort;
using namespace rel;

namespace {

class Loading : public r::testing::OrmTest {
 protected:
  /// n owners with two pets each (one toy per pet); n users following two of ten channels.
  void seed(int n) {
    auto conn = engine().connect();
    auto tx = conn.begin();
    std::int64_t pet = 0;
    for (std::int64_t c = 1; c <= 10; ++c) {
      std::vector<r::Value> ch{r::Value(c), r::Value("channel" + std::to_string(c))};
      conn.exec_driver_sql(sql("INSERT INTO channel (id, title) VALUES (?, ?)"), ch);
    }
    for (std::int64_t o = 1; o <= n; ++o) {
      std::vector<r::Value> owner{r::Value(o), r::Value("owner" + std::to_string(o))};
      conn.exec_driver_sql(sql("INSERT INTO owner (id, name) VALUES (?, ?)"), owner);
      std::vector<r::Value> user{r::Value(o), r::Value("user" + std::to_string(o))};
      conn.exec_driver_sql(sql("INSERT INTO \"user\" (id, username) VALUES (?, ?)"), user);
      for (int k = 0; k < 2; ++k) {
        ++pet;
        std::vector<r::Value> p{r::Value(pet), r::Value("pet" + std::to_string(pet)), r::Value(o)};
        conn.exec_driver_sql(sql("INSERT INTO pet (id, name, owner_id) VALUES (?, ?, ?)"), p);
        std::vector<r::Value> t{r::Value(pet), r::Value("toy" + std::to_string(pet)), r::Value(pet)};
        conn.exec_driver_sql(sql("INSERT INTO toy (id, name, pet_id) VALUES (?, ?, ?)"), t);
        std::vector<r::Value> uc{r::Value(o), r::Value((o + k) % 10 + 1)};
        conn.exec_driver_sql(sql("INSERT INTO user_channel (user_id, channel_id) VALUES (?, ?)"), uc);
      }
    }
    tx.commit();
    statements();
  }
  std::size_t selects() { return statements("SELECT").size(); }
};

class Counts : public Loading, public ::testing::WithParamInterface<int> {
 protected:
  void SetUp() override { seed(GetParam()); }
  std::size_t n() const { return static_cast<std::size_t>(GetParam()); }
  std::size_t chunks() const { return (n() + 499) / 500; }

  /// Touches every owner's pets; checks each has its two.
  static void touch_pets(const std::vector<r::Ptr<Owner>>& owners) {
    for (auto& o : owners) ASSERT_EQ(o->pets.size(), 2u);
  }
  static void touch_following(const std::vector<r::Ptr<User>>& users) {
    for (auto& u : users) ASSERT_EQ(u->following.size(), 2u);
  }
};

TEST_P(Counts, LazySelectIsOnePlusN) {
  r::Session s(engine());
  auto owners = s.query<Owner>().all();
  touch_pets(owners);
  EXPECT_EQ(selects(), 1 + n());
  touch_pets(owners);  // loaded: a second access costs nothing
  EXPECT_EQ(selects(), 0u);
}

TEST_P(Counts, JoinedIsOne) {
  r::Session s(engine());
  auto owners = s.query<Owner>().options(r::joinedload(&Owner::pets)).all();
  EXPECT_EQ(owners.size(), n());  // parents once, however many rows
  touch_pets(owners);
  EXPECT_EQ(selects(), 1u);
}

TEST_P(Counts, SubqueryIsTwo) {
  r::Session s(engine());
  auto owners = s.query<Owner>().options(r::subqueryload(&Owner::pets)).all();
  touch_pets(owners);
  EXPECT_EQ(selects(), 2u);
}

TEST_P(Counts, SelectinIsOnePlusOnePer500Parents) {
  r::Session s(engine());
  auto owners = s.query<Owner>().options(r::selectinload(&Owner::pets)).all();
  touch_pets(owners);
  EXPECT_EQ(selects(), 1 + chunks());
}

TEST_P(Counts, ImmediateIsOnePlusNAtQueryTime) {
  r::Session s(engine());
  auto owners = s.query<Owner>().options(r::immediateload(&Owner::pets)).all();
  EXPECT_EQ(selects(), 1 + n());
  touch_pets(owners);
  EXPECT_EQ(selects(), 0u);
}

TEST_P(Counts, NoloadReadsEmptyWithoutSql) {
  r::Session s(engine());
  auto owners = s.query<Owner>().options(r::noload(&Owner::pets)).all();
  for (auto& o : owners) EXPECT_TRUE(o->pets.empty());
  EXPECT_EQ(selects(), 1u);
}

TEST_P(Counts, RaiseloadRaisesOnAccess) {
  r::Session s(engine());
  auto owners = s.query<Owner>().options(r::raiseload(&Owner::pets)).all();
  EXPECT_EQ(selects(), 1u);
  try {
    (void)owners.front()->pets.size();
    FAIL() << "expected InvalidRequestError";
  } catch (const r::InvalidRequestError& e) {
    EXPECT_NE(std::string(e.what()).find("'Owner.pets' is not available due to lazy='raise'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("selectinload(\"pets\")"), std::string::npos) << e.what();
  }
  EXPECT_EQ(selects(), 0u);
}

TEST_P(Counts, ManyToManyLazyIsOnePlusN) {
  r::Session s(engine());
  auto users = s.query<User>().all();
  touch_following(users);
  EXPECT_EQ(selects(), 1 + n());
  touch_following(users);
  EXPECT_EQ(selects(), 0u);
}

TEST_P(Counts, ManyToManyJoinedIsOne) {
  r::Session s(engine());
  auto users = s.query<User>().options(r::joinedload(&User::following)).all();
  EXPECT_EQ(users.size(), n());
  touch_following(users);
  EXPECT_EQ(selects(), 1u);
}

TEST_P(Counts, ManyToManySubqueryIsTwo) {
  r::Session s(engine());
  auto users = s.query<User>().options(r::subqueryload(&User::following)).all();
  touch_following(users);
  EXPECT_EQ(selects(), 2u);
}

TEST_P(Counts, ManyToManySelectinIsOnePlusOnePer500Parents) {
  r::Session s(engine());
  auto users = s.query<User>().options(r::selectinload(&User::following)).all();
  touch_following(users);
  EXPECT_EQ(selects(), 1 + chunks());
}

TEST_P(Counts, ManyToManyImmediateIsOnePlusN) {
  r::Session s(engine());
  auto users = s.query<User>().options(r::immediateload(&User::following)).all();
  EXPECT_EQ(selects(), 1 + n());
  touch_following(users);
  EXPECT_EQ(selects(), 0u);
}

TEST_P(Counts, ManyToOneLazyUsesTheIdentityMap) {
  // 2N pets of N owners: one load per distinct owner, none for the second pet.
  r::Session s(engine());
  auto pets = s.query<Pet>().all();
  for (auto& p : pets) ASSERT_TRUE(r::backref<&Owner::pets>(p));
  EXPECT_EQ(selects(), 1 + n());
}

TEST_P(Counts, ManyToOneSelectinSkipsLoadedParents) {
  r::Session s(engine());
  auto pets = s.query<Pet>().options(r::selectinload("owner")).all();
  for (auto& p : pets) ASSERT_TRUE(r::backref<&Owner::pets>(p));
  EXPECT_EQ(selects(), 1 + chunks());
  auto again = s.query<Pet>().options(r::selectinload("owner")).all();  // owners loaded: no IN statement
  EXPECT_EQ(selects(), 1u);
}

TEST_P(Counts, ChainedOptionsLoadEachLevel) {
  r::Session s(engine());
  auto owners = s.query<Owner>().options(r::selectinload(&Owner::pets).selectinload(&Pet::toys)).all();
  for (auto& o : owners)
    for (auto p : o->pets) ASSERT_EQ(p->toys.size(), 1u);
  EXPECT_EQ(selects(), 1 + chunks() + (2 * n() + 499) / 500);
  auto joined = s.query<Owner>().options(r::joinedload(&Owner::pets).joinedload(&Pet::toys)).all();
  EXPECT_EQ(joined.size(), n());
  EXPECT_EQ(selects(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Parents, Counts, ::testing::Values(3, 1200),
                         [](const ::testing::TestParamInfo<int>& param) { return "N" + std::to_string(param.param); });

// ---- statement shapes ------------------------------------------------------------------------

TEST_F(Loading, LazyLoadStatementsHaveSqlalchemysShape) {
  seed(1);
  r::Session s(engine());
  auto owner = s.query<Owner>().one();
  (void)owner->pets.size();
  auto users = s.query<User>().one();
  (void)users->following.size();
  auto sql = statements("SELECT");
  ASSERT_EQ(sql.size(), 4u);
  EXPECT_EQ(sql[1], "SELECT pet.id, pet.name, pet.owner_id FROM pet WHERE ? = pet.owner_id");
  EXPECT_EQ(sql[3], "SELECT channel.id, channel.title FROM channel, user_channel WHERE ? = user_channel.user_id AND "
                    "channel.id = user_channel.channel_id");
}

TEST_F(Loading, JoinedLoadIsALeftOuterJoinAndLimitWrapsTheParents) {
  seed(3);
  r::Session s(engine());
  auto two = s.query<Owner>().options(r::joinedload(&Owner::pets)).order_by("id").limit(2).all();
  ASSERT_EQ(two.size(), 2u);  // the limit counts owners, not joined rows
  EXPECT_EQ(two[0]->pets.size(), 2u);
  auto sql = statements("SELECT");
  ASSERT_EQ(sql.size(), 1u);
  EXPECT_EQ(sql[0],
            "SELECT anon_1.id, anon_1.name, pet_1.id, pet_1.name, pet_1.owner_id FROM (SELECT owner.id, owner.name "
            "FROM owner ORDER BY owner.id LIMIT ?) AS anon_1 LEFT OUTER JOIN pet AS pet_1 ON anon_1.id = pet_1.owner_id");
}

TEST_F(Loading, ContainsEagerFillsTheCollectionFromTheQuerysOwnJoin) {
  seed(3);
  r::Session s(engine());
  auto owners = s.query<Owner>()
                    .join(&Owner::pets)
                    .filter(r::col(&Pet::name) == "pet1")
                    .options(r::contains_eager(&Owner::pets))
                    .all();
  ASSERT_EQ(owners.size(), 1u);
  ASSERT_EQ(owners[0]->pets.size(), 1u);  // only the filtered rows
  EXPECT_EQ(owners[0]->pets[0]->name, "pet1");
  EXPECT_EQ(selects(), 1u);
  EXPECT_THROW(s.query<Owner>().options(r::contains_eager("pets")).all(), r::ArgumentError);
}

TEST_F(Loading, OrderByOnTheRelationshipOrdersEveryLoad) {
  r::Session s(engine());
  auto root = s.add(Category{.name = "root"});
  root->children.append(s.add(Category{.name = "b"}));
  root->children.append(s.add(Category{.name = "a"}));
  s.commit();
  statements();
  std::vector<std::string> names;
  for (auto c : root->children) names.push_back(c->name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b"}));
  auto sql = statements("SELECT");
  EXPECT_NE(sql.back().find("WHERE ? = category.parent_id ORDER BY category.name"), std::string::npos) << sql.back();
}

TEST_F(Loading, RelationshipLevelSelectinAppliesToQueriesAndGet) {
  {
    r::Session s(engine());
    for (int t = 0; t < 3; ++t) {
      auto team = s.add(Team{.name = "t" + std::to_string(t)});
      team->members.append(s.add(Member{.name = "m"}));
    }
    s.commit();
  }
  statements();
  r::Session s(engine());
  auto teams = s.query<Team>().all();
  for (auto& t : teams) EXPECT_EQ(t->members.size(), 1u);
  EXPECT_EQ(selects(), 2u);
  r::Session other(engine());
  auto one = other.get<Team>(1);
  EXPECT_EQ(one->members.size(), 1u);
  EXPECT_EQ(selects(), 2u);
  r::Session lazy(engine());
  auto overridden = lazy.query<Team>().options(r::lazyload(&Team::members)).all();
  EXPECT_EQ(selects(), 1u);
  (void)overridden[0]->members.size();
  EXPECT_EQ(selects(), 1u);
}

TEST_F(Loading, RelationshipLevelJoinedLoadsWithGetInOneStatement) {
  {
    r::Session s(engine());
    auto club = s.add(Club{.name = "reds"});
    club->coaches.append(s.add(Coach{.name = "zed"}));
    club->coaches.append(s.add(Coach{.name = "amy"}));
    s.commit();
  }
  statements();
  r::Session s(engine());
  auto club = s.get<Club>(1);
  ASSERT_EQ(club->coaches.size(), 2u);
  EXPECT_EQ(club->coaches[0]->name, "amy");  // order_by name
  EXPECT_EQ(selects(), 1u);
}

TEST_F(Loading, LazyRaiseOnTheRelationshipNeedsAnOption) {
  {
    r::Session s(engine());
    auto shelf = s.add(Shelf{});
    shelf->items.append(s.add(Item{.label = "jar"}));
    s.commit();
  }
  r::Session s(engine());
  auto shelf = s.query<Shelf>().one();
  EXPECT_THROW((void)shelf->items.size(), r::InvalidRequestError);
  auto loaded = s.query<Shelf>().options(r::selectinload(&Shelf::items)).one();
  EXPECT_EQ(loaded->items.size(), 1u);
  // The many-to-one side is not raise: it loads.
  auto item = s.query<Item>().one();
  EXPECT_EQ(r::backref<&Shelf::items>(item).get(), shelf);
}

TEST_F(Loading, DynamicLoadsNothingOnAccessAndQueriesOnDemand) {
  {
    r::Session s(engine());
    auto forum = s.add(Forum{.name = "cpp"});
    for (auto title : {"b", "a", "c"}) {
      auto t = s.add(Thread{.title = title});
      forum->threads.append(t);
    }
    s.commit();
  }
  statements();
  r::Session s(engine());
  auto forum = s.query<Forum>().one();
  auto& threads = forum->threads;  // no load
  EXPECT_EQ(selects(), 1u);
  EXPECT_EQ(threads.count(), 3);
  EXPECT_EQ(selects(), 1u);
  auto a = threads.filter(r::col(&Thread::title) == "a").all();
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(selects(), 1u);
  EXPECT_EQ(threads.all().front()->title, "a");  // order_by title
  EXPECT_EQ(threads.paginate(1, 2).items.size(), 2u);
  statements();
  threads.append(s.add(Thread{.title = "d"}));  // written at flush, without loading
  EXPECT_EQ(selects(), 0u);
  EXPECT_EQ(threads.count(), 4);
  EXPECT_THROW(s.query<Forum>().options(r::selectinload("threads")).all(), r::InvalidRequestError);
}

TEST_F(Loading, OptionsNamingNoRelationshipFailWhereTheyAreWritten) {
  r::Session s(engine());
  try {
    (void)s.query<Owner>().options(r::selectinload("pest"));
    FAIL() << "expected ArgumentError";
  } catch (const r::ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("model Owner has no relationship 'pest'; its relationships are: pets"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(Loading, ToDictOfManyObjectsLoadsTheIncludedPathsOnce) {
  seed(3);
  r::Session s(engine(), {.n_plus_one = r::NPlusOne::raise});
  auto owners = s.query<Owner>().order_by("id").all();
  auto j = r::to_dict(owners, {.include = {"pets", "pets.toys"}});
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0]["pets"].size(), 2u);
  EXPECT_EQ(j[2]["pets"][1]["toys"][0]["name"], "toy6");
  EXPECT_EQ(selects(), 3u);  // owners, then one IN for the pets, one for the toys
  EXPECT_THROW(r::to_dict(owners, {.include = {"pest"}}), r::ArgumentError);
}

// ---- the N+1 detector ------------------------------------------------------------------------

TEST_F(Loading, NPlusOneDetectorRaisesOnTheSecondLazyLoadOfOneResult) {
  seed(3);
  r::Session s(engine(), {.n_plus_one = r::NPlusOne::raise});
  auto owners = s.query<Owner>().all();
  (void)owners[0]->pets.size();
  try {
    (void)owners[1]->pets.size();
    FAIL() << "expected InvalidRequestError";
  } catch (const r::InvalidRequestError& e) {
    EXPECT_NE(std::string(e.what()).find("N+1 query: lazy load of 'Owner.pets' repeated 2 times"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find(".options(retort::selectinload(\"pets\"))"), std::string::npos);
  }
  // Loading eagerly, as the message says, is quiet.
  auto eager = s.query<Owner>().options(r::selectinload("pets")).all();
  for (auto& o : eager) EXPECT_EQ(o->pets.size(), 2u);
}

TEST_F(Loading, NPlusOneDetectorLogsOnceAndIsOffByDefault) {
  seed(3);
  std::vector<std::string> logged;
  r::Session s(engine(), {.n_plus_one = r::NPlusOne::log, .n_plus_one_log = [&](const std::string& m) { logged.push_back(m); }});
  for (auto& o : s.query<Owner>().all()) (void)o->pets.size();
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_NE(logged[0].find("Owner.pets"), std::string::npos);
  r::Session quiet(engine());
  for (auto& o : quiet.query<Owner>().all()) EXPECT_EQ(o->pets.size(), 2u);
}

}  // namespace
