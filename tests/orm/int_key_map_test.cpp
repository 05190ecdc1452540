// The identity map's integer-key table against std::unordered_map: random
// inserts, finds and erases (also of keys whose probes wrap around the table
// and run past one another), with the same answers and the same contents.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <unordered_map>

#include "orm/int_key_map.hpp"

namespace {

using retort::detail::InstanceBase;
using retort::detail::IntKeyMap;

/// Distinct non-null pointers to stand for objects; the table never dereferences them.
InstanceBase* object(std::size_t n) {
  static char arena[4096];
  return reinterpret_cast<InstanceBase*>(arena + n % sizeof arena);
}

TEST(IntKeyMap, AgreesWithAnUnorderedMapOverRandomOperations) {
  for (std::int64_t spread : {40, 1000, 1 << 20}) {  // few keys: long probe runs; many: growth
    std::mt19937_64 random(static_cast<std::uint64_t>(spread));
    IntKeyMap table;
    std::unordered_map<std::int64_t, InstanceBase*> model;
    auto key = [&] { return static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(spread)) - spread / 2; };
    for (int step = 0; step < 200000; ++step) {
      std::int64_t k = key();
      switch (random() % 4) {
        case 0: {
          InstanceBase* v = object(random() % 4000 + 1);
          EXPECT_EQ(table.insert(k, v), model.emplace(k, v).second) << "insert " << k;
          break;
        }
        case 1: {
          auto it = model.find(k);
          EXPECT_EQ(table.find(k), it == model.end() ? nullptr : it->second) << "find " << k;
          break;
        }
        case 2:
          EXPECT_EQ(table.erase(k), model.erase(k) == 1) << "erase " << k;
          break;
        default: {  // erase only when it is this object
          auto it = model.find(k);
          InstanceBase* only = it != model.end() && random() % 2 ? it->second : object(4001);
          bool expected = it != model.end() && it->second == only;
          if (expected) model.erase(it);
          EXPECT_EQ(table.erase(k, only), expected) << "erase " << k << " if it is one object";
        }
      }
      ASSERT_EQ(table.size(), model.size()) << "after step " << step;
    }
    std::set<std::pair<std::int64_t, InstanceBase*>> listed, expected(model.begin(), model.end());
    for (auto& [k, v] : table) listed.emplace(k, v);
    EXPECT_EQ(listed, expected) << "spread " << spread;
    table.clear();
    EXPECT_EQ(table.size(), 0u);
    EXPECT_EQ(table.find(0), nullptr);
    EXPECT_TRUE(table.insert(7, object(1)));
    EXPECT_EQ(table.find(7), object(1));
  }
}

}  // namespace
