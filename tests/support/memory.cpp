#include "support/memory.hpp"

#include <fstream>
#include <string>

namespace retort::testing {

long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      long v = 0;
      in >> v;
      return v;
    }
    in.ignore(1 << 20, '\n');
  }
  return -1;
}

}  // namespace retort::testing
