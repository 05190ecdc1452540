// docs/querying.md, as a program: Session.get, Query, typed columns,
// filter_by, ordering, first/one, count, paginate. Built and run as a test.
#include <iostream>

#include <retort/retort.hpp>

namespace r = retort;

struct Pet {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::string> species;
};

template <>
struct r::Mapping<Pet> {
  static void map(r::Mapper<Pet>& m) {
    m.column(&Pet::id, "id").primary_key();
    m.column(&Pet::name, "name", r::String(50));
    m.column(&Pet::species, "species", r::String(20));
  }
};

int main() {
  r::Engine engine("sqlite://");
  r::mapped_metadata().create_all(engine);
  r::Session session(engine);
  for (const char* name : {"Rex", "Tom", "Kiki", "Bo", "Fig"})
    session.add(Pet{.name = name, .species = name[0] == 'T' ? "cat" : "dog"});
  session.commit();

  // [get]
  auto rex = session.get<Pet>(1);      // SELECT ... WHERE pet.id = ?
  auto again = session.get<Pet>(1);    // the same object; no SQL
  bool same = rex == again;            // true: one object per row per session
  // [get]

  // [filter]
  auto dogs = session.query<Pet>()
                  .filter(r::col(&Pet::species) == "dog" && r::col(&Pet::name) != "Bo")
                  .order_by({r::col(&Pet::name).desc()})
                  .all();
  // r::col(&Pet::name) == 42 does not compile: a string column is compared with strings.
  // [filter]

  // [filter_by]
  // Names from a request are checked against the model's columns; an unknown
  // one raises ArgumentError listing them, so it never reaches the SQL.
  auto cats = session.query<Pet>().filter_by("species", "cat").order_by("name").all();
  // [filter_by]

  // [results]
  auto first = session.query<Pet>().order_by("id").first();                 // LIMIT 1; a null Ptr if none
  auto tom = session.query<Pet>().filter_by("name", "Tom").one();           // NoResultFound / MultipleResultsFound
  auto maybe = session.query<Pet>().filter_by("name", "Zed").one_or_none();  // a null Ptr
  std::int64_t n = session.query<Pet>().count();                            // SELECT count(*) FROM (...)
  // [results]

  // [paginate]
  auto page = session.query<Pet>().order_by("id").paginate(/*page=*/2, /*per_page=*/2);
  // page.items: the pets with ids 3 and 4; page.total == 5, page.pages == 3,
  // page.has_prev, page.has_next, page.prev_num == 1, page.next_num == 3
  // [paginate]

  // [aggregates]
  auto& pet = *r::class_info<Pet>().table;
  auto rows = session.connection().execute(
      r::select({pet.c("species"), r::func::count().label("n")}).group_by({pet.c("species")}));
  // [aggregates]
  std::size_t groups = rows.all().size();

  std::cout << dogs.size() << " dogs, " << cats.size() << " cat, " << n << " pets, page " << page.page << " of "
            << page.pages << "\n";
  bool ok = same && dogs.size() == 3 && dogs.front()->name == "Rex" && cats.size() == 1 && first == rex &&
            tom->name == "Tom" && !maybe && n == 5 && page.items.size() == 2 && page.pages == 3 && page.next_num == 3 && groups == 2;
  return ok ? 0 : 1;
}
