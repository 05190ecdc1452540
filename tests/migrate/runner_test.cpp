// The runner: the version table, one transaction per revision, progress,
// stamp, offline SQL that matches what runs; and autogenerate against a live
// database, its downgrade the exact inverse.
#include <gtest/gtest.h>

#include "migrate/migrate_fixture.hpp"

namespace r = retort;
namespace m = retort::migrate;

namespace {

using Rows = std::vector<std::vector<r::Value>>;

const char* kInitial = R"(upgrade:
  - create_table:
      name: owner
      columns:
        - {name: id, type: Integer(), nullable: false}
        - {name: name, type: String(50), nullable: false}
      primary_key: {name: pk_owner, columns: [id]}
downgrade:
  - drop_table: {name: owner}
)";
const char* kPets = R"(upgrade:
  - create_table:
      name: pet
      columns:
        - {name: id, type: Integer(), nullable: false}
        - {name: owner_id, type: Integer(), nullable: true}
      primary_key: {name: pk_pet, columns: [id]}
      foreign_keys:
        - {name: fk_pet_owner_id_owner, columns: [owner_id], referred_table: owner, referred_columns: [id]}
  - add_column: {table: owner, column: {name: email, type: String(100), nullable: true}}
downgrade:
  - drop_column: {table: owner, column: email}
  - drop_table: {name: pet}
)";

class Runner : public r::testing::MigrateTest {};

TEST_F(Runner, UpgradeCreatesTheTablesAndRecordsTheHead) {
  revision("a1", "", kInitial, "initial");
  revision("b2", "a1", kPets, "pets");
  std::vector<std::string> progress;
  auto mig = migrator({.progress = [&](const std::string& line) { progress.push_back(line); }});
  EXPECT_TRUE(mig.current().empty());
  mig.upgrade();
  EXPECT_EQ(mig.current(), (std::vector<std::string>{"b2"}));
  EXPECT_EQ(tables(), (std::vector<std::string>{"owner", "pet", "retort_version"}));
  ASSERT_EQ(progress.size(), 2u);
  EXPECT_EQ(progress[0].rfind("Running upgrade  -> a1, initial (", 0), 0u) << progress[0];
  EXPECT_EQ(progress[1].rfind("Running upgrade a1 -> b2, pets (", 0), 0u) << progress[1];
  mig.upgrade();  // nothing left: a no-op
  EXPECT_EQ(mig.current(), (std::vector<std::string>{"b2"}));
}

TEST_F(Runner, DowngradeStepsBackAndToBase) {
  revision("a1", "", kInitial);
  revision("b2", "a1", kPets);
  auto mig = migrator();
  mig.upgrade();
  exec("INSERT INTO owner (id, name, email) VALUES (1, 'Ann', 'a@x')");
  mig.downgrade("-1");
  EXPECT_EQ(mig.current(), (std::vector<std::string>{"a1"}));
  EXPECT_EQ(rows("SELECT * FROM owner"), (Rows{{r::Value(1), r::Value("Ann")}}));  // the column went, the row stayed
  mig.downgrade("base");
  EXPECT_TRUE(mig.current().empty());
  EXPECT_EQ(tables(), (std::vector<std::string>{"retort_version"}));
  mig.upgrade();
  EXPECT_EQ(tables(), (std::vector<std::string>{"owner", "pet", "retort_version"}));
}

TEST_F(Runner, ARevisionThatFailsHalfWayLeavesSchemaAndVersionAsBefore) {
  revision("a1", "", kInitial);
  revision("b2", "a1", R"yaml(upgrade:
  - add_column: {table: owner, column: {name: email, type: String(100), nullable: true}}
  - execute: "INSERT INTO nowhere VALUES (1)"
)yaml", "broken");
  auto mig = migrator();
  try {
    mig.upgrade();
    FAIL() << "expected MigrationError";
  } catch (const r::MigrationError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("revision b2 (broken) failed at 'execute INSERT INTO nowhere VALUES (1)'"), std::string::npos) << what;
    EXPECT_NE(what.find(r::testing::on_postgres() ? "relation \"nowhere\" does not exist" : "no such table: nowhere"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("rolled back"), std::string::npos);
    EXPECT_EQ(e.details().sql, "INSERT INTO nowhere VALUES (1)");
  }
  EXPECT_EQ(mig.current(), (std::vector<std::string>{"a1"}));  // the first revision stays applied
  EXPECT_EQ(live("owner").find_column("email"), nullptr);
}

