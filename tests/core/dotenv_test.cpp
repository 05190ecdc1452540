// parse_dotenv and expand_dotenv against python-dotenv 0.21's behaviour (expected values were
// checked with python-dotenv itself), plus the errors retort raises where python-dotenv skips.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "retort/core/config.hpp"
#include "retort/core/error.hpp"

namespace retort {
namespace {

/// key -> value of the last entry for each key (nullopt for a bare KEY).
std::map<std::string, std::optional<std::string>> values_of(const std::vector<DotenvEntry>& entries) {
  std::map<std::string, std::optional<std::string>> out;
  for (const auto& e : entries) out[e.key] = e.value;
  return out;
}

/// The ConfigError parse_dotenv raises for `text`.
ConfigError parse_error(const std::string& text, const std::string& origin = "/app/.env") {
  try {
    parse_dotenv(text, origin);
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "expected ConfigError for: " << text;
  return ConfigError("none");
}

TEST(DotenvParse, ExportPrefixAndSpacesAroundKeyAndEquals) {
  auto entries = parse_dotenv("export A=1\n  B  =  two words  \nexport\tC = 3\n");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].key, "A");
  EXPECT_EQ(entries[0].value, "1");
  EXPECT_EQ(entries[1].key, "B");
  EXPECT_EQ(entries[1].value, "two words");
  EXPECT_EQ(entries[2].key, "C");
  EXPECT_EQ(entries[2].value, "3");
}

TEST(DotenvParse, CommentsAndBlankLinesSkippedWithLineNumbers) {
  auto entries = parse_dotenv("# header\n\n   \nA=1\n  # indented comment\nB=2\n");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].key, "A");
  EXPECT_EQ(entries[0].line, 4);
  EXPECT_EQ(entries[1].key, "B");
  EXPECT_EQ(entries[1].line, 6);
}

TEST(DotenvParse, EmptyValueAndBareKey) {
  auto entries = parse_dotenv("EMPTY=\nBARE\nBARE2 # comment\nK#x\n");
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].value, "");
  EXPECT_FALSE(entries[1].value.has_value());
  EXPECT_EQ(entries[2].key, "BARE2");
  EXPECT_FALSE(entries[2].value.has_value());
  EXPECT_EQ(entries[3].key, "K");
  EXPECT_FALSE(entries[3].value.has_value());
}

TEST(DotenvParse, ExportAloneIsAKeyNamedExport) {
  auto v = values_of(parse_dotenv("export\nexport=1x\n"));
  EXPECT_EQ(v.at("export"), "1x");
}

TEST(DotenvParse, SingleQuotedKey) {
  auto entries = parse_dotenv("'KEY'=v\n'A B' = c\n");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].key, "KEY");
  EXPECT_EQ(entries[0].value, "v");
  EXPECT_EQ(entries[1].key, "A B");
  EXPECT_EQ(entries[1].value, "c");
}

TEST(DotenvParse, UnquotedHashStartsCommentOnlyAfterWhitespace) {
  auto v = values_of(parse_dotenv("O=a#b\nP=a #b\nR= #x\nS=a\t#b\nU=http://h/#frag\n"));
  EXPECT_EQ(v.at("O"), "a#b");
  EXPECT_EQ(v.at("P"), "a");
  EXPECT_EQ(v.at("R"), "#x");  // the spaces after '=' belong to the '='
  EXPECT_EQ(v.at("S"), "a");
  EXPECT_EQ(v.at("U"), "http://h/#frag");
}

TEST(DotenvParse, UnquotedTrailingSpacesStrippedAndBackslashLiteral) {
  auto v = values_of(parse_dotenv("Q=x\\ny  \t\nT=it's \"fine\"\n"));
  EXPECT_EQ(v.at("Q"), "x\\ny");
  EXPECT_EQ(v.at("T"), "it's \"fine\"");
}

TEST(DotenvParse, DoubleQuotedEscapesDecoded) {
  auto v = values_of(parse_dotenv(R"(D="a\\b\'c\"d\te\nf\a\b\f\r\v" # c)"
                                  "\n"
                                  R"(K="\x\$ keep")"
                                  "\n"));
  EXPECT_EQ(v.at("D"), std::string("a\\b'c\"d\te\nf\a\b\f\r\v"));
  EXPECT_EQ(v.at("K"), "\\x\\$ keep");
}

TEST(DotenvParse, DoubleQuotedSpansLinesAndKeepsHash) {
  auto entries = parse_dotenv("M=\"line1\nline2 # not a comment\n\"\nH=\"#in\"\nN=after\n");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].value, "line1\nline2 # not a comment\n");
  EXPECT_EQ(entries[0].line, 1);
  EXPECT_EQ(entries[1].value, "#in");
  EXPECT_EQ(entries[1].line, 4);
  EXPECT_EQ(entries[2].line, 5);
}

TEST(DotenvParse, SingleQuotedDecodesOnlyBackslashAndQuote) {
  auto v = values_of(parse_dotenv(R"(S='a\\b\'c\nd "x" #y')"));
  EXPECT_EQ(v.at("S"), R"(a\b'c\nd "x" #y)");
}

TEST(DotenvParse, CommentAfterClosingQuoteAllowed) {
  auto v = values_of(parse_dotenv("V=\"x\" # c\nW='y'# c\nX= \"z\"   \n"));
  EXPECT_EQ(v.at("V"), "x");
  EXPECT_EQ(v.at("W"), "y");
  EXPECT_EQ(v.at("X"), "z");
}

