// Every relationship configuration error, triggered and its message checked:
// each names the models involved and the option that resolves it. A program
// of its own: the broken models are enrolled here only. An error stays with
// the models it concerns, so the others keep working.
#include <gtest/gtest.h>

#include "retort/orm.hpp"

namespace r = retort;

namespace {

/// Expects MappingError from configuring T, with every fragment in its message.
template <class T>
void expect_error(std::initializer_list<std::string> fragments) {
  for (int attempt = 0; attempt < 2; ++attempt) {  // thrown again at every use
    try {
      (void)r::class_info<T>();
      ADD_FAILURE() << "expected MappingError for " << typeid(T).name();
      return;
    } catch (const r::MappingError& e) {
      for (auto& f : fragments) EXPECT_NE(std::string(e.what()).find(f), std::string::npos) << "'" << f << "' not in: " << e.what();
    }
  }
}

}  // namespace

// ---- one struct pair per error ------------------------------------------------------------------

#define RETORT_SIMPLE(T, ...)                  \
  struct T {                                   \
    std::int64_t id = 0;                       \
    __VA_ARGS__                                \
  };

struct Stranger;
RETORT_SIMPLE(Lonely, r::Collection<Stranger> strangers;)
RETORT_SIMPLE(Stranger, )
template <>
struct r::Mapping<Lonely> {
  static void map(Mapper<Lonely>& m) {
    m.column(&Lonely::id, "id").primary_key();
    m.relationship(&Lonely::strangers, "strangers");
  }
};
template <>
struct r::Mapping<Stranger> {
  static void map(Mapper<Stranger>& m) { m.column(&Stranger::id, "id").primary_key(); }
};

struct Note;
RETORT_SIMPLE(Inbox, r::Collection<Note> notes;)
RETORT_SIMPLE(Note, std::optional<std::int64_t> from_id; std::optional<std::int64_t> to_id;)
template <>
struct r::Mapping<Inbox> {
  static void map(Mapper<Inbox>& m) {
    m.column(&Inbox::id, "id").primary_key();
    m.relationship(&Inbox::notes, "notes");
  }
};
template <>
struct r::Mapping<Note> {
  static void map(Mapper<Note>& m) {
    m.column(&Note::id, "id").primary_key();
    m.column(&Note::from_id, "from_id").foreign_key("inbox.id");
    m.column(&Note::to_id, "to_id").foreign_key("inbox.id");
  }
};

// back_populates naming a relationship the other model does not have.
struct Drill;
RETORT_SIMPLE(Course, r::Collection<Drill> drills;)
RETORT_SIMPLE(Drill, std::optional<std::int64_t> course_id; r::Ref<Course> course;)
template <>
struct r::Mapping<Course> {
  static void map(Mapper<Course>& m) {
    m.column(&Course::id, "id").primary_key();
    m.relationship(&Course::drills, "drills").back_populates("programme");
  }
};
template <>
struct r::Mapping<Drill> {
  static void map(Mapper<Drill>& m) {
    m.column(&Drill::id, "id").primary_key();
    m.column(&Drill::course_id, "course_id").foreign_key("course.id");
    m.relationship(&Drill::course, "course").back_populates("drills");
  }
};

// back_populates naming a relationship that relates other models.
struct Leaf;
struct Bud;
RETORT_SIMPLE(Stem, r::Collection<Leaf> leaves;)
RETORT_SIMPLE(Leaf, std::optional<std::int64_t> stem_id; r::Collection<Bud> buds;)
RETORT_SIMPLE(Bud, std::optional<std::int64_t> leaf_id;)
template <>
struct r::Mapping<Stem> {
  static void map(Mapper<Stem>& m) {
    m.column(&Stem::id, "id").primary_key();
    m.relationship(&Stem::leaves, "leaves").back_populates("buds");
  }
};
template <>
struct r::Mapping<Leaf> {
  static void map(Mapper<Leaf>& m) {
    m.column(&Leaf::id, "id").primary_key();
    m.column(&Leaf::stem_id, "stem_id").foreign_key("stem.id");
    m.relationship(&Leaf::buds, "buds");
  }
};
template <>
struct r::Mapping<Bud> {
  static void map(Mapper<Bud>& m) {
    m.column(&Bud::id, "id").primary_key();
    m.column(&Bud::leaf_id, "leaf_id").foreign_key("leaf.id");
  }
};

