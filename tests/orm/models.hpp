// The models the ORM tests share: the seed's Owner and Pet, and a model with
// a column of every type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "retort/core/datetime.hpp"
#include "retort/core/json.hpp"
#include "retort/orm.hpp"

namespace models {

struct Owner {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::string> email;
};

struct Pet {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::string> species;
  std::optional<std::int64_t> owner_id;
};

struct Toy {
  std::int64_t id = 0;
  std::string name;
  std::int64_t pet_id = 0;
};

struct Everything {
  std::int64_t id = 0;
  std::int64_t big = 0;
  short small = 0;
  std::string s;
  std::string txt;
  bool flag = false;
  double f = 0;
  retort::Decimal dec;
  std::chrono::year_month_day day{};
  retort::Timestamp at{};
  retort::TimeOfDay clock{};
  nlohmann::json doc;
  std::string mood = "happy";
  retort::Bytes raw;
  retort::Uuid key;
  std::optional<int> maybe;
};

struct OrderItem {
  std::int64_t id = 0;
  int quantity = 1;
};

}  // namespace models

template <>
struct retort::Mapping<models::Owner> {
  static void map(Mapper<models::Owner>& m) {
    m.column(&models::Owner::id, "id").primary_key();
    m.column(&models::Owner::name, "name", String(50)).unique();
    m.column(&models::Owner::email, "email", String(100));
  }
};

template <>
struct retort::Mapping<models::Pet> {
  static void map(Mapper<models::Pet>& m) {
    m.column(&models::Pet::id, "id").primary_key();
    m.column(&models::Pet::name, "name", String(50));
    m.column(&models::Pet::species, "species", String(20));
    m.column(&models::Pet::owner_id, "owner_id").foreign_key("owner.id").index();
  }
};

template <>
struct retort::Mapping<models::Toy> {
  static void map(Mapper<models::Toy>& m) {
    m.column(&models::Toy::id, "id").primary_key();
    m.column(&models::Toy::name, "name", String(50));
    m.column(&models::Toy::pet_id, "pet_id").foreign_key("pet.id");
  }
};

template <>
struct retort::Mapping<models::Everything> {
  static void map(Mapper<models::Everything>& m) {
    using E = models::Everything;
    m.column(&E::id, "id").primary_key();
    m.column(&E::big, "big", BigInteger());
    m.column(&E::small, "small", SmallInteger());
    m.column(&E::s, "s", String(10));
    m.column(&E::txt, "txt", Text());
    m.column(&E::flag, "flag");
    m.column(&E::f, "f");
    m.column(&E::dec, "dec", Numeric(12, 2));
    m.column(&E::day, "day");
    m.column(&E::at, "at");
    m.column(&E::clock, "clock");
    m.column(&E::doc, "doc");
    m.column(&E::mood, "mood", Enum({"happy", "sad"}));
    m.column(&E::raw, "raw");
    m.column(&E::key, "key");
    m.column(&E::maybe, "maybe");
  }
};

template <>
struct retort::Mapping<models::OrderItem> {
  static void map(Mapper<models::OrderItem>& m) {
    m.column(&models::OrderItem::id, "id").primary_key();
    m.column(&models::OrderItem::quantity, "quantity");
  }
};
