// retort's side of the performance benchmark: the eight workloads of the
// anchors' specification (insert, get_by_pk, lazy_n_plus_1, selectin, joined,
// m2m, update, to_dict), written through retort's public API the way a user
// writes them, on the same schema, data and SQLite settings, printing the same
// one line per workload as the baselines in bench/baselines/.
//
//   retort_bench WORKLOAD N [--no-index] [--sql-log]
//
// Only the workload is timed: setup (schema, rows with explicit ids) and the
// verification queries after it are not. The timed part includes creating and
// closing sessions, building objects, serializing and freeing what was loaded.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <sqlite3.h>
#include <unistd.h>

#include <retort/core/engine.hpp>
#include <retort/orm/to_dict.hpp>

#include "bench_models.hpp"

namespace r = retort;
using bench::Channel;
using bench::Owner;
using bench::Pet;
using bench::User;

namespace {

constexpr std::int64_t kPetsPerOwner = 10;
constexpr std::int64_t kChannels = 100;
constexpr std::size_t kFollowsPerUser = 10;
constexpr std::uint64_t kSeedGet = 42;
constexpr std::uint64_t kSeedFollow = 7;
constexpr std::array<const char*, 4> kSpecies{"cat", "dog", "parrot", "hamster"};

/// The generator the specification fixes (SplitMix64), so ids and follows match the baselines.
struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
};

std::string owner_name(std::int64_t i) { return "owner " + std::to_string(i); }
std::string pet_name(std::int64_t i, std::int64_t j) { return "pet " + std::to_string(i) + "." + std::to_string(j); }
/// The k-th pet's species (k from 0, in id order); every 7th has none.
std::optional<std::string> pet_species(std::int64_t k) {
  if ((k + 1) % 7 == 0) return std::nullopt;
  return kSpecies[static_cast<std::size_t>(k % 4)];
}

/// What a workload reports.
struct Outcome {
  double seconds = 0;
  std::uint64_t statements = 0;
  std::int64_t rows = 0;
  std::int64_t checksum = 0;
  std::optional<std::size_t> bytes;
};

/// Runs `work` as the timed part and counts the statements it executed. Never
/// inlined, so `valgrind --tool=callgrind --toggle-collect='*timed*'` counts just this part.
template <class F>
[[gnu::noinline]] auto timed(r::Engine& engine, Outcome& out, F&& work) {
  auto before = engine.stats().statements;
  auto start = std::chrono::steady_clock::now();
  auto result = work();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out.statements = engine.stats().statements - before;
  return result;
}

std::int64_t scalar(r::Engine& engine, std::string_view sql) {
  return engine.connect().exec_driver_sql(sql).scalar<std::int64_t>();
}

/// The same sum as the graph digest, computed by SQLite over what is stored.
constexpr std::string_view kStateDigest =
    "SELECT (SELECT coalesce(sum(id + length(name)), 0) FROM owner)"
    " + (SELECT coalesce(sum(owner_id * id + owner_id + length(name) + coalesce(length(species), 0)"
    " + unicode(substr(name, -1))), 0) FROM pet)";

// ---- untimed setup ---------------------------------------------------------

void populate_owners(r::Engine& engine, std::int64_t n) {
  auto conn = engine.connect();
  auto tx = conn.begin();
  for (std::int64_t i = 1; i <= n; ++i) {
    std::array<r::Value, 2> row{r::Value(i), r::Value(owner_name(i))};
    conn.exec_driver_sql("INSERT INTO owner (id, name) VALUES (?, ?)", row);
  }
  for (std::int64_t i = 1; i <= n; ++i) {
    for (std::int64_t j = 0; j < kPetsPerOwner; ++j) {
      std::int64_t k = (i - 1) * kPetsPerOwner + j;
      auto species = pet_species(k);
      std::array<r::Value, 4> row{r::Value(k + 1), r::Value(pet_name(i, j)),
                                  species ? r::Value(*species) : r::Value(), r::Value(i)};
      conn.exec_driver_sql("INSERT INTO pet (id, name, species, owner_id) VALUES (?, ?, ?, ?)", row);
    }
  }
  tx.commit();
}

void populate_follows(r::Engine& engine, std::int64_t n) {
  auto conn = engine.connect();
  auto tx = conn.begin();
  for (std::int64_t c = 1; c <= kChannels; ++c) {
    std::array<r::Value, 2> row{r::Value(c), r::Value("channel " + std::to_string(c))};
    conn.exec_driver_sql("INSERT INTO channel (id, title) VALUES (?, ?)", row);
  }
  SplitMix64 rng{kSeedFollow};
  for (std::int64_t u = 1; u <= n; ++u) {
    std::array<r::Value, 2> user{r::Value(u), r::Value("user" + std::to_string(u))};
    conn.exec_driver_sql("INSERT INTO user (id, username) VALUES (?, ?)", user);
    std::vector<std::int64_t> chosen;
    while (chosen.size() < kFollowsPerUser) {
      auto c = static_cast<std::int64_t>(1 + rng.next() % kChannels);
      if (std::find(chosen.begin(), chosen.end(), c) != chosen.end()) continue;
      chosen.push_back(c);
      std::array<r::Value, 2> follow{r::Value(u), r::Value(c)};
      conn.exec_driver_sql("INSERT INTO user_channel (user_id, channel_id) VALUES (?, ?)", follow);
    }
  }
  tx.commit();
}