// back_populates on one side only.
struct Wheel;
RETORT_SIMPLE(Cart, r::Collection<Wheel> wheels;)
RETORT_SIMPLE(Wheel, std::optional<std::int64_t> cart_id; r::Ref<Cart> cart;)
template <>
struct r::Mapping<Cart> {
  static void map(Mapper<Cart>& m) {
    m.column(&Cart::id, "id").primary_key();
    m.relationship(&Cart::wheels, "wheels").back_populates("cart");
  }
};
template <>
struct r::Mapping<Wheel> {
  static void map(Mapper<Wheel>& m) {
    m.column(&Wheel::id, "id").primary_key();
    m.column(&Wheel::cart_id, "cart_id").foreign_key("cart.id");
    m.relationship(&Wheel::cart, "cart");
  }
};

// A backref whose name is taken.
struct Chick;
RETORT_SIMPLE(Hen, r::Collection<Chick> chicks;)
RETORT_SIMPLE(Chick, std::string name; std::optional<std::int64_t> hen_id;)
template <>
struct r::Mapping<Hen> {
  static void map(Mapper<Hen>& m) {
    m.column(&Hen::id, "id").primary_key();
    m.relationship(&Hen::chicks, "chicks").backref("name");
  }
};
template <>
struct r::Mapping<Chick> {
  static void map(Mapper<Chick>& m) {
    m.column(&Chick::id, "id").primary_key();
    m.column(&Chick::name, "name");
    m.column(&Chick::hen_id, "hen_id").foreign_key("hen.id");
  }
};

// A collection where the foreign key makes it many-to-one; a Ref for a many-to-many.
struct Dock;
RETORT_SIMPLE(Boat, std::optional<std::int64_t> dock_id; r::Collection<Dock> dock;)
RETORT_SIMPLE(Dock, )
template <>
struct r::Mapping<Boat> {
  static void map(Mapper<Boat>& m) {
    m.column(&Boat::id, "id").primary_key();
    m.column(&Boat::dock_id, "dock_id").foreign_key("dock.id");
    m.relationship(&Boat::dock, "dock");
  }
};
template <>
struct r::Mapping<Dock> {
  static void map(Mapper<Dock>& m) { m.column(&Dock::id, "id").primary_key(); }
};
inline const r::Table reader_book{"reader_book",
                                  {r::Column("reader_id", r::Integer()).foreign_key("reader.id"),
                                   r::Column("tome_id", r::Integer()).foreign_key("tome.id")}};
struct Tome;
RETORT_SIMPLE(Reader, r::Ref<Tome> tome;)
RETORT_SIMPLE(Tome, )
template <>
struct r::Mapping<Reader> {
  static void map(Mapper<Reader>& m) {
    m.column(&Reader::id, "id").primary_key();
    m.relationship(&Reader::tome, "tome").secondary(reader_book);
  }
};
template <>
struct r::Mapping<Tome> {
  static void map(Mapper<Tome>& m) { m.column(&Tome::id, "id").primary_key(); }
};

