// docs/migrations.md, as a program: the Flask-Migrate flow with retort's db
// commands, run in a fresh folder: init, migrate, upgrade; a changed model,
// migrate, upgrade (rows kept), downgrade, check, --sql; then the same with
// two databases (`db init --multidb`). Built and run as a
// test; the output on the page is this program's, with what differs from run
// to run shown as placeholders: revision ids as <rev1>, <rev2>, durations as
// N, dates as <date>.
#include <filesystem>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>

#include <unistd.h>

#include <retort/app/migrate.hpp>
#include <retort/retort.hpp>

namespace r = retort;

// [models]
struct Pet {
  std::int64_t id = 0;
  std::string name;
};

template <>
struct r::Mapping<Pet> {
  static void map(r::Mapper<Pet>& m) {
    m.column(&Pet::id, "id").primary_key();
    m.column(&Pet::name, "name", r::String(50));
  }
};
// [models]

// [multidb models]
struct Account {  // in the database of bind "auth" (DATABASE_URL_AUTH)
  std::int64_t id = 0;
  std::string email;
};

template <>
struct r::Mapping<Account> {
  static void map(r::Mapper<Account>& m) {
    m.bind_key("auth");
    m.column(&Account::id, "id").primary_key();
    m.column(&Account::email, "email", r::String(100));
  }
};
// [multidb models]

// [main]
int program_main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "db")  // myapp db upgrade, myapp db migrate -m "..."
    return r::Migrate(r::mapped_metadata()).main(argc - 1, argv + 1);
  // ... the rest of the program
  return 0;
}
// [main]

// [multidb main]
int multidb_main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "db")  // every bind's models: Pet (default) and Account (auth)
    return r::Migrate(r::Migrate::mapped_models()).main(argc - 1, argv + 1);
  return 0;
}
// [multidb main]

namespace {

std::map<std::string, std::string> ids;

/// Prints a command and what it wrote, each revision id shown as <revN> and
/// each duration as N (both differ from run to run); <revN> in `args` is the id.
int run(const r::Migrate::BindModels& models, std::vector<std::string> args) {
  for (auto& a : args)
    for (auto& [real, shown] : ids)
      if (auto at = a.find(shown); at != std::string::npos) a.replace(at, shown.size(), real);
  std::ostringstream out, err;
  int rc = models.size() == 1 ? r::Migrate(*models.at("")).run(args, out, err) : r::Migrate(models).run(args, out, err);
  for (auto& a : args)
    for (auto& [real, shown] : ids)
      if (auto at = a.find(real); at != std::string::npos) a.replace(at, real.size(), shown);
  std::string line = "$ myapp db";
  for (auto& a : args) line += " " + (a.find(' ') != std::string::npos ? "\"" + a + "\"" : a);
  std::string text = line + "\n" + out.str() + err.str();
  static const std::regex id("[0-9a-f]{12}");
  std::string shown;
  std::sregex_iterator it(text.begin(), text.end(), id), end;
  std::size_t last = 0;
  for (; it != end; ++it) {
    auto& slot = ids[it->str()];
    if (slot.empty()) slot = "<rev" + std::to_string(ids.size()) + ">";
    shown += text.substr(last, static_cast<std::size_t>(it->position()) - last) + slot;
    last = static_cast<std::size_t>(it->position() + it->length());
  }
  shown += text.substr(last);
  shown = std::regex_replace(shown, std::regex("\\(\\d+ ms\\)"), "(N ms)");
  std::cout << std::regex_replace(shown, std::regex("create_date: .*"), "create_date: <date>");
  return rc;
}

}  // namespace

int main() {
  namespace fs = std::filesystem;
  // A fresh folder of its own (two runs of this program may overlap).
  fs::path folder = fs::temp_directory_path() / ("retort-docs-migrations-" + std::to_string(getpid()));
  fs::remove_all(folder);
  fs::create_directories(folder);
  fs::current_path(folder);
  setenv("DATABASE_URL", "sqlite:///app.db", 1);
  const r::Migrate::BindModels v1{{"", &r::mapped_metadata()}};
  // Version 2 of the models: Pet gains a species (an edited Mapping, in a real program).
  r::MetaData pet_v2;
  const r::Migrate::BindModels v2{{"", &pet_v2}};
  pet_v2.add(r::Table("pet", {r::Column("id", r::Integer()).primary_key(), r::Column("name", r::String(50)).not_null(),
                          r::Column("species", r::String(20)).index()}));
  bool ok = run(v1, {"init"}) == 0 && run(v1, {"migrate", "-m", "initial"}) == 0 && run(v1, {"upgrade"}) == 0;
  {
    r::Engine engine("sqlite:///app.db");
    r::Session s(engine);
    s.add(Pet{.name = "Rex"});
    s.commit();
  }
  ok = ok && run(v2, {"migrate", "-m", "add species"}) == 0 && run(v2, {"show", "<rev2>"}) == 0 && run(v2, {"upgrade"}) == 0 && run(v2, {"check"}) == 0 &&
       run(v2, {"history"}) == 0 && run(v2, {"downgrade"}) == 0 && run(v2, {"check"}) == 1 && run(v2, {"upgrade"}) == 0 &&
       run(v2, {"upgrade", "--sql", "<rev1>:head"}) == 0;
  r::Engine engine("sqlite:///app.db");
  r::Session s(engine);
  ok = ok && s.query<Pet>().count() == 1;  // Rex came through every step
  (void)program_main;

  // Two databases: Pet in app.db, Account in auth.db
  std::cout << "----- multidb\n";
  fs::create_directories(folder / "multi");
  fs::current_path(folder / "multi");
  setenv("DATABASE_URL_AUTH", "sqlite:///auth.db", 1);
  ids.clear();
  r::register_models<Account>();  // this program uses Account nowhere else; a real one queries it
  const auto m1 = r::Migrate::mapped_models();
  // Version 2: a Login model joins Account in "auth" (an edited program, in real life).
  r::MetaData auth_v2 = r::mapped_metadata("auth");
  r::Table(auth_v2, "login", {r::Column("id", r::Integer()).primary_key(),
                              r::Column("account_id", r::Integer()).foreign_key("account.id").not_null()});
  const r::Migrate::BindModels m2{{"", m1.at("")}, {"auth", &auth_v2}};
  ok = ok && run(m1, {"init", "--multidb"}) == 0 && run(m1, {"migrate", "-m", "initial"}) == 0 &&
       run(m1, {"upgrade"}) == 0 && run(m1, {"current"}) == 0 && run(m2, {"migrate", "-m", "add login"}) == 0 &&
       run(m2, {"show", "<rev2>"}) == 0 && run(m2, {"check"}) == 1 && run(m2, {"upgrade"}) == 0 &&
       run(m2, {"check"}) == 0 && run(m2, {"upgrade", "--sql", "<rev1>:<rev2>"}) == 0 &&
       run(m2, {"downgrade", "base"}) == 0;
  (void)multidb_main;
  fs::current_path(fs::temp_directory_path());
  fs::remove_all(folder);
  return ok ? 0 : 1;
}