// ---- touching what was loaded ----------------------------------------------

/// Reads every column of each owner and its pets once: the graph digest.
struct Touched {
  std::int64_t rows = 0;
  std::int64_t checksum = 0;
};

Touched touch_owners(const std::vector<r::Ptr<Owner>>& owners) {
  Touched t;
  for (const auto& o : owners) {
    t.checksum += o->id + static_cast<std::int64_t>(o->name.size());
    ++t.rows;
    for (const auto& p : o->pets) {
      t.checksum += o->id * p->id + p->owner_id.value_or(0) + static_cast<std::int64_t>(p->name.size()) +
                    static_cast<std::int64_t>(p->species ? p->species->size() : 0) +
                    static_cast<unsigned char>(p->name.back());
      ++t.rows;
    }
  }
  return t;
}

// ---- the workloads ---------------------------------------------------------

Outcome wl_insert(r::Engine& engine, std::int64_t n) {
  Outcome out;
  timed(engine, out, [&] {
    r::Session session(engine);
    for (std::int64_t i = 1; i <= n; ++i) {
      auto owner = session.add(Owner{.name = owner_name(i)});
      for (std::int64_t j = 0; j < kPetsPerOwner; ++j)
        owner->pets.append(session.add(Pet{.name = pet_name(i, j), .species = pet_species((i - 1) * kPetsPerOwner + j)}));
    }
    session.commit();
    return 0;
  });
  out.rows = scalar(engine, "SELECT (SELECT count(*) FROM owner) + (SELECT count(*) FROM pet)");
  out.checksum = scalar(engine, kStateDigest);
  return out;
}

Outcome wl_get_by_pk(r::Engine& engine, std::int64_t n) {
  populate_owners(engine, n);
  std::vector<std::int64_t> ids(static_cast<std::size_t>(n));
  SplitMix64 rng{kSeedGet};
  for (auto& id : ids) id = static_cast<std::int64_t>(1 + rng.next() % static_cast<std::uint64_t>(n));
  Outcome out;
  out.checksum = timed(engine, out, [&] {
    std::int64_t sum = 0;
    for (auto id : ids) {  // a request each: a session, one lookup, close
      r::Session session(engine);
      auto owner = session.get<Owner>(id);
      sum += owner->id + static_cast<std::int64_t>(owner->name.size());
    }
    return sum;
  });
  out.rows = n;
  return out;
}

/// The owner workloads differ only in the query: lazy, selectin or joined.
template <class Load>
Outcome load_owners(r::Engine& engine, std::int64_t n, Load load) {
  populate_owners(engine, n);
  Outcome out;
  auto t = timed(engine, out, [&] {
    r::Session session(engine);
    return touch_owners(load(session));
  });
  out.rows = t.rows;
  out.checksum = t.checksum;
  return out;
}

Outcome wl_lazy_n_plus_1(r::Engine& engine, std::int64_t n) {
  return load_owners(engine, n, [](r::Session& s) { return s.query<Owner>().all(); });
}

Outcome wl_selectin(r::Engine& engine, std::int64_t n) {
  return load_owners(engine, n, [](r::Session& s) { return s.query<Owner>().options(r::selectinload(&Owner::pets)).all(); });
}

Outcome wl_joined(r::Engine& engine, std::int64_t n) {
  return load_owners(engine, n, [](r::Session& s) { return s.query<Owner>().options(r::joinedload(&Owner::pets)).all(); });
}

Outcome wl_m2m(r::Engine& engine, std::int64_t n) {
  populate_follows(engine, n);
  Outcome out;
  auto t = timed(engine, out, [&] {
    r::Session session(engine);
    Touched seen;
    auto users = session.query<User>().options(r::selectinload(&User::following)).all();
    std::vector<r::Ptr<Channel>> channels;
    std::unordered_set<const Channel*> listed;
    for (const auto& u : users) {
      seen.checksum += u->id + static_cast<std::int64_t>(u->username.size());
      ++seen.rows;
      for (const auto& c : u->following) {
        seen.checksum += u->id * c->id + static_cast<std::int64_t>(c->title ? c->title->size() : 0);
        ++seen.rows;
        if (listed.insert(&*c).second) channels.push_back(c);
      }
    }
    // Each followed channel's followers, lazily, in channel id order.
    std::sort(channels.begin(), channels.end(), [](const auto& a, const auto& b) { return a->id < b->id; });
    for (const auto& c : channels) {
      auto followers = static_cast<std::int64_t>(r::backref<&User::following>(c).size());
      seen.checksum += c->id * followers;
      seen.rows += followers;
    }
    return seen;
  });
  out.rows = t.rows;
  out.checksum = t.checksum;
  return out;
}

