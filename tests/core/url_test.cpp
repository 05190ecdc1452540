// Url::parse and Url::render: every URL form SQLAlchemy accepts, the sqlite slash rules,
// percent-decoding, and malformed URLs reported with their column.
#include "retort/core/url.hpp"

#include <gtest/gtest.h>

#include <string>

#include "retort/core/error.hpp"

namespace retort {
namespace {

TEST(UrlParse, PostgresPercentEncodedPassword) {
  auto u = Url::parse("postgresql://ann:p%40ss@db:5432/shop?sslmode=require");
  EXPECT_EQ(u.dialect, "postgresql");
  EXPECT_EQ(u.driver, "");
  EXPECT_EQ(u.username, "ann");
  EXPECT_EQ(u.password, "p@ss");
  EXPECT_EQ(u.host, "db");
  EXPECT_EQ(u.port, 5432);
  EXPECT_EQ(u.database, "shop");
  EXPECT_EQ(u.query_value("sslmode"), "require");
  EXPECT_FALSE(u.is_memory());
}

TEST(UrlParse, PostgresSchemeIsNormalisedToPostgresql) {
  auto u = Url::parse("postgres://ann@db/shop");
  EXPECT_EQ(u.dialect, "postgresql");
  EXPECT_EQ(u.username, "ann");
  EXPECT_FALSE(u.password.has_value());
  EXPECT_EQ(u.render(), "postgresql://ann@db/shop");
}

TEST(UrlParse, DriverAfterPlus) {
  auto u = Url::parse("postgresql+psycopg2://ann:pw@db/shop");
  EXPECT_EQ(u.dialect, "postgresql");
  EXPECT_EQ(u.driver, "psycopg2");
  EXPECT_EQ(u.render(), "postgresql+psycopg2://ann:***@db/shop");
}

TEST(UrlParse, HostOnlyHasNoUserPortOrDatabase) {
  auto u = Url::parse("postgresql://localhost");
  EXPECT_EQ(u.host, "localhost");
  EXPECT_FALSE(u.username.has_value());
  EXPECT_FALSE(u.port.has_value());
  EXPECT_EQ(u.database, "");
  EXPECT_TRUE(u.query.empty());
}

TEST(UrlParse, EmptyPasswordIsKeptAsEmpty) {
  auto u = Url::parse("postgresql://ann:@db/shop");
  EXPECT_EQ(u.username, "ann");
  EXPECT_EQ(u.password, "");
}

TEST(UrlParse, UnencodedAtInPasswordSplitsAtLastAt) {
  auto u = Url::parse("postgresql://ann:p@ss@db/shop");
  EXPECT_EQ(u.password, "p@ss");
  EXPECT_EQ(u.host, "db");
}

TEST(UrlParse, SocketDirectoryInQueryWithEmptyHost) {
  auto u = Url::parse("postgresql:///shop?host=/var/run/postgresql");
  EXPECT_EQ(u.host, "");
  EXPECT_EQ(u.database, "shop");
  EXPECT_EQ(u.query_value("host"), "/var/run/postgresql");
}

TEST(UrlParse, Ipv6HostInBrackets) {
  auto u = Url::parse("postgresql://ann:pw@[::1]:5433/shop");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 5433);
  EXPECT_EQ(u.render(false), "postgresql://ann:pw@[::1]:5433/shop");
}

TEST(UrlParse, QueryKeepsOrderAndRepeatedKeys) {
  auto u = Url::parse("postgresql://db/shop?a=1&b=2&a=3");
  ASSERT_EQ(u.query.size(), 3u);
  EXPECT_EQ(u.query[0], (std::pair<std::string, std::string>{"a", "1"}));
  EXPECT_EQ(u.query[1], (std::pair<std::string, std::string>{"b", "2"}));
  EXPECT_EQ(u.query[2], (std::pair<std::string, std::string>{"a", "3"}));
  EXPECT_EQ(u.query_value("a"), "3");
  EXPECT_FALSE(u.query_value("c").has_value());
}

TEST(UrlParse, QueryIsPercentAndPlusDecoded) {
  auto u = Url::parse("postgresql://db/shop?application_name=my%20app&opt=a+b&k%3D=v%26&empty=&&");
  EXPECT_EQ(u.query_value("application_name"), "my app");
  EXPECT_EQ(u.query_value("opt"), "a b");
  EXPECT_EQ(u.query_value("k="), "v&");
  EXPECT_EQ(u.query_value("empty"), "");
  EXPECT_EQ(u.query.size(), 4u);
}

TEST(UrlParse, UserAndDatabaseArePercentDecoded) {
  auto u = Url::parse("postgresql://ann%20lee@db/my%2Fshop");
  EXPECT_EQ(u.username, "ann lee");
  EXPECT_EQ(u.database, "my/shop");
}

TEST(UrlParse, SqliteRelativePathStaysRelative) {
  auto u = Url::parse("sqlite:///relative.db");
  EXPECT_EQ(u.dialect, "sqlite");
  EXPECT_EQ(u.host, "");
  EXPECT_EQ(u.database, "relative.db");
  EXPECT_FALSE(u.is_memory());
}

TEST(UrlParse, SqliteFourSlashesIsAbsolute) {
  auto u = Url::parse("sqlite:////abs/path.db");
  EXPECT_EQ(u.database, "/abs/path.db");
  EXPECT_FALSE(u.is_memory());
}

TEST(UrlParse, SqliteWithoutPathIsMemory) {
  auto u = Url::parse("sqlite://");
  EXPECT_EQ(u.database, "");
  EXPECT_TRUE(u.is_memory());
}

TEST(UrlParse, SqliteExplicitMemory) {
  auto u = Url::parse("sqlite:///:memory:");
  EXPECT_EQ(u.database, ":memory:");
  EXPECT_TRUE(u.is_memory());
}

TEST(UrlParse, SqliteUriQueryOptions) {
  auto u = Url::parse("sqlite:///file.db?mode=ro&uri=true");
  EXPECT_EQ(u.database, "file.db");
  EXPECT_EQ(u.query_value("mode"), "ro");
  EXPECT_EQ(u.query_value("uri"), "true");
}

TEST(UrlRender, HidesPasswordByDefault) {
  auto u = Url::parse("postgresql://ann:s3cret@db:5432/shop?sslmode=require");
  EXPECT_EQ(u.render(), "postgresql://ann:***@db:5432/shop?sslmode=require");
  EXPECT_EQ(u.render(true).find("s3cret"), std::string::npos);
  EXPECT_EQ(u.render(false), "postgresql://ann:s3cret@db:5432/shop?sslmode=require");
}

TEST(UrlRender, SqliteFormsRenderAsWritten) {
  for (const char* text : {"sqlite://", "sqlite:///:memory:", "sqlite:///relative.db", "sqlite:////abs/path.db"}) {
    EXPECT_EQ(Url::parse(text).render(false), text);
  }
}

TEST(UrlRender, ReencodesSoParseRoundTrips) {
  Url u;
  u.dialect = "postgresql";
  u.driver = "psycopg";
  u.username = "ann lee:x@y";
  u.password = "p@ss:/%?&=#+ é";
  u.host = "db.example.com";
  u.port = 6543;
  u.database = "my db?#%.sqlite";
  u.query = {{"k&=+", "v+ /x?%"}, {"a", ""}, {"k&=+", "2"}};
  std::string text = u.render(false);
  EXPECT_EQ(text.find(' '), std::string::npos) << text;
  auto back = Url::parse(text);
  EXPECT_EQ(back.dialect, u.dialect);
  EXPECT_EQ(back.driver, u.driver);
  EXPECT_EQ(back.username, u.username);
  EXPECT_EQ(back.password, u.password);
  EXPECT_EQ(back.host, u.host);
  EXPECT_EQ(back.port, u.port);
  EXPECT_EQ(back.database, u.database);
  EXPECT_EQ(back.query, u.query);
  EXPECT_EQ(back.render(false), text);
}

TEST(UrlParse, ErrorMessageHidesPassword) {
  try {
    Url::parse("postgresql://ann:s3cret@db:54x2/shop");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    std::string message = e.what();
    EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
    EXPECT_NE(message.find("postgresql://ann:***@db:54x2/shop"), std::string::npos) << message;
    EXPECT_NE(message.find("column 30"), std::string::npos) << message;
  }
}

struct MalformedUrl {
  const char* name;
  const char* text;
  int column;
  const char* expected;  ///< a fragment of the message
};

std::ostream& operator<<(std::ostream& out, const MalformedUrl& m) { return out << m.name << ": '" << m.text << "'"; }

class UrlMalformed : public ::testing::TestWithParam<MalformedUrl> {};

TEST_P(UrlMalformed, ThrowsConfigErrorNamingColumn) {
  const auto& m = GetParam();
  try {
    Url::parse(m.text);
    FAIL() << "expected ConfigError for '" << m.text << "'";
  } catch (const ConfigError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("column " + std::to_string(m.column) + ":"), std::string::npos) << message;
    EXPECT_NE(message.find(m.expected), std::string::npos) << message;
    EXPECT_EQ(e.location(), "<url>:1:" + std::to_string(m.column));
    EXPECT_EQ(e.code(), "bad-url");
  }
}

