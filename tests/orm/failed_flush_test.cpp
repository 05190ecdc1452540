// A flush that fails writes nothing, raises the typed error, and leaves the
// session usable after rollback() (SQLAlchemy's PendingRollbackError rule).
#include <gtest/gtest.h>

#include "models.hpp"
#include "support/orm_fixture.hpp"

namespace r = retort;
using models::Owner;
using models::Pet;

namespace {
/// A nullable member on a NOT NULL column: the database is the one to refuse.
struct Badge {
  std::int64_t id = 0;
  std::optional<std::string> label;
};
}  // namespace

template <>
struct retort::Mapping<Badge> {
  static void map(Mapper<Badge>& m) {
    m.column(&Badge::id, "id").primary_key();
    m.column(&Badge::label, "label", String(20)).not_null();
  }
};

class FailedFlush : public r::testing::OrmTest {
 protected:
  int count_rows(const char* table) {
    return engine().connect().exec_driver_sql(std::string("SELECT count(*) FROM ") + table).scalar<int>();
  }
};

TEST_F(FailedFlush, UniqueViolationAtCommitWritesNothing) {
  {
    r::Session s(engine());
    s.add(Owner{.name = "Ann"});
    s.commit();
  }
  r::Session s(engine());
  s.add(Owner{.name = "Bob"});
  s.add(Owner{.name = "Ann"});  // duplicate
  try {
    s.commit();
    FAIL() << "expected IntegrityError";
  } catch (const r::IntegrityError& e) {
    EXPECT_EQ(e.constraint(), r::testing::on_postgres() ? "uq_owner_name" : "owner.name");
  }
  EXPECT_EQ(count_rows("owner"), 1);  // Bob's insert was rolled back too
  EXPECT_THROW(s.query<Owner>().all(), r::InvalidRequestError);
  EXPECT_THROW(s.commit(), r::InvalidRequestError);
  s.rollback();
  s.add(Owner{.name = "Cy"});
  s.commit();
  EXPECT_EQ(count_rows("owner"), 2);
}

TEST_F(FailedFlush, NotNullViolation) {
  r::Session s(engine());
  s.add(Badge{.label = "ok"});
  s.add(Badge{});
  try {
    s.commit();
    FAIL();
  } catch (const r::IntegrityError& e) {
    EXPECT_EQ(e.sqlstate(), "23502");
    EXPECT_EQ(e.constraint(), "badge.label");
  }
  s.rollback();
  EXPECT_EQ(count_rows("badge"), 0);
}

TEST_F(FailedFlush, ForeignKeyViolation) {
  r::Session s(engine());
  s.add(Pet{.name = "Rex", .owner_id = 999});  // no such owner
  try {
    s.commit();
    FAIL();
  } catch (const r::IntegrityError& e) {
    EXPECT_EQ(e.sqlstate(), "23503");
  }
  s.rollback();
  EXPECT_EQ(count_rows("pet"), 0);
}

TEST_F(FailedFlush, RollbackExpungesPendingAndExpiresPersistent) {
  r::Session s(engine());
  auto ann = s.add(Owner{.name = "Ann"});
  s.commit();
  ann->name = "changed";
  auto bob = s.add(Owner{.name = "Bob"});
  s.flush();
  s.rollback();
  EXPECT_EQ(bob.state(), r::ObjectState::transient);
  EXPECT_EQ(ann->name, "Ann");  // reloaded from the database
  EXPECT_EQ(count_rows("owner"), 1);
}

TEST_F(FailedFlush, StaleUpdateIsDetected) {
  r::Session s(engine());
  auto ann = s.add(Owner{.name = "Ann"});
  s.commit();
  (void)ann->name;
  engine().connect().exec_driver_sql("DELETE FROM owner");
  ann->name = "x";
  EXPECT_THROW(s.commit(), r::StaleDataError);
  s.rollback();
}

TEST_F(FailedFlush, ObjectOfAnotherSessionIsRefused) {
  r::Session a(engine()), b(engine());
  auto ann = a.add(Owner{.name = "Ann"});
  EXPECT_THROW(b.add(ann), r::InvalidRequestError);
  EXPECT_THROW(b.delete_(ann), r::InvalidRequestError);
}