Outcome wl_update(r::Engine& engine, std::int64_t n) {
  populate_owners(engine, n);
  Outcome out;
  timed(engine, out, [&] {
    r::Session session(engine);
    for (auto& pet : session.query<Pet>().filter(r::col(&Pet::id) <= n).all()) pet->name += '!';
    session.commit();
    return 0;
  });
  out.rows = scalar(engine, "SELECT count(*) FROM pet WHERE name LIKE '%!'");
  out.checksum = scalar(engine, kStateDigest);
  return out;
}

/// CRC-32 (the zlib polynomial), as Python's zlib.crc32 computes it.
std::uint32_t crc32(std::string_view data) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320U ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t crc = 0xFFFFFFFFU;
  for (unsigned char byte : data) crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFU;
}

Outcome wl_to_dict(r::Engine& engine, std::int64_t n) {
  populate_owners(engine, n);
  Outcome out;
  auto [json, rows] = timed(engine, out, [&] {
    r::Session session(engine);
    auto owners = session.query<Owner>().options(r::selectinload(&Owner::pets)).all();
    std::int64_t count = 0;
    for (const auto& o : owners) count += 1 + static_cast<std::int64_t>(o->pets.size());
    // json.dumps([o.to_dict() for o in owners]), byte for byte.
    return std::pair{r::to_json(owners, {.include = {"pets"}}, r::JsonStyle::python), count};
  });
  out.rows = rows;
  out.checksum = crc32(json);
  out.bytes = json.size();
  return out;
}

using Workload = Outcome (*)(r::Engine&, std::int64_t);
constexpr std::array<std::pair<std::string_view, Workload>, 8> kWorkloads{{
    {"insert", wl_insert},
    {"get_by_pk", wl_get_by_pk},
    {"lazy_n_plus_1", wl_lazy_n_plus_1},
    {"selectin", wl_selectin},
    {"joined", wl_joined},
    {"m2m", wl_m2m},
    {"update", wl_update},
    {"to_dict", wl_to_dict},
}};

/// A fresh directory for the database file, removed afterwards.
struct ScratchDir {
  std::filesystem::path path;
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "retort-bench-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a directory like " + pattern);
    path = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
};

std::string collapse_spaces(std::string_view sql) {
  std::string out;
  for (char c : sql) {
    if (c != ' ' && c != '\n' && c != '\t') {
      out += c;
    } else if (!out.empty() && out.back() != ' ') {
      out += ' ';
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

void run(std::string_view name, Workload workload, std::int64_t n, bool with_index, bool sql_log) {
  std::map<std::string, std::uint64_t> log;
  Outcome out;
  {
    ScratchDir dir;
    // The anchors' settings: WAL, synchronous=NORMAL, foreign_keys off, one connection.
    r::Engine engine("sqlite:///" + (dir.path / "bench.db").string(),
                     {.foreign_keys = false, .journal_mode = "wal", .synchronous = "normal"});
    r::mapped_metadata().create_all(engine);
    if (!with_index) {
      auto conn = engine.connect();
      for (auto index : {"ix_pet_owner_id", "ix_user_channel_user_id", "ix_user_channel_channel_id"})
        conn.exec_driver_sql(std::string("DROP INDEX ") + index);
    }
    int hook = -1;
    if (sql_log) hook = engine.add_statement_hook([&](const r::StatementEvent& e) { ++log[collapse_spaces(e.sql)]; });
    out = workload(engine, n);
    if (hook >= 0) engine.remove_statement_hook(hook);
  }
  std::printf("workload=%.*s n=%lld seconds=%.6f statements=%llu rows=%lld checksum=%lld calls=%llu",
              static_cast<int>(name.size()), name.data(), static_cast<long long>(n), out.seconds,
              static_cast<unsigned long long>(out.statements), static_cast<long long>(out.rows),
              static_cast<long long>(out.checksum), static_cast<unsigned long long>(out.statements));
  if (out.bytes) std::printf(" bytes=%zu", *out.bytes);
  std::printf(" impl=retort-sqlite-%s\n", sqlite3_libversion());
  std::fflush(stdout);
  for (const auto& [sql, count] : log) std::fprintf(stderr, "%llu\t%s\n", static_cast<unsigned long long>(count), sql.c_str());
}

int usage() {
  std::fprintf(stderr, "usage: retort_bench {all");
  for (const auto& [name, fn] : kWorkloads) std::fprintf(stderr, "|%.*s", static_cast<int>(name.size()), name.data());
  std::fprintf(stderr, "} N [--no-index] [--sql-log]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args;
  bool with_index = true;
  bool sql_log = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--no-index") {
      with_index = false;
    } else if (a == "--sql-log") {
      sql_log = true;
    } else if (a.starts_with("--")) {
      return usage();
    } else {
      args.push_back(a);
    }
  }
  if (args.size() != 2) return usage();
  char* end = nullptr;
  std::string count(args[1]);
  long long n = std::strtoll(count.c_str(), &end, 10);
  if (*end != '\0' || n < 1) return usage();
  bool found = false;
  try {
    for (const auto& [name, fn] : kWorkloads) {
      if (args[0] != "all" && args[0] != name) continue;
      found = true;
      run(name, fn, n, with_index, sql_log);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "retort_bench: %s\n", e.what());
    return 1;
  }
  return found ? 0 : usage();
}
