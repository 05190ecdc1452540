// The benchmark's models: the seed's Owner/Pet (one-to-many, backref "owner")
// and User/Channel (many-to-many through user_channel, backref "followers"),
// with the foreign-key columns indexed, as the anchors' models declare them.
// The mappings are defined in bench_models.cpp, so this header stays light.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <retort/orm.hpp>

namespace bench {

struct Pet;
struct Owner {
  std::int64_t id = 0;
  std::string name;
  retort::Collection<Pet> pets;  // lazy="select"
};
struct Pet {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::string> species;
  std::optional<std::int64_t> owner_id;
};

struct Channel;
struct User {
  std::int64_t id = 0;
  std::string username;
  retort::Collection<Channel> following;  // secondary=user_channel, backref="followers"
};
struct Channel {
  std::int64_t id = 0;
  std::optional<std::string> title;
};

}  // namespace bench

template <>
struct retort::Mapping<bench::Owner> {
  static void map(Mapper<bench::Owner>& m);
};
template <>
struct retort::Mapping<bench::Pet> {
  static void map(Mapper<bench::Pet>& m);
};
template <>
struct retort::Mapping<bench::User> {
  static void map(Mapper<bench::User>& m);
};
template <>
struct retort::Mapping<bench::Channel> {
  static void map(Mapper<bench::Channel>& m);
};
