// Query<T>: filters, ordering, limits, the result shapes, counts and paginate.
#include <gtest/gtest.h>

#include <thread>

#include "models.hpp"
#include "support/orm_fixture.hpp"

namespace r = retort;
using models::Owner;
using models::Pet;

// A string column compared with an int does not compile; with a string it does.
template <class X>
concept name_comparable_with = requires(X x) { r::col(&Pet::name) == x; };
static_assert(name_comparable_with<const char*>);
static_assert(name_comparable_with<std::string>);
static_assert(!name_comparable_with<int>);
static_assert(!name_comparable_with<double>);
template <class X>
concept id_comparable_with = requires(X x) { r::col(&Pet::id) < x; };
static_assert(id_comparable_with<int>);
static_assert(!id_comparable_with<const char*>);

class QueryTest : public r::testing::OrmTest {
 protected:
  void SetUp() override {
    r::Session s(engine());
    s.add(Owner{.id = 1, .name = "Ann"});
    s.add(Owner{.id = 2, .name = "Bob"});
    const char* species[] = {"cat", "dog", "cat", "parrot", "dog"};
    for (int i = 0; i < 5; ++i)
      s.add(Pet{.name = "pet" + std::to_string(i), .species = species[i], .owner_id = 1 + i % 2});
    s.add(Pet{.name = "stray"});
    s.commit();
  }
  std::vector<std::string> names(const std::vector<r::Ptr<Pet>>& pets) {
    std::vector<std::string> out;
    for (auto& p : pets) out.push_back(p->name);
    return out;
  }
};

TEST_F(QueryTest, FilterWithTypedColumns) {
  r::Session s(engine());
  auto cats = s.query<Pet>().filter(r::col(&Pet::species) == "cat").order_by({r::col(&Pet::name)}).all();
  EXPECT_EQ(names(cats), (std::vector<std::string>{"pet0", "pet2"}));
  auto q = s.query<Pet>().filter(r::col(&Pet::owner_id) == 1 && r::col(&Pet::species) != "cat");
  EXPECT_EQ(names(q.all()), (std::vector<std::string>{"pet4"}));
  EXPECT_EQ(s.query<Pet>().filter(r::col(&Pet::owner_id) == nullptr).one()->name, "stray");
}

TEST_F(QueryTest, FilterByRunTimeName) {
  r::Session s(engine());
  EXPECT_EQ(s.query<Pet>().filter_by("species", "parrot").one()->name, "pet3");
  try {
    s.query<Pet>().filter_by("colour", "red");
    FAIL();
  } catch (const r::ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("no column 'colour'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("id, name, species, owner_id"), std::string::npos) << e.what();
  }
  EXPECT_THROW(s.query<Pet>().order_by("name; DROP TABLE pet"), r::ArgumentError);
}

TEST_F(QueryTest, OrderLimitOffsetDistinct) {
  r::Session s(engine());
  auto page = s.query<Pet>().order_by("name", true).limit(2).offset(1).all();
  EXPECT_EQ(names(page), (std::vector<std::string>{"pet4", "pet3"}));
  EXPECT_EQ(s.query<Pet>().filter(r::col(&Pet::species) == "dog").distinct().count(), 2);
}

TEST_F(QueryTest, FirstOneOneOrNone) {
  r::Session s(engine());
  EXPECT_EQ(s.query<Pet>().order_by("id").first()->name, "pet0");
  EXPECT_FALSE(s.query<Pet>().filter_by("name", "nobody").first());
  EXPECT_THROW(s.query<Pet>().filter_by("name", "nobody").one(), r::NoResultFound);
  EXPECT_THROW(s.query<Pet>().filter_by("species", "cat").one(), r::MultipleResultsFound);
  EXPECT_THROW(s.query<Pet>().filter_by("species", "cat").one_or_none(), r::MultipleResultsFound);
  EXPECT_FALSE(s.query<Pet>().filter_by("name", "nobody").one_or_none());
}

TEST_F(QueryTest, CountAndExists) {
  r::Session s(engine());
  statements();
  EXPECT_EQ(s.query<Pet>().count(), 6);
  EXPECT_EQ(statements().front(),
            "SELECT count(*) AS count_1 FROM (SELECT pet.id, pet.name, pet.species, pet.owner_id FROM pet) AS anon_1");
  EXPECT_TRUE(s.query<Pet>().filter_by("species", "dog").exists());
  EXPECT_FALSE(s.query<Pet>().filter_by("species", "fish").exists());
}

TEST_F(QueryTest, AggregatesThroughTheCore) {
  r::Session s(engine());
  auto& pet = *r::class_info<Pet>().table;
  auto rows = s.connection()
                  .execute(r::select({pet.c("species"), r::func::count().label("n")})
                               .where(pet.c("species").is_not_null())
                               .group_by({pet.c("species")})
                               .order_by({pet.c("species")}))
                  .all();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][0].as_text(), "cat");
  EXPECT_EQ(rows[0][1].as_int(), 2);
}

