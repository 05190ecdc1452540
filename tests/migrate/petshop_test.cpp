// The petshop example's committed migrations, run by the petshop program
// itself from a scratch directory: upgrade creates the seed's seven tables,
// check is clean, downgrade base leaves only the version table, upgrade again.
#include <gtest/gtest.h>

#include <cstdlib>

#include "migrate/migrate_fixture.hpp"

namespace {

class Petshop : public retort::testing::MigrateTest {
 protected:
  /// Runs `petshop db ARGS -d <repo>/examples/petshop/migrations` with DATABASE_URL set; the exit code.
  int petshop(const std::string& args) {
    std::string cmd = "cd '" + dir_.path().string() + "' && DATABASE_URL='" + url() + "' '" + RETORT_PETSHOP + "' db " +
                      args + " -d '" + std::string(RETORT_SOURCE) + "/examples/petshop/migrations' > out.txt 2>&1";
    int status = std::system(cmd.c_str());
    std::ifstream in(dir_ / "out.txt");
    output_.assign(std::istreambuf_iterator<char>(in), {});
    return WEXITSTATUS(status);
  }
  std::string output_;
};

TEST_F(Petshop, CommittedMigrationsUpgradeCheckDowngradeAndUpgradeAgain) {
  ASSERT_EQ(petshop("upgrade"), 0) << output_;
  EXPECT_EQ(tables(), (std::vector<std::string>{"channel", "owner", "pet", "program", "retort_version", "user",
                                                "user_channel", "workout"}));
  EXPECT_EQ(petshop("check"), 0) << output_;
  EXPECT_EQ(output_, "No new upgrade operations detected.\n");
  ASSERT_EQ(petshop("downgrade base"), 0) << output_;
  EXPECT_EQ(tables(), (std::vector<std::string>{"retort_version"}));
  ASSERT_EQ(petshop("upgrade"), 0) << output_;
  EXPECT_EQ(tables().size(), 8u);
}

}  // namespace