// Options that do not parse or do not fit.
struct Cup;
RETORT_SIMPLE(Tray, r::Collection<Cup> cups;)
RETORT_SIMPLE(Cup, std::optional<std::int64_t> tray_id;)
RETORT_SIMPLE(Saucer, )
RETORT_SIMPLE(Mug, std::optional<std::int64_t> saucer_id; r::Ref<Saucer> saucer;)
template <>
struct r::Mapping<Tray> {
  static void map(Mapper<Tray>& m) {
    m.column(&Tray::id, "id").primary_key();
    m.relationship(&Tray::cups, "cups").cascade("all, delete-orphans");
  }
};
template <>
struct r::Mapping<Cup> {
  static void map(Mapper<Cup>& m) {
    m.column(&Cup::id, "id").primary_key();
    m.column(&Cup::tray_id, "tray_id").foreign_key("tray.id");
  }
};
template <>
struct r::Mapping<Saucer> {
  static void map(Mapper<Saucer>& m) { m.column(&Saucer::id, "id").primary_key(); }
};
template <>
struct r::Mapping<Mug> {
  static void map(Mapper<Mug>& m) {
    m.column(&Mug::id, "id").primary_key();
    m.column(&Mug::saucer_id, "saucer_id").foreign_key("saucer.id");
    m.relationship(&Mug::saucer, "saucer").cascade("delete, delete-orphan");
  }
};
struct Key;
RETORT_SIMPLE(Ring, r::Collection<Key> keys;)
RETORT_SIMPLE(Key, std::optional<std::int64_t> ring_id;)
template <>
struct r::Mapping<Ring> {
  static void map(Mapper<Ring>& m) {
    m.column(&Ring::id, "id").primary_key();
    m.relationship(&Ring::keys, "keys").order_by({"colour"}).lazy(Lazy::dynamic);
  }
};
template <>
struct r::Mapping<Key> {
  static void map(Mapper<Key>& m) {
    m.column(&Key::id, "id").primary_key();
    m.column(&Key::ring_id, "ring_id").foreign_key("ring.id");
  }
};
struct Twig;
RETORT_SIMPLE(Bush, r::Collection<Twig> twigs;)
RETORT_SIMPLE(Twig, std::optional<std::int64_t> bush_id;)
template <>
struct r::Mapping<Bush> {
  static void map(Mapper<Bush>& m) {
    m.column(&Bush::id, "id").primary_key();
    m.relationship(&Bush::twigs, "twigs").order_by({"colour"});
  }
};
template <>
struct r::Mapping<Twig> {
  static void map(Mapper<Twig>& m) {
    m.column(&Twig::id, "id").primary_key();
    m.column(&Twig::bush_id, "bush_id").foreign_key("bush.id");
  }
};

// Self-referential many-to-many without saying which side is which; an association table missing a key.
inline const r::Table fan_links{"fan_links",
                                {r::Column("a_id", r::Integer()).foreign_key("fan.id"),
                                 r::Column("b_id", r::Integer()).foreign_key("fan.id")}};
RETORT_SIMPLE(Fan, r::Collection<Fan> fans;)
template <>
struct r::Mapping<Fan> {
  static void map(Mapper<Fan>& m) {
    m.column(&Fan::id, "id").primary_key();
    m.relationship(&Fan::fans, "fans").secondary(fan_links);
  }
};
inline const r::Table half_links{"half_links", {r::Column("pupil_id", r::Integer()).foreign_key("pupil.id"),
                                                r::Column("club_id", r::Integer())}};
struct Society;
RETORT_SIMPLE(Pupil, r::Collection<Society> clubs;)
RETORT_SIMPLE(Society, )
template <>
struct r::Mapping<Pupil> {
  static void map(Mapper<Pupil>& m) {
    m.column(&Pupil::id, "id").primary_key();
    m.relationship(&Pupil::clubs, "clubs").secondary(half_links);
  }
};
template <>
struct r::Mapping<Society> {
  static void map(Mapper<Society>& m) { m.column(&Society::id, "id").primary_key(); }
};

