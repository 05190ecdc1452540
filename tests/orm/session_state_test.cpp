// Object states and session bookkeeping: pending → persistent → deleted →
// detached, defaults, composite keys, dirty checking of every member kind.
#include <gtest/gtest.h>

#include "models.hpp"
#include "support/orm_fixture.hpp"

namespace r = retort;
using models::Everything;
using models::Owner;
using models::Pet;

namespace {
struct Line {
  std::int64_t order_id = 0;
  int number = 0;
  std::string sku;
  std::optional<int> quantity;
  std::optional<std::string> created;
};
}  // namespace

template <>
struct retort::Mapping<Line> {
  static void map(Mapper<Line>& m) {
    m.column(&Line::order_id, "order_id");
    m.column(&Line::number, "number");
    m.column(&Line::sku, "sku", String(20));
    m.column(&Line::quantity, "quantity").default_value(1);
    m.column(&Line::created, "created", String(30)).server_default("CURRENT_TIMESTAMP");
    m.constraint(PrimaryKeyConstraint{{"order_id", "number"}, ""});
  }
};

class SessionState : public r::testing::OrmTest {};

TEST_F(SessionState, Lifecycle) {
  r::Session s(engine());
  auto ann = s.add(Owner{.name = "Ann"});
  EXPECT_EQ(ann.state(), r::ObjectState::pending);
  s.flush();
  EXPECT_EQ(ann.state(), r::ObjectState::persistent);
  s.delete_(ann);
  s.flush();
  EXPECT_EQ(ann.state(), r::ObjectState::deleted);
  s.commit();
  EXPECT_EQ(ann.state(), r::ObjectState::detached);
}

TEST_F(SessionState, AddingTwiceIsANoOp) {
  r::Session s(engine());
  auto ann = s.add(Owner{.name = "Ann"});
  s.add(ann);
  statements();
  s.commit();
  EXPECT_EQ(statements("INSERT").size(), 1u);
}

TEST_F(SessionState, DetachedObjectCanBeAddedToAnotherSession) {
  r::Ptr<Owner> ann;
  {
    r::Session s(engine(), {.autoflush = true, .expire_on_commit = false});
    ann = s.add(Owner{.name = "Ann"});
    s.commit();
  }
  r::Session s2(engine());
  s2.add(ann);
  EXPECT_EQ(ann.state(), r::ObjectState::persistent);
  EXPECT_EQ(s2.get<Owner>(1), ann);
  ann->name = "Ann 2";
  s2.commit();
  r::Session check(engine());
  EXPECT_EQ(check.get<Owner>(1)->name, "Ann 2");
}

TEST_F(SessionState, IsModifiedAndRead) {
  r::Session s(engine());
  auto ann = s.add(Owner{.name = "Ann"});
  s.commit();
  EXPECT_EQ(ann.read().name, "Ann");
  EXPECT_FALSE(s.is_modified(ann));
  ann->name = "Bob";
  EXPECT_TRUE(s.is_modified(ann));
  s.flush();
  EXPECT_FALSE(s.is_modified(ann));
}

TEST_F(SessionState, ChangeThroughAReferenceIsWrittenAtCommit) {
  r::Session s(engine());
  auto ann = s.add(Owner{.name = "Ann"});
  s.commit();
  Owner& ref = *ann;
  s.flush();  // the access is forgotten here...
  ref.name = "Changed by reference";
  s.commit();  // ...but commit compares every loaded object
  r::Session check(engine());
  EXPECT_EQ(check.get<Owner>(1)->name, "Changed by reference");
}

TEST_F(SessionState, ClientAndServerDefaults) {
  r::Session s(engine());
  auto line = s.add(Line{.order_id = 7, .number = 1, .sku = "A"});
  s.flush();
  EXPECT_EQ(line.read().quantity, 1);  // the client default, bound into the INSERT
  ASSERT_TRUE(line->created.has_value());  // the server default, read back after the INSERT
  // "YYYY-MM-DD HH:MM:SS" (PostgreSQL adds the fraction and the zone)
  EXPECT_EQ(line->created->substr(0, 2), "20");
  EXPECT_EQ(line->created->at(10), ' ');
  s.commit();
}

TEST_F(SessionState, CompositePrimaryKey) {
  {
    r::Session s(engine());
    s.add(Line{.order_id = 7, .number = 1, .sku = "A"});
    s.add(Line{.order_id = 7, .number = 2, .sku = "B"});
    s.commit();
  }
  r::Session s(engine());
  auto b = s.get<Line>(std::vector<r::Value>{7, 2});
  ASSERT_TRUE(b);
  EXPECT_EQ(b->sku, "B");
  EXPECT_EQ(s.get<Line>(std::vector<r::Value>{7, 2}), b);
  b->sku = "B2";
  statements();
  s.commit();
  EXPECT_EQ(statements("UPDATE"),
            std::vector<std::string>{"UPDATE line SET sku=? WHERE line.order_id = ? AND line.number = ?"});
}

