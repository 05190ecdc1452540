// Flask-Migrate's --multidb through the db commands: models on two binds,
// `db init --multidb`, migrate, upgrade (each table in its own database), a
// changed model whose revision touches only its bind, check per bind, --sql
// per bind, downgrade to base; a bind that fails after another succeeded;
// and bad input (an unconfigured bind in a file or in the models, files of
// the other layout).
//
// The default bind is the test's database (a SQLite file, or a PostgreSQL
// schema on the pg.* run); the second, "auth", is a SQLite file
// (SecondBindOnASqliteFile) or a database of its own created on the
// PostgreSQL server (SecondBindOnAPostgresDatabase): two SQLite files,
// SQLite + PostgreSQL both ways, and two PostgreSQL databases.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>

#include "migrate/migrate_fixture.hpp"
#include "retort/app/migrate.hpp"
#include "retort/orm/ptr.hpp"

namespace r = retort;
namespace m = retort::migrate;

// The models: mdb_note in the default database, mdb_account and mdb_login in "auth".
// mdb_note.account_id refers to auth's mdb_account: no constraint in either database.
struct MdbNote {
  std::int64_t id = 0;
  std::string text;
  std::optional<std::int64_t> account_id;
};
struct MdbAccount {
  std::int64_t id = 0;
  std::string email;
};
struct MdbLogin {
  std::int64_t id = 0;
  std::int64_t account_id = 0;
};

template <>
struct r::Mapping<MdbNote> {
  static void map(r::Mapper<MdbNote>& m) {
    m.table("mdb_note");
    m.column(&MdbNote::id, "id").primary_key();
    m.column(&MdbNote::text, "text", r::String(200));
    m.column(&MdbNote::account_id, "account_id").foreign_key("mdb_account.id");
  }
};
template <>
struct r::Mapping<MdbAccount> {
  static void map(r::Mapper<MdbAccount>& m) {
    m.table("mdb_account").bind_key("auth");
    m.column(&MdbAccount::id, "id").primary_key();
    m.column(&MdbAccount::email, "email", r::String(100)).not_null();
  }
};
template <>
struct r::Mapping<MdbLogin> {
  static void map(r::Mapper<MdbLogin>& m) {
    m.table("mdb_login").bind_key("auth");
    m.column(&MdbLogin::id, "id").primary_key();
    m.column(&MdbLogin::account_id, "account_id").foreign_key("mdb_account.id");
  }
};

namespace {

std::vector<std::string> describe(const std::vector<m::Operation>& ops) {
  std::vector<std::string> out;
  for (auto& op : ops) out.push_back(m::describe(op));
  return out;
}

class MultiDb : public r::testing::MigrateTest {
 protected:
  MultiDb() : cwd_(dir_.path()) {
    r::register_models<MdbNote, MdbAccount, MdbLogin>();
    for (const char* name : {"DATABASE_URL", "DATABASE_URL_AUTH", "DATABASE_URL_AUTTH", "SQLALCHEMY_BINDS"})
      if (const char* old = std::getenv(name)) saved_.emplace_back(name, old);
      else saved_.emplace_back(name, std::nullopt);
    setenv("DATABASE_URL", url().c_str(), 1);
    unsetenv("DATABASE_URL_AUTH");
    unsetenv("DATABASE_URL_AUTTH");
    unsetenv("SQLALCHEMY_BINDS");
  }
  ~MultiDb() override {
    for (auto& [name, value] : saved_)
      if (value) setenv(name.c_str(), value->c_str(), 1);
      else unsetenv(name.c_str());
  }

  /// The auth bind's database at `url` (DATABASE_URL_AUTH).
  void auth_at(const std::string& url) {
    auth_url_ = url;
    setenv("DATABASE_URL_AUTH", url.c_str(), 1);
  }
  std::string sqlite_file(const std::string& name) { return "sqlite:///" + (dir_ / name).string(); }

