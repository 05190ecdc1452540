// docs/one_to_many.md, as a program: a parent's collection, the child's
// reference, cascades and deletes. Built and run as a test; the SQL on the
// page is this program's echo.
#include <iostream>

#include <retort/retort.hpp>

namespace r = retort;

// [models]
struct Pet;
struct Owner {
  std::int64_t id = 0;
  std::string name;
  r::Collection<Pet> pets;
};
struct Pet {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::int64_t> owner_id;
  r::Ref<Owner> owner;
};

template <>
struct r::Mapping<Owner> {
  static void map(r::Mapper<Owner>& m) {
    m.column(&Owner::id, "id").primary_key();
    m.column(&Owner::name, "name", r::String(50));
    m.relationship(&Owner::pets, "pets").order_by({"name"}).back_populates("owner");
  }
};
template <>
struct r::Mapping<Pet> {
  static void map(r::Mapper<Pet>& m) {
    m.column(&Pet::id, "id").primary_key();
    m.column(&Pet::name, "name", r::String(50));
    m.column(&Pet::owner_id, "owner_id").foreign_key("owner.id");
    m.relationship(&Pet::owner, "owner").back_populates("pets");
  }
};
// [models]

// [cascade models]
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

template <>
struct r::Mapping<Author> {
  static void map(r::Mapper<Author>& m) {
    m.column(&Author::id, "id").primary_key();
    m.column(&Author::name, "name", r::String(50));
    m.relationship(&Author::books, "books").cascade("all, delete-orphan").backref("author");
  }
};
template <>
struct r::Mapping<Book> {
  static void map(r::Mapper<Book>& m) {
    m.column(&Book::id, "id").primary_key();
    m.column(&Book::title, "title", r::String(50));
    m.column(&Book::author_id, "author_id").foreign_key("author.id");
  }
};
// [cascade models]

int main() {
  r::Engine engine("sqlite://", {.echo = true, .echo_sink = [](std::string_view line) {
                                   if (!line.starts_with("[")) std::cout << line << "\n";
                                 }});
  r::mapped_metadata().create_all(engine);
  bool ok = true;
  {
    r::Session session(engine);
    std::cout << "-- add\n";
    // [add]
    auto ann = session.add(Owner{.name = "Ann"});
    ann->pets.append(session.add(Pet{.name = "Rex"}));
    ann->pets.append(session.add(Pet{.name = "Bo"}));
    session.commit();  // INSERT owner, then the pets with owner_id = ann's id
    // [add]
  }
  {
    r::Session session(engine);
    std::cout << "-- read\n";
    // [read]
    auto ann = session.query<Owner>().filter_by("name", "Ann").one();
    for (auto pet : ann->pets)                  // one SELECT, on first access, ordered by name
      std::cout << pet->name << " belongs to " << pet->owner->name << "\n";  // no SQL: loaded
    // [read]
    ok = ok && ann->pets.size() == 2 && ann->pets[0]->name == "Bo";
    std::cout << "-- delete the parent\n";
    // [delete parent]
    session.delete_(ann);
    session.commit();  // the pets stay, with owner_id set to NULL
    // [delete parent]
  }
  {
    r::Session session(engine);
    std::cout << "-- cascade\n";
    // [cascade]
    auto amy = session.add(Author{.name = "Amy"});
    auto draft = session.add(Book{.title = "draft"});
    amy->books.append(draft);
    amy->books.append(session.add(Book{.title = "final"}));
    session.commit();
    amy->books.remove(draft);  // delete-orphan: the draft's row is deleted
    session.commit();
    session.delete_(amy);      // delete: her books go first
    session.commit();
    // [cascade]
    ok = ok && session.query<Book>().count() == 0 && session.query<Pet>().count() == 2;
  }
  return ok ? 0 : 1;
}
