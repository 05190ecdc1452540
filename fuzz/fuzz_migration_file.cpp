// The revision-file reader (migrate::parse_revision, what read_revision runs
// on a file's text) on arbitrary bytes. Properties: only retort errors may be
// thrown (a yaml-cpp exception escaping is a bug: it names neither file nor
// line); a revision that was read, written back with revision_yaml and read
// again is written the same; its operations, applied to an in-memory schema
// and rendered as SQL for both dialects, fail only with retort errors.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "retort/core/dialect.hpp"
#include "retort/migrate/operations.hpp"
#include "retort/migrate/revision.hpp"

namespace {

namespace m = retort::migrate;
using retort::fuzz::only_retort_errors;
using retort::fuzz::quoted;

/// Renders and applies `ops` in order on a schema that follows them, on one dialect.
void run_operations(const std::vector<m::Operation>& ops, const retort::Dialect& dialect) {
  m::Schema schema;
  for (auto& op : ops) {
    (void)m::describe(op);
    (void)m::rebuilds(op, dialect);
    bool rendered = only_retort_errors("migrate::render", [&] { (void)m::render(op, schema, dialect); });
    if (!rendered) return;  // later operations would see a schema that this one did not change
    if (!only_retort_errors("Schema::apply", [&] { schema.apply(op); })) return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::optional<m::Revision> rev;
  only_retort_errors("parse_revision", [&] { rev = m::parse_revision(text, "versions/fuzz.yaml"); });
  if (!rev) return 0;

  std::string written;
  only_retort_errors("revision_yaml", [&] { written = m::revision_yaml(*rev); });
  std::optional<m::Revision> again;
  bool parsed = only_retort_errors("parse_revision of a written revision",
                                   [&] { again = m::parse_revision(written, "versions/written.yaml"); });
  RETORT_FUZZ_CHECK(parsed, "input: " + quoted(text) + "\nwritten:\n" + written);
  std::string rewritten = m::revision_yaml(*again);
  RETORT_FUZZ_CHECK(rewritten == written, "input: " + quoted(text) + "\nwritten:\n" + written + "\nre-written:\n" + rewritten);
  RETORT_FUZZ_CHECK(again->id == rev->id && again->down_revisions == rev->down_revisions &&
                        again->message == rev->message && again->create_date == rev->create_date,
                    "input: " + quoted(text) + "\nwritten:\n" + written);
  (void)m::revision_file_name(*rev);

  for (const char* name : {"sqlite", "postgresql"}) {
    auto& dialect = retort::dialect_for(name);
    run_operations(rev->upgrade, dialect);
    run_operations(rev->downgrade, dialect);
  }
  return 0;
}