  /// Runs `db args...` with `models` as the program's models of each bind.
  int db(const r::Migrate::BindModels& models, std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    return r::Migrate(models).run(args, out_, err_);
  }
  /// Runs `db args...` as the `retort` tool does: no models.
  int tool(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    static const r::MetaData none;
    return r::Migrate(none, false).run(args, out_, err_);
  }

  /// The tables of the auth database, sorted.
  std::vector<std::string> auth_tables() {
    r::Engine e(auth_url_);
    std::vector<std::string> names;
    {
      auto conn = e.connect();
      names = conn.dialect().table_names(conn);
    }
    e.dispose();
    std::sort(names.begin(), names.end());
    return names;
  }
  std::vector<std::filesystem::path> revision_files() {
    std::vector<std::filesystem::path> out;
    for (auto& e : std::filesystem::directory_iterator(dir_ / "migrations" / "versions")) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }
  /// Writes a revision file into migrations/versions; returns its path as errors name it (from the working directory).
  std::filesystem::path write(const std::string& name, const std::string& text) {
    auto path = std::filesystem::path("migrations") / "versions" / name;
    std::ofstream(path) << text;
    return path;
  }

  void end_to_end();

  r::testing::ScopedCwd cwd_;
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
  std::string auth_url_;
  std::ostringstream out_, err_;
};

/// The flow, on whatever databases the test put the two binds.
void MultiDb::end_to_end() {
  const auto v1 = r::Migrate::mapped_models();
  ASSERT_EQ(v1.at("")->tables().size(), 1u) << "the default bind's models are mdb_note only";
  ASSERT_EQ(v1.at("auth")->tables().size(), 2u);

  ASSERT_EQ(db(v1, {"init", "--multidb"}), 0) << err_.str();
  std::ifstream settings(dir_ / "migrations" / "retort.yaml");
  std::string settings_text((std::istreambuf_iterator<char>(settings)), {});
  EXPECT_NE(settings_text.find("\nmultidb: true\n"), std::string::npos) << settings_text;

  // migrate: one revision, a list per bind
  ASSERT_EQ(db(v1, {"migrate", "-m", "initial"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("INFO  [default] Detected create table mdb_note\n"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("INFO  [auth] Detected create table mdb_account\n"), std::string::npos) << out_.str();
  auto files = revision_files();
  ASSERT_EQ(files.size(), 1u);
  auto first = m::read_revision(files[0], m::Layout::multidb);
  ASSERT_EQ(first.binds.size(), 2u);
  EXPECT_EQ(describe(first.binds.at("").upgrade), (std::vector<std::string>{"create table mdb_note"}));
  EXPECT_TRUE(std::get<m::CreateTable>(first.binds.at("").upgrade.at(0)).table.foreign_keys.empty())
      << "a key into another database is no constraint";
  EXPECT_EQ(describe(first.binds.at("auth").upgrade),
            (std::vector<std::string>{"create table mdb_account", "create table mdb_login"}));
  EXPECT_EQ(describe(first.binds.at("auth").downgrade),
            (std::vector<std::string>{"drop table mdb_login", "drop table mdb_account"}));
  EXPECT_TRUE(first.upgrade.empty());
  {
    std::ifstream in(files[0]);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    EXPECT_NE(text.find("\nbinds:\n  default:\n    upgrade:\n      - create_table:"), std::string::npos) << text;
    EXPECT_NE(text.find("\n  auth:\n    upgrade:\n"), std::string::npos) << text;
  }

  // upgrade: each table in its own database, each database with its version row
  ASSERT_EQ(db(v1, {"upgrade"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("INFO  [default] Running upgrade  -> " + first.id + ", initial"), std::string::npos)
      << out_.str();
  EXPECT_NE(out_.str().find("INFO  [auth] Running upgrade  -> " + first.id + ", initial"), std::string::npos);
  EXPECT_EQ(tables(), (std::vector<std::string>{"mdb_note", "retort_version"}));
  EXPECT_EQ(auth_tables(), (std::vector<std::string>{"mdb_account", "mdb_login", "retort_version"}));
  ASSERT_EQ(db(v1, {"current"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "default: " + first.id + " (head)\nauth: " + first.id + " (head)\n");
  EXPECT_EQ(db(v1, {"check"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "No new upgrade operations detected.\n");
  ASSERT_EQ(db(v1, {"migrate", "-m", "nothing"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "INFO  No changes in schema detected.\n");

  // A changed auth model: the revision's default list is empty
  r::MetaData auth_v2 = *v1.at("auth");
  r::Table(auth_v2, "mdb_token", {r::Column("id", r::Integer()).primary_key(),
                                  r::Column("account_id", r::Integer()).foreign_key("mdb_account.id"),
                                  r::Column("value", r::String(64)).not_null()});
  r::Migrate::BindModels v2{{"", v1.at("")}, {"auth", &auth_v2}};
  ASSERT_EQ(db(v2, {"migrate", "-m", "tokens"}), 0) << err_.str();
  EXPECT_EQ(out_.str().find("[default] Detected"), std::string::npos) << out_.str();
  files = revision_files();
  ASSERT_EQ(files.size(), 2u);
  auto second = m::read_revision(files[0] == first.path ? files[1] : files[0], m::Layout::multidb);
  EXPECT_EQ(second.down_revisions, std::vector<std::string>{first.id});
  EXPECT_TRUE(second.binds.at("").upgrade.empty());
  EXPECT_TRUE(second.binds.at("").downgrade.empty());
  EXPECT_EQ(describe(second.binds.at("auth").upgrade), (std::vector<std::string>{"create table mdb_token"}));
  ASSERT_EQ(db(v2, {"upgrade"}), 0) << err_.str();
  EXPECT_EQ(tables(), (std::vector<std::string>{"mdb_note", "retort_version"}));
  EXPECT_EQ(auth_tables(), (std::vector<std::string>{"mdb_account", "mdb_login", "mdb_token", "retort_version"}));
  EXPECT_EQ(db(v2, {"check"}), 0) << err_.str();

  // Changes without a migration: check fails and lists them per bind
  r::MetaData default_v3 = *v1.at("");
  r::Table(default_v3, "mdb_tag", {r::Column("id", r::Integer()).primary_key()});
  EXPECT_EQ(db({{"", &default_v3}, {"auth", &auth_v2}}, {"check"}), 1);
  EXPECT_EQ(err_.str(),
            "New upgrade operations detected in the default database (DATABASE_URL):\n  - create table mdb_tag\n"
            "Run `db migrate -m MESSAGE` to write them into a revision, then `db upgrade`.\n");
  EXPECT_EQ(db(v1, {"check"}), 1);  // auth's models without mdb_token
  EXPECT_EQ(err_.str(),
            "New upgrade operations detected in bind auth (DATABASE_URL_AUTH):\n  - drop table mdb_token\n"
            "Run `db migrate -m MESSAGE` to write them into a revision, then `db upgrade`.\n");

  // --sql: each bind's statements under a header naming it, in its dialect
  ASSERT_EQ(tool({"upgrade", "--sql", "base:" + first.id}), 0) << err_.str();
  std::string sql = out_.str();
  auto default_header = sql.find("-- Bind default (DATABASE_URL)\n");
  auto auth_header = sql.find("-- Bind auth (DATABASE_URL_AUTH)\n");
  ASSERT_NE(default_header, std::string::npos) << sql;
  ASSERT_NE(auth_header, std::string::npos) << sql;
  EXPECT_LT(default_header, sql.find("CREATE TABLE mdb_note ("));
  EXPECT_LT(sql.find("CREATE TABLE mdb_note ("), auth_header);
  EXPECT_GT(sql.find("CREATE TABLE mdb_account ("), auth_header);
  EXPECT_EQ(sql.find("mdb_token"), std::string::npos) << "upgrade --sql base:FIRST stops at the first revision";

  // downgrade: one step per bind, then base; the tool needs no models
  ASSERT_EQ(tool({"downgrade"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("INFO  [auth] Running downgrade " + second.id + " -> " + first.id), std::string::npos)
      << out_.str();
  EXPECT_EQ(auth_tables(), (std::vector<std::string>{"mdb_account", "mdb_login", "retort_version"}));
  ASSERT_EQ(tool({"downgrade", "base"}), 0) << err_.str();
  EXPECT_EQ(tables(), (std::vector<std::string>{"retort_version"}));
  EXPECT_EQ(auth_tables(), (std::vector<std::string>{"retort_version"}));
  ASSERT_EQ(tool({"current"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "default: (base)\nauth: (base)\n");
  ASSERT_EQ(tool({"stamp", "head"}), 0) << err_.str();
  ASSERT_EQ(tool({"current"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "default: " + second.id + " (head)\nauth: " + second.id + " (head)\n");
}

TEST_F(MultiDb, SecondBindOnASqliteFile) {
  auth_at(sqlite_file("auth.db"));
  end_to_end();
}

TEST_F(MultiDb, SecondBindOnAPostgresDatabase) {
  if (!r::testing::PostgresDatabase::available()) GTEST_SKIP() << "no PostgreSQL server: run through scripts/with-postgres.sh";
  r::testing::PostgresDatabase auth;
  auth_at(auth.url());
  end_to_end();
}

TEST_F(MultiDb, ABindThatFailsLeavesTheBindsBeforeItUpgraded) {
  auth_at(sqlite_file("auth.db"));
  ASSERT_EQ(tool({"init", "--multidb"}), 0) << err_.str();
  std::string head =
      "revision: a1\ndown_revision: null\nmessage: first\nbinds:\n"
      "  default:\n    upgrade:\n      - create_table: {name: mdb_first, columns: [{name: id, type: Integer()}]}\n"
      "    downgrade:\n      - drop_table: {name: mdb_first}\n";
  write("a1_first.yaml", head + "  auth:\n    upgrade:\n      - execute: {sql: SELECT id FROM mdb_no_such_table}\n");
  EXPECT_EQ(tool({"upgrade"}), 1);
  EXPECT_NE(err_.str().find("Error: bind auth (DATABASE_URL_AUTH): revision a1 (first) failed at"), std::string::npos)
      << err_.str();
  EXPECT_NE(err_.str().find("The binds before it (default) ran their upgrade and keep it: a revision is atomic within "
                            "each database, not across them."),
            std::string::npos)
      << err_.str();
  ASSERT_EQ(tool({"current"}), 0);
  EXPECT_EQ(out_.str(), "default: a1 (head)\nauth: (base)\n");
  EXPECT_EQ(tables(), (std::vector<std::string>{"mdb_first", "retort_version"}));
  EXPECT_EQ(auth_tables(), (std::vector<std::string>{"retort_version"}));  // its revision was rolled back

  // Fixed, upgrade continues each bind where it stands
  write("a1_first.yaml", head + "  auth:\n    upgrade:\n      - create_table: {name: mdb_second, columns: [{name: id, "
                                "type: Integer()}]}\n    downgrade:\n      - drop_table: {name: mdb_second}\n");
  ASSERT_EQ(tool({"upgrade"}), 0) << err_.str();
  EXPECT_EQ(out_.str().find("[default] Running"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("INFO  [default] Already at a1"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("INFO  [auth] Running upgrade  -> a1, first"), std::string::npos) << out_.str();
  EXPECT_EQ(auth_tables(), (std::vector<std::string>{"mdb_second", "retort_version"}));
  ASSERT_EQ(tool({"current"}), 0);
  EXPECT_EQ(out_.str(), "default: a1 (head)\nauth: a1 (head)\n");
}

TEST_F(MultiDb, ARevisionNamingABindWithoutAUrlIsRefused) {
  auth_at(sqlite_file("auth.db"));
  ASSERT_EQ(tool({"init", "--multidb"}), 0) << err_.str();
  auto path = write("b1.yaml",
                    "revision: b1\ndown_revision: null\nbinds:\n  default:\n    upgrade: []\n"
                    "  autth:\n    upgrade:\n      - drop_table: {name: mdb_account}\n");
  EXPECT_EQ(tool({"upgrade"}), 1);
  EXPECT_EQ(err_.str(), "Error: bind 'autth' (named in " + path.string() +
                            ":6:3) has no database: set DATABASE_URL_AUTTH (or add \"autth\" to SQLALCHEMY_BINDS) in "
                            "the environment or .env; the configured binds are auth\n");
  EXPECT_EQ(tables(), (std::vector<std::string>{}));  // nothing ran, on no database
  EXPECT_EQ(tool({"upgrade", "--sql"}), 1);  // offline too: each bind's SQL is in its database's dialect
}

TEST_F(MultiDb, TwoBindsOnOneDatabaseAreRefused) {
  auth_at(url());  // the default's database: one version table for both
  ASSERT_EQ(tool({"init", "--multidb"}), 0) << err_.str();
  write("f1.yaml", "revision: f1\ndown_revision: null\nbinds:\n  default: {}\n  auth: {}\n");
  EXPECT_EQ(tool({"upgrade"}), 1);
  EXPECT_NE(err_.str().find("Error: DATABASE_URL and DATABASE_URL_AUTH name one database ("), std::string::npos)
      << err_.str();
  EXPECT_EQ(tables(), (std::vector<std::string>{}));
}

TEST_F(MultiDb, AModelBindWithoutAUrlIsRefused) {
  const auto models = r::Migrate::mapped_models();
  ASSERT_EQ(db(models, {"init", "--multidb"}), 0) << err_.str();
  EXPECT_EQ(db(models, {"migrate", "-m", "initial"}), 1);
  EXPECT_EQ(err_.str(), "Error: bind 'auth' (the bind_key of models) has no database: set DATABASE_URL_AUTH (or add "
                        "\"auth\" to SQLALCHEMY_BINDS) in the environment or .env; no bind is configured\n");
  EXPECT_EQ(db(models, {"check"}), 1);
  EXPECT_NE(err_.str().find("set DATABASE_URL_AUTH"), std::string::npos) << err_.str();
  EXPECT_TRUE(revision_files().empty());

  // SQLALCHEMY_BINDS serves as well as DATABASE_URL_AUTH
  setenv("SQLALCHEMY_BINDS", ("{\"auth\": \"" + sqlite_file("auth.db") + "\"}").c_str(), 1);
  auth_url_ = sqlite_file("auth.db");
  ASSERT_EQ(db(models, {"migrate", "-m", "initial"}), 0) << err_.str();
  ASSERT_EQ(db(models, {"upgrade"}), 0) << err_.str();
  EXPECT_EQ(auth_tables(), (std::vector<std::string>{"mdb_account", "mdb_login", "retort_version"}));
}

TEST_F(MultiDb, TheDefaultModelsAloneCannotMigrateSeveralBinds) {
  auth_at(sqlite_file("auth.db"));
  const auto models = r::Migrate::mapped_models();
  ASSERT_EQ(db(models, {"init", "--multidb"}), 0) << err_.str();
  ASSERT_EQ(db(models, {"migrate", "-m", "initial"}), 0) << err_.str();
  out_.str("");
  err_.str("");
  EXPECT_EQ(r::Migrate(r::mapped_metadata()).run({"check"}, out_, err_), 1);
  EXPECT_NE(err_.str().find("`db check` was given the default database's models only, and this --multidb folder also "
                            "has bind auth: give Migrate every bind's models"),
            std::string::npos)
      << err_.str();
}

TEST_F(MultiDb, FilesOfTheOtherLayoutAreRefusedWithTheirLine) {
  auth_at(sqlite_file("auth.db"));
  ASSERT_EQ(tool({"init", "--multidb"}), 0) << err_.str();
  auto single = write("c1.yaml", "revision: c1\ndown_revision: null\nupgrade: []\n");
  EXPECT_EQ(tool({"history"}), 1);
  EXPECT_NE(err_.str().find(single.string() + ":3:10: 'upgrade' at the top of a revision is for a single-database "
                                              "migrations folder; this one is --multidb"),
            std::string::npos)
      << err_.str();
  std::filesystem::remove(single);
  auto typo = write("c2.yaml", "revision: c2\ndown_revision: null\nbinds:\n  auth:\n    upgrade: []\n    downgrde: []\n");
  EXPECT_EQ(tool({"history"}), 1);
  EXPECT_NE(err_.str().find(typo.string() + ":6:5: bind 'auth' has 'downgrde'; a bind holds only upgrade and downgrade"),
            std::string::npos)
      << err_.str();
  std::filesystem::remove(typo);
  auto empty_key = write("c3.yaml", "revision: c3\ndown_revision: null\nbinds:\n  \"\":\n    upgrade: []\n");
  EXPECT_EQ(tool({"history"}), 1);
  EXPECT_NE(err_.str().find(empty_key.string() + ":4:3: a bind key must be a non-empty name; the default database is "
                                                 "written 'default'"),
            std::string::npos)
      << err_.str();
  std::filesystem::remove(empty_key);

  // and a multidb file in a single-database folder
  std::filesystem::remove_all(dir_ / "migrations");
  ASSERT_EQ(tool({"init"}), 0) << err_.str();
  auto multi = write("d1.yaml", "revision: d1\ndown_revision: null\nbinds:\n  default: {upgrade: []}\n");
  EXPECT_EQ(tool({"history"}), 1);
  EXPECT_NE(err_.str().find(multi.string() + ":4:3: 'binds' is for a migrations folder made with `db init --multidb`"),
            std::string::npos)
      << err_.str();
}

TEST_F(MultiDb, TheRunnerTakesOneBindsPartOfTheGraph) {
  ASSERT_EQ(tool({"init", "--multidb"}), 0) << err_.str();
  auto path = write("e1.yaml",
                    "revision: e1\ndown_revision: null\nmessage: one\nbinds:\n"
                    "  default: {upgrade: [{create_table: {name: mdb_d, columns: [{name: id, type: Integer()}]}}]}\n"
                    "  auth:\n    upgrade:\n      - create_table: {name: mdb_a, columns: [{name: id, type: Integer()}]}\n"
                    "    downgrade:\n      - drop_table: {name: mdb_a}\n");
  auto graph = m::RevisionGraph::load(dir_ / "migrations" / "versions", m::Layout::multidb);
  EXPECT_EQ(graph.bind_keys(), (std::map<std::string, std::string, std::less<>>{{"", (dir_ / path).string() + ":5:3"},
                                                                                  {"auth", (dir_ / path).string() + ":6:3"}}));
  EXPECT_THROW(m::Migrator(engine(), graph), r::MigrationError);  // which bind's operations would it run?
  m::Migrator(engine(), graph.for_bind("auth")).upgrade();
  EXPECT_EQ(tables(), (std::vector<std::string>{"mdb_a", "retort_version"}));
  EXPECT_EQ(describe(graph.for_bind("unnamed").get("e1").upgrade), std::vector<std::string>{});

  // Written back, the file reads the same
  auto rev = m::read_revision(path, m::Layout::multidb);
  auto again = write("e2.yaml", m::revision_yaml(rev));
  auto reread = m::read_revision(again, m::Layout::multidb);
  EXPECT_EQ(m::revision_yaml(reread), m::revision_yaml(rev));
  EXPECT_EQ(describe(reread.binds.at("").upgrade), std::vector<std::string>{"create table mdb_d"});
  EXPECT_EQ(describe(reread.binds.at("auth").downgrade), std::vector<std::string>{"drop table mdb_a"});
}

}  // namespace
