// The benchmark's mappings: the translation unit whose compile time
// bench/run.sh reports, as the cost of declaring four models.
#include "bench_models.hpp"

namespace r = retort;
using bench::Channel;
using bench::Owner;
using bench::Pet;
using bench::User;

namespace {
// user_channel = db.Table('user_channel', Column('user_id', ForeignKey('user.id'), index=True), ...)
const r::Table user_channel{"user_channel",
                            {r::Column("user_id", r::Integer()).foreign_key("user.id").index(),
                             r::Column("channel_id", r::Integer()).foreign_key("channel.id").index()}};
}  // namespace

void r::Mapping<Owner>::map(Mapper<Owner>& m) {
  m.column(&Owner::id, "id").primary_key();
  m.column(&Owner::name, "name", String(50));
  m.relationship(&Owner::pets, "pets").backref("owner");
}

void r::Mapping<Pet>::map(Mapper<Pet>& m) {
  m.column(&Pet::id, "id").primary_key();
  m.column(&Pet::name, "name", String(50));
  m.column(&Pet::species, "species", String(20));
  m.column(&Pet::owner_id, "owner_id").foreign_key("owner.id").index();
}

void r::Mapping<User>::map(Mapper<User>& m) {
  m.column(&User::id, "id").primary_key();
  m.column(&User::username, "username", String(50)).unique();
  m.relationship(&User::following, "following").secondary(user_channel).backref("followers");
}

void r::Mapping<Channel>::map(Mapper<Channel>& m) {
  m.column(&Channel::id, "id").primary_key();
  m.column(&Channel::title, "title", String(100));
}
