// Config::from_env: the .env/.flaskenv search walking up, the environment > .env > .flaskenv
// precedence, where each value came from, booleans, and the DATABASE_URL errors.
#include "retort/core/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <filesystem>
#include <string>

#include "retort/core/error.hpp"
#include "support/temp_dir.hpp"

namespace retort {
namespace {

namespace fs = std::filesystem;
using retort::testing::ScopedCwd;
using retort::testing::TempDir;

Config::Options options_for(const fs::path& start, std::map<std::string, std::string> environment = {}) {
  Config::Options options;
  options.start_dir = start;
  options.environment = std::move(environment);
  return options;
}

/// True when a directory above the temporary directory has its own .env/.flaskenv,
/// which would be found by the walk and make "nothing found" tests meaningless.
bool ancestors_have_dotenv(const fs::path& dir) {
  for (fs::path p = dir.parent_path();; p = p.parent_path()) {
    if (fs::exists(p / ".env") || fs::exists(p / ".flaskenv")) return true;
    if (p.parent_path() == p || p.parent_path().empty()) return false;
  }
}

std::string message_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected ConfigError";
  return "";
}

TEST(ConfigFromEnv, EnvironmentBeatsDotenvBeatsFlaskenv) {
  TempDir dir;
  dir.write(".env", "A=env-file\nB=env-file\n");
  dir.write(".flaskenv", "A=flaskenv\nB=flaskenv\nC=flaskenv\n");
  auto cfg = Config::from_env(options_for(dir.path(), {{"A", "process"}}));
  EXPECT_EQ(cfg.get("A"), "process");
  EXPECT_EQ(cfg.get("B"), "env-file");
  EXPECT_EQ(cfg.get("C"), "flaskenv");
  EXPECT_FALSE(cfg.get("D").has_value());
}

TEST(ConfigFromEnv, SourceNamesEnvironmentOrFilePath) {
  TempDir dir;
  auto env_file = dir.write(".env", "B=1\n");
  auto flaskenv = dir.write(".flaskenv", "C=1\n");
  auto cfg = Config::from_env(options_for(dir.path(), {{"A", "1"}}));
  EXPECT_EQ(cfg.source("A"), "environment");
  EXPECT_EQ(cfg.source("B"), env_file.string());
  EXPECT_EQ(cfg.source("C"), flaskenv.string());
  EXPECT_FALSE(cfg.source("D").has_value());
  ASSERT_EQ(cfg.files().size(), 2u);
  EXPECT_EQ(cfg.files()[0], env_file);
  EXPECT_EQ(cfg.files()[1], flaskenv);
}

TEST(ConfigFromEnv, WalksUpParentDirectories) {
  TempDir dir;
  auto env_file = dir.write(".env", "FROM_ROOT=1\n");
  auto flaskenv = dir.write("a/.flaskenv", "FROM_A=1\n");
  fs::create_directories(dir / "a/b/c");
  auto cfg = Config::from_env(options_for(dir / "a/b/c"));
  EXPECT_EQ(cfg.get("FROM_ROOT"), "1");
  EXPECT_EQ(cfg.source("FROM_ROOT"), env_file.string());
  EXPECT_EQ(cfg.get("FROM_A"), "1");
  EXPECT_EQ(cfg.source("FROM_A"), flaskenv.string());
}

TEST(ConfigFromEnv, NearestFileOfEachNameOnly) {
  TempDir dir;
  dir.write(".env", "OUTER=1\nSHARED=outer\n");
  auto inner = dir.write("app/.env", "SHARED=inner\n");
  auto cfg = Config::from_env(options_for(dir / "app"));
  EXPECT_EQ(cfg.get("SHARED"), "inner");
  EXPECT_EQ(cfg.source("SHARED"), inner.string());
  EXPECT_FALSE(cfg.get("OUTER").has_value());  // python-dotenv's find_dotenv stops at the first .env
}

TEST(ConfigFromEnv, DefaultStartIsWorkingDirectory) {
  TempDir dir;
  dir.write(".env", "HERE=yes\n");
  ScopedCwd cwd(dir.path());
  Config::Options options;
  options.environment = std::map<std::string, std::string>{};
  auto cfg = Config::from_env(options);
  EXPECT_EQ(cfg.get("HERE"), "yes");
}

TEST(ConfigFromEnv, LoadDotenvFalseReadsNoFiles) {
  TempDir dir;
  dir.write(".env", "A=1\n");
  auto options = options_for(dir.path(), {{"B", "2"}});
  options.load_dotenv = false;
  auto cfg = Config::from_env(options);
  EXPECT_FALSE(cfg.get("A").has_value());
  EXPECT_EQ(cfg.get("B"), "2");
  EXPECT_TRUE(cfg.files().empty());
}

TEST(ConfigFromEnv, ProcessEnvironmentUsedByDefault) {
  const char* name = "RETORT_CONFIG_TEST_PROCESS_VAR";
  ASSERT_EQ(std::getenv(name), nullptr);
  ASSERT_EQ(setenv(name, "from-process", 1), 0);
  TempDir dir;
  dir.write(".env", std::string(name) + "=from-file\n");
  Config::Options options;
  options.start_dir = dir.path();
  auto cfg = Config::from_env(options);
  unsetenv(name);
  EXPECT_EQ(cfg.get(name), "from-process");
  EXPECT_EQ(cfg.source(name), "environment");
}

TEST(ConfigFromEnv, ExpansionSeesEnvironmentAndEarlierFiles) {
  TempDir dir;
  dir.write(".env", "HOST=filehost\nUSER_NAME=ann\nURL=postgresql://${USER_NAME}@${HOST}/${DB:-shop}\n");
  dir.write(".flaskenv", "GREETING=hi ${USER_NAME} on ${HOST}\n");
  auto cfg = Config::from_env(options_for(dir.path(), {{"HOST", "envhost"}}));
  EXPECT_EQ(cfg.get("URL"), "postgresql://ann@envhost/shop");
  EXPECT_EQ(cfg.get("GREETING"), "hi ann on envhost");
  EXPECT_EQ(cfg.get("HOST"), "envhost");
}

TEST(ConfigFromEnv, CrLfFileIsReadLikeUnix) {
  TempDir dir;
  dir.write(".env", "\xEF\xBB\xBFKEY=value\r\nMULTI=\"a\r\nb\"\r\n");
  auto cfg = Config::from_env(options_for(dir.path()));
  EXPECT_EQ(cfg.get("KEY"), "value");
  EXPECT_EQ(cfg.get("MULTI"), "a\nb");
}

TEST(ConfigFromEnv, MalformedDotenvReportsFileLineColumn) {
  TempDir dir;
  auto env_file = dir.write(".env", "GOOD=1\n\nBAD=\"x\" junk\n");
  try {
    Config::from_env(options_for(dir.path()));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.location(), env_file.string() + ":3:9");
    std::string message = e.what();
    EXPECT_NE(message.find(env_file.string()), std::string::npos) << message;
    EXPECT_NE(message.find("line 3"), std::string::npos) << message;
  }
}

