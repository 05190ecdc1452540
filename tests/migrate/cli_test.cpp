// The Flask-Migrate flow end to end through the db commands, in a temporary
// project directory: init, migrate, upgrade; models v2, migrate, upgrade with
// rows kept, downgrade to exactly v1, upgrade again, check; and bad input.
#include <gtest/gtest.h>

#include <cstdlib>

#include "migrate/migrate_fixture.hpp"
#include "retort/app/migrate.hpp"

namespace r = retort;
namespace m = retort::migrate;

namespace {

using Rows = std::vector<std::vector<r::Value>>;

/// v1: owner(id, name, nick), pet(id, name, owner_id), gone(id).
/// v2: owner.name becomes Text, nick is dropped, email (indexed) added;
/// pet.name becomes NOT NULL and pet.kind is added; toy is new, gone is gone.
r::MetaData models(int version) {
  r::MetaData md;
  if (version == 1) {
    r::Table(md, "owner", {r::Column("id", r::Integer()).primary_key(), r::Column("name", r::String(50)).not_null(),
                           r::Column("nick", r::String(20))});
    r::Table(md, "pet", {r::Column("id", r::Integer()).primary_key(), r::Column("name", r::String(50)),
                         r::Column("owner_id", r::Integer()).foreign_key("owner.id")});
    r::Table(md, "gone", {r::Column("id", r::Integer()).primary_key()});
  } else {
    r::Table(md, "owner", {r::Column("id", r::Integer()).primary_key(), r::Column("name", r::Text()).not_null(),
                           r::Column("email", r::String(100)).index()});
    r::Table(md, "pet", {r::Column("id", r::Integer()).primary_key(), r::Column("name", r::String(50)).not_null(),
                         r::Column("owner_id", r::Integer()).foreign_key("owner.id"),
                         r::Column("kind", r::String(10)).server_default("'dog'")});
    r::Table(md, "toy", {r::Column("id", r::Integer()).primary_key(), r::Column("pet_id", r::Integer()).foreign_key("pet.id")});
  }
  return md;
}

class Cli : public r::testing::MigrateTest {
 protected:
  Cli() : cwd_(dir_.path()) {
    const char* old = std::getenv("DATABASE_URL");
    if (old) saved_ = old;
    setenv("DATABASE_URL", url().c_str(), 1);
  }
  ~Cli() override {
    if (saved_) setenv("DATABASE_URL", saved_->c_str(), 1);
    else unsetenv("DATABASE_URL");
  }
  /// Runs `db args...` with `md` as the program's models.
  int db(const r::MetaData& md, std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    return r::Migrate(md).run(args, out_, err_);
  }
  std::vector<std::filesystem::path> revision_files() {
    std::vector<std::filesystem::path> out;
    for (auto& e : std::filesystem::directory_iterator(dir_ / "migrations" / "versions")) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }

