// Reads per second of 8 threads doing mixed reads and writes through retort
// sessions, on the primary alone and with the streaming replica serving the
// reads. Run beside a primary and replica:
//   scripts/with-postgres.sh --replica build/release/bench/replica_load [SECONDS]
// Each thread loops: one session, 9 reads (a get by key and a filtered count),
// then in every 10th session one write (insert and commit).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <retort/retort.hpp>

namespace r = retort;

struct Item {
  std::int64_t id = 0;
  std::string name;
  std::int64_t score = 0;
};
template <>
struct r::Mapping<Item> {
  static void map(r::Mapper<Item>& m) {
    m.table("load_item");
    m.column(&Item::id, "id").primary_key();
    m.column(&Item::name, "name", r::String(40));
    m.column(&Item::score, "score").index();
  }
};

namespace {

struct Figures {
  double reads_per_s, writes_per_s;
};

Figures run(r::Engine& engine, double seconds) {
  std::atomic<long> reads{0}, writes{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::uint64_t x = 88172645463325252ull + static_cast<std::uint64_t>(t);
      for (long n = 0; !stop; ++n) {
        r::Session s(engine);
        for (int k = 0; k < 9; ++k) {
          x ^= x << 13, x ^= x >> 7, x ^= x << 17;
          if (k % 2) (void)s.get<Item>(static_cast<std::int64_t>(1 + x % 1000));
          else (void)s.query<Item>().filter(r::col(&Item::score) > static_cast<std::int64_t>(x % 100)).count();
          ++reads;
        }
        if (n % 10 == 0) {
          s.add(Item{.name = "w", .score = static_cast<std::int64_t>(x % 100)});
          ++writes;
        }
        s.commit();
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : threads) th.join();
  return {reads / seconds, writes / seconds};
}

}  // namespace

int main(int argc, char** argv) {
  const char* primary = std::getenv("RETORT_TEST_POSTGRES_URL");
  const char* replica = std::getenv("RETORT_TEST_POSTGRES_REPLICA_URL");
  if (!primary || !replica) {
    std::fprintf(stderr, "run under scripts/with-postgres.sh --replica\n");
    return 2;
  }
  double seconds = argc > 1 ? std::atof(argv[1]) : 10;
  r::EngineOptions pool;
  pool.pool_size = 8;
  {
    r::Engine setup(primary, pool);
    r::mapped_metadata().drop_all(setup);
    r::mapped_metadata().create_all(setup);
    r::Session s(setup);
    for (int i = 1; i <= 1000; ++i) s.add(Item{.name = "item " + std::to_string(i), .score = i % 100});
    s.commit();
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));  // let the replica replay the setup
  r::Engine alone(primary, pool);
  auto with_options = pool;
  with_options.replicas = {replica};
  r::Engine with_replica(primary, with_options);
  auto a = run(alone, seconds);
  auto b = run(with_replica, seconds);
  auto c = run(alone, seconds);  // again, to see the drift
  std::printf("| setup | reads/s | writes/s |\n|---|---:|---:|\n");
  std::printf("| primary only | %.0f | %.0f |\n", a.reads_per_s, a.writes_per_s);
  std::printf("| primary + replica | %.0f | %.0f |\n", b.reads_per_s, b.writes_per_s);
  std::printf("| primary only (again) | %.0f | %.0f |\n", c.reads_per_s, c.writes_per_s);
  auto stats = with_replica.replica_stats().at(0);
  std::printf("replica served %llu statements; the primary %llu\n", static_cast<unsigned long long>(stats.statements),
              static_cast<unsigned long long>(with_replica.stats().statements));
  return 0;
}
