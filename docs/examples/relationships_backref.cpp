// docs/backref.md, as a program: backref on one side (Owner/Pet), and
// back_populates on both (Program/Workout), kept in sync before any flush.
// Built and run as a test; the SQL on the page is this program's echo.
#include <iostream>

#include <retort/retort.hpp>

namespace r = retort;

// [backref models]
struct Pet;
struct Owner {
  std::int64_t id = 0;
  std::string name;
  r::Collection<Pet> pets;  // pets = db.relationship('Pet', backref='owner')
};
struct Pet {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::int64_t> owner_id;  // db.Column(db.Integer, db.ForeignKey('owner.id'))
};

template <>
struct r::Mapping<Owner> {
  static void map(r::Mapper<Owner>& m) {
    m.column(&Owner::id, "id").primary_key();
    m.column(&Owner::name, "name", r::String(50));
    m.relationship(&Owner::pets, "pets").backref("owner");  // Pet gains "owner"
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
// [backref models]

// [back_populates models]
struct Workout;
struct Program {
  std::int64_t id = 0;
  std::string name;
  r::Collection<Workout> workout;  // workout = db.relationship('Workout', back_populates="program")
};
struct Workout {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::int64_t> program_id;
  r::Ref<Program> program;  // program = db.relationship('Program', back_populates='workout')
};

template <>
struct r::Mapping<Program> {
  static void map(r::Mapper<Program>& m) {
    m.column(&Program::id, "id").primary_key();
    m.column(&Program::name, "name", r::String(50));
    m.relationship(&Program::workout, "workout").back_populates("program");
  }
};
template <>
struct r::Mapping<Workout> {
  static void map(r::Mapper<Workout>& m) {
    m.column(&Workout::id, "id").primary_key();
    m.column(&Workout::name, "name", r::String(50));
    m.column(&Workout::program_id, "program_id").foreign_key("program.id");
    m.relationship(&Workout::program, "program").back_populates("workout");
  }
};
// [back_populates models]

int main() {
  r::Engine engine("sqlite://", {.echo = true, .echo_sink = [](std::string_view line) {
                                   if (!line.starts_with("[")) std::cout << line << "\n";  // the SQL, not the timings
                                 }});
  r::mapped_metadata().create_all(engine);
  r::Session session(engine);
  bool ok = true;

  // [backref use]
  auto ann = session.add(Owner{.name = "Ann"});
  auto rex = session.add(Pet{.name = "Rex"});
  ann->pets.append(rex);
  r::Ptr<Owner> owner = r::backref<&Owner::pets>(rex);  // Ann, before any flush
  bool fk_unset = !rex->owner_id;                        // the column is written at flush
  // [backref use]
  ok = ok && owner == ann && fk_unset;

  // [backref assign]
  auto bob = session.add(Owner{.name = "Bob"});
  r::backref<&Owner::pets>(rex) = bob;  // moves Rex: out of ann->pets, into bob->pets
  // [backref assign]
  ok = ok && !ann->pets.contains(rex) && bob->pets.contains(rex);

  // [back_populates use]
  auto legs = session.add(Program{.name = "legs"});
  auto squat = session.add(Workout{.name = "squat"});
  legs->workout.append(squat);  // squat->program is legs
  auto lunge = session.add(Workout{.name = "lunge"});
  lunge->program = legs;        // legs->workout holds lunge
  // [back_populates use]
  ok = ok && squat->program.get() == legs && legs->workout.size() == 2;

  std::cout << "-- commit\n";
  session.commit();

  // [backref query]
  auto bobs = session.query<Pet>().filter_by("owner", bob).all();                   // WHERE pet.owner_id = ?
  auto named = session.query<Pet>().join("owner").filter(r::col(&Owner::name) == "Bob").all();
  // [backref query]
  ok = ok && bobs.size() == 1 && named.size() == 1 && rex->owner_id == bob->id;
  return ok ? 0 : 1;
}
