// Hostile input: values that look like SQL, break quoting or encodings, or are
// simply huge are stored and read back byte for byte (they are only ever bound
// parameters); names that come from a request reach SQL only as mapped names;
// names that come from models are quoted. Runs on SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "retort/orm.hpp"
#include "support/orm_fixture.hpp"

namespace r = retort;

namespace hostile {

struct Note {
  std::int64_t id = 0;
  std::string body;
  r::Bytes raw;
};

// Every name here is an SQL keyword, and one holds a quote and a space.
struct Order {
  std::int64_t id = 0;
  std::string select;
  std::string from_where;
};

}  // namespace hostile

template <>
struct retort::Mapping<hostile::Note> {
  static void map(Mapper<hostile::Note>& m) {
    m.table("hostile_note");
    m.column(&hostile::Note::id, "id").primary_key();
    m.column(&hostile::Note::body, "body", Text());
    m.column(&hostile::Note::raw, "raw", LargeBinary());
  }
};

template <>
struct retort::Mapping<hostile::Order> {
  static void map(Mapper<hostile::Order>& m) {
    m.table("order");
    m.column(&hostile::Order::id, "group").primary_key();
    m.column(&hostile::Order::select, "select");
    m.column(&hostile::Order::from_where, "from \"where\"");
  }
};

