// reliability_crash_child: the other process of the crash-safety and
// concurrency tests. It does one thing through retort and reports its
// progress with one-byte markers on standard output (crash_child.hpp), so the
// test can SIGKILL it at a known point, or run it beside its own threads.
//
//   commit  URL OBJECTS             one Session: add OBJECTS readings (batch 1), commit
//   upgrade URL VERSIONS_DIR        Migrator: upgrade to head
//   write   URL WRITER TXS ROWS     after a byte on stdin: TXS commits of ROWS entries each
//
// Exit status 0 on success; 2 with the error on standard error otherwise.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include "reliability/crash_child.hpp"
#include "retort/migrate.hpp"

namespace r = retort;
using reliability::Entry;
using reliability::Reading;

namespace {

void mark(char c) {
  while (::write(STDOUT_FILENO, &c, 1) < 0 && errno == EINTR) {
  }
}

std::int64_t number(const char* text) { return std::strtoll(text, nullptr, 10); }

/// When B, the last S, C, E and the last K were written (steady clock,
/// nanoseconds): the child writes them at its end, so a calibration run is
/// timed without the parent reading (and competing for the CPU) while it runs.
std::int64_t times[5] = {0, 0, 0, 0, 0};
std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
void mark_timed(char c, int slot) {
  mark(c);
  times[slot] = now_ns();
}
void report_times() {
  std::string line = "T";
  for (auto t : times) line += " " + std::to_string(t);
  line += "\n";
  if (::write(STDOUT_FILENO, line.data(), line.size()) < 0) std::exit(2);
}

/// The engine's echo log sees BEGIN and COMMIT before they run (statement
/// hooks see only statements, after they ran): K marks each COMMIT.
r::EngineOptions marking_options() {
  r::EngineOptions o;
  o.echo = true;
  o.echo_sink = [](std::string_view line) {
    if (line == "COMMIT") mark_timed('K', 4);
  };
  return o;
}

int commit(const std::string& url, std::int64_t objects) {
  {
    r::Engine engine(url, marking_options());
    engine.add_statement_hook([](const r::StatementEvent&) { mark_timed('S', 1); });
    r::Session session(engine);
    for (std::int64_t seq = 0; seq < objects; ++seq)
      session.add(Reading{.batch = 1, .seq = seq, .payload = reliability::payload_of(seq)});
    mark_timed('B', 0);
    session.commit();
    mark_timed('C', 2);
  }
  mark_timed('E', 3);
  report_times();
  return 0;
}

int upgrade(const std::string& url, const std::string& versions) {
  {
    r::Engine engine(url, marking_options());
    engine.add_statement_hook([](const r::StatementEvent&) { mark_timed('S', 1); });
    r::migrate::Migrator migrator(engine, r::migrate::RevisionGraph::load(versions),
                                  {.progress = [](const std::string&) { mark('R'); }});
    mark_timed('B', 0);
    migrator.upgrade("head");
    mark_timed('C', 2);
  }
  mark_timed('E', 3);
  report_times();
  return 0;
}

int write(const std::string& url, std::int64_t writer, std::int64_t transactions, std::int64_t rows) {
  r::Engine engine(url);
  r::Session session(engine);
  session.query<Entry>().count();  // connected, the table is there
  mark('W');
  char go = 0;
  if (::read(STDIN_FILENO, &go, 1) != 1) return 2;
  std::int64_t seq = 0;
  for (std::int64_t t = 0; t < transactions; ++t) {
    for (std::int64_t i = 0; i < rows; ++i) session.add(Entry{.writer = writer, .seq = seq++});
    session.commit();
  }
  mark('D');
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "commit" && argc == 4) return commit(argv[2], number(argv[3]));
    if (mode == "upgrade" && argc == 4) return upgrade(argv[2], argv[3]);
    if (mode == "write" && argc == 6) return write(argv[2], number(argv[3]), number(argv[4]), number(argv[5]));
  } catch (const std::exception& e) {
    std::cerr << "reliability_crash_child " << mode << ": " << e.what() << "\n";
    return 2;
  }
  std::cerr << "usage: reliability_crash_child commit URL OBJECTS | upgrade URL VERSIONS_DIR | "
               "write URL WRITER TRANSACTIONS ROWS\n";
  return 2;
}
