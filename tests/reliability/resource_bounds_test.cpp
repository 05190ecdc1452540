// Resource bounds: a query streamed with yield_per keeps memory flat over a
// million rows; connections, open statements and transactions all come back
// to zero on every error path (counted by Engine::stats()).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "retort/migrate.hpp"
#include "retort/orm.hpp"
#include "support/memory.hpp"
#include "support/orm_fixture.hpp"

namespace r = retort;

namespace bounds {

struct Shelf;
struct Book {
  std::int64_t id = 0;
  std::string title;
  std::optional<std::int64_t> shelf_id;
};
struct Shelf {
  std::int64_t id = 0;
  std::string label;
  r::Collection<Book> books;
};

}  // namespace bounds

template <>
struct retort::Mapping<bounds::Shelf> {
  static void map(Mapper<bounds::Shelf>& m) {
    m.table("bounds_shelf");
    m.column(&bounds::Shelf::id, "id").primary_key();
    m.column(&bounds::Shelf::label, "label", String(40)).unique();
    m.relationship(&bounds::Shelf::books, "books").backref("shelf");
  }
};

template <>
struct retort::Mapping<bounds::Book> {
  static void map(Mapper<bounds::Book>& m) {
    m.table("bounds_book");
    m.column(&bounds::Book::id, "id").primary_key();
    m.column(&bounds::Book::title, "title", String(80));
    m.column(&bounds::Book::shelf_id, "shelf_id").foreign_key("bounds_shelf.id");
  }
};

