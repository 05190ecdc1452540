// The relationship tests' models: the seed's three pairs as the seed writes
// them (Owner/Pet with backref, Program/Workout with back_populates,
// User/Channel many-to-many with backref "followers"), and the other kinds:
// self-referential, two foreign keys to one table, one-to-one, cascades,
// dynamic and raise.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "retort/orm.hpp"

namespace rel {

namespace r = retort;

struct Pet;
struct Toy;
struct Owner {  // pets = db.relationship('Pet', backref='owner')
  std::int64_t id = 0;
  std::string name;
  r::Collection<Pet> pets;
};
struct Pet {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::int64_t> owner_id;  // db.Column(db.Integer, db.ForeignKey('owner.id'))
  r::Collection<Toy> toys;
};
struct Toy {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::int64_t> pet_id;
};

struct Workout;
struct Program {  // workout = db.relationship('Workout', back_populates="program")
  std::int64_t id = 0;
  std::string name;
  r::Collection<Workout> workout;
};
struct Workout {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::int64_t> program_id;  // db.Column(db.Integer, db.ForeignKey('program.id'))
  r::Ref<Program> program;                 // db.relationship('Program', back_populates='workout')
};

// user_channel = db.Table('user_channel', db.Column('user_id', ...), db.Column('channel_id', ...))
inline const r::Table user_channel{"user_channel",
                                   {r::Column("user_id", r::Integer()).foreign_key("user.id"),
                                    r::Column("channel_id", r::Integer()).foreign_key("channel.id")}};
struct Channel;
struct User {  // following = db.relationship('Channel', secondary=user_channel, backref='followers')
  std::int64_t id = 0;
  std::string username;
  r::Collection<Channel> following;
};
struct Channel {
  std::int64_t id = 0;
  std::string title;
};

// Self-referential: an adjacency list, and people following people.
struct Category {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::int64_t> parent_id;
  r::Collection<Category> children;  // backref "parent"
};
inline const r::Table follows{"follows",
                              {r::Column("follower_id", r::Integer()).foreign_key("person.id"),
                               r::Column("followed_id", r::Integer()).foreign_key("person.id")}};
struct Person {
  std::int64_t id = 0;
  std::string name;
  r::Collection<Person> following;  // backref "followers"
};

// Two foreign keys to one table, told apart by foreign_keys().
struct Account {
  std::int64_t id = 0;
  std::string name;
};
struct Message {
  std::int64_t id = 0;
  std::string body;
  std::optional<std::int64_t> sender_id;
  std::optional<std::int64_t> recipient_id;
  r::Ref<Account> sender;
  r::Ref<Account> recipient;
};

// One-to-one: a Ref on the parent's side of a one-to-many.
struct Passport;
struct Citizen {
  std::int64_t id = 0;
  std::string name;
  r::Ref<Passport> passport;  // backref "citizen"
};
struct Passport {
  std::int64_t id = 0;
  std::string number;
  std::optional<std::int64_t> citizen_id;
};

// One-to-one from the child's side: a many-to-one whose backref is a reference.
struct Seat {
  std::int64_t id = 0;
  std::string code;
};
struct Ticket {
  std::int64_t id = 0;
  std::optional<std::int64_t> seat_id;
  r::Ref<Seat> seat;  // backref "ticket", uselist = false
};

// Cascades: delete + delete-orphan; passive_deletes with ON DELETE CASCADE; NOT NULL children.
struct Book;
struct Author {
  std::int64_t id = 0;
  std::string name;
  r::Collection<Book> books;
};
struct Book {
  std::int64_t id = 0;
  std::string title;
  std::optional<std::int64_t> author_id;
};
struct Post;
struct Blog {
  std::int64_t id = 0;
  std::string name;
  r::Collection<Post> posts;
};
struct Post {
  std::int64_t id = 0;
  std::string title;
  std::optional<std::int64_t> blog_id;
};
struct Line;
struct Invoice {
  std::int64_t id = 0;
  r::Collection<Line> lines;
};
struct Line {
  std::int64_t id = 0;
  std::int64_t invoice_id = 0;  // NOT NULL: the default null-out must fail
};

// Dynamic, raise, and eager by default.
struct Thread;
struct Forum {
  std::int64_t id = 0;
  std::string name;
  r::Dynamic<Thread> threads;
};
struct Thread {
  std::int64_t id = 0;
  std::string title;
  std::optional<std::int64_t> forum_id;
};
struct Item;
struct Shelf {
  std::int64_t id = 0;
  r::Collection<Item> items;  // lazy raise
};
struct Item {
  std::int64_t id = 0;
  std::string label;
  std::optional<std::int64_t> shelf_id;
};
struct Member;
struct Team {
  std::int64_t id = 0;
  std::string name;
  r::Collection<Member> members;  // lazy selectin
};
struct Member {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::int64_t> team_id;
};
struct Coach;
struct Club {
  std::int64_t id = 0;
  std::string name;
  r::Collection<Coach> coaches;  // lazy joined, ordered by name
};
struct Coach {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::int64_t> club_id;
};

}  // namespace rel