  r::testing::ScopedCwd cwd_;
  std::optional<std::string> saved_;
  std::ostringstream out_, err_;
};

TEST_F(Cli, TheFlaskMigrateFlowEndToEnd) {
  auto v1 = models(1), v2 = models(2);
  ASSERT_EQ(db(v1, {"init"}), 0) << err_.str();
  EXPECT_TRUE(std::filesystem::exists(dir_ / "migrations" / "retort.yaml"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "migrations" / "README"));
  ASSERT_EQ(db(v1, {"migrate", "-m", "initial"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("Detected create table owner"), std::string::npos) << out_.str();
  ASSERT_EQ(db(v1, {"upgrade"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("Running upgrade  -> "), std::string::npos);
  exec("INSERT INTO owner (id, name, nick) VALUES (1, 'Ann', 'an')");
  exec("INSERT INTO pet (id, name, owner_id) VALUES (1, 'Rex', 1)");
  std::string v1_schema = schema_text();

  ASSERT_EQ(db(v2, {"migrate", "-m", "version two"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("INFO  Detected drop table gone"), std::string::npos) << out_.str();
  auto files = revision_files();
  ASSERT_EQ(files.size(), 2u);
  auto second = m::read_revision(files[0].filename().string().find("version_two") != std::string::npos ? files[0] : files[1]);
  std::vector<std::string> ops;
  for (auto& op : second.upgrade) ops.push_back(m::describe(op));
  EXPECT_EQ(ops, (std::vector<std::string>{"alter column owner.name", "add column owner.email", "drop column owner.nick",
                                           "create index ix_owner_email on owner", "alter column pet.name",
                                           "add column pet.kind", "create table toy", "drop table gone"}));
  // --sql prints what the upgrade then runs, rebuilds included.
  ASSERT_EQ(db(v2, {"upgrade", "--sql", m::read_revision(files[0]).down_revisions.empty()
                                               ? m::read_revision(files[0]).id + ":head"
                                               : m::read_revision(files[1]).id + ":head"}),
            0)
      << err_.str();
  std::string offline;
  {
    std::istringstream in(out_.str());
    std::string statement;
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("--", 0) == 0 || line == "BEGIN;" || line == "COMMIT;") continue;
      if (line.empty()) continue;
      offline += line + "\n";
    }
  }
  take_statements();  // the runner the command uses, on this test's engine, whose statements are logged
  m::Migrator(engine(), m::RevisionGraph::load(dir_ / "migrations" / "versions")).upgrade();
  std::string ran;
  for (auto& sql : take_statements())
    if (sql.rfind("CREATE", 0) == 0 || sql.rfind("ALTER", 0) == 0 || sql.rfind("DROP", 0) == 0 ||
        sql.rfind("INSERT", 0) == 0 || sql.rfind("DELETE", 0) == 0)
      ran += sql + ";\n";
  EXPECT_EQ(offline, ran);
  // A rebuild on SQLite, offline too; PostgreSQL alters the column in place.
  EXPECT_NE(ran.find(r::testing::on_postgres() ? "ALTER TABLE owner ALTER COLUMN" : "CREATE TABLE _retort_tmp_owner"),
            std::string::npos)
      << ran;
  EXPECT_EQ(rows("SELECT id, name, email FROM owner"), (Rows{{r::Value(1), r::Value("Ann"), r::Value()}}));
  EXPECT_EQ(rows("SELECT name, kind FROM pet"), (Rows{{r::Value("Rex"), r::Value("dog")}}));
  EXPECT_EQ(db(v2, {"check"}), 0) << err_.str();

  ASSERT_EQ(db(v2, {"downgrade"}), 0) << err_.str();
  EXPECT_EQ(schema_text(), v1_schema);
  EXPECT_EQ(rows("SELECT id, name FROM owner"), (Rows{{r::Value(1), r::Value("Ann")}}));
  EXPECT_EQ(rows("SELECT name, owner_id FROM pet"), (Rows{{r::Value("Rex"), r::Value(1)}}));
  ASSERT_EQ(db(v2, {"upgrade"}), 0) << err_.str();
  EXPECT_EQ(db(v2, {"check"}), 0) << err_.str();

  // A model change without a migration: check fails and lists it.
  auto v3 = models(2);
  r::Table(v3, "collar", {r::Column("id", r::Integer()).primary_key()});
  EXPECT_EQ(db(v3, {"check"}), 1);
  EXPECT_NE(err_.str().find("New upgrade operations detected:\n  - create table collar\n"), std::string::npos) << err_.str();
}

TEST_F(Cli, AnEmptyDiffWritesNoFile) {
  auto v1 = models(1);
  db(v1, {"init"});
  db(v1, {"migrate", "-m", "initial"});
  db(v1, {"upgrade"});
  ASSERT_EQ(db(v1, {"migrate", "-m", "nothing"}), 0);
  EXPECT_EQ(out_.str(), "INFO  No changes in schema detected.\n");
  EXPECT_EQ(revision_files().size(), 1u);
}

TEST_F(Cli, MigrateRefusesADatabaseThatIsNotUpToDate) {
  auto v1 = models(1);
  db(v1, {"init"});
  db(v1, {"migrate", "-m", "initial"});
  EXPECT_EQ(db(v1, {"migrate", "-m", "again"}), 1);
  EXPECT_NE(err_.str().find("Target database is not up to date (it is at base"), std::string::npos) << err_.str();
}

TEST_F(Cli, TwoHeadsAreMergedWithMerge) {
  auto v1 = models(1);
  db(v1, {"init"});
  db(v1, {"revision", "-m", "base"});
  auto base = m::read_revision(revision_files()[0]).id;
  for (auto id : {"aaa111", "bbb222"})
    std::ofstream(dir_ / "migrations" / "versions" / (std::string(id) + ".yaml"))
        << "revision: " << id << "\ndown_revision: " << base << "\nmessage: branch\nupgrade: []\n";
  EXPECT_EQ(db(v1, {"upgrade"}), 1);
  EXPECT_NE(err_.str().find("Multiple head revisions are present (aaa111, bbb222)"), std::string::npos) << err_.str();
  EXPECT_EQ(db(v1, {"branches"}), 0);
  EXPECT_EQ(out_.str(), base + " (branchpoint)\n");
  EXPECT_EQ(db(v1, {"revision", "-m", "x"}), 1);
  EXPECT_NE(err_.str().find("run `db merge` first"), std::string::npos);
  ASSERT_EQ(db(v1, {"merge", "-m", "join"}), 0) << err_.str();
  EXPECT_EQ(db(v1, {"upgrade"}), 0) << err_.str();
  EXPECT_EQ(db(v1, {"heads"}), 0);
  auto heads = out_.str();
  EXPECT_EQ(db(v1, {"current"}), 0);
  EXPECT_EQ(out_.str(), heads);
}

TEST_F(Cli, AMalformedRevisionFileIsNamedWithItsLine) {
  auto v1 = models(1);
  db(v1, {"init"});
  std::ofstream(dir_ / "migrations" / "versions" / "broken.yaml")
      << "revision: abc\ndown_revision: null\nupgrade:\n  - drop_table: {nme: x}\n";
  EXPECT_EQ(db(v1, {"upgrade"}), 1);
  EXPECT_NE(err_.str().find("broken.yaml:4:17: drop_table needs 'name'"), std::string::npos) << err_.str();
}

TEST_F(Cli, UnknownTargetsAndCommandsAreRefused) {
  auto v1 = models(1);
  db(v1, {"init"});
  db(v1, {"migrate", "-m", "initial"});
  EXPECT_EQ(db(v1, {"upgrade", "nope"}), 1);
  EXPECT_NE(err_.str().find("Can't locate revision identified by 'nope'"), std::string::npos);
  EXPECT_NE(db(v1, {"upgrayedd"}), 0);
  EXPECT_EQ(db(v1, {"init"}), 1);
  EXPECT_NE(err_.str().find("already exists and is not empty"), std::string::npos);
  EXPECT_EQ(db(v1, {"-d", "elsewhere", "current"}), 1);
  EXPECT_NE(err_.str().find("no migrations folder at 'elsewhere'"), std::string::npos);
  EXPECT_EQ(r::Migrate(v1, false).run({"check"}, out_, err_), 1);
  EXPECT_NE(err_.str().find("run it through the program that maps them"), std::string::npos);
}

TEST_F(Cli, StampShowHistoryAndOfflineSql) {
  auto v1 = models(1);
  db(v1, {"init"});
  db(v1, {"migrate", "-m", "initial"});
  auto id = m::read_revision(revision_files()[0]).id;
  EXPECT_EQ(db(v1, {"upgrade", "--sql"}), 0);
  EXPECT_NE(out_.str().find("CREATE TABLE owner ("), std::string::npos);
  EXPECT_NE(out_.str().find("INSERT INTO retort_version (version_num) VALUES ('" + id + "');"), std::string::npos);
  EXPECT_EQ(tables(), (std::vector<std::string>{}));  // nothing ran
  EXPECT_EQ(db(v1, {"stamp", "head"}), 0) << err_.str();
  EXPECT_EQ(db(v1, {"current"}), 0);
  EXPECT_EQ(out_.str(), id + " (head)\n");
  EXPECT_EQ(db(v1, {"history"}), 0);
  EXPECT_EQ(out_.str(), "<base> -> " + id + " (head), initial\n");
  EXPECT_EQ(db(v1, {"show", id.substr(0, 4)}), 0);
  EXPECT_NE(out_.str().find("revision: " + id), std::string::npos);
}

}  // namespace