namespace {

using bounds::Book;
using bounds::Shelf;

class ResourceBounds : public r::testing::OrmTest {
 protected:
  /// `books` books on shelves of 10, written with the core (fast) in one transaction.
  void fill(int books) {
    auto conn = engine().connect();
    auto tx = conn.begin();
    auto& shelf = *r::class_info<Shelf>().table;
    auto& book = *r::class_info<Book>().table;
    std::vector<r::Params> shelves, rows;
    for (int s = 1; s <= (books + 9) / 10; ++s) shelves.push_back({{"id", s}, {"label", "shelf " + std::to_string(s)}});
    conn.execute_many(r::insert(shelf), shelves);
    for (int i = 1; i <= books; ++i) {
      rows.push_back({{"id", i}, {"title", "book " + std::to_string(i)}, {"shelf_id", (i + 9) / 10}});
      if (rows.size() == 20000) conn.execute_many(r::insert(book), std::exchange(rows, {}));
    }
    if (!rows.empty()) conn.execute_many(r::insert(book), rows);
    tx.commit();
  }
  /// Fails the test, naming the counter, unless nothing is left open.
  void expect_all_released(const std::string& after) {
    auto st = engine().stats();
    EXPECT_EQ(st.connections_checked_out, 0u) << "a connection is still checked out after " << after;
    EXPECT_EQ(st.results_open, 0) << "a statement is still open after " << after;
    EXPECT_EQ(st.transactions_open, 0) << "a transaction is still open after " << after;
    if (r::testing::on_postgres()) return;
    // Nothing holds a lock: another connection that will not wait can write at once.
    r::EngineOptions no_wait;
    no_wait.busy_timeout_ms = 0;
    r::Engine other(url(), no_wait);
    auto conn = other.connect();
    auto tx = conn.begin();
    EXPECT_NO_THROW(conn.execute(r::text("UPDATE bounds_shelf SET label = label"))) << "locked after " << after;
    tx.rollback();
  }
};

TEST_F(ResourceBounds, YieldPerStreamsAMillionRowsInFlatMemory) {
  RETORT_SQLITE_ONLY("libpq reads a whole result into memory before the first row is seen");
  constexpr int kRows = 1'000'000;
  fill(kRows);
  r::Session s(engine());
  take_statements();
  long baseline = 0, peak = 0;
  std::int64_t seen = 0, id_sum = 0;
  for (const auto& book : s.query<Book>().order_by("id").yield_per(1000)) {
    ++seen;
    id_sum += book.read().id;
    if (seen == 50'000) baseline = r::testing::rss_kib();
    if (seen % 10'000 == 0) peak = std::max(peak, r::testing::rss_kib());
  }
  EXPECT_EQ(seen, kRows);
  EXPECT_EQ(id_sum, std::int64_t{kRows} * (kRows + 1) / 2);
  EXPECT_EQ(take_statements().size(), 1u) << "one SELECT, read a batch at a time";
  EXPECT_EQ(s.size(), 0u) << "objects nobody holds stay in the identity map";
  // A million Book objects take well over 100 MB; the stream holds one batch.
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer keeps freed memory in quarantine (256 MiB by default), so RSS
  // says nothing here; the identity map's size, checked above, still does.
#else
  EXPECT_LT(peak - baseline, 16 * 1024) << "RSS grew from " << baseline << " KiB to " << peak << " KiB";
#endif
  std::printf("yield_per(1000) over %d rows: RSS %ld KiB after 50,000, peak %ld KiB (+%ld KiB)\n", kRows, baseline,
              peak, peak - baseline);
  s.close();  // a session keeps its connection until it commits, rolls back or closes
  expect_all_released("a finished stream");
}

TEST_F(ResourceBounds, YieldPerLoadsEachBatchsCollectionsWithOneStatement) {
  fill(95);  // 10 shelves, the last one with 5 books
  r::Session s(engine());
  take_statements();
  auto stream = s.query<Shelf>().order_by("id").options(r::selectinload(&Shelf::books)).yield_per(4);
  std::vector<std::size_t> batch_sizes, books;
  for (auto batch = stream.next_batch(); !batch.empty(); batch = stream.next_batch()) {
    batch_sizes.push_back(batch.size());
    for (auto& shelf : batch) books.push_back(shelf->books.size());
  }
  EXPECT_EQ(batch_sizes, (std::vector<std::size_t>{4, 4, 2}));
  EXPECT_EQ(books, (std::vector<std::size_t>{10, 10, 10, 10, 10, 10, 10, 10, 10, 5}));
  // The SELECT of shelves, then one IN query per batch: no lazy load per shelf.
  auto sql = take_statements();
  ASSERT_EQ(sql.size(), 4u);
  for (std::size_t k = 1; k < sql.size(); ++k) EXPECT_NE(sql[k].find(" IN ("), std::string::npos) << sql[k];
  s.close();
  expect_all_released("a stream read to its end");
}

TEST_F(ResourceBounds, YieldPerRefusesJoinedLoadsAndAZeroBatch) {
  r::Session s(engine());
  try {
    (void)s.query<Shelf>().options(r::joinedload(&Shelf::books)).yield_per(100);
    ADD_FAILURE() << "yield_per accepted joinedload";
  } catch (const r::ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("selectinload"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)s.query<Shelf>().yield_per(0), r::ArgumentError);
  s.close();
  expect_all_released("refused streams");
}

TEST_F(ResourceBounds, CommitEndsAStreamAndReadingOnIsAnError) {
  fill(30);
  r::Session s(engine());
  auto stream = s.query<Book>().order_by("id").yield_per(10);
  auto first = stream.next_batch();
  ASSERT_EQ(first.size(), 10u);
  EXPECT_EQ(engine().stats().results_open, 1) << "the stream's SELECT is open between batches";
  first[0]->title = "changed";
  s.commit();
  EXPECT_EQ(engine().stats().results_open, 0);
  try {
    (void)stream.next_batch();
    ADD_FAILURE() << "a stream read on after commit()";
  } catch (const r::InvalidRequestError& e) {
    EXPECT_NE(std::string(e.what()).find("commit()"), std::string::npos) << e.what();
  }
  EXPECT_EQ(r::Session(engine()).get<Book>(1).read().title, "changed");
  s.close();
  expect_all_released("a stream ended by commit()");
}

TEST_F(ResourceBounds, AnAbandonedStreamOrResultReleasesItsStatement) {
  fill(100);
  {
    r::Session s(engine());
    auto stream = s.query<Book>().yield_per(10);
    for (const auto& book : stream)
      if (book.read().id == 15) break;  // stop half way
    auto conn = engine().connect();
    auto result = conn.execute(r::text("SELECT id FROM bounds_book"));
    ASSERT_TRUE(result.next());
    EXPECT_EQ(engine().stats().results_open, 2);
  }
  expect_all_released("a stream and a result dropped half read");
}

TEST_F(ResourceBounds, SqlErrorsReleaseEverything) {
  {
    auto conn = engine().connect();
    auto tx = conn.begin();
    EXPECT_THROW(conn.execute(r::text("SELECT no_such_column FROM bounds_book")), r::ProgrammingError);
    EXPECT_THROW(conn.execute(r::text("SELEC 1")), r::ProgrammingError);
  }
  expect_all_released("syntax errors in a transaction");
  {
    r::Session s(engine());
    EXPECT_THROW(s.connection().execute(r::text("UPDATE no_such_table SET x = 1")), r::ProgrammingError);
  }
  expect_all_released("an error in a session's statement");
}

TEST_F(ResourceBounds, AFailedFlushReleasesEverythingAndKeepsWhatWasStored) {
  fill(10);
  {
    r::Session s(engine());
    s.add(Shelf{.label = "new"});
    s.add(Shelf{.label = "shelf 1"});  // unique label taken: the flush fails half way
    EXPECT_THROW(s.commit(), r::IntegrityError);
    EXPECT_THROW(s.query<Shelf>().count(), r::InvalidRequestError) << "a failed session needs rollback()";
  }  // dropped without rollback()
  expect_all_released("a failed flush left to the destructor");
  {
    r::Session s(engine());
    s.add(Book{.title = "orphan", .shelf_id = 999});  // no such shelf
    EXPECT_THROW(s.commit(), r::IntegrityError);
    s.rollback();
    EXPECT_EQ(s.query<Shelf>().count(), 1);
    EXPECT_EQ(s.query<Book>().count(), 10);
  }
  expect_all_released("a failed flush and rollback()");
}

TEST_F(ResourceBounds, AnExceptionInUserCodeMidTransactionReleasesEverything) {
  fill(20);
  try {
    r::Session s(engine());
    for (const auto& book : s.query<Book>().yield_per(5)) {
      book->title += " (read)";
      if (book.read().id == 7) {
        s.flush();  // the session has written: a transaction is open
        throw std::runtime_error("the caller's own failure");
      }
    }
  } catch (const std::runtime_error&) {
  }
  expect_all_released("an exception thrown by the caller mid-transaction");
  r::Session s(engine());
  EXPECT_EQ(s.query<Book>().filter(r::col(&Book::title).like("%(read)")).count(), 0) << "nothing was committed";
}

TEST_F(ResourceBounds, AFailedMigrationReleasesEverything) {
  namespace m = r::migrate;
  m::RevisionGraph graph;
  m::Revision bad;
  bad.id = "a1";
  bad.message = "breaks half way";
  bad.upgrade = {m::CreateTable{m::TableDef::of(r::Table("bounds_extra", {r::Column("id", r::Integer()).primary_key()}))},
                 m::Execute{"INSERT INTO no_such_table VALUES (1)", ""}};
  graph.add(bad);
  EXPECT_THROW(m::Migrator(engine(), graph).upgrade(), r::Error);
  expect_all_released("a migration that failed half way");
  auto conn = engine().connect();
  EXPECT_FALSE(engine().dialect().has_table(conn, "bounds_extra")) << "the failed revision left a table behind";
}

}  // namespace
