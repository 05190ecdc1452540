// Cascades and deletes, with the rows checked after each: SQLAlchemy's
// default null-out, delete and delete-orphan, passive_deletes, association
// rows; then the other kinds (self-referential, two foreign keys to one
// table, one-to-one) and what commit, rollback and close do to loaded
// relationships.
#include <gtest/gtest.h>

#include "relationships/models.hpp"
#include "support/orm_fixture.hpp"

namespace r = retort;
using namespace rel;

namespace {

using Rows = std::vector<std::vector<r::Value>>;

class Cascades : public r::testing::OrmTest {
 protected:
  Rows rows(const std::string& sql) {
    auto conn = engine().connect();
    auto result = conn.exec_driver_sql(sql);
    Rows out;
    while (result.next()) {
      std::vector<r::Value> row;
      for (int i = 0; i < static_cast<int>(result.keys().size()); ++i) row.push_back(result.row()[i]);
      out.push_back(row);
    }
    return out;
  }
  /// An owner with two pets, committed in a session of its own.
  void owner_with_pets() {
    r::Session s(engine());
    auto ann = s.add(Owner{.name = "Ann"});
    ann->pets.append(s.add(Pet{.name = "Rex"}));
    ann->pets.append(s.add(Pet{.name = "Tom"}));
    s.commit();
    statements();
  }
};

TEST_F(Cascades, DeletingAParentSetsItsChildrensForeignKeysToNull) {
  owner_with_pets();
  r::Session s(engine());
  s.delete_(s.get<Owner>(1));
  s.commit();
  auto sql = statements();
  std::vector<std::string> writes;
  for (auto& q : sql)
    if (q.rfind("UPDATE", 0) == 0 || q.rfind("DELETE", 0) == 0) writes.push_back(q);
  EXPECT_EQ(writes, (std::vector<std::string>{"UPDATE pet SET owner_id=? WHERE pet.id = ?",
                                              "UPDATE pet SET owner_id=? WHERE pet.id = ?",
                                              "DELETE FROM owner WHERE owner.id = ?"}));
  EXPECT_EQ(rows("SELECT name, owner_id FROM pet ORDER BY id"),
            (Rows{{r::Value("Rex"), r::Value()}, {r::Value("Tom"), r::Value()}}));
  EXPECT_TRUE(rows("SELECT * FROM owner").empty());
}

TEST_F(Cascades, DeleteCascadeDeletesTheChildrenFirst) {
  {
    r::Session s(engine());
    auto amy = s.add(Author{.name = "Amy"});
    amy->books.append(s.add(Book{.title = "one"}));
    amy->books.append(s.add(Book{.title = "two"}));
    s.commit();
  }
  statements();
  r::Session s(engine());
  s.delete_(s.get<Author>(1));
  s.commit();
  auto deletes = statements("DELETE");
  EXPECT_EQ(deletes, (std::vector<std::string>{"DELETE FROM book WHERE book.id = ?", "DELETE FROM book WHERE book.id = ?",
                                               "DELETE FROM author WHERE author.id = ?"}));
  EXPECT_TRUE(rows("SELECT * FROM book").empty());
}

TEST_F(Cascades, DeleteOrphanDeletesAChildRemovedFromItsParent) {
  r::Session s(engine());
  auto amy = s.add(Author{.name = "Amy"});
  auto one = s.add(Book{.title = "one"});
  amy->books.append(one);
  amy->books.append(s.add(Book{.title = "two"}));
  s.commit();
  amy->books.remove(one);
  s.commit();
  EXPECT_EQ(rows("SELECT title FROM book"), (Rows{{r::Value("two")}}));
}

TEST_F(Cascades, AChildMovedToAnotherParentIsNoOrphan) {
  r::Session s(engine());
  auto amy = s.add(Author{.name = "Amy"});
  auto bea = s.add(Author{.name = "Bea"});
  auto one = s.add(Book{.title = "one"});
  amy->books.append(one);
  s.commit();
  r::backref<&Author::books>(one) = bea;
  s.commit();
  EXPECT_EQ(rows("SELECT book.title, author.name FROM book JOIN author ON author.id = book.author_id"),
            (Rows{{r::Value("one"), r::Value("Bea")}}));
}

TEST_F(Cascades, PassiveDeletesLeavesTheChildrenToOnDeleteCascade) {
  {
    r::Session s(engine());
    auto blog = s.add(Blog{.name = "b"});
    blog->posts.append(s.add(Post{.title = "p1"}));
    blog->posts.append(s.add(Post{.title = "p2"}));
    s.commit();
  }
  statements();
  r::Session s(engine());
  s.delete_(s.get<Blog>(1));
  s.commit();
  auto sql = statements();
  for (auto& q : sql) EXPECT_EQ(q.find("FROM post"), std::string::npos) << "children were loaded: " << q;
  EXPECT_EQ(statements("DELETE").size(), 0u);
  EXPECT_TRUE(rows("SELECT * FROM post").empty());  // the database's ON DELETE CASCADE
}

TEST_F(Cascades, NullingANotNullForeignKeyFailsAndLosesNothing) {
  {
    r::Session s(engine());
    auto invoice = s.add(Invoice{});
    invoice->lines.append(s.add(Line{}));
    s.commit();
  }
  r::Session s(engine());
  s.delete_(s.get<Invoice>(1));
  try {
    s.commit();
    FAIL() << "expected IntegrityError";
  } catch (const r::IntegrityError& e) {
    EXPECT_NE(std::string(e.what()).find("NOT NULL constraint failed: line.invoice_id"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cascade(\"all, delete-orphan\")"), std::string::npos) << e.what();
  }
  s.rollback();
  EXPECT_EQ(rows("SELECT invoice_id FROM line"), (Rows{{r::Value(1)}}));
  EXPECT_EQ(rows("SELECT count(*) FROM invoice"), (Rows{{r::Value(1)}}));
}

TEST_F(Cascades, DeletingEitherSideOfAManyToManyDeletesItsAssociationRows) {
  {
    r::Session s(engine());
    auto ann = s.add(User{.username = "ann"});
    auto bob = s.add(User{.username = "bob"});
    auto news = s.add(Channel{.title = "news"});
    auto cats = s.add(Channel{.title = "cats"});
    ann->following.append(news);
    ann->following.append(cats);
    bob->following.append(news);
    s.commit();
  }
  r::Session s(engine());
  s.delete_(s.query<User>().filter_by("username", "ann").one());
  s.commit();
  EXPECT_EQ(rows("SELECT user_id, channel_id FROM user_channel"), (Rows{{r::Value(2), r::Value(1)}}));
  s.delete_(s.query<Channel>().filter_by("title", "news").one());
  s.commit();
  EXPECT_TRUE(rows("SELECT * FROM user_channel").empty());
  EXPECT_EQ(rows("SELECT count(*) FROM user"), (Rows{{r::Value(1)}}));
}

TEST_F(Cascades, ReplacingAOneToOneChildNullsTheOldOne) {
  r::Session s(engine());
  auto cy = s.add(Citizen{.name = "Cy"});
  auto first = s.add(Passport{.number = "A1"});
  cy->passport = first;
  EXPECT_EQ(r::backref<&Citizen::passport>(first).get(), cy);
  s.commit();
  cy->passport = s.add(Passport{.number = "B2"});
  EXPECT_FALSE(r::backref<&Citizen::passport>(first));
  s.commit();  // UPDATE the old one first: citizen_id is unique
  EXPECT_EQ(rows("SELECT number, citizen_id FROM passport ORDER BY id"),
            (Rows{{r::Value("A1"), r::Value()}, {r::Value("B2"), r::Value(1)}}));
  r::Session fresh(engine());
  EXPECT_EQ(fresh.get<Citizen>(1)->passport->number, "B2");
}

TEST_F(Cascades, ABackrefWithUselistFalseIsOneToOne) {
  r::Session s(engine());
  auto a1 = s.add(Seat{.code = "A1"});
  auto first = s.add(Ticket{});
  auto second = s.add(Ticket{});
  first->seat = a1;
  EXPECT_EQ(r::backref<&Ticket::seat>(a1).get(), first);
  r::backref<&Ticket::seat>(a1) = second;  // the seat changes hands: the first ticket loses it
  EXPECT_FALSE(first->seat);
  EXPECT_EQ(second->seat.get(), a1);
  EXPECT_THROW(r::backref<&Ticket::seat>(a1).append(first), r::InvalidRequestError);  // a reference, not a list
  s.commit();
  EXPECT_EQ(rows("SELECT id, seat_id FROM ticket ORDER BY id"), (Rows{{r::Value(1), r::Value()}, {r::Value(2), r::Value(1)}}));
}

TEST_F(Cascades, SelfReferentialRowsAreInsertedParentsFirstAndDeletedChildrenFirst) {
  r::Session s(engine());
  auto leaf = s.add(Category{.name = "leaf"});  // added before its parent
  auto mid = s.add(Category{.name = "mid"});
  auto root = s.add(Category{.name = "root"});
  mid->children.append(leaf);
  root->children.append(mid);
  EXPECT_EQ(r::backref<&Category::children>(leaf).get(), mid);
  s.commit();
  // Inserted parents first, so the ids run root, mid, leaf.
  EXPECT_EQ(rows("SELECT c.name, p.name FROM category c LEFT JOIN category p ON p.id = c.parent_id ORDER BY c.id"),
            (Rows{{r::Value("root"), r::Value()}, {r::Value("mid"), r::Value("root")}, {r::Value("leaf"), r::Value("mid")}}));
  s.delete_(root);
  s.commit();
  EXPECT_EQ(rows("SELECT name, parent_id FROM category ORDER BY id"),
            (Rows{{r::Value("mid"), r::Value()}, {r::Value("leaf"), r::Value(2)}}));
}

TEST_F(Cascades, SelfReferentialManyToManyFollowers) {
  r::Session s(engine());
  auto ann = s.add(Person{.name = "ann"});
  auto bob = s.add(Person{.name = "bob"});
  ann->following.append(bob);
  EXPECT_TRUE(r::backref<&Person::following>(bob).contains(ann));
  EXPECT_TRUE(r::backref<&Person::following>(ann).empty());
  s.commit();
  EXPECT_EQ(rows("SELECT follower_id, followed_id FROM follows"), (Rows{{r::Value(1), r::Value(2)}}));
  r::Session fresh(engine());
  auto b = fresh.get<Person>(2);
  ASSERT_EQ(r::backref<&Person::following>(b).size(), 1u);
  EXPECT_EQ(r::backref<&Person::following>(b)[0]->name, "ann");
  EXPECT_TRUE(b->following.empty());
}

TEST_F(Cascades, TwoForeignKeysToOneTableAreToldApartByForeignKeys) {
  r::Session s(engine());
  auto ann = s.add(Account{.name = "ann"});
  auto bob = s.add(Account{.name = "bob"});
  auto m = s.add(Message{.body = "hi"});
  m->sender = ann;
  m->recipient = bob;
  EXPECT_EQ(r::backref<&Message::sender>(ann).size(), 1u);
  EXPECT_TRUE(r::backref<&Message::recipient>(ann).empty());
  s.commit();
  EXPECT_EQ(rows("SELECT sender_id, recipient_id FROM message"), (Rows{{r::Value(1), r::Value(2)}}));
  r::Session fresh(engine());
  auto msg = fresh.get<Message>(1);
  EXPECT_EQ(msg->sender->name, "ann");
  EXPECT_EQ(msg->recipient->name, "bob");
}

TEST_F(Cascades, CommitExpiresLoadedCollectionsAndRollbackForgetsChanges) {
  owner_with_pets();
  r::Session s(engine());
  auto ann = s.get<Owner>(1);
  EXPECT_EQ(ann->pets.size(), 2u);
  s.commit();
  statements();
  EXPECT_EQ(ann->pets.size(), 2u);  // reloaded after commit
  EXPECT_EQ(statements("SELECT").size(), 2u);  // the owner's row, then its pets
  ann->pets.append(s.add(Pet{.name = "new"}));
  EXPECT_EQ(ann->pets.size(), 3u);
  s.rollback();
  EXPECT_EQ(ann->pets.size(), 2u);
  EXPECT_EQ(rows("SELECT count(*) FROM pet"), (Rows{{r::Value(2)}}));
}

TEST_F(Cascades, RelationshipsOfAClosedSessionsObjectsSayHowToReadThem) {
  owner_with_pets();
  r::Ptr<Owner> ann;
  {
    r::Session s(engine(), {.expire_on_commit = false});
    ann = s.get<Owner>(1);
    EXPECT_EQ(ann->pets.size(), 2u);
  }
  try {
    (void)ann->pets.size();
    FAIL() << "expected InvalidRequestError";
  } catch (const r::InvalidRequestError& e) {
    EXPECT_NE(std::string(e.what()).find("is not bound to a Session; lazy load operation of attribute 'pets'"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(Cascades, LoadedGraphsAreFreedWhenTheTransactionEnds) {
  {
    r::Session s(engine());
    for (int o = 0; o < 50; ++o) {
      auto owner = s.add(Owner{.name = "o" + std::to_string(o)});
      owner->pets.append(s.add(Pet{.name = "p"}));
    }
    s.commit();
  }
  r::Session s(engine());
  {
    auto owners = s.query<Owner>().options(r::selectinload(&Owner::pets)).all();
    for (auto& o : owners) EXPECT_EQ(o->pets.size(), 1u);
    EXPECT_EQ(s.size(), 100u);  // owners and pets refer to each other: held while loaded
  }
  s.commit();  // expires relationships: the cycles are cut
  EXPECT_EQ(s.size(), 0u);
}

TEST_F(Cascades, DeletingADynamicParentNullsItsChildren) {
  r::Session s(engine());
  auto forum = s.add(Forum{.name = "f"});
  forum->threads.append(s.add(Thread{.title = "t"}));
  s.commit();
  s.delete_(forum);
  s.commit();
  EXPECT_EQ(rows("SELECT title, forum_id FROM thread"), (Rows{{r::Value("t"), r::Value()}}));
}

TEST_F(Cascades, DeletingAParentWithAPendingChildExpungesTheChild) {
  r::Session s(engine());
  auto amy = s.add(Author{.name = "Amy"});
  s.commit();
  auto draft = s.add(Book{.title = "draft"});
  amy->books.append(draft);
  s.delete_(amy);
  s.commit();
  EXPECT_EQ(draft.state(), r::ObjectState::transient);
  EXPECT_TRUE(rows("SELECT * FROM book").empty());
  EXPECT_TRUE(rows("SELECT * FROM author").empty());
}

}  // namespace