namespace {

using hostile::Note;
using hostile::Order;

/// Text that is SQL, or breaks naive quoting, in every spelling we know of.
std::vector<std::string> sql_like_texts() {
  return {
      "'", "''", "\"", "\\", "\\'", "'\\", "\\\\'", "`", "O'Brien \"quoted\" `ticked`",
      "'; DROP TABLE hostile_note; --", "\"; DROP TABLE hostile_note; --", "1' OR '1'='1",
      "-- a line comment", "# a MySQL comment", "/* a block comment */", "/* unterminated",
      "*/ closes nothing", "/* nested /* comment */ still inside */", "x--\ny", "x/**/y",
      "?", "?1", ":name", "$1", "$$dollar quoted$$", "$tag$ body $tag$", "%s", "%(name)s", "{}",
      "E'\\x41'", "U&'\\0041'", "\\N", "\\0", "\r\n\t\v\f\b", std::string("\x1b[31mred\x1b[0m"),
      "é中文😀", std::string("\xef\xbb\xbf") + "BOM",
  };
}

/// Every byte value, twice, with the ones that end C strings and SQL strings first.
r::Bytes every_byte() {
  r::Bytes b = {0, '\'', '"', '\\', 0};
  for (int round = 0; round < 2; ++round)
    for (int v = 0; v < 256; ++v) b.push_back(static_cast<unsigned char>(v));
  return b;
}

class HostileInput : public r::testing::OrmTest {
 protected:
  /// Stores `text` and `raw` through the ORM, then reads them in a new session.
  std::pair<std::string, r::Bytes> round_trip(const std::string& text, const r::Bytes& raw) {
    std::int64_t id = 0;
    {
      r::Session s(engine());
      auto n = s.add(Note{.body = text, .raw = raw});
      s.commit();
      id = n->id;
    }
    r::Session s(engine());
    auto n = s.get<Note>(id);
    EXPECT_TRUE(n) << "row " << id << " was not stored";
    if (!n) return {};
    return {n.read().body, n.read().raw};
  }
  std::int64_t notes() {
    return engine().connect().execute(r::text("SELECT count(*) FROM hostile_note")).scalar<std::int64_t>();
  }
};

TEST_F(HostileInput, SqlLikeTextIsStoredAndReadBackByteForByte) {
  for (const auto& text : sql_like_texts()) {
    auto [body, raw] = round_trip(text, r::Bytes(text.begin(), text.end()));
    EXPECT_EQ(body, text);
    EXPECT_EQ(std::string(raw.begin(), raw.end()), text);
  }
  EXPECT_EQ(notes(), static_cast<std::int64_t>(sql_like_texts().size()));
}

TEST_F(HostileInput, SqlLikeTextIsOnlyEverABoundParameter) {
  // The same values through a filter, an update and a delete: the SQL text
  // never contains them, and each statement touches exactly its own row.
  r::Session s(engine());
  for (const auto& text : sql_like_texts()) s.add(Note{.body = text});
  s.commit();
  take_statements();
  for (const auto& text : sql_like_texts()) {
    auto found = s.query<Note>().filter(r::col(&Note::body) == text).all();
    ASSERT_EQ(found.size(), 1u) << text;
    found[0]->body = text + " (updated)";
    s.commit();
    EXPECT_EQ(s.query<Note>().filter_by("body", text + " (updated)").count(), 1) << text;
  }
  for (const auto& sql : take_statements()) {
    for (const auto& text : sql_like_texts()) {
      if (text.size() <= 3) continue;  // "?" or "''" may well be SQL
      EXPECT_EQ(sql.find(text), std::string::npos) << "value '" << text << "' in SQL: " << sql;
    }
  }
  EXPECT_EQ(notes(), static_cast<std::int64_t>(sql_like_texts().size()));
}

TEST_F(HostileInput, EveryByteValueRoundTripsInABinaryColumn) {
  auto bytes = every_byte();
  auto [body, raw] = round_trip("bytes", bytes);
  EXPECT_EQ(raw, bytes);
}

TEST_F(HostileInput, TenMegabyteValuesRoundTrip) {
  std::string big(10 * 1024 * 1024, 'x');
  for (std::size_t i = 0; i < big.size(); i += 4093) big[i] = static_cast<char>('a' + i % 26);
  big.replace(1000, 30, "'; DROP TABLE hostile_note; --");
  r::Bytes blob(big.begin(), big.end());
  blob[7] = 0;
  auto [body, raw] = round_trip(big, blob);
  EXPECT_EQ(body.size(), big.size());
  EXPECT_TRUE(body == big) << "the 10 MB text came back changed";
  EXPECT_TRUE(raw == blob) << "the 10 MB blob came back changed";
}

TEST_F(HostileInput, NulAndInvalidUtf8InText) {
  const std::vector<std::string> awkward = {
      std::string("before\0after", 12), std::string("\0", 1), "\xff\xfe", "\xc3\x28", "\xed\xa0\x80 lone surrogate",
      "\xf4\x90\x80\x80 beyond U+10FFFF", "\xc0\xaf overlong slash"};
  r::Session keep(engine());
  keep.add(Note{.body = "already stored"});
  keep.commit();
  for (const auto& text : awkward) {
    if (!r::testing::on_postgres()) {
      // SQLite stores text as the bytes it is given.
      EXPECT_EQ(round_trip(text, {}).first, text);
      continue;
    }
    // PostgreSQL's text holds neither NUL nor invalid UTF-8: a typed error,
    // raised before anything is half written, and the session can go on.
    r::Session s(engine());
    s.add(Note{.body = text});
    EXPECT_THROW(s.commit(), r::DataError) << "value of " << text.size() << " bytes";
    s.rollback();
    s.add(Note{.body = "next"});
    s.commit();
  }
  r::Session s(engine());
  EXPECT_EQ(s.query<Note>().filter_by("body", std::string("already stored")).count(), 1);
}

TEST_F(HostileInput, RunTimeNamesReachSqlOnlyAsMappedColumns) {
  r::Session s(engine());
  s.add(Note{.body = "kept"});
  s.commit();
  const std::vector<std::string> names = {"body; DROP TABLE hostile_note", "body --", "body\"", "\"body\"",
                                          "hostile_note.body", "1=1 OR body", "BODY", "", std::string("body\0x", 6)};
  for (const auto& name : names) {
    try {
      (void)s.query<Note>().filter_by(name, std::string("x")).all();
      ADD_FAILURE() << "filter_by accepted the name '" << name << "'";
    } catch (const r::ArgumentError& e) {
      // The message lists what the caller may use instead.
      EXPECT_NE(std::string(e.what()).find("body"), std::string::npos) << e.what();
    }
    EXPECT_THROW((void)s.query<Note>().order_by(name), r::ArgumentError) << name;
    EXPECT_THROW((void)s.query<Note>().order_by(name, true), r::ArgumentError) << name;
  }
  EXPECT_EQ(s.query<Note>().order_by("body").all().size(), 1u);
  EXPECT_EQ(notes(), 1);
}

TEST_F(HostileInput, KeywordAndQuoteNamesFromModelsAreQuoted) {
  r::Session s(engine());
  auto o = s.add(Order{.select = "s", .from_where = "it's"});
  s.commit();
  o->select = "t";
  s.commit();
  auto back = s.query<Order>().filter_by("from \"where\"", std::string("it's")).order_by("select").all();
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].read().select, "t");
  s.delete_(back[0]);
  s.commit();
  EXPECT_EQ(s.query<Order>().count(), 0);
  bool saw_quoted = false;
  for (const auto& sql : take_statements())
    saw_quoted |= sql.find("\"from \"\"where\"\"\"") != std::string::npos && sql.find("\"order\"") != std::string::npos;
  EXPECT_TRUE(saw_quoted) << "no statement quoted the table and the column with a quote in its name";
}

}  // namespace
