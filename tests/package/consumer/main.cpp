// Exits 0 only if a row written through retort's public API reads back.
#include <cstdint>
#include <iostream>
#include <string>

#include <retort/retort.hpp>

namespace r = retort;

int main() try {
  r::Engine engine("sqlite://");  // in memory
  r::MetaData metadata;
  r::Table note(metadata, "note",
                {r::Column("id", r::Integer()).primary_key(), r::Column("body", r::String(100)).not_null()});
  metadata.create_all(engine);

  auto conn = engine.connect();
  auto id = conn.execute(r::insert(note).values({{"body", "hello from a consumer"}})).lastrowid();
  auto body = conn.execute(r::select({note.c("body")}).select_from(note).where(note.c("id") == id))
                  .scalar<std::string>();
  if (body != "hello from a consumer") {
    std::cerr << "consumer: read back '" << body << "'\n";
    return 1;
  }
  std::cout << "consumer: ok (row " << id << ")\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "consumer: " << e.what() << "\n";
  return 1;
}
