// Values and their C++ types: every column type's value round-trips through a
// real SQLite file; malformed text is rejected with the expected form named.
#include <gtest/gtest.h>

#include "retort/core/engine.hpp"
#include "retort/core/error.hpp"
#include "retort/core/datetime.hpp"
#include "retort/core/json.hpp"
#include "retort/core/schema.hpp"
#include "support/database_fixture.hpp"

namespace r = retort;
using namespace std::chrono;
using retort::testing::on_postgres;

TEST(ValueText, IsoFormsMatchSqlalchemy) {
  EXPECT_EQ(r::to_iso(year_month_day{year{2024}, February, day{29}}), "2024-02-29");
  r::Timestamp t = sys_days{year{2024} / 2 / 29} + hours{13} + minutes{5} + microseconds{250};
  EXPECT_EQ(r::to_iso(t), "2024-02-29 13:05:00.000250");
  EXPECT_EQ(r::parse_timestamp("2024-02-29T13:05:00.000250"), t);
  EXPECT_EQ(r::parse_timestamp("2024-02-29 13:05:00.00025Z"), t);
  EXPECT_EQ(r::parse_timestamp("2024-02-29 13:05:00"), t - microseconds{250});
  EXPECT_EQ(r::to_iso(r::TimeOfDay{hours{23} + seconds{1}}), "23:00:01.000000");
  r::Timestamp before_epoch = sys_days{year{1969} / 12 / 31} + hours{23};
  EXPECT_EQ(r::parse_timestamp(r::to_iso(before_epoch)), before_epoch);
}

TEST(ValueText, MalformedTextNamesExpectedForm) {
  EXPECT_THROW(r::parse_date("2024-02-30"), r::ArgumentError);
  EXPECT_THROW(r::parse_date("24-1-1"), r::ArgumentError);
  EXPECT_THROW(r::parse_timestamp("2024-01-01 25:00:00"), r::ArgumentError);
  EXPECT_THROW(r::parse_time("12:00"), r::ArgumentError);
  try {
    r::Decimal("1.2.3");
    FAIL();
  } catch (const r::ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("'1.2.3'"), std::string::npos);
  }
  EXPECT_THROW(r::Uuid::parse("not-a-uuid"), r::ArgumentError);
  EXPECT_THROW(r::Uuid::parse("123e4567e89b12d3a456426614174000ff"), r::ArgumentError);
}

TEST(ValueText, UuidForms) {
  auto u = r::Uuid::parse("123E4567-E89B-12D3-A456-426614174000");
  EXPECT_EQ(u.str(), "123e4567-e89b-12d3-a456-426614174000");
  EXPECT_EQ(r::Uuid::parse("123e4567e89b12d3a456426614174000"), u);
}

TEST(ValueAccess, WrongKindIsNamed) {
  r::Value v("abc");
  EXPECT_THROW(v.as_int(), r::ArgumentError);
  EXPECT_THROW(r::Value(1.5).as_text(), r::ArgumentError);
  EXPECT_EQ(r::Value("42").as_int(), 42);
  EXPECT_TRUE(r::Value(1).as_bool());
  EXPECT_EQ(r::Value(std::string(100, 'x')).repr(10), "'xxxxxxxxxx'... (100 characters)");
}

class ValueRoundTrip : public r::testing::DatabaseTest {};