// A relationship named like a column; backref and back_populates together.
struct Egg;
RETORT_SIMPLE(Nest, r::Collection<Egg> eggs;)
RETORT_SIMPLE(Egg, std::optional<std::int64_t> nest_id;)
template <>
struct r::Mapping<Nest> {
  static void map(Mapper<Nest>& m) {
    m.column(&Nest::id, "id").primary_key();
    m.relationship(&Nest::eggs, "id");
  }
};
template <>
struct r::Mapping<Egg> {
  static void map(Mapper<Egg>& m) {
    m.column(&Egg::id, "id").primary_key();
    m.column(&Egg::nest_id, "nest_id").foreign_key("nest.id");
  }
};
struct Pea;
RETORT_SIMPLE(Pod, r::Collection<Pea> peas;)
RETORT_SIMPLE(Pea, std::optional<std::int64_t> pod_id;)
template <>
struct r::Mapping<Pod> {
  static void map(Mapper<Pod>& m) {
    m.column(&Pod::id, "id").primary_key();
    m.relationship(&Pod::peas, "peas").backref("pod").back_populates("pod");
  }
};
template <>
struct r::Mapping<Pea> {
  static void map(Mapper<Pea>& m) {
    m.column(&Pea::id, "id").primary_key();
    m.column(&Pea::pod_id, "pod_id").foreign_key("pod.id");
  }
};

// A target model that fails to map at all.
struct Ghost {
  std::int64_t id = 0;
};
RETORT_SIMPLE(House, r::Collection<Ghost> ghosts;)
template <>
struct r::Mapping<House> {
  static void map(Mapper<House>& m) {
    m.column(&House::id, "id").primary_key();
    m.relationship(&House::ghosts, "ghosts");
  }
};
template <>
struct r::Mapping<Ghost> {
  static void map(Mapper<Ghost>& m) { m.column(&Ghost::id, "id"); }  // no primary key
};

// A many-to-many whose models live in two databases (binds).
inline const r::Table subscriber_journal{"subscriber_journal",
                                     {r::Column("subscriber_id", r::Integer()).foreign_key("subscriber.id"),
                                      r::Column("journal_id", r::Integer()).foreign_key("journal.id")}};
struct Journal;
RETORT_SIMPLE(Subscriber, r::Collection<Journal> journals;)
RETORT_SIMPLE(Journal, )
template <>
struct r::Mapping<Subscriber> {
  static void map(Mapper<Subscriber>& m) {
    m.column(&Subscriber::id, "id").primary_key();
    m.relationship(&Subscriber::journals, "journals").secondary(subscriber_journal);
  }
};
template <>
struct r::Mapping<Journal> {
  static void map(Mapper<Journal>& m) {
    m.bind_key("archive");
    m.column(&Journal::id, "id").primary_key();
  }
};

// A correct pair, beside all of the above.
struct Sock;
RETORT_SIMPLE(Drawer, r::Collection<Sock> socks;)
RETORT_SIMPLE(Sock, std::optional<std::int64_t> drawer_id;)
template <>
struct r::Mapping<Drawer> {
  static void map(Mapper<Drawer>& m) {
    m.column(&Drawer::id, "id").primary_key();
    m.relationship(&Drawer::socks, "socks").backref("drawer");
  }
};
template <>
struct r::Mapping<Sock> {
  static void map(Mapper<Sock>& m) {
    m.column(&Sock::id, "id").primary_key();
    m.column(&Sock::drawer_id, "drawer_id").foreign_key("drawer.id");
  }
};

// ---- the tests ------------------------------------------------------------------------------------

TEST(RelationshipConfig, NoForeignKeyNamesBothModelsAndTheFix) {
  expect_error<Lonely>({"relationship Lonely.strangers", "no foreign key joins model Lonely", "model Stranger",
                        ".foreign_key(\"lonely.id\") to a column of Stranger", ".secondary(table)"});
}

TEST(RelationshipConfig, TwoForeignKeysAreAmbiguousUntilOneIsNamed) {
  expect_error<Inbox>({"models Inbox and Note are joined by more than one foreign key",
                       "note.from_id -> inbox.id", "note.to_id -> inbox.id", ".foreign_keys({\"note.from_id\"})"});
}

TEST(RelationshipConfig, BackPopulatesNamingAMissingRelationship) {
  expect_error<Course>({"Course.drills", "back_populates(\"programme\") names no relationship of model Drill",
                        "its relationships: course"});
  expect_error<Drill>({"programme"});  // both sides of a broken pair report it
}

