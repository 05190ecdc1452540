// docs/many_to_many.md, as a program: the seed's users following channels
// through the user_channel association table. Built and run as a test; the
// SQL on the page is this program's echo.
#include <iostream>

#include <retort/retort.hpp>

namespace r = retort;

// [models]
// user_channel = db.Table('user_channel', db.Column('user_id', ...), db.Column('channel_id', ...)),
// declared before the model that uses it, as the seed notes.
const r::Table user_channel{"user_channel",
                            {r::Column("user_id", r::Integer()).foreign_key("user.id"),
                             r::Column("channel_id", r::Integer()).foreign_key("channel.id")}};

struct Channel;
struct User {
  std::int64_t id = 0;
  std::string username;
  r::Collection<Channel> following;
};
struct Channel {
  std::int64_t id = 0;
  std::string title;
};

template <>
struct r::Mapping<User> {
  static void map(r::Mapper<User>& m) {
    m.column(&User::id, "id").primary_key();
    m.column(&User::username, "username", r::String(50));
    // following = db.relationship('Channel', secondary=user_channel, backref='followers')
    m.relationship(&User::following, "following").secondary(user_channel).backref("followers");
  }
};
template <>
struct r::Mapping<Channel> {
  static void map(r::Mapper<Channel>& m) {
    m.column(&Channel::id, "id").primary_key();
    m.column(&Channel::title, "title", r::String(100));
  }
};
// [models]

int main() {
  r::Engine engine("sqlite://", {.echo = true, .echo_sink = [](std::string_view line) {
                                   if (!line.starts_with("[")) std::cout << line << "\n";
                                 }});
  r::mapped_metadata().create_all(engine);  // creates user_channel too
  r::Session session(engine);
  std::cout << "-- follow\n";
  // [follow]
  auto ann = session.add(User{.username = "ann"});
  auto news = session.add(Channel{.title = "news"});
  ann->following.append(news);
  bool follower = r::backref<&User::following>(news).contains(ann);  // true, before any flush
  session.commit();  // INSERT INTO user_channel (user_id, channel_id) VALUES (?, ?)
  // [follow]
  std::cout << "-- read\n";
  // [read]
  for (auto user : r::backref<&User::following>(news))  // the channel's followers
    std::cout << user->username << " follows " << news->title << "\n";
  auto readers = session.query<User>().filter_by("following", news).count();  // EXISTS on user_channel
  // [read]
  std::cout << "-- unfollow\n";
  // [unfollow]
  ann->following.remove(news);
  session.commit();  // DELETE FROM user_channel WHERE user_id = ? AND channel_id = ?
  // [unfollow]
  bool ok = follower && readers == 1 && ann->following.empty();
  return ok ? 0 : 1;
}
