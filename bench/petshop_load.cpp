// petshop_load PORT [THREADS] [REQUESTS]: THREADS clients (8) each send
// REQUESTS (500) mixed requests to a petshop server on 127.0.0.1:PORT:
// 50% GET /owners?include=pets, 15% GET /owners/<id>, 20% POST /owners,
// 10% POST /pets, 5% PATCH /pets/<id>. Prints the requests per second, the
// p50/p99 latency, the 5xx count and how many owners and pets were created,
// as one JSON line; exits 1 on any 5xx or failed request.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

using nlohmann::json;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: petshop_load PORT [THREADS] [REQUESTS]\n";
    return 2;
  }
  int port = std::atoi(argv[1]);
  int threads = argc > 2 ? std::atoi(argv[2]) : 8;
  int requests = argc > 3 ? std::atoi(argv[3]) : 500;
  std::atomic<int> server_errors{0}, failures{0}, owners_created{0}, pets_created{0};
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(threads));
  auto start = Clock::now();
  std::vector<std::thread> clients;
  for (int t = 0; t < threads; ++t) {
    clients.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", port);
      std::mt19937 random(static_cast<unsigned>(t));
      std::vector<std::int64_t> mine;  // owners this client created
      auto& lat = latencies[static_cast<std::size_t>(t)];
      for (int k = 0; k < requests; ++k) {
        int pick = static_cast<int>(random() % 100);
        auto before = Clock::now();
        httplib::Result res{nullptr, httplib::Error::Unknown};
        if (pick < 50) {
          res = c.Get("/owners?include=pets&per_page=10");
        } else if (pick < 65) {
          res = c.Get("/owners/" + std::to_string(mine.empty() ? 1 : mine[random() % mine.size()]));
        } else if (pick < 85 || mine.empty()) {
          res = c.Post("/owners", json{{"name", "load-" + std::to_string(t) + "-" + std::to_string(k)}}.dump(),
                       "application/json");
          if (res && res->status == 201) {
            mine.push_back(json::parse(res->body)["id"].get<std::int64_t>());
            ++owners_created;
          }
        } else if (pick < 95) {
          res = c.Post("/pets", json{{"name", "pet-" + std::to_string(k)}, {"owner_id", mine.back()}}.dump(),
                       "application/json");
          if (res && res->status == 201) ++pets_created;
        } else {
          res = c.Patch("/owners/" + std::to_string(mine.back()), json{{"name", "renamed-" + std::to_string(k)}}.dump(),
                        "application/json");
        }
        lat.push_back(std::chrono::duration<double, std::milli>(Clock::now() - before).count());
        if (!res) ++failures;
        else if (res->status >= 500) ++server_errors;
        else if (res->status >= 400) ++failures;
      }
    });
  }
  for (auto& c : clients) c.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[static_cast<std::size_t>(p * (all.size() - 1))]; };
  json report{{"threads", threads},
              {"requests", all.size()},
              {"seconds", seconds},
              {"requests_per_second", all.size() / seconds},
              {"p50_ms", pct(0.50)},
              {"p99_ms", pct(0.99)},
              {"server_errors", server_errors.load()},
              {"failed", failures.load()},
              {"owners_created", owners_created.load()},
              {"pets_created", pets_created.load()}};
  std::cout << report.dump() << "\n";
  return server_errors == 0 && failures == 0 ? 0 : 1;
}