TEST_F(Runner, UnknownTargetsAreNamed) {
  revision("a1", "", kInitial);
  auto mig = migrator();
  EXPECT_THROW(mig.upgrade("zz"), r::MigrationError);
  EXPECT_THROW(mig.downgrade("a1"), r::MigrationError);  // not below: nothing applied
  EXPECT_TRUE(mig.current().empty());
}

TEST_F(Runner, StampWritesTheVersionWithoutRunning) {
  revision("a1", "", kInitial);
  revision("b2", "a1", kPets);
  auto mig = migrator();
  mig.stamp("a1");
  EXPECT_EQ(mig.current(), (std::vector<std::string>{"a1"}));
  EXPECT_EQ(tables(), (std::vector<std::string>{"retort_version"}));
  mig.stamp("base");
  EXPECT_TRUE(mig.current().empty());
}

TEST_F(Runner, OfflineSqlIsWhatTheUpgradeRuns) {
  revision("a1", "", kInitial);
  revision("b2", "a1", kPets);
  std::ostringstream printed;
  migrator({.sql = &printed}).upgrade();
  EXPECT_EQ(tables(), (std::vector<std::string>{}));  // nothing ran
  take_statements();
  migrator().upgrade();
  std::string ran;
  for (auto& s : take_statements())
    if (s.rfind("CREATE", 0) == 0 || s.rfind("ALTER", 0) == 0 || s.rfind("INSERT", 0) == 0 || s.rfind("DELETE", 0) == 0)
      ran += s + ";\n\n";
  std::string offline;
  std::istringstream in(printed.str());
  for (std::string line; std::getline(in, line);)
    if (line.rfind("--", 0) != 0 && line != "BEGIN;" && line != "COMMIT;" && !line.empty()) offline += line + "\n";
  std::string executed;
  std::istringstream in2(ran);
  for (std::string line; std::getline(in2, line);)
    if (!line.empty()) executed += line + "\n";
  EXPECT_EQ(offline, executed);
  EXPECT_NE(printed.str().find("-- Running upgrade a1 -> b2, b2\n\nBEGIN;\n"), std::string::npos) << printed.str();
  std::ostringstream down;
  migrator({.sql = &down}).downgrade("b2:base");
  EXPECT_NE(down.str().find("DELETE FROM retort_version WHERE version_num = 'a1';"), std::string::npos) << down.str();
  EXPECT_THROW(migrator({.sql = &down}).downgrade("base"), r::MigrationError);  // offline needs FROM:TO
}

// ---- autogenerate ----------------------------------------------------------------------------------

struct Models {
  r::MetaData md;
  Models(bool v2) {
    if (!v2) {
      r::Table(md, "owner", {r::Column("id", r::Integer()).primary_key(), r::Column("name", r::String(50)).not_null(),
                             r::Column("nick", r::String(20))});
      r::Table(md, "pet", {r::Column("id", r::Integer()).primary_key(), r::Column("name", r::String(50)),
                           r::Column("owner_id", r::Integer()).foreign_key("owner.id")});
      r::Table(md, "gone", {r::Column("id", r::Integer()).primary_key()});
    } else {
      r::Table(md, "owner", {r::Column("id", r::Integer()).primary_key(), r::Column("name", r::Text()).not_null(),
                             r::Column("nickname", r::String(20)), r::Column("email", r::String(100)).index()});
      r::Table(md, "pet", {r::Column("id", r::Integer()).primary_key(), r::Column("name", r::String(50)).not_null(),
                           r::Column("owner_id", r::Integer()).foreign_key("owner.id"),
                           r::Column("kind", r::String(10)).server_default("'dog'")});
      r::Table(md, "toy", {r::Column("id", r::Integer()).primary_key(), r::Column("pet_id", r::Integer()).foreign_key("pet.id")});
    }
  }
};

class Autogenerate : public r::testing::MigrateTest {
 protected:
  /// Writes the diff between `models` and the database as revision `id` and upgrades to it.
  m::Diff generate_and_upgrade(const r::MetaData& models, const std::string& id, const std::string& down) {
    auto conn = engine().connect();
    auto diff = m::compare(models, conn);
    m::Revision rev;
    rev.id = id;
    if (!down.empty()) rev.down_revisions = {down};
    rev.message = id;
    rev.upgrade = diff.upgrade;
    rev.downgrade = diff.downgrade;
    rev.notes = diff.notes;
    std::ofstream(versions() / m::revision_file_name(rev)) << m::revision_yaml(rev);
    migrator().upgrade();
    return diff;
  }
};

