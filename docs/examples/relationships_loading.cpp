// docs/loading.md, as a program: each loading strategy on three owners with
// two pets each, the statements each emits (this program's echo is the SQL
// on the page), and their counts checked. Built and run as a test.
#include <iostream>

#include <retort/retort.hpp>

namespace r = retort;

// [models]
struct Pet;
struct Owner {
  std::int64_t id = 0;
  std::string name;
  r::Collection<Pet> pets;  // lazy="select", the default
};
struct Pet {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::int64_t> owner_id;
};
// [models]

template <>
struct r::Mapping<Owner> {
  static void map(r::Mapper<Owner>& m) {
    m.column(&Owner::id, "id").primary_key();
    m.column(&Owner::name, "name", r::String(50));
    m.relationship(&Owner::pets, "pets").backref("owner");
  }
};
template <>
struct r::Mapping<Pet> {
  static void map(r::Mapper<Pet>& m) {
    m.column(&Pet::id, "id").primary_key();
    m.column(&Pet::name, "name", r::String(50));
    m.column(&Pet::owner_id, "owner_id").foreign_key("owner.id");
  }
};

int main() {
  bool echo = false;
  int statements = 0;
  r::Engine engine("sqlite://", {.echo = true, .echo_sink = [&](std::string_view line) {
                                   if (echo && !line.starts_with("[")) std::cout << line << "\n";
                                 }});
  engine.add_statement_hook([&](const r::StatementEvent&) { ++statements; });
  r::mapped_metadata().create_all(engine);
  {
    r::Session session(engine);
    for (int o = 1; o <= 3; ++o) {
      auto owner = session.add(Owner{.name = "owner" + std::to_string(o)});
      owner->pets.append(session.add(Pet{.name = "pet" + std::to_string(2 * o - 1)}));
      owner->pets.append(session.add(Pet{.name = "pet" + std::to_string(2 * o)}));
    }
    session.commit();
  }
  echo = true;
  bool ok = true;
  // Runs `load` in a fresh session, prints its statements under `title`, checks their count.
  auto show = [&](const char* title, int expected, auto load) {
    std::cout << "-- " << title << "\n";
    r::Session session(engine);
    statements = 0;
    load(session);
    std::cout << "-- " << statements << " statement(s)\n";
    ok = ok && statements == expected;
  };

  show("lazy='select'", 4, [](r::Session& session) {
    // [select]
    for (auto& owner : session.query<Owner>().all())
      for (auto pet : owner->pets) (void)pet;  // one SELECT per owner, on first access: 1 + N
    // [select]
  });
  show("joinedload", 1, [](r::Session& session) {
    // [joined]
    auto owners = session.query<Owner>().options(r::joinedload(&Owner::pets)).all();  // 1
    // [joined]
    for (auto& owner : owners) (void)owner->pets.size();
  });
  show("subqueryload", 2, [](r::Session& session) {
    // [subquery]
    auto owners = session.query<Owner>().options(r::subqueryload(&Owner::pets)).all();  // 2
    // [subquery]
    for (auto& owner : owners) (void)owner->pets.size();
  });
  show("selectinload", 2, [](r::Session& session) {
    // [selectin]
    auto owners = session.query<Owner>().options(r::selectinload(&Owner::pets)).all();  // 1 + ceil(N / 500)
    // [selectin]
    for (auto& owner : owners) (void)owner->pets.size();
  });
  show("immediateload", 4, [](r::Session& session) {
    // [immediate]
    auto owners = session.query<Owner>().options(r::immediateload(&Owner::pets)).all();  // 1 + N, now
    // [immediate]
    for (auto& owner : owners) (void)owner->pets.size();
  });
  show("selectinload of the backref", 2, [](r::Session& session) {
    // [many-to-one]
    auto pets = session.query<Pet>().options(r::selectinload("owner")).all();  // owners by key, IN (...)
    // [many-to-one]
    for (auto& pet : pets) (void)r::backref<&Owner::pets>(pet).get();
  });
  show("contains_eager", 1, [](r::Session& session) {
    // [contains_eager]
    auto owners = session.query<Owner>()
                      .join(&Owner::pets)
                      .filter(r::col(&Pet::name) == "pet1")
                      .options(r::contains_eager(&Owner::pets))  // pets holds only pet1
                      .all();
    // [contains_eager]
    for (auto& owner : owners) (void)owner->pets.size();
  });
  show("raiseload", 1, [&](r::Session& session) {
    // [raise]
    auto owner = session.query<Owner>().options(r::raiseload(&Owner::pets)).first();
    try {
      (void)owner->pets.size();
    } catch (const r::InvalidRequestError& e) {
      std::cout << "-- " << e.what() << "\n";  // 'Owner.pets' is not available due to lazy='raise'; ...
    }
    // [raise]
  });
  show("yield_per", 3, [](r::Session& session) {
    // [yield_per]
    auto stream = session.query<Owner>().options(r::selectinload(&Owner::pets)).yield_per(2);
    for (const r::Ptr<Owner>& owner : stream) (void)owner->pets.size();  // 1 + one IN per batch of 2
    // [yield_per]
  });
  show("the N+1 detector", 2, [&](r::Session&) {
    // [detector]
    r::Session session(engine, {.n_plus_one = r::NPlusOne::raise});
    try {
      for (auto& owner : session.query<Owner>().all()) (void)owner->pets.size();
    } catch (const r::InvalidRequestError& e) {
      std::cout << "-- " << e.what() << "\n";  // N+1 query: lazy load of 'Owner.pets' repeated 2 times ...
    }
    // [detector]
  });
  return ok ? 0 : 1;
}