TEST(RelationshipConfig, BackPopulatesNamingARelationshipOfTheWrongKind) {
  expect_error<Stem>({"Stem.leaves", "names Leaf.buds, which is not the other side",
                      "name the relationship of Leaf that refers back to Stem"});
}

TEST(RelationshipConfig, BackPopulatesMustBeMutual) {
  expect_error<Cart>({"Cart.wheels names Wheel.cart in back_populates, but Wheel.cart does not name Cart.wheels back",
                      "add .back_populates(\"wheels\") to Wheel.cart"});
}

TEST(RelationshipConfig, BackrefNameTakenByAColumn) {
  expect_error<Hen>({"Error creating backref 'name' on relationship 'Hen.chicks': property of that name exists on model "
                     "Chick"});
}

TEST(RelationshipConfig, CollectionForAManyToOne) {
  expect_error<Boat>({"Boat.dock is many-to-one", "declare the member as Ref<Dock>"});
}

TEST(RelationshipConfig, RefForAManyToMany) {
  expect_error<Reader>({"Reader.tome is many-to-many", "Collection<Tome>"});
}

TEST(RelationshipConfig, UnknownCascadeWord) {
  expect_error<Tray>({"Tray.cups", "unknown cascade 'delete-orphans'", "all, save-update, merge, delete, delete-orphan"});
}

TEST(RelationshipConfig, DeleteOrphanOnAManyToOne) {
  expect_error<Mug>({"Mug.saucer", "delete-orphan cascade belongs on the one-to-many side", "not on a many-to-one"});
}

TEST(RelationshipConfig, DynamicNeedsADynamicMember) {
  expect_error<Ring>({"Ring.keys", "lazy dynamic needs a member declared as Dynamic<Key>"});
}

TEST(RelationshipConfig, OrderByAnUnknownColumn) {
  expect_error<Bush>({"Bush.twigs", "order_by names an unknown column", "no column 'colour'", "id, bush_id"});
}

TEST(RelationshipConfig, SelfReferentialManyToManyNeedsForeignKeys) {
  expect_error<Fan>({"Fan.fans", "both foreign keys of the association table 'fan_links' refer to 'fan'",
                     ".foreign_keys({\"fan_links.a_id\"})"});
}

TEST(RelationshipConfig, AssociationTableWithoutAKeyToTheTarget) {
  expect_error<Pupil>({"Pupil.clubs", "the association table 'half_links' has no foreign key to 'society'",
                       "(model Society)", ".foreign_key(\"society.id\")"});
}

TEST(RelationshipConfig, ManyToManyAcrossBinds) {
  expect_error<Subscriber>({"Subscriber.journals", "model Subscriber (the default bind)",
                            "model Journal (bind 'archive')", "'subscriber_journal'", "map both models to one bind"});
}

TEST(RelationshipConfig, RelationshipNamedLikeAColumn) {
  expect_error<Nest>({"model Nest declares 'id' twice", "give the relationship another name"});
}

TEST(RelationshipConfig, BackrefAndBackPopulatesTogether) {
  expect_error<Pod>({"Pod.peas", "give either backref(\"pod\") or back_populates(\"pod\"), not both"});
}

TEST(RelationshipConfig, TargetThatFailsToMap) {
  expect_error<House>({"House.ghosts", "target model could not be configured"});
  EXPECT_THROW(r::class_info<Ghost>(), r::MappingError);
}

TEST(RelationshipConfig, UnrelatedModelsKeepWorking) {
  const auto& drawer = r::class_info<Drawer>();
  ASSERT_EQ(drawer.relationships.size(), 1u);
  EXPECT_EQ(r::relationship_name(&Drawer::socks), "socks");
  EXPECT_TRUE(r::class_info<Sock>().config_error.empty());
}

TEST(RelationshipConfig, AMemberThatIsNoRelationship) {
  try {
    (void)r::relationship_name(&Stranger::id);
    FAIL() << "expected MappingError";
  } catch (const r::MappingError& e) {
    EXPECT_NE(std::string(e.what()).find("model Stranger: this member is not a relationship"), std::string::npos);
  }
}