TEST(ConfigSet, WinsOverEverything) {
  TempDir dir;
  dir.write(".env", "A=file\n");
  auto cfg = Config::from_env(options_for(dir.path(), {{"A", "env"}}));
  cfg.set("A", "explicit");
  EXPECT_EQ(cfg.get("A"), "explicit");
  EXPECT_EQ(cfg.source("A"), "set()");
  cfg.set("B", "x", "app.cpp");
  EXPECT_EQ(cfg.source("B"), "app.cpp");
}

TEST(ConfigGetBool, AcceptsTrueAndFalseSpellings) {
  Config cfg;
  for (const char* yes : {"1", "true", "TRUE", "Yes", "on"}) {
    cfg.set("FLAG", yes);
    EXPECT_TRUE(cfg.get_bool("FLAG")) << yes;
  }
  for (const char* no : {"0", "false", "No", "OFF", ""}) {
    cfg.set("FLAG", no);
    EXPECT_FALSE(cfg.get_bool("FLAG", true)) << no;
  }
  EXPECT_TRUE(cfg.get_bool("MISSING", true));
  EXPECT_FALSE(cfg.get_bool("MISSING"));
}

TEST(ConfigGetBool, RejectsOtherValuesNamingKeyValueAndFile) {
  TempDir dir;
  auto env_file = dir.write(".env", "# echo\nSQLALCHEMY_ECHO=maybe\n");
  auto cfg = Config::from_env(options_for(dir.path()));
  try {
    cfg.echo();
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("SQLALCHEMY_ECHO"), std::string::npos) << message;
    EXPECT_NE(message.find("\"maybe\""), std::string::npos) << message;
    EXPECT_NE(message.find(env_file.string() + ":2"), std::string::npos) << message;
    EXPECT_EQ(e.location(), env_file.string() + ":2");
  }
}

