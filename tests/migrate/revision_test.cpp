// Revision files and the graph: every operation written and read back, bad
// files named by file and line, heads, merges, relative and partial targets.
#include <gtest/gtest.h>

#include "migrate/migrate_fixture.hpp"

namespace r = retort;
namespace m = retort::migrate;

namespace {

class Revisions : public r::testing::MigrateTest {
 protected:
  /// Expects MigrationError from loading the versions folder, with `fragment` in its message.
  void expect_load_error(const std::string& fragment) {
    try {
      (void)m::RevisionGraph::load(versions());
      FAIL() << "expected MigrationError";
    } catch (const r::MigrationError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  }
  std::vector<std::string> ids(const std::vector<const m::Revision*>& path) {
    std::vector<std::string> out;
    for (auto* rev : path) out.push_back(rev->id);
    return out;
  }
  /// a → b → c, and d branching from a.
  m::RevisionGraph branched() {
    revision("aaa111", "", "upgrade: []\n");
    revision("bbb222", "aaa111", "upgrade: []\n");
    revision("ccc333", "bbb222", "upgrade: []\n");
    revision("ddd444", "aaa111", "upgrade: []\n");
    return m::RevisionGraph::load(versions());
  }
};

TEST_F(Revisions, EveryOperationIsWrittenAndReadBack) {
  m::Revision rev;
  rev.id = "0123abcd";
  rev.down_revisions = {"aaa", "bbb"};
  rev.message = "all: of them";
  rev.create_date = "2026-11-25 17:30:00";
  rev.notes = {"possible rename: pet.a -> pet.b"};
  m::TableDef t;
  t.name = "pet";
  r::ColumnSpec id;
  id.name = "id";
  id.type = r::Integer();
  id.nullable = false;
  r::ColumnSpec mood;
  mood.name = "mood";
  mood.type = r::Enum({"happy", "sad"});
  mood.nullable = true;
  mood.server_default = "'happy'";
  t.columns = {id, mood};
  t.primary_key = {{"id"}, "pk_pet"};
  t.foreign_keys = {{{"id"}, "owner", {"id"}, "CASCADE", "", "fk_x"}};
  t.uniques = {{{"mood"}, "uq_pet_mood"}};
  t.checks = {{"id > 0", "ck_pet_1"}};
  rev.upgrade = {m::CreateTable{t},
                 m::AddColumn{"pet", mood},
                 m::DropColumn{"pet", "mood"},
                 m::AlterColumn{"pet", "mood", r::Text(), false, std::optional<std::string>(), std::string("feeling")},
                 m::CreateIndex{"pet", {"ix_pet_mood", {"mood"}, true}},
                 m::DropIndex{"pet", "ix_pet_mood"},
                 m::AddConstraint{"pet", r::CheckConstraint{"id < 10", "ck_small"}},
                 m::DropConstraint{"pet", "ck_small"},
                 m::RenameTable{"pet", "animal"},
                 m::Execute{"UPDATE animal SET mood = 'x: y'", "sqlite"}};
  rev.downgrade = {m::DropTable{"animal"}};
  auto text = m::revision_yaml(rev);
  EXPECT_NE(text.find("# possible rename: pet.a -> pet.b"), std::string::npos) << text;
  auto path = dir_.write("rev.yaml", text);
  auto back = m::read_revision(path);
  EXPECT_EQ(back.id, rev.id);
  EXPECT_EQ(back.down_revisions, rev.down_revisions);
  EXPECT_EQ(back.message, rev.message);
  ASSERT_EQ(back.upgrade.size(), rev.upgrade.size());
  back.notes = rev.notes;
  EXPECT_EQ(m::revision_yaml(back), text);  // nothing lost either way
  EXPECT_EQ(m::revision_file_name(rev), "0123abcd_all_of_them.yaml");
}

TEST_F(Revisions, MalformedYamlIsReportedWithFileAndLine) {
  revision("bad", "", "upgrade:\n  - create_table: {name: x\n");
  expect_load_error("bad.yaml:6:1: not valid YAML");
}

TEST_F(Revisions, AnUnknownOperationIsNamedWithItsLine) {
  revision("bad", "", "upgrade:\n  - add_colum: {table: pet}\n");
  expect_load_error("bad.yaml:5:5: unknown operation 'add_colum'");
}

TEST_F(Revisions, AMissingFieldIsNamed) {
  revision("bad", "", "upgrade:\n  - add_column: {table: pet, column: {name: x, nullable: true}}\n");
  expect_load_error("a column needs 'type'");
  revision("bad", "", "upgrade:\n  - add_column: {table: pet, column: {name: x, type: Strin(5)}}\n");
  expect_load_error("type 'Strin(5)' is unknown");
}

TEST_F(Revisions, AFileWithoutDownRevisionIsRefused) {
  std::ofstream(versions() / "x.yaml") << "revision: abc\nmessage: m\nupgrade: []\n";
  expect_load_error("x.yaml:1:1: a revision file (null for the first revision) needs 'down_revision'");
}

TEST_F(Revisions, ADownRevisionNoFileHasIsNamed) {
  revision("bbb", "aaa", "upgrade: []\n");
  expect_load_error("revision bbb follows down_revision 'aaa', which no file in");
}

TEST_F(Revisions, TwoFilesWithOneIdAreRefused) {
  revision("aaa", "", "upgrade: []\n");
  std::ofstream(versions() / "copy.yaml") << "revision: aaa\ndown_revision: null\n";
  expect_load_error("revision aaa is also in");
}

TEST_F(Revisions, HeadsBasesAndHistoryOrder) {
  auto g = branched();
  EXPECT_EQ(g.heads(), (std::vector<std::string>{"ccc333", "ddd444"}));
  EXPECT_EQ(g.bases(), (std::vector<std::string>{"aaa111"}));
  EXPECT_EQ(g.branch_points(), (std::vector<std::string>{"aaa111"}));
  auto order = ids(g.ordered());
  EXPECT_EQ(order.front(), "aaa111");
  EXPECT_LT(std::find(order.begin(), order.end(), "bbb222"), std::find(order.begin(), order.end(), "ccc333"));
}

TEST_F(Revisions, TwoHeadsStopUpgradeHeadWithTheAdviceToMerge) {
  auto g = branched();
  try {
    (void)g.upgrade_path({}, "head");
    FAIL() << "expected MigrationError";
  } catch (const r::MigrationError& e) {
    EXPECT_NE(std::string(e.what()).find("Multiple head revisions are present (ccc333, ddd444); merge them with `db merge`"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(ids(g.upgrade_path({}, "heads")).size(), 4u);
  EXPECT_EQ(ids(g.upgrade_path({"bbb222"}, "ddd444")), (std::vector<std::string>{"ddd444"}));
}

TEST_F(Revisions, AMergeRevisionJoinsTheHeads) {
  branched();
  revision("eee555", "[ccc333, ddd444]", "upgrade: []\n");
  auto g = m::RevisionGraph::load(versions());
  EXPECT_EQ(g.heads(), (std::vector<std::string>{"eee555"}));
  EXPECT_EQ(ids(g.upgrade_path({"ccc333"}, "head")), (std::vector<std::string>{"ddd444", "eee555"}));
  auto heads = g.after_upgrade({"ccc333"}, g.get("ddd444"));
  EXPECT_EQ(heads, (std::vector<std::string>{"ccc333", "ddd444"}));
  EXPECT_EQ(g.after_upgrade(heads, g.get("eee555")), (std::vector<std::string>{"eee555"}));
  EXPECT_EQ(g.after_downgrade({"eee555"}, g.get("eee555")), (std::vector<std::string>{"ccc333", "ddd444"}));
}

TEST_F(Revisions, RelativeAndPartialTargets) {
  auto g = branched();
  EXPECT_EQ(ids(g.upgrade_path({"aaa111"}, "bbb")), (std::vector<std::string>{"bbb222"}));   // a prefix
  EXPECT_EQ(ids(g.upgrade_path({"bbb222"}, "+1")), (std::vector<std::string>{"ccc333"}));
  EXPECT_EQ(ids(g.downgrade_path({"ccc333"}, "-2")), (std::vector<std::string>{"ccc333", "bbb222"}));
  EXPECT_EQ(ids(g.downgrade_path({"ccc333"}, "base")), (std::vector<std::string>{"ccc333", "bbb222", "aaa111"}));
  EXPECT_THROW(g.upgrade_path({"aaa111"}, "+1"), r::MigrationError);  // a branch: ambiguous
  EXPECT_THROW(g.upgrade_path({"ccc333"}, "+1"), r::MigrationError);  // nothing above
  try {
    (void)g.get("zzz");
    FAIL();
  } catch (const r::MigrationError& e) {
    EXPECT_NE(std::string(e.what()).find("Can't locate revision identified by 'zzz'"), std::string::npos);
  }
  revision("bbb999", "aaa111", "upgrade: []\n");
  auto g2 = m::RevisionGraph::load(versions());
  try {
    (void)g2.get("bbb");
    FAIL();
  } catch (const r::MigrationError& e) {
    EXPECT_NE(std::string(e.what()).find("ambiguous: bbb222, bbb999"), std::string::npos);
  }
}

TEST_F(Revisions, DowngradingToARevisionThatIsNotBelowIsRefused) {
  auto g = branched();
  try {
    (void)g.downgrade_path({"ccc333"}, "ddd444");
    FAIL();
  } catch (const r::MigrationError& e) {
    EXPECT_NE(std::string(e.what()).find("revision ddd444 is not below the current revision (ccc333)"), std::string::npos);
  }
}

TEST_F(Revisions, NewIdsAreTwelveHexDigitsAndDiffer) {
  auto a = m::new_revision_id();
  auto b = m::new_revision_id();
  EXPECT_EQ(a.size(), 12u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
}

}  // namespace