TEST_F(Autogenerate, AnEmptyDatabaseGetsEveryTableParentsFirst) {
  Models v1(false);
  auto conn = engine().connect();
  auto diff = m::compare(v1.md, conn);
  std::vector<std::string> up, down;
  for (auto& op : diff.upgrade) up.push_back(m::describe(op));
  for (auto& op : diff.downgrade) down.push_back(m::describe(op));
  EXPECT_EQ(up, (std::vector<std::string>{"create table gone", "create table owner", "create table pet"}));
  EXPECT_EQ(down, (std::vector<std::string>{"drop table pet", "drop table owner", "drop table gone"}));
}

TEST_F(Autogenerate, InSyncMeansNoOperations) {
  Models v1(false);
  generate_and_upgrade(v1.md, "a1", "");
  auto conn = engine().connect();
  EXPECT_TRUE(m::compare(v1.md, conn).empty());
}

TEST_F(Autogenerate, EveryKindOfChangeAndItsInverse) {
  Models v1(false), v2(true);
  generate_and_upgrade(v1.md, "a1", "");
  auto conn = engine().connect();
  auto diff = m::compare(v2.md, conn);
  std::vector<std::string> up;
  for (auto& op : diff.upgrade) up.push_back(m::describe(op));
  EXPECT_EQ(up, (std::vector<std::string>{"alter column owner.name", "add column owner.nickname", "add column owner.email",
                                          "drop column owner.nick", "create index ix_owner_email on owner",
                                          "alter column pet.name", "add column pet.kind", "create table toy",
                                          "drop table gone"}));
  auto& alter = std::get<m::AlterColumn>(diff.upgrade[0]);
  EXPECT_EQ(alter.type->describe(), "Text()");
  EXPECT_FALSE(alter.nullable.has_value());
  auto& pet_name = std::get<m::AlterColumn>(diff.upgrade[5]);
  EXPECT_EQ(pet_name.nullable, false);
  ASSERT_EQ(diff.notes.size(), 1u);
  EXPECT_NE(diff.notes[0].find("possible rename: owner.nick -> owner.nickname"), std::string::npos);
  std::vector<std::string> down;
  for (auto& op : diff.downgrade) down.push_back(m::describe(op));
  EXPECT_EQ(down.front(), "create table gone");
  EXPECT_EQ(down.back(), "alter column owner.name");
}

TEST_F(Autogenerate, UpgradeKeepsRowsAndDowngradeRestoresTheSchemaExactly) {
  Models v1(false), v2(true);
  generate_and_upgrade(v1.md, "a1", "");
  exec("INSERT INTO owner (id, name, nick) VALUES (1, 'Ann', 'an')");
  exec("INSERT INTO pet (id, name, owner_id) VALUES (1, 'Rex', 1)");
  std::string v1_schema = schema_text();
  generate_and_upgrade(v2.md, "b2", "a1");
  EXPECT_EQ(rows("SELECT id, name, email FROM owner"), (Rows{{r::Value(1), r::Value("Ann"), r::Value()}}));
  EXPECT_EQ(rows("SELECT name, kind FROM pet"), (Rows{{r::Value("Rex"), r::Value("dog")}}));
  {
    auto conn = engine().connect();
    EXPECT_TRUE(m::compare(v2.md, conn).empty());  // db check is clean
  }
  migrator().downgrade("a1");
  EXPECT_EQ(schema_text(), v1_schema);
  EXPECT_EQ(rows("SELECT id, name FROM owner"), (Rows{{r::Value(1), r::Value("Ann")}}));
  migrator().upgrade();
  auto conn = engine().connect();
  EXPECT_TRUE(m::compare(v2.md, conn).empty());
}