TEST_F(SessionState, DirtyCheckingOfEveryMemberKind) {
  r::Session s(engine());
  using namespace std::chrono;
  auto e = s.add(Everything{.s = "x", .day = year_month_day(year(2019), May, day(1)), .mood = "sad"});
  s.commit();
  (void)e->id;
  EXPECT_FALSE(s.is_modified(e));  // loading and converting back gives the same values
  e->doc = nlohmann::json{{"k", 1}};
  e->flag = true;
  e->day = std::chrono::year_month_day(std::chrono::year(2020), std::chrono::January, std::chrono::day(2));
  statements();
  s.commit();
  EXPECT_EQ(statements("UPDATE"), std::vector<std::string>{"UPDATE everything SET flag=?, day=?, doc=? WHERE everything.id = ?"});
}

TEST_F(SessionState, UnsetDateIsRefusedAtFlush) {
  r::Session s(engine());
  s.add(Everything{.s = "x"});  // day is a default-constructed year_month_day: no date
  try {
    s.commit();
    FAIL();
  } catch (const r::ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("std::optional"), std::string::npos) << e.what();
  }
  s.rollback();
  EXPECT_EQ(s.query<Everything>().count(), 0);
}

TEST_F(SessionState, GetOfDeletedRowAfterExpiry) {
  r::Session s(engine());
  auto ann = s.add(Owner{.name = "Ann"});
  s.commit();
  engine().connect().exec_driver_sql("DELETE FROM owner");
  EXPECT_FALSE(s.get<Owner>(1));
  EXPECT_THROW((void)ann->name, r::InvalidRequestError);
  auto again = s.add(Owner{.id = 1, .name = "Ann again"});  // the key is free in the session
  s.commit();
  ann = nullptr;  // releasing the old object leaves the new one filed
  EXPECT_EQ(s.get<Owner>(1), again);
}

TEST_F(SessionState, ClosedSessionCanBeUsedAgain) {
  r::Session s(engine());
  auto ann = s.add(Owner{.name = "Ann"});
  s.close();
  EXPECT_EQ(ann.state(), r::ObjectState::transient);
  s.add(Owner{.name = "Bob"});
  s.commit();
  EXPECT_EQ(s.query<Owner>().count(), 1);
}

TEST_F(SessionState, NullPtrAccessIsAnError) {
  r::Ptr<Owner> none;
  EXPECT_THROW((void)none->name, r::InvalidRequestError);
  r::Session s(engine());
  EXPECT_THROW(s.add(none), r::ArgumentError);
}

TEST_F(SessionState, MovedFromSessionCanBeAssigned) {
  r::Session a(engine()), b(engine());
  r::Session c(std::move(a));
  a = std::move(b);  // a was moved from: nothing to close
  a.add(Owner{.name = "Ann"});
  a.commit();
  EXPECT_EQ(c.query<Owner>().count(), 1);
}

TEST_F(SessionState, ChangedKeyIsFiledUnderItsLoadedKeyUntilFlushed) {
  {
    r::Session s(engine());
    s.add(Owner{.id = 1, .name = "Ann"});
    s.commit();
  }
  r::Session s(engine(), {.autoflush = false});
  {
    auto a = s.get<Owner>(1);
    a->id = 2;  // not flushed
    s.expire(a);
  }
  s.flush();  // the session's own reference (it was accessed) goes; expired, it is not written
  EXPECT_EQ(s.size(), 0u);  // removed from the map under key 1, where it was filed
  auto again = s.get<Owner>(1);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, 1);
}

TEST_F(SessionState, RollbackAfterDeleteAndReinsertOfOneKey) {
  r::Session s(engine());
  auto a = s.add(Owner{.id = 1, .name = "Ann"});
  s.commit();
  s.delete_(a);
  s.flush();
  auto b = s.add(Owner{.id = 1, .name = "Ann again"});
  s.flush();
  s.rollback();
  EXPECT_EQ(b.state(), r::ObjectState::transient);
  EXPECT_EQ(a.state(), r::ObjectState::persistent);
  EXPECT_EQ(s.get<Owner>(1), a);
  EXPECT_EQ(a->name, "Ann");
}

TEST_F(SessionState, UpdatesRunBeforeInsertsOfAModel) {
  r::Session s(engine());
  auto a = s.add(Owner{.name = "Ann"});
  s.commit();
  a->name = "Ann (old)";             // frees the unique name...
  s.add(Owner{.name = "Ann"});       // ...which a new row takes, in the same flush
  statements();
  s.commit();
  auto sql = statements();
  ASSERT_GE(sql.size(), 2u);
  EXPECT_EQ(sql[sql.size() - 2].rfind("UPDATE owner", 0), 0u);
  EXPECT_EQ(sql.back().rfind("INSERT INTO owner", 0), 0u);
}

TEST_F(SessionState, ExpireOfPendingObjectIsRefused) {
  r::Session s(engine());
  auto a = s.add(Owner{.name = "Ann"});
  EXPECT_THROW(s.expire(a), r::InvalidRequestError);
}

TEST_F(SessionState, RollbackUndoesAFlushedKeyChange) {
  r::Session s(engine());
  auto a = s.add(Owner{.id = 1, .name = "Ann"});
  s.commit();
  a->id = 5;
  s.flush();
  EXPECT_EQ(s.get<Owner>(5), a);
  s.rollback();
  EXPECT_EQ(a->id, 1);  // reloaded by the key its row has again
  EXPECT_EQ(s.get<Owner>(1), a);
  EXPECT_FALSE(s.get<Owner>(5));
  a->id = 7;
  s.commit();
  r::Session check(engine());
  EXPECT_TRUE(check.get<Owner>(7));
}
