// The identity map's common case: objects by a single integer primary key, in
// one open-addressing table (linear probing, backward-shift erase), so that
// filing an object costs no allocation of its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace retort::detail {

struct InstanceBase;

class IntKeyMap {
 public:
  /// A filled slot; `second` is never null (a null one marks an empty slot).
  struct Entry {
    std::int64_t first = 0;
    InstanceBase* second = nullptr;
  };

  /// The object filed under `key`, or null.
  InstanceBase* find(std::int64_t key) const {
    if (size_ == 0) return nullptr;
    for (std::size_t s = slot_of(key);; s = (s + 1) & mask()) {
      const Entry& e = slots_[s];
      if (!e.second) return nullptr;
      if (e.first == key) return e.second;
    }
  }
  /// Files `value` under `key`; false (and nothing changed) when the key is taken.
  bool insert(std::int64_t key, InstanceBase* value) {
    if ((size_ + 1) * 4 > slots_.size() * 3) grow();
    for (std::size_t s = slot_of(key);; s = (s + 1) & mask()) {
      Entry& e = slots_[s];
      if (!e.second) {
        e = {key, value};
        ++size_;
        return true;
      }
      if (e.first == key) return false;
    }
  }
  /// Removes `key`'s entry when it is `only` (any object when `only` is null); whether one was removed.
  bool erase(std::int64_t key, const InstanceBase* only = nullptr) {
    if (size_ == 0) return false;
    std::size_t s = slot_of(key);
    for (;; s = (s + 1) & mask()) {
      if (!slots_[s].second) return false;
      if (slots_[s].first == key) break;
    }
    if (only && slots_[s].second != only) return false;
    // Shift back the entries after it that probed past it, so that no lookup stops early.
    for (std::size_t next = (s + 1) & mask(); slots_[next].second; next = (next + 1) & mask()) {
      std::size_t home = slot_of(slots_[next].first);
      bool movable = s <= next ? (home <= s || home > next) : (home <= s && home > next);
      if (movable) {
        slots_[s] = slots_[next];
        s = next;
      }
    }
    slots_[s] = {};
    --size_;
    return true;
  }
  std::size_t size() const { return size_; }
  void clear() {
    slots_.clear();
    size_ = 0;
  }

  /// Visits the filled slots (in no particular order).
  class iterator {
   public:
    iterator(Entry* at, Entry* end) : at_(at), end_(end) { skip(); }
    Entry& operator*() const { return *at_; }
    iterator& operator++() {
      ++at_;
      skip();
      return *this;
    }
    bool operator!=(const iterator& o) const { return at_ != o.at_; }

   private:
    void skip() {
      while (at_ != end_ && !at_->second) ++at_;
    }
    Entry* at_;
    Entry* end_;
  };
  iterator begin() { return {slots_.data(), slots_.data() + slots_.size()}; }
  iterator end() { return {slots_.data() + slots_.size(), slots_.data() + slots_.size()}; }

 private:
  std::size_t mask() const { return slots_.size() - 1; }
  std::size_t slot_of(std::int64_t key) const {
    // Fibonacci hashing: consecutive ids spread over the table.
    return static_cast<std::size_t>((static_cast<std::uint64_t>(key) * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  void grow() {
    std::vector<Entry> old = std::move(slots_);
    std::size_t capacity = old.empty() ? 16 : old.size() * 2;
    slots_.assign(capacity, Entry{});
    shift_ = 64;
    for (std::size_t c = capacity; c > 1; c >>= 1) --shift_;
    size_ = 0;
    for (auto& e : old)
      if (e.second) insert(e.first, e.second);
  }

  std::vector<Entry> slots_;  ///< a power of two of them, at most three quarters filled
  std::size_t size_ = 0;
  int shift_ = 64;
};

}  // namespace retort::detail