TEST(ConfigGetBool, EchoReadsSqlalchemyEcho) {
  auto cfg = Config::from_env(options_for(TempDir().path(), {{"SQLALCHEMY_ECHO", "1"}}));
  EXPECT_TRUE(cfg.echo());
  EXPECT_FALSE(Config().echo());
}

TEST(ConfigDatabaseUrl, PrefersDatabaseUrlOverSqlalchemyUri) {
  TempDir dir;
  dir.write(".env", "SQLALCHEMY_DATABASE_URI=sqlite:///other.db\nDATABASE_URL=sqlite:///dev.db\n");
  auto url = Config::from_env(options_for(dir.path())).database_url();
  EXPECT_EQ(url.dialect, "sqlite");
  EXPECT_EQ(url.database, "dev.db");
}

TEST(ConfigDatabaseUrl, FallsBackToSqlalchemyDatabaseUri) {
  TempDir dir;
  dir.write(".flaskenv", "SQLALCHEMY_DATABASE_URI=postgres://ann:p%40ss@db/shop\n");
  auto url = Config::from_env(options_for(dir.path())).database_url();
  EXPECT_EQ(url.dialect, "postgresql");
  EXPECT_EQ(url.password, "p@ss");
}

TEST(ConfigDatabaseUrl, MissingNamesBothVariablesAndFilesRead) {
  TempDir dir;
  auto env_file = dir.write(".env", "OTHER=1\n");
  auto cfg = Config::from_env(options_for(dir.path()));
  std::string message = message_of([&] { cfg.database_url(); });
  EXPECT_NE(message.find("DATABASE_URL"), std::string::npos) << message;
  EXPECT_NE(message.find("SQLALCHEMY_DATABASE_URI"), std::string::npos) << message;
  EXPECT_NE(message.find(env_file.string()), std::string::npos) << message;
}

TEST(ConfigDatabaseUrl, MissingWithNoFilesNamesStartDirectory) {
  TempDir dir;
  if (ancestors_have_dotenv(dir.path())) GTEST_SKIP() << "a directory above " << dir.path() << " has a .env";
  fs::create_directories(dir / "deep/er");
  auto cfg = Config::from_env(options_for(dir / "deep/er"));
  EXPECT_TRUE(cfg.files().empty());
  std::string message = message_of([&] { cfg.database_url(); });
  EXPECT_NE(message.find("no .env/.flaskenv found walking up from " + (dir / "deep/er").string()), std::string::npos)
      << message;
}

TEST(ConfigDatabaseUrl, MalformedInFileNamesFileAndLine) {
  TempDir dir;
  auto env_file = dir.write(".env", "A=1\nDATABASE_URL=postgresql://ann:secret@db:54x2/shop\n");
  auto cfg = Config::from_env(options_for(dir.path()));
  try {
    cfg.database_url();
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("DATABASE_URL from " + env_file.string() + ":2"), std::string::npos) << message;
    EXPECT_NE(message.find("column 30"), std::string::npos) << message;
    EXPECT_EQ(message.find("secret"), std::string::npos) << message;
    EXPECT_EQ(e.location(), env_file.string() + ":2");
  }
}

TEST(ConfigDatabaseUrl, MalformedInEnvironmentSaysEnvironment) {
  auto cfg = Config::from_env(options_for(TempDir().path(), {{"DATABASE_URL", "sqlite:/dev.db"}}));
  std::string message = message_of([&] { cfg.database_url(); });
  EXPECT_NE(message.find("DATABASE_URL from the environment"), std::string::npos) << message;
  EXPECT_NE(message.find("'://'"), std::string::npos) << message;
}

}  // namespace
}  // namespace retort