INSTANTIATE_TEST_SUITE_P(
    Url, UrlMalformed,
    ::testing::Values(
        MalformedUrl{"EmptyString", "", 1, "empty string"},
        MalformedUrl{"NoSchemeSeparator", "postgresql", 11, "expected '://'"},
        MalformedUrl{"EmptyScheme", "://db/shop", 1, "expected a scheme"},
        MalformedUrl{"InvalidSchemeChar", "my-sql://db/shop", 3, "found '-'"},
        MalformedUrl{"SchemeStartsWithDigit", "1sql://db", 1, "start with a letter"},
        MalformedUrl{"TwoPlusSigns", "a+b+c://db", 4, "at most one '+'"},
        MalformedUrl{"EmptyDriver", "postgresql+://db/shop", 12, "driver name"},
        MalformedUrl{"PortWithLetters", "postgresql://db:54x2/shop", 19, "port number (digits only), found 'x'"},
        MalformedUrl{"PortOutOfRange", "postgresql://db:70000/shop", 17, "between 1 and 65535, found 70000"},
        MalformedUrl{"PortZero", "postgresql://db:0/shop", 17, "between 1 and 65535"},
        MalformedUrl{"EmptyPort", "postgresql://db:/shop", 17, "port number after ':'"},
        MalformedUrl{"BadPercentEscape", "postgresql://ann:p%zz@db/shop", 19, "two hex digits after '%' in the password"},
        MalformedUrl{"TruncatedPercentEscape", "postgresql://db/shop%2", 21, "two hex digits after '%' in the database"},
        MalformedUrl{"UnclosedIpv6Bracket", "postgresql://ann@[::1/shop", 18, "expected ']'"},
        MalformedUrl{"EmptyIpv6Brackets", "postgresql://[]/shop", 15, "IPv6 address"},
        MalformedUrl{"JunkAfterIpv6", "postgresql://[::1]x/shop", 19, "after the IPv6 address"},
        MalformedUrl{"UnbracketedIpv6", "postgresql://::1/shop", 14, "brackets"},
        MalformedUrl{"SpaceInHost", "postgresql://d b/shop", 15, "expected a host name"},
        MalformedUrl{"SqliteWithHost", "sqlite://host/x.db", 10, "no user, password, host or port"},
        MalformedUrl{"SqliteWithUser", "sqlite://ann@/x.db", 10, "no user, password, host or port"},
        MalformedUrl{"SqliteSingleSlash", "sqlite:/x.db", 7, "expected '://' after the scheme"},
        MalformedUrl{"QueryItemWithoutKey", "postgresql://db/shop?=v", 22, "key before '='"},
        MalformedUrl{"QueryItemWithoutEquals", "postgresql://db/shop?flag", 22, "without '='"},
        MalformedUrl{"ControlCharacter", "sqlite:///x.db\n", 15, "printable"}),
    [](const ::testing::TestParamInfo<MalformedUrl>& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace retort
