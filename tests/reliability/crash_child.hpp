// What the crash-safety and concurrency tests share with their helper program
// (crash_child.cpp, built as reliability_crash_child): the models both sides
// map, the one-letter progress markers the child writes to its standard
// output, and, for the tests, a child process they can start, read and kill.
//
// Markers (each one byte, written unbuffered, so a marker the parent reads was
// written before the child died):
//   B  the unit of work (or the upgrade) is about to be committed (run)
//   S  a statement ran (the engine's statement hook, not BEGIN or COMMIT)
//   K  a COMMIT is about to run (the engine's echo log)
//   R  a migration revision was applied (committed)
//   C  commit() (upgrade()) returned
//   E  the session and engine are closed: the child is about to exit
//   T  then a line with the steady-clock times (ns) of B, the last S, C, E and the last K
//   W  a writer is connected and waits for a byte on its standard input to start
//   D  a writer wrote all its rows
#pragma once

#include <cstdint>
#include <string>

#include "retort/orm.hpp"

namespace reliability {

/// One row of the crash-safety unit of work: `batch` 0 holds rows committed
/// before the child runs, `batch` 1 the child's 10,000.
struct Reading {
  std::int64_t id = 0;
  std::int64_t batch = 0;
  std::int64_t seq = 0;
  std::string payload;
};

/// A row a concurrent writer inserts.
struct Entry {
  std::int64_t id = 0;
  std::int64_t writer = 0;
  std::int64_t seq = 0;
};

/// The counter concurrent workers increment.
struct Tally {
  std::int64_t id = 0;
  std::int64_t value = 0;
};

/// The payload of row `seq`: long enough that 10,000 rows are a few
/// megabytes, more than SQLite's page cache, so the transaction spills.
inline std::string payload_of(std::int64_t seq) {
  std::string s = "reading-" + std::to_string(seq) + "-";
  while (s.size() < 300) s += static_cast<char>('a' + (seq + static_cast<std::int64_t>(s.size())) % 26);
  return s;
}

}  // namespace reliability

template <>
struct retort::Mapping<reliability::Reading> {
  static void map(Mapper<reliability::Reading>& m) {
    m.table("crash_reading");
    m.column(&reliability::Reading::id, "id").primary_key();
    m.column(&reliability::Reading::batch, "batch").not_null();
    m.column(&reliability::Reading::seq, "seq").not_null();
    m.column(&reliability::Reading::payload, "payload", Text()).not_null();
    m.constraint(UniqueConstraint{{"batch", "seq"}, "uq_crash_reading_batch_seq"});
  }
};

template <>
struct retort::Mapping<reliability::Entry> {
  static void map(Mapper<reliability::Entry>& m) {
    m.table("concurrency_entry");
    m.column(&reliability::Entry::id, "id").primary_key();
    m.column(&reliability::Entry::writer, "writer").not_null();
    m.column(&reliability::Entry::seq, "seq").not_null();
    m.constraint(UniqueConstraint{{"writer", "seq"}, "uq_concurrency_entry_writer_seq"});
  }
};

template <>
struct retort::Mapping<reliability::Tally> {
  static void map(Mapper<reliability::Tally>& m) {
    m.table("concurrency_tally");
    m.column(&reliability::Tally::id, "id").primary_key();
    m.column(&reliability::Tally::value, "value").not_null();
  }
};

#ifdef RETORT_CRASH_CHILD
// ---- for the tests: the child process ---------------------------------------

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace reliability {

/// reliability_crash_child run with `args`, its standard input and output
/// pipes to this process (its standard error is this process's). Killed and
/// reaped on destruction if still running.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& args) {
    int out[2], in[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    std::vector<std::string> all{RETORT_CRASH_CHILD};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    started_ = std::chrono::steady_clock::now();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      // Only async-signal-safe calls between fork and exec.
      ::dup2(out[1], STDOUT_FILENO);
      ::dup2(in[0], STDIN_FILENO);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    ::close(in[0]);
    out_ = out[0];
    in_ = in[1];
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (running_) kill();
    ::close(out_);
    if (in_ >= 0) ::close(in_);
  }

  /// Reads what the child wrote, waiting up to `timeout_ms` for something:
  /// the bytes read, 0 when nothing came, -1 at end of file.
  int read_some(int timeout_ms) {
    pollfd p{out_, POLLIN, 0};
    int ready = ::poll(&p, 1, timeout_ms);
    if (ready == 0 || (ready < 0 && errno == EINTR)) return 0;
    char buf[4096];
    ssize_t n = ::read(out_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) return 0;
    if (n <= 0) return -1;
    output_.append(buf, static_cast<std::size_t>(n));
    for (ssize_t i = 0; i < n; ++i) ++counts_[static_cast<unsigned char>(buf[i])];
    return static_cast<int>(n);
  }
  /// Waits until the child has written `marker` (true), or ended or timed out (false).
  bool wait_for(char marker, std::chrono::milliseconds timeout) { return wait_for(marker, 1, timeout); }
  /// Waits until the child has written `marker` `n` times.
  bool wait_for(char marker, std::size_t n, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (count(marker) < n) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      if (read_some(20) < 0) return count(marker) >= n;
    }
    return true;
  }
  /// SIGKILL, reap, then read what it wrote before dying.
  void kill() {
    ::kill(pid_, SIGKILL);
    reap();
  }
  /// Waits for the child to end; its exit status (128 + signal when killed).
  int wait() {
    reap();
    return status_;
  }
  /// Writes one byte to the child's standard input.
  void send(char c) {
    if (::write(in_, &c, 1) != 1) throw std::runtime_error("cannot write to the child");
  }
  const std::string& output() const { return output_; }
  /// The markers, runs counted: "B S*10000 C E".
  std::string markers() const {
    std::string out;
    for (std::size_t i = 0; i < output_.size() && output_[i] != 'T';) {
      std::size_t j = i;
      while (j < output_.size() && output_[j] == output_[i]) ++j;
      out += (out.empty() ? "" : " ") + std::string(1, output_[i]) + (j - i > 1 ? "*" + std::to_string(j - i) : "");
      i = j;
    }
    return out;
  }
  std::size_t count(char marker) const { return counts_[static_cast<unsigned char>(marker)]; }
  bool saw(char marker) const { return output_.find(marker) != std::string::npos; }
  /// The times of B, the last S, C, E and the last K the child reported on its T line, in
  /// seconds from its start (the steady clock is the same in both processes);
  /// empty without that line.
  std::vector<double> reported_times() const {
    auto at = output_.find('T');
    if (at == std::string::npos) return {};
    std::istringstream in(output_.substr(at + 1));
    std::vector<double> out;
    std::int64_t ns = 0;
    auto start = std::chrono::duration_cast<std::chrono::nanoseconds>(started_.time_since_epoch()).count();
    while (in >> ns) out.push_back(static_cast<double>(ns - start) / 1e9);
    return out;
  }

 private:
  void reap() {
    if (!running_) return;
    int st = 0;
    while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    running_ = false;
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    while (read_some(0) > 0) {
    }
  }
  pid_t pid_ = -1;
  int out_ = -1, in_ = -1;
  bool running_ = true;
  int status_ = -1;
  std::string output_;
  std::size_t counts_[256] = {};
  std::chrono::steady_clock::time_point started_;
};

}  // namespace reliability
#endif