TEST_F(QueryTest, PaginateManyPages) {
  r::Session s(engine());
  auto p = s.query<Pet>().order_by("id").paginate(2, 4);
  EXPECT_EQ(p.total, 6);
  EXPECT_EQ(p.pages, 2);
  EXPECT_EQ(p.items.size(), 2u);
  EXPECT_TRUE(p.has_prev);
  EXPECT_FALSE(p.has_next);
  EXPECT_EQ(p.prev_num, 1);
  EXPECT_EQ(p.next_num, 0);
  auto first = s.query<Pet>().order_by("id").paginate(1, 4);
  EXPECT_TRUE(first.has_next);
  EXPECT_EQ(first.next_num, 2);
  EXPECT_FALSE(first.has_prev);
}

TEST_F(QueryTest, PaginateOnePageAndNone) {
  r::Session s(engine());
  auto one = s.query<Owner>().paginate(1, 20);
  EXPECT_EQ(one.total, 2);
  EXPECT_EQ(one.pages, 1);
  EXPECT_FALSE(one.has_next);
  EXPECT_FALSE(one.has_prev);
  auto none = s.query<Pet>().filter_by("species", "fish").paginate(1, 20);
  EXPECT_EQ(none.total, 0);
  EXPECT_EQ(none.pages, 0);
  EXPECT_TRUE(none.items.empty());
  auto beyond = s.query<Pet>().paginate(9, 20);
  EXPECT_TRUE(beyond.items.empty());
  EXPECT_EQ(beyond.total, 6);
  EXPECT_THROW(s.query<Pet>().paginate(0, 20), r::ArgumentError);
  EXPECT_THROW(s.query<Pet>().paginate(1, 0), r::ArgumentError);
}

TEST_F(QueryTest, HostileValueIsJustAValue) {
  r::Session s(engine());
  std::string evil = "'); DROP TABLE pet; --";
  s.add(Pet{.name = evil});
  s.commit();
  EXPECT_EQ(s.query<Pet>().filter(r::col(&Pet::name) == evil).one()->name, evil);
  EXPECT_EQ(s.query<Pet>().count(), 7);
}

TEST_F(QueryTest, WithForUpdateLocksTheRowsUntilCommitAndLosesNoIncrement) {
  take_statements();
  {
    r::Session s(engine());
    auto pet = s.query<Pet>().filter_by("name", std::string("pet0")).with_for_update().one();
    auto sql = take_statements();
    ASSERT_FALSE(sql.empty());
    // SQLite has no row locks: the clause is left out there, and the query still runs.
    EXPECT_EQ(sql.back().find(" FOR UPDATE") != std::string::npos, r::testing::on_postgres()) << sql.back();
  }
  if (!r::testing::on_postgres()) return;
  // Four sessions each read pet 1's name with FOR UPDATE, append a mark and commit, 10 times:
  // each waits for the row while another holds it, so no mark is lost (without FOR UPDATE, some are).
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      for (int k = 0; k < 10; ++k) {
        r::Session s(engine());
        auto pet = s.query<Pet>().filter(r::col(&Pet::id) == 1).with_for_update().one();
        pet->name += "x";
        s.commit();
      }
    });
  }
  for (auto& t : workers) t.join();
  r::Session s(engine());
  EXPECT_EQ(s.get<Pet>(1).read().name, "pet0" + std::string(40, 'x'));
}
