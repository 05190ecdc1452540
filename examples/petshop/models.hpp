// The seed's models, exactly: Owner/Pet (one-to-many, backref "owner"),
// Program/Workout (one-to-many, back_populates on both sides), User/Channel
// (many-to-many through user_channel, backref "followers"); each with the
// to_dict the seed writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <retort/orm/to_dict.hpp>
#include <retort/retort.hpp>

namespace petshop {

namespace r = retort;

struct Pet;
struct Owner {
  std::int64_t id = 0;
  std::string name;
  r::Collection<Pet> pets;  // pets = db.relationship('Pet', backref='owner')
  nlohmann::json to_dict() const { return {{"id", id}, {"name", name}}; }
};
struct Pet {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::int64_t> owner_id;  // db.Column(db.Integer, db.ForeignKey('owner.id'))
  nlohmann::json to_dict() const { return {{"id", id}, {"name", name}, {"owner_id", owner_id ? nlohmann::json(*owner_id) : nullptr}}; }
};

struct Workout;
struct Program {
  std::int64_t id = 0;
  std::string name;
  r::Collection<Workout> workout;  // workout = db.relationship('Workout', back_populates="program")
  nlohmann::json to_dict() const { return {{"id", id}, {"name", name}}; }
};
struct Workout {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::int64_t> program_id;  // db.Column(db.Integer, db.ForeignKey('program.id'))
  r::Ref<Program> program;                 // db.relationship('Program', back_populates='workout')
  nlohmann::json to_dict() const {
    return {{"id", id}, {"name", name}, {"program_id", program_id ? nlohmann::json(*program_id) : nullptr}};
  }
};

// user_channel = db.Table('user_channel', db.Column('user_id', db.Integer, db.ForeignKey('user.id')), ...)
inline const r::Table user_channel{"user_channel",
                                   {r::Column("user_id", r::Integer()).foreign_key("user.id"),
                                    r::Column("channel_id", r::Integer()).foreign_key("channel.id")}};
struct Channel;
struct User {
  std::int64_t id = 0;
  std::string username;
  r::Collection<Channel> following;  // db.relationship('Channel', secondary=user_channel, backref='followers')
  nlohmann::json to_dict() const { return {{"id", id}, {"username", username}}; }
};
struct Channel {
  std::int64_t id = 0;
  std::string name;
  nlohmann::json to_dict() const { return {{"id", id}, {"name", name}}; }
};

}  // namespace petshop

template <>
struct retort::Mapping<petshop::Owner> {
  static void map(Mapper<petshop::Owner>& m) {
    m.column(&petshop::Owner::id, "id").primary_key();
    m.column(&petshop::Owner::name, "name", String(50));
    m.relationship(&petshop::Owner::pets, "pets").backref("owner");
  }
};
template <>
struct retort::Mapping<petshop::Pet> {
  static void map(Mapper<petshop::Pet>& m) {
    m.column(&petshop::Pet::id, "id").primary_key();
    m.column(&petshop::Pet::name, "name", String(50));
    m.column(&petshop::Pet::owner_id, "owner_id").foreign_key("owner.id");
  }
};
template <>
struct retort::Mapping<petshop::Program> {
  static void map(Mapper<petshop::Program>& m) {
    m.column(&petshop::Program::id, "id").primary_key();
    m.column(&petshop::Program::name, "name", String(50));
    m.relationship(&petshop::Program::workout, "workout").back_populates("program");
  }
};
template <>
struct retort::Mapping<petshop::Workout> {
  static void map(Mapper<petshop::Workout>& m) {
    m.column(&petshop::Workout::id, "id").primary_key();
    m.column(&petshop::Workout::name, "name", String(50));
    m.column(&petshop::Workout::program_id, "program_id").foreign_key("program.id");
    m.relationship(&petshop::Workout::program, "program").back_populates("workout");
  }
};
template <>
struct retort::Mapping<petshop::User> {
  static void map(Mapper<petshop::User>& m) {
    m.column(&petshop::User::id, "id").primary_key();
    m.column(&petshop::User::username, "username", String(50)).unique();
    m.relationship(&petshop::User::following, "following").secondary(petshop::user_channel).backref("followers");
  }
};
template <>
struct retort::Mapping<petshop::Channel> {
  static void map(Mapper<petshop::Channel>& m) {
    m.column(&petshop::Channel::id, "id").primary_key();
    m.column(&petshop::Channel::name, "name", String(50));
  }
};