TEST(DotenvParse, CrLfAndCrLineEnds) {
  auto entries = parse_dotenv("A=1\r\nB=2 \r\nC=\"x\"\rD=4");
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[1].value, "2");
  EXPECT_EQ(entries[2].value, "x");
  EXPECT_EQ(entries[3].line, 4);
  EXPECT_EQ(entries[3].value, "4");
}

TEST(DotenvParse, JunkAfterClosingQuoteNamesLineAndColumn) {
  auto e = parse_error("A=1\n# c\nV=\"x\" junk\n");
  EXPECT_EQ(e.location(), "/app/.env:3:7");
  std::string message = e.what();
  EXPECT_NE(message.find("/app/.env"), std::string::npos) << message;
  EXPECT_NE(message.find("line 3"), std::string::npos) << message;
  EXPECT_NE(message.find("column 7"), std::string::npos) << message;
  EXPECT_NE(message.find("found 'j'"), std::string::npos) << message;
}

TEST(DotenvParse, UnterminatedQuoteNamesOpeningLine) {
  auto e = parse_error("A=1\nB='open\nC=2\nD=3\n", "cfg/.flaskenv");
  EXPECT_EQ(e.location(), "cfg/.flaskenv:2:3");
  std::string message = e.what();
  EXPECT_NE(message.find("line 2"), std::string::npos) << message;
  EXPECT_NE(message.find("closing '"), std::string::npos) << message;
}

TEST(DotenvParse, EscapedQuoteDoesNotClose) {
  auto e = parse_error("A=\"abc\\\"\n");
  EXPECT_EQ(e.location(), "/app/.env:1:3");
}

TEST(DotenvParse, SpaceInsideKeyIsError) {
  auto e = parse_error("GOOD=1\nA B=1\n");
  EXPECT_EQ(e.location(), "/app/.env:2:3");
  EXPECT_NE(std::string(e.what()).find("expected '=' after the name 'A'"), std::string::npos) << e.what();
}

TEST(DotenvParse, LineStartingWithEqualsIsError) {
  auto e = parse_error("=value\n");
  EXPECT_EQ(e.location(), "/app/.env:1:1");
  EXPECT_NE(std::string(e.what()).find("expected a variable name"), std::string::npos) << e.what();
}

TEST(DotenvParse, ExportWithoutNameIsError) {
  auto e = parse_error("export \n");
  EXPECT_EQ(e.location(), "/app/.env:1:8");
}

TEST(DotenvParse, ColumnCountsCharactersNotBytes) {
  auto e = parse_error("\xC3\xA9=\"x\"!\n");  // é="x"!
  EXPECT_EQ(e.location(), "/app/.env:1:6");
}

TEST(DotenvExpand, LaterDuplicateWinsAndBareKeyOmitted) {
  auto v = expand_dotenv(parse_dotenv("A=1\nA=2\nB\nC=1\nC\n"), {});
  EXPECT_EQ(v.at("A"), "2");
  EXPECT_FALSE(v.contains("B"));
  EXPECT_FALSE(v.contains("C"));  // a later bare C unsets it, as python-dotenv's dict does
}

TEST(DotenvExpand, EvaluatedTopToBottom) {
  auto v = expand_dotenv(parse_dotenv("X=1\nY=${X}\nX=2\nZ=${X}\nF=${FWD}\nFWD=1\n"), {});
  EXPECT_EQ(v.at("Y"), "1");
  EXPECT_EQ(v.at("Z"), "2");
  EXPECT_EQ(v.at("X"), "2");
  EXPECT_EQ(v.at("F"), "");  // forward reference
}

TEST(DotenvExpand, OnlyBracedFormsExpand) {
  auto v = expand_dotenv(parse_dotenv("X=1\nN=$X\nW=${X:y}\nD=${NOPE:-dflt}\nU=${NOPE}!\nP=a${X}b${X}c\n"), {});
  EXPECT_EQ(v.at("N"), "$X");
  EXPECT_EQ(v.at("W"), "${X:y}");
  EXPECT_EQ(v.at("D"), "dflt");
  EXPECT_EQ(v.at("U"), "!");
  EXPECT_EQ(v.at("P"), "a1b1c");
}

TEST(DotenvExpand, DefaultOnlyWhenNameAbsent) {
  auto v = expand_dotenv(parse_dotenv("E=\nED=${E:-d}\nB\nBD=${B:-d}\n"), {});
  EXPECT_EQ(v.at("ED"), "");  // set but empty: no default (unlike the shell's :-)
  EXPECT_EQ(v.at("BD"), "");  // a bare key is present, so no default either
}

TEST(DotenvExpand, AppliedInsideSingleQuotes) {
  auto v = expand_dotenv(parse_dotenv("X=2\nS='${X}'\nT=\"${X}\"\n"), {});
  EXPECT_EQ(v.at("S"), "2");
  EXPECT_EQ(v.at("T"), "2");
}

TEST(DotenvExpand, EnvironmentWinsInsideExpansions) {
  auto v = expand_dotenv(parse_dotenv("X=1\nY=${X}\nZ=${HOME_DIR:-none}/x\n"), {{"X", "env"}, {"HOME_DIR", "/srv/ann"}});
  EXPECT_EQ(v.at("X"), "1");  // the file's own value; the environment's precedence is Config's job
  EXPECT_EQ(v.at("Y"), "env");
  EXPECT_EQ(v.at("Z"), "/srv/ann/x");
}

}  // namespace
}  // namespace retort