template <>
struct retort::Mapping<rel::Owner> {
  static void map(Mapper<rel::Owner>& m) {
    m.column(&rel::Owner::id, "id").primary_key();
    m.column(&rel::Owner::name, "name", String(50));
    m.relationship(&rel::Owner::pets, "pets").backref("owner");
  }
};
template <>
struct retort::Mapping<rel::Pet> {
  static void map(Mapper<rel::Pet>& m) {
    m.column(&rel::Pet::id, "id").primary_key();
    m.column(&rel::Pet::name, "name", String(50));
    m.column(&rel::Pet::owner_id, "owner_id").foreign_key("owner.id");
    m.relationship(&rel::Pet::toys, "toys").backref("pet");
  }
};
template <>
struct retort::Mapping<rel::Toy> {
  static void map(Mapper<rel::Toy>& m) {
    m.column(&rel::Toy::id, "id").primary_key();
    m.column(&rel::Toy::name, "name", String(50));
    m.column(&rel::Toy::pet_id, "pet_id").foreign_key("pet.id");
  }
};

template <>
struct retort::Mapping<rel::Program> {
  static void map(Mapper<rel::Program>& m) {
    m.column(&rel::Program::id, "id").primary_key();
    m.column(&rel::Program::name, "name", String(50));
    m.relationship(&rel::Program::workout, "workout").back_populates("program");
  }
};
template <>
struct retort::Mapping<rel::Workout> {
  static void map(Mapper<rel::Workout>& m) {
    m.column(&rel::Workout::id, "id").primary_key();
    m.column(&rel::Workout::name, "name", String(50));
    m.column(&rel::Workout::program_id, "program_id").foreign_key("program.id");
    m.relationship(&rel::Workout::program, "program").back_populates("workout");
  }
};

template <>
struct retort::Mapping<rel::User> {
  static void map(Mapper<rel::User>& m) {
    m.column(&rel::User::id, "id").primary_key();
    m.column(&rel::User::username, "username", String(50));
    m.relationship(&rel::User::following, "following").secondary(rel::user_channel).backref("followers");
  }
};
template <>
struct retort::Mapping<rel::Channel> {
  static void map(Mapper<rel::Channel>& m) {
    m.column(&rel::Channel::id, "id").primary_key();
    m.column(&rel::Channel::title, "title", String(100));
  }
};

template <>
struct retort::Mapping<rel::Category> {
  static void map(Mapper<rel::Category>& m) {
    m.column(&rel::Category::id, "id").primary_key();
    m.column(&rel::Category::name, "name", String(50));
    m.column(&rel::Category::parent_id, "parent_id").foreign_key("category.id");
    m.relationship(&rel::Category::children, "children").order_by({"name"}).backref("parent");
  }
};
template <>
struct retort::Mapping<rel::Person> {
  static void map(Mapper<rel::Person>& m) {
    m.column(&rel::Person::id, "id").primary_key();
    m.column(&rel::Person::name, "name", String(50));
    m.relationship(&rel::Person::following, "following")
        .secondary(rel::follows)
        .foreign_keys({"follows.follower_id"})
        .backref("followers");
  }
};

template <>
struct retort::Mapping<rel::Account> {
  static void map(Mapper<rel::Account>& m) {
    m.column(&rel::Account::id, "id").primary_key();
    m.column(&rel::Account::name, "name", String(50));
  }
};
template <>
struct retort::Mapping<rel::Message> {
  static void map(Mapper<rel::Message>& m) {
    m.column(&rel::Message::id, "id").primary_key();
    m.column(&rel::Message::body, "body", Text());
    m.column(&rel::Message::sender_id, "sender_id").foreign_key("account.id");
    m.column(&rel::Message::recipient_id, "recipient_id").foreign_key("account.id");
    m.relationship(&rel::Message::sender, "sender").foreign_keys({"message.sender_id"}).backref("sent");
    m.relationship(&rel::Message::recipient, "recipient").foreign_keys({"message.recipient_id"}).backref("received");
  }
};

template <>
struct retort::Mapping<rel::Citizen> {
  static void map(Mapper<rel::Citizen>& m) {
    m.column(&rel::Citizen::id, "id").primary_key();
    m.column(&rel::Citizen::name, "name", String(50));
    m.relationship(&rel::Citizen::passport, "passport").backref("citizen");
  }
};
template <>
struct retort::Mapping<rel::Passport> {
  static void map(Mapper<rel::Passport>& m) {
    m.column(&rel::Passport::id, "id").primary_key();
    m.column(&rel::Passport::number, "number", String(20));
    m.column(&rel::Passport::citizen_id, "citizen_id").foreign_key("citizen.id").unique();
  }
};