TEST_F(Autogenerate, ForeignKeysAndUniqueConstraintsAreCompared) {
  r::MetaData a, b;
  r::Table(a, "owner", {r::Column("id", r::Integer()).primary_key(), r::Column("code", r::String(5))});
  r::Table(a, "pet", {r::Column("id", r::Integer()).primary_key(), r::Column("owner_id", r::Integer())});
  r::Table(b, "owner", {r::Column("id", r::Integer()).primary_key(), r::Column("code", r::String(5))});
  r::Table(b, "pet", {r::Column("id", r::Integer()).primary_key(), r::Column("owner_id", r::Integer()).foreign_key("owner.id")});
  b.table("owner");
  r::Table(b, "tag", {r::Column("id", r::Integer()).primary_key(), r::Column("label", r::String(5)).unique()});
  generate_and_upgrade(a, "a1", "");
  auto conn = engine().connect();
  auto diff = m::compare(b, conn);
  std::vector<std::string> up;
  for (auto& op : diff.upgrade) up.push_back(m::describe(op));
  EXPECT_EQ(up, (std::vector<std::string>{"add constraint fk_pet_owner_id_owner on pet", "create table tag"}));
}

}  // namespace

namespace {

TEST_F(Autogenerate, AnEnumColumnBringsItsCheckAndTheDatabaseRefusesOtherValues) {
  r::MetaData v1, v2;
  r::Table(v1, "pet", {r::Column("id", r::Integer()).primary_key(), r::Column("name", r::String(20))});
  r::Table(v2, "pet", {r::Column("id", r::Integer()).primary_key(), r::Column("name", r::String(20)),
                       r::Column("mood", r::Enum({"happy", "it's complicated"}))});
  generate_and_upgrade(v1, "a1", "");
  exec("INSERT INTO pet (id, name) VALUES (1, 'Rex')");
  auto diff = generate_and_upgrade(v2, "b2", "a1");
  std::vector<std::string> up;
  for (auto& op : diff.upgrade) up.push_back(m::describe(op));
  EXPECT_EQ(up, (std::vector<std::string>{"add column pet.mood", "add constraint ck_pet_mood on pet"}));
  exec("UPDATE pet SET mood = 'it''s complicated' WHERE id = 1");
  EXPECT_THROW(exec("UPDATE pet SET mood = 'zzz' WHERE id = 1"), r::IntegrityError);
  auto conn = engine().connect();
  EXPECT_TRUE(m::compare(v2, conn).empty());
  migrator().downgrade("a1");
  EXPECT_TRUE(m::compare(v1, conn).empty());
  EXPECT_EQ(rows("SELECT name FROM pet"), (Rows{{r::Value("Rex")}}));
}

}  // namespace

namespace {

TEST_F(Autogenerate, AnEnumThatGainsAValueReplacesItsCheck) {
  r::MetaData v1, v2;
  r::Table(v1, "pet", {r::Column("id", r::Integer()).primary_key(), r::Column("mood", r::Enum({"happy", "sad"}))});
  r::Table(v2, "pet", {r::Column("id", r::Integer()).primary_key(), r::Column("mood", r::Enum({"happy", "sad", "calm"}))});
  generate_and_upgrade(v1, "a1", "");
  exec("INSERT INTO pet (id, mood) VALUES (1, 'sad')");
  EXPECT_THROW(exec("INSERT INTO pet (id, mood) VALUES (2, 'calm')"), r::IntegrityError);
  auto diff = generate_and_upgrade(v2, "b2", "a1");
  std::vector<std::string> up;
  for (auto& op : diff.upgrade) up.push_back(m::describe(op));
  EXPECT_EQ(up, (std::vector<std::string>{"drop constraint ck_pet_mood on pet", "add constraint ck_pet_mood on pet"}));
  exec("INSERT INTO pet (id, mood) VALUES (2, 'calm')");
  auto conn = engine().connect();
  EXPECT_TRUE(m::compare(v2, conn).empty());
  exec("DELETE FROM pet WHERE id = 2");
  migrator().downgrade("a1");
  EXPECT_TRUE(m::compare(v1, conn).empty());
  EXPECT_THROW(exec("INSERT INTO pet (id, mood) VALUES (3, 'calm')"), r::IntegrityError);
  EXPECT_EQ(rows("SELECT mood FROM pet"), (Rows{{r::Value("sad")}}));
}

TEST_F(Autogenerate, UnnamedChecksAreNumberedApartFromEnumChecks) {
  r::Table t{"pet", {r::Column("id", r::Integer()).primary_key(), r::Column("mood", r::Enum({"a", "b"})),
                     r::Column("legs", r::Integer()), r::CheckConstraint{"legs >= 0", ""}}};
  ASSERT_EQ(t.check_constraints().size(), 2u);
  EXPECT_EQ(t.check_constraints()[0].name, "ck_pet_mood");
  EXPECT_EQ(t.check_constraints()[1].name, "ck_pet_1");
}

}  // namespace