TEST_F(ValueRoundTrip, EveryColumnTypeRoundTrips) {
  r::MetaData md;
  r::Table t(md, "everything",
             {r::Column("id", r::Integer()).primary_key(), r::Column("big", r::BigInteger()),
              r::Column("small", r::SmallInteger()), r::Column("s", r::String(10)), r::Column("txt", r::Text()),
              r::Column("flag", r::Boolean()), r::Column("f", r::Float()), r::Column("dec", r::Numeric(12, 2)),
              r::Column("day", r::Date()), r::Column("at", r::DateTime()), r::Column("clock", r::Time()),
              r::Column("doc", r::JSON()), r::Column("mood", r::Enum({"happy", "sad"})),
              r::Column("raw", r::LargeBinary()), r::Column("key", r::UUID()), r::Column("maybe", r::Integer())});
  md.create_all(engine());
  auto conn = engine().connect();

  year_month_day date{year{2023}, March, std::chrono::day{5}};
  r::Timestamp at = sys_days{date} + hours{8} + microseconds{123456};
  r::TimeOfDay clock{hours{17} + minutes{30}};
  nlohmann::json doc = {{"a", 1}, {"b", {true, nullptr, "x"}}};
  auto key = r::Uuid::parse("123e4567-e89b-12d3-a456-426614174000");
  r::Bytes raw{0, 1, 2, 254, 255};
  // SQLite keeps a NUL inside text; PostgreSQL refuses it (EngineTest has that case).
  std::string txt = on_postgres() ? "no nul inside" : std::string("nul\0inside", 10);
  conn.execute(r::insert(t).values({{"big", std::int64_t{9007199254740993}},
                                    {"small", short{-7}},
                                    {"s", "ünïcødé"},
                                    {"txt", txt},
                                    {"flag", true},
                                    {"f", 0.1},
                                    {"dec", r::to_value(r::Decimal("12345678.90"))},
                                    {"day", r::to_value(date)},
                                    {"at", r::to_value(at)},
                                    {"clock", r::to_value(clock)},
                                    {"doc", r::to_value(doc)},
                                    {"mood", "sad"},
                                    {"raw", raw},
                                    {"key", r::to_value(key)},
                                    {"maybe", r::to_value(std::optional<int>{})}}));
  auto rows = conn.execute(r::select(t));
  ASSERT_TRUE(rows.next());
  auto& row = rows.row();
  EXPECT_EQ(row.get<std::int64_t>("big"), 9007199254740993);
  EXPECT_EQ(row.get<short>("small"), -7);
  EXPECT_EQ(row.get<std::string>("s"), "ünïcødé");
  EXPECT_EQ(row.get<std::string>("txt"), txt);
  EXPECT_TRUE(row.get<bool>("flag"));
  EXPECT_DOUBLE_EQ(row.get<double>("f"), 0.1);
  // SQLite keeps NUMERIC as REAL (15 digits; the ORM quantizes to the scale); PostgreSQL's NUMERIC is exact.
  EXPECT_EQ(row.get<r::Decimal>("dec").str(), on_postgres() ? "12345678.90" : "12345678.9");
  EXPECT_EQ(row.get<year_month_day>("day"), date);
  EXPECT_EQ(row.get<r::Timestamp>("at"), at);
  EXPECT_EQ(row.get<r::TimeOfDay>("clock"), clock);
  EXPECT_EQ(row.get<nlohmann::json>("doc"), doc);
  EXPECT_EQ(row.get<std::string>("mood"), "sad");
  EXPECT_EQ(row.get<r::Bytes>("raw"), raw);
  EXPECT_EQ(row.get<r::Uuid>("key"), key);
  EXPECT_EQ(row.get<std::optional<int>>("maybe"), std::nullopt);
}

TEST_F(ValueRoundTrip, TenMegabyteStringIsByteExact) {
  auto conn = engine().connect();
  conn.exec_driver_sql("CREATE TABLE big (v TEXT)");
  std::string s(10 * 1024 * 1024, 'a');
  // Every byte but NUL on SQLite; PostgreSQL text must be valid UTF-8, so ASCII there.
  int range = on_postgres() ? 127 : 255;
  for (std::size_t i = 0; i < s.size(); i += 4097) s[i] = static_cast<char>(i % range + 1);
  r::Value v(s);
  conn.exec_driver_sql(sql("INSERT INTO big VALUES (?)"), std::span(&v, 1));
  EXPECT_EQ(conn.exec_driver_sql("SELECT v FROM big").scalar<std::string>(), s);
}

TEST_F(ValueRoundTrip, AnEnumColumnRefusesOtherValuesUnlessItsConstraintIsOff) {
  r::MetaData md;
  r::Table t(md, "mood", {r::Column("id", r::Integer()).primary_key(), r::Column("checked", r::Enum({"happy", "sad"})),
                          r::Column("loose", r::Enum({"happy", "sad"}, "", /*create_constraint=*/false))});
  ASSERT_EQ(t.check_constraints().size(), 1u);
  EXPECT_EQ(t.check_constraints()[0].name, "ck_mood_checked");
  EXPECT_EQ(t.check_constraints()[0].sql, "\"checked\" IN ('happy', 'sad')");
  md.create_all(engine());
  auto conn = engine().connect();
  conn.execute(r::insert(t).values({{"checked", "sad"}, {"loose", "zzz"}}));  // SQLAlchemy's default: stored
  try {
    conn.execute(r::insert(t).values({{"checked", "zzz"}}));
    FAIL() << "expected IntegrityError";
  } catch (const r::IntegrityError& e) {
    EXPECT_NE(std::string(e.what()).find("ck_mood_checked"), std::string::npos) << e.what();
  }
  EXPECT_EQ(conn.execute(r::select({r::func::count()}).select_from(t)).scalar<int>(), 1);
}