template <>
struct retort::Mapping<rel::Seat> {
  static void map(Mapper<rel::Seat>& m) {
    m.column(&rel::Seat::id, "id").primary_key();
    m.column(&rel::Seat::code, "code", String(10));
  }
};
template <>
struct retort::Mapping<rel::Ticket> {
  static void map(Mapper<rel::Ticket>& m) {
    m.column(&rel::Ticket::id, "id").primary_key();
    m.column(&rel::Ticket::seat_id, "seat_id").foreign_key("seat.id").unique();
    m.relationship(&rel::Ticket::seat, "seat").backref("ticket", {.uselist = false});
  }
};

template <>
struct retort::Mapping<rel::Author> {
  static void map(Mapper<rel::Author>& m) {
    m.column(&rel::Author::id, "id").primary_key();
    m.column(&rel::Author::name, "name", String(50));
    m.relationship(&rel::Author::books, "books").cascade("all, delete-orphan").backref("author");
  }
};
template <>
struct retort::Mapping<rel::Book> {
  static void map(Mapper<rel::Book>& m) {
    m.column(&rel::Book::id, "id").primary_key();
    m.column(&rel::Book::title, "title", String(50));
    m.column(&rel::Book::author_id, "author_id").foreign_key("author.id");
  }
};
template <>
struct retort::Mapping<rel::Blog> {
  static void map(Mapper<rel::Blog>& m) {
    m.column(&rel::Blog::id, "id").primary_key();
    m.column(&rel::Blog::name, "name", String(50));
    m.relationship(&rel::Blog::posts, "posts").cascade("all").passive_deletes().backref("blog");
  }
};
template <>
struct retort::Mapping<rel::Post> {
  static void map(Mapper<rel::Post>& m) {
    m.column(&rel::Post::id, "id").primary_key();
    m.column(&rel::Post::title, "title", String(50));
    m.column(&rel::Post::blog_id, "blog_id").foreign_key("blog.id", "CASCADE");
  }
};
template <>
struct retort::Mapping<rel::Invoice> {
  static void map(Mapper<rel::Invoice>& m) {
    m.column(&rel::Invoice::id, "id").primary_key();
    m.relationship(&rel::Invoice::lines, "lines").backref("invoice");
  }
};
template <>
struct retort::Mapping<rel::Line> {
  static void map(Mapper<rel::Line>& m) {
    m.column(&rel::Line::id, "id").primary_key();
    m.column(&rel::Line::invoice_id, "invoice_id").foreign_key("invoice.id");
  }
};

template <>
struct retort::Mapping<rel::Forum> {
  static void map(Mapper<rel::Forum>& m) {
    m.column(&rel::Forum::id, "id").primary_key();
    m.column(&rel::Forum::name, "name", String(50));
    m.relationship(&rel::Forum::threads, "threads").order_by({"title"}).backref("forum");
  }
};
template <>
struct retort::Mapping<rel::Thread> {
  static void map(Mapper<rel::Thread>& m) {
    m.column(&rel::Thread::id, "id").primary_key();
    m.column(&rel::Thread::title, "title", String(50));
    m.column(&rel::Thread::forum_id, "forum_id").foreign_key("forum.id");
  }
};
template <>
struct retort::Mapping<rel::Shelf> {
  static void map(Mapper<rel::Shelf>& m) {
    m.column(&rel::Shelf::id, "id").primary_key();
    m.relationship(&rel::Shelf::items, "items").lazy(Lazy::raise).backref("shelf");
  }
};
template <>
struct retort::Mapping<rel::Item> {
  static void map(Mapper<rel::Item>& m) {
    m.column(&rel::Item::id, "id").primary_key();
    m.column(&rel::Item::label, "label", String(50));
    m.column(&rel::Item::shelf_id, "shelf_id").foreign_key("shelf.id");
  }
};
template <>
struct retort::Mapping<rel::Team> {
  static void map(Mapper<rel::Team>& m) {
    m.column(&rel::Team::id, "id").primary_key();
    m.column(&rel::Team::name, "name", String(50));
    m.relationship(&rel::Team::members, "members").lazy(Lazy::selectin).backref("team");
  }
};
template <>
struct retort::Mapping<rel::Member> {
  static void map(Mapper<rel::Member>& m) {
    m.column(&rel::Member::id, "id").primary_key();
    m.column(&rel::Member::name, "name", String(50));
    m.column(&rel::Member::team_id, "team_id").foreign_key("team.id");
  }
};
template <>
struct retort::Mapping<rel::Club> {
  static void map(Mapper<rel::Club>& m) {
    m.column(&rel::Club::id, "id").primary_key();
    m.column(&rel::Club::name, "name", String(50));
    m.relationship(&rel::Club::coaches, "coaches").lazy(Lazy::joined).order_by({"name"}).backref("club");
  }
};
template <>
struct retort::Mapping<rel::Coach> {
  static void map(Mapper<rel::Coach>& m) {
    m.column(&rel::Coach::id, "id").primary_key();
    m.column(&rel::Coach::name, "name", String(50));
    m.column(&rel::Coach::club_id, "club_id").foreign_key("club.id");
  }
};
