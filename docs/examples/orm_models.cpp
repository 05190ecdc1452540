// docs/models.md, as a program: declaring models, creating their tables,
// adding and reading objects, to_dict. Built and run as a test.
#include <cassert>
#include <iostream>

#include <retort/orm/to_dict.hpp>
#include <retort/orm/to_json.hpp>
#include <retort/retort.hpp>

namespace r = retort;

// [models]
struct Owner {
  std::int64_t id = 0;
  std::string name;                  // std::string: NOT NULL
  std::optional<std::string> email;  // std::optional: nullable
};

struct Pet {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::int64_t> owner_id;
};

template <>
struct r::Mapping<Owner> {
  static void map(r::Mapper<Owner>& m) {
    m.column(&Owner::id, "id").primary_key();
    m.column(&Owner::name, "name", r::String(50)).unique();
    m.column(&Owner::email, "email", r::String(120));
  }
};

template <>
struct r::Mapping<Pet> {
  static void map(r::Mapper<Pet>& m) {
    m.table("pet");  // the default: the struct's name in snake_case
    m.column(&Pet::id, "id").primary_key();
    m.column(&Pet::name, "name", r::String(50));
    m.column(&Pet::owner_id, "owner_id").foreign_key("owner.id").index();
  }
};
// [models]

// [to_dict]
struct Channel {
  std::int64_t id = 0;
  std::string title;
  // A model may write its own to_dict, as the seed does by hand; Ptr::to_dict uses it.
  nlohmann::json to_dict() const { return {{"id", id}, {"title", title}}; }
};
// [to_dict]

template <>
struct r::Mapping<Channel> {
  static void map(r::Mapper<Channel>& m) {
    m.column(&Channel::id, "id").primary_key();
    m.column(&Channel::title, "title", r::String(100));
  }
};

int main() {
  // [create]
  r::Engine engine("sqlite://");
  r::mapped_metadata().create_all(engine);  // every mapped model's table, parents first
  // [create]

  // [session]
  r::Session session(engine);
  auto ann = session.add(Owner{.name = "Ann"});
  session.add(Pet{.name = "Rex", .owner_id = 1});
  session.commit();  // INSERT owner, INSERT pet, COMMIT
  std::cout << ann->id << "\n";  // 1: the generated key, reloaded after the commit

  ann->email = "ann@example.org";  // found at the next flush: UPDATE owner SET email=? ...
  session.commit();
  // [session]

  // [json]
  nlohmann::json j = ann.to_dict();                      // {"email":"ann@example.org","id":1,"name":"Ann"}
  nlohmann::json short_form = ann.to_dict({.only = {"name"}});  // {"name":"Ann"}
  Owner bob = r::from_dict<Owner>({{"name", "Bob"}});    // a POST body; unknown fields are refused
  session.add(std::move(bob));
  session.commit();
  // [json]

  // [to_json]
  std::string text = r::to_json(ann);  // {"id":1,"name":"Ann","email":"ann@example.org"}: mapping order
  std::string as_flask = r::to_json(session.query<Owner>().all(), {}, r::JsonStyle::python);  // json.dumps's bytes
  // [to_json]
  std::cout << text << "\n" << as_flask << "\n";

  std::cout << j.dump() << "\n" << short_form.dump() << "\n";
  assert(j["email"] == "ann@example.org");
  auto channel = session.add(Channel{.title = "news"});
  session.commit();
  bool texts_ok = text == R"({"id":1,"name":"Ann","email":"ann@example.org"})" &&
                  as_flask == R"([{"id": 1, "name": "Ann", "email": "ann@example.org"}, {"id": 2, "name": "Bob", "email": null}])";
  return texts_ok && session.query<Owner>().count() == 2 && channel.to_dict()["title"] == "news" ? 0 : 1;
}
