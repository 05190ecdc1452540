// A real server restart between two transactions of a session. It runs alone
// (RUN_SERIAL): the restart ends every connection to the server.
#include <gtest/gtest.h>

#include <cstdlib>

#include "../../examples/petshop/models.hpp"
#include "support/database_fixture.hpp"

namespace r = retort;

namespace {

class Restart : public r::testing::DatabaseTest {};

TEST_F(Restart, TheFirstStatementAfterARestartFailsAndTheNextRunsOnAFreshConnection) {
  const char* ctl = std::getenv("RETORT_TEST_POSTGRES_CTL");
  if (!ctl) {
    if (std::getenv("CI")) FAIL() << "RETORT_TEST_POSTGRES_CTL is not set: run through scripts/with-postgres.sh";
    GTEST_SKIP() << "RETORT_TEST_POSTGRES_CTL is not set (scripts/with-postgres.sh sets it)";
  }
  r::mapped_metadata().create_all(engine());
  r::Session s(engine());
  s.add(petshop::Owner{.name = "Ann"});
  s.commit();
  ASSERT_EQ(std::system((std::string(ctl) + " -m fast -w restart >/dev/null").c_str()), 0);
  try {
    s.query<petshop::Owner>().count();
    FAIL() << "expected OperationalError";
  } catch (const r::OperationalError& e) {
    EXPECT_FALSE(e.retryable());
    EXPECT_EQ(e.code(), "operational");
  }
  EXPECT_EQ(s.query<petshop::Owner>().count(), 1);
  s.add(petshop::Owner{.name = "Bob"});
  s.commit();
  auto stats = engine().stats();
  EXPECT_EQ(stats.connections_invalidated, 1u);
  EXPECT_EQ(stats.connections_checked_out, 0u);
}

}  // namespace
