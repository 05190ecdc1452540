// Configuring relationships (SQLAlchemy's configure_mappers): once every
// model's columns are known, each declared relationship finds its target,
// its direction and join columns from the tables' foreign keys, and its
// other side (a backref creates one; back_populates names one). An error is
// recorded on the models involved and thrown whenever they are used, so an
// unrelated model keeps working.
#include <algorithm>

#include "orm/relationships.hpp"

namespace retort {

const char* lazy_name(Lazy lazy) {
  switch (lazy) {
    case Lazy::select: return "select";
    case Lazy::joined: return "joined";
    case Lazy::subquery: return "subquery";
    case Lazy::selectin: return "selectin";
    case Lazy::immediate: return "immediate";
    case Lazy::noload: return "noload";
    case Lazy::raise: return "raise";
    case Lazy::raise_on_sql: return "raise_on_sql";
    case Lazy::dynamic: return "dynamic";
    case Lazy::contains_eager: return "contains_eager";
  }
  return "?";
}

RelationshipBuilder& RelationshipBuilder::backref(std::string name, RelationshipOptions options) {
  spec_.backref = std::move(name);
  spec_.backref_options = std::move(options);
  return *this;
}
RelationshipBuilder& RelationshipBuilder::back_populates(std::string name) {
  spec_.back_populates = std::move(name);
  return *this;
}
RelationshipBuilder& RelationshipBuilder::secondary(const Table& table) {
  spec_.secondary = table;
  return *this;
}
RelationshipBuilder& RelationshipBuilder::lazy(Lazy strategy) {
  spec_.options.lazy = strategy;
  return *this;
}
RelationshipBuilder& RelationshipBuilder::order_by(std::vector<std::string> columns) {
  spec_.options.order_by = std::move(columns);
  return *this;
}
RelationshipBuilder& RelationshipBuilder::cascade(std::string cascade) {
  spec_.options.cascade = std::move(cascade);
  return *this;
}
RelationshipBuilder& RelationshipBuilder::passive_deletes(bool on) {
  spec_.options.passive_deletes = on;
  return *this;
}
RelationshipBuilder& RelationshipBuilder::foreign_keys(std::vector<std::string> columns) {
  spec_.options.foreign_keys = std::move(columns);
  return *this;
}
RelationshipBuilder& RelationshipBuilder::remote_side(std::vector<std::string> columns) {
  spec_.options.remote_side = std::move(columns);
  return *this;
}

namespace detail {

namespace {

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::string fk_text(const std::string& table, const ForeignKeyConstraint& fk) {
  return table + "." + join(fk.columns) + " -> " + fk.referred_table + "." + join(fk.referred_columns);
}

/// Whether a foreign_keys() entry ("pet.owner_id" or "owner_id") names a column of `table`.
bool names_column(const std::vector<std::string>& names, const std::string& table, const std::string& column) {
  for (auto& n : names)
    if (n == column || n == table + "." + column) return true;
  return false;
}

bool all_named(const std::vector<std::string>& names, const std::string& table, const ForeignKeyConstraint& fk) {
  return std::all_of(fk.columns.begin(), fk.columns.end(),
                     [&](const std::string& c) { return names_column(names, table, c); });
}

std::vector<std::size_t> column_indexes(const ClassInfo& cls, const std::vector<std::string>& names) {
  std::vector<std::size_t> out;
  for (auto& n : names) out.push_back(cls.column_named(n));
  return out;
}

/// The referred columns of a foreign key (the table's primary key when it names none).
std::vector<std::string> referred(const ForeignKeyConstraint& fk, const ClassInfo& parent) {
  if (!fk.referred_columns.empty()) return fk.referred_columns;
  return parent.table->primary_key().columns;
}

std::vector<std::pair<std::size_t, bool>> parse_order_by(const RelationshipInfo& rel,
                                                         const std::vector<std::string>& keys) {
  std::vector<std::pair<std::size_t, bool>> out;
  for (auto& key : keys) {
    std::string k = trim(key);
    bool desc = false;
    auto space = k.find(' ');
    if (space != std::string::npos) {
      std::string dir = trim(k.substr(space + 1));
      for (auto& ch : dir) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (dir != "desc" && dir != "asc")
        throw MappingError("relationship " + rel.qualified() + ": order_by(\"" + key +
                           "\") must be a column name, optionally followed by \" desc\"");
      desc = dir == "desc";
      k = trim(k.substr(0, space));
    }
    try {
      out.emplace_back(rel.target->column_named(k), desc);
    } catch (const ArgumentError& e) {
      throw MappingError("relationship " + rel.qualified() + ": order_by names an unknown column: " + e.what());
    }
  }
  return out;
}

class Configurator {
 public:

  /// The join of a declared relationship, from the foreign keys.
  void resolve(RelationshipInfo& rel, const RelationshipSpec& spec) {
    const ClassInfo& a = *rel.owner;
    const ClassInfo& b = *rel.target;
    const auto& opts = spec.options;
    if (spec.secondary) {
      resolve_secondary(rel, *spec.secondary, opts);
    } else {
      struct Candidate {
        const ForeignKeyConstraint* fk;
        Direction direction;
      };
      std::vector<Candidate> found;
      for (auto& fk : b.table->foreign_keys())
        if (fk.referred_table == a.table_name && (opts.foreign_keys.empty() || all_named(opts.foreign_keys, b.table_name, fk)))
          found.push_back({&fk, Direction::one_to_many});
      if (&a != &b)
        for (auto& fk : a.table->foreign_keys())
          if (fk.referred_table == b.table_name &&
              (opts.foreign_keys.empty() || all_named(opts.foreign_keys, a.table_name, fk)))
            found.push_back({&fk, Direction::many_to_one});
      if (found.empty())
        throw MappingError("relationship " + rel.qualified() + ": no foreign key joins model " + a.type_name +
                           " (table '" + a.table_name + "') and model " + b.type_name + " (table '" + b.table_name +
                           "'); add .foreign_key(\"" + a.table_name + ".id\") to a column of " + b.type_name +
                           (opts.foreign_keys.empty() ? "" : ", or fix .foreign_keys({" + join(opts.foreign_keys) + "})") +
                           ", or give .secondary(table) for a many-to-many");
      if (found.size() > 1) {
        std::vector<std::string> paths;
        for (auto& c : found)
          paths.push_back(fk_text(c.direction == Direction::one_to_many ? b.table_name : a.table_name, *c.fk));
        throw MappingError("relationship " + rel.qualified() + ": models " + a.type_name + " and " + b.type_name +
                           " are joined by more than one foreign key (" + join(paths) +
                           "); name the one to use with .foreign_keys({\"" +
                           (found[0].direction == Direction::one_to_many ? b.table_name : a.table_name) + "." +
                           found[0].fk->columns.front() + "\"})");
      }
      const auto& fk = *found.front().fk;
      rel.direction = found.front().direction;
      if (&a == &b && !opts.remote_side.empty()) {
        // Self-referential: remote_side names the parent's key (many-to-one) or the foreign key (one-to-many).
        auto ref = referred(fk, a);
        if (opts.remote_side == ref) rel.direction = Direction::many_to_one;
        else if (opts.remote_side != fk.columns)
          throw MappingError("relationship " + rel.qualified() + ": remote_side({" + join(opts.remote_side) +
                             "}) names neither the key (" + join(ref) + ") nor the foreign key (" + join(fk.columns) +
                             ") of '" + a.table_name + "'");
      }
      const ClassInfo& child = rel.direction == Direction::many_to_one ? a : b;
      const ClassInfo& parent = rel.direction == Direction::many_to_one ? b : a;
      rel.child_cols = column_indexes(child, fk.columns);
      rel.parent_cols = column_indexes(parent, referred(fk, parent));
    }
    check_kind(rel);
  }

  void resolve_secondary(RelationshipInfo& rel, const Table& sec, const RelationshipOptions& opts) {
    const ClassInfo& a = *rel.owner;
    const ClassInfo& b = *rel.target;
    if (a.bind_key != b.bind_key)  // the association table would need rows of both databases in one join
      throw MappingError("relationship " + rel.qualified() + ": a many-to-many cannot join model " + a.type_name +
                         " (" + bind_name(a) + ") and model " + b.type_name + " (" + bind_name(b) +
                         ") through '" + sec.name() + "', since they are in two databases; map both models to one "
                         "bind, or map the association as a model in one of them with a relationship to each");
    std::vector<const ForeignKeyConstraint*> to_a, to_b;
    for (auto& fk : sec.foreign_keys()) {
      bool chosen = opts.foreign_keys.empty() || all_named(opts.foreign_keys, sec.name(), fk);
      if (fk.referred_table == a.table_name && chosen) to_a.push_back(&fk);
      if (fk.referred_table == b.table_name) to_b.push_back(&fk);
    }
    if (&a == &b) {
      if (opts.foreign_keys.empty())
        throw MappingError("relationship " + rel.qualified() + ": both foreign keys of the association table '" +
                           sec.name() + "' refer to '" + a.table_name +
                           "'; name the one that refers to the owner with .foreign_keys({\"" + sec.name() + "." +
                           (sec.foreign_keys().empty() ? std::string("column") : sec.foreign_keys().front().columns.front()) +
                           "\"})");
      std::erase_if(to_b, [&](const ForeignKeyConstraint* fk) { return std::find(to_a.begin(), to_a.end(), fk) != to_a.end(); });
    }
    auto only = [&](const std::vector<const ForeignKeyConstraint*>& fks, const ClassInfo& side) {
      if (fks.size() == 1) return fks.front();
      throw MappingError("relationship " + rel.qualified() + ": the association table '" + sec.name() + "' has " +
                         (fks.empty() ? std::string("no foreign key") : std::to_string(fks.size()) + " foreign keys") +
                         " to '" + side.table_name + "' (model " + side.type_name + "); " +
                         (fks.empty() ? "give it a column with .foreign_key(\"" + side.table_name + ".id\")"
                                      : "name the one to use with .foreign_keys({...})"));
    };
    auto* fa = only(to_a, a);
    auto* fb = only(to_b, b);
    rel.direction = Direction::many_to_many;
    rel.secondary = sec;
    rel.secondary_owner = fa->columns;
    rel.secondary_target = fb->columns;
    rel.owner_cols = column_indexes(a, referred(*fa, a));
    rel.target_cols = column_indexes(b, referred(*fb, b));
  }

  void check_kind(RelationshipInfo& rel) {
    const std::string target = rel.target->type_name;
    switch (rel.kind) {
      case MemberKind::collection:
      case MemberKind::dynamic:
        if (rel.direction == Direction::many_to_one)
          throw MappingError("relationship " + rel.qualified() + " is many-to-one (" + rel.owner->table_name +
                             " holds the foreign key to " + rel.target->table_name + "): declare the member as Ref<" +
                             target + ">, not a collection");
        rel.uselist = true;
        break;
      case MemberKind::ref:
        if (rel.direction == Direction::many_to_many)
          throw MappingError("relationship " + rel.qualified() + " is many-to-many: declare the member as Collection<" +
                             target + ">, not Ref<" + target + ">");
        rel.uselist = false;  // many-to-one, or one-to-one from the parent's side
        break;
      case MemberKind::backref: break;
    }
  }

  void apply_options(RelationshipInfo& rel, const RelationshipOptions& opts) {
    if (rel.kind == MemberKind::dynamic && opts.lazy != Lazy::dynamic)
      throw MappingError("relationship " + rel.qualified() + ": a Dynamic<" + rel.target->type_name +
                         "> member always loads as a query; remove .lazy(...)");
    if (opts.lazy == Lazy::dynamic && rel.kind != MemberKind::dynamic)
      throw MappingError("relationship " + rel.qualified() + ": lazy dynamic needs a member declared as Dynamic<" +
                         rel.target->type_name + ">");
    if (opts.lazy == Lazy::contains_eager)
      throw MappingError("relationship " + rel.qualified() +
                         ": contains_eager is a query option (query.join(...).options(contains_eager(...))), not a lazy setting");
    rel.lazy = opts.lazy;
    rel.passive_deletes = opts.passive_deletes;
    try {
      rel.cascade = Cascade::parse(opts.cascade);
    } catch (const ArgumentError& e) {
      throw MappingError("relationship " + rel.qualified() + ": " + e.what());
    }
    if (rel.cascade.delete_orphan && rel.direction != Direction::one_to_many)
      throw MappingError("relationship " + rel.qualified() +
                         ": delete-orphan cascade belongs on the one-to-many side (the parent's collection), not on a " +
                         (rel.direction == Direction::many_to_one ? "many-to-one" : "many-to-many"));
    rel.order_by = parse_order_by(rel, opts.order_by);
  }
};

bool has_property(const ClassInfo& cls, std::string_view name) {
  for (auto& c : cls.columns)
    if (c.spec().name == name) return true;
  for (auto& r : cls.relationships)
    if (r->name == name) return true;
  return false;
}

Direction reverse(Direction d) {
  switch (d) {
    case Direction::one_to_many: return Direction::many_to_one;
    case Direction::many_to_one: return Direction::one_to_many;
    case Direction::many_to_many: return Direction::many_to_many;
  }
  return d;
}

void fail(ClassInfo& cls, const std::string& message) {
  if (cls.config_error.empty()) cls.config_error = message;
}

}  // namespace

Cascade Cascade::parse(std::string_view text) {
  Cascade c;
  if (trim(text).empty()) return c;
  c.save_update = c.merge = false;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    std::string word = trim(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (word == "all") {
      c.save_update = c.merge = c.delete_ = c.refresh_expire = c.expunge = true;
    } else if (word == "save-update") {
      c.save_update = true;
    } else if (word == "merge") {
      c.merge = true;
    } else if (word == "delete") {
      c.delete_ = true;
    } else if (word == "delete-orphan") {
      c.delete_orphan = true;
    } else if (word == "refresh-expire") {
      c.refresh_expire = true;
    } else if (word == "expunge") {
      c.expunge = true;
    } else if (word != "none" && !word.empty()) {
      throw ArgumentError("unknown cascade '" + word + "' in \"" + std::string(text) +
                          "\"; the cascades are all, save-update, merge, delete, delete-orphan, refresh-expire, "
                          "expunge and none");
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return c;
}

RelationshipSpec& add_relationship(ClassInfo& info, std::string name) {
  info.relationship_specs.push_back(std::make_unique<RelationshipSpec>());
  info.relationship_specs.back()->name = std::move(name);
  return *info.relationship_specs.back();
}

const RelationshipInfo& relationship_named(const ClassInfo& cls, std::string_view name) {
  if (!cls.config_error.empty()) throw MappingError(cls.config_error);
  for (auto& r : cls.relationships)
    if (r->name == name) return *r;
  std::vector<std::string> names;
  for (auto& r : cls.relationships) names.push_back(r->name);
  throw ArgumentError("model " + cls.type_name + " has no relationship '" + std::string(name) + "'" +
                      (names.empty() ? std::string("; it has none") : "; its relationships are: " + join(names)));
}

const RelationshipInfo& relationship_of(const ClassInfo& cls, const MemberKey& member) {
  for (auto& spec : cls.relationship_specs)
    if (spec->member == member) return relationship_named(cls, spec->name);
  throw MappingError("model " + cls.type_name + ": this member is not a relationship; declare it in Mapping<" +
                     cls.type_name + ">::map with m.relationship(&" + cls.type_name + "::member, \"name\")");
}

std::string relationship_name(const ClassInfo& cls, const MemberKey& member) { return relationship_of(cls, member).name; }

const RelationshipInfo& backref_of(const RelationshipInfo& forward) {
  if (!forward.partner || forward.partner->access)
    throw MappingError("relationship " + forward.qualified() +
                       " declares no backref; add .backref(\"name\") to it, or use the member its back_populates names");
  return *forward.partner;
}

void configure_relationships(const std::vector<ClassInfo*>& classes) {
  auto find = [&](std::type_index t) -> ClassInfo* {
    for (auto* c : classes)
      if (c->type == t) return c;
    return nullptr;
  };
  std::vector<std::pair<ClassInfo*, RelationshipSpec*>> fresh;
  // (1) each declared relationship: target, direction, join columns, options
  for (auto* cls : classes) {
    if (cls->relationships_configured || !cls->config_error.empty()) continue;
    cls->relationships_configured = true;
    if (cls->relationship_specs.empty()) continue;
    std::vector<std::unique_ptr<RelationshipInfo>> declared;
    try {
      for (auto& spec : cls->relationship_specs) {
        auto rel = std::make_unique<RelationshipInfo>();
        rel->name = spec->name;
        rel->owner = cls;
        rel->kind = spec->kind;
        rel->access = spec->access.get();
        ClassInfo* target = find(spec->target_type);
        if (!target)
          throw MappingError("relationship " + rel->qualified() + ": its target model could not be configured; "
                             "fix the error that model reports first");
        if (!target->config_error.empty() && target != cls)
          throw MappingError("relationship " + rel->qualified() + ": its target model " + target->type_name +
                             " failed to configure: " + target->config_error);
        rel->target = target;
        if (has_property(*cls, spec->name))
          throw MappingError("model " + cls->type_name + " declares '" + spec->name +
                             "' twice (as a column or relationship); give the relationship another name");
        for (auto& d : declared)
          if (d->name == spec->name)
            throw MappingError("model " + cls->type_name + " declares relationship '" + spec->name + "' twice");
        Configurator().resolve(*rel, *spec);
        Configurator().apply_options(*rel, spec->options);
        if (!spec->backref.empty() && !spec->back_populates.empty())
          throw MappingError("relationship " + rel->qualified() + ": give either backref(\"" + spec->backref +
                             "\") or back_populates(\"" + spec->back_populates + "\"), not both");
        declared.push_back(std::move(rel));
      }
    } catch (const MappingError& e) {
      fail(*cls, e.what());
      continue;
    }
    // Declared sides come first; backref sides other models created here stay after them.
    for (auto& r : cls->relationships) declared.push_back(std::move(r));
    cls->relationships = std::move(declared);
    cls->related = true;
    for (auto& spec : cls->relationship_specs) fresh.emplace_back(cls, spec.get());
  }
  // (2) the other sides: created by backref, or named by back_populates
  for (auto [cls, spec] : fresh) {
    if (!cls->config_error.empty()) continue;
    RelationshipInfo* rel = nullptr;
    for (auto& r : cls->relationships)
      if (r->name == spec->name && r->access) rel = r.get();
    auto* target = const_cast<ClassInfo*>(rel->target);
    try {
      if (!spec->backref.empty()) {
        if (has_property(*target, spec->backref))
          throw MappingError("Error creating backref '" + spec->backref + "' on relationship '" + rel->qualified() +
                             "': property of that name exists on model " + target->type_name +
                             "; choose another backref name");
        auto back = std::make_unique<RelationshipInfo>();
        back->name = spec->backref;
        back->owner = target;
        back->target = cls;
        back->kind = MemberKind::backref;
        back->direction = reverse(rel->direction);
        back->child_cols = rel->child_cols;
        back->parent_cols = rel->parent_cols;
        back->secondary = rel->secondary;
        back->secondary_owner = rel->secondary_target;
        back->secondary_target = rel->secondary_owner;
        back->owner_cols = rel->target_cols;
        back->target_cols = rel->owner_cols;
        back->uselist = back->direction == Direction::many_to_many ||
                        (back->direction == Direction::one_to_many && spec->backref_options.uselist);
        back->make_state = spec->make_backref_state;
        back->slot = target->backref_slots++;
        Configurator().apply_options(*back, spec->backref_options);
        back->partner = rel;
        rel->partner = back.get();
        rel->drives_flush = rel->direction != Direction::one_to_many;
        back->drives_flush = back->direction == Direction::many_to_one;
        target->relationships.push_back(std::move(back));
        target->related = true;
      } else if (!spec->back_populates.empty()) {
        const RelationshipInfo* other = nullptr;
        for (auto& r : target->relationships)
          if (r->name == spec->back_populates) other = r.get();
        if (!other) {
          std::vector<std::string> names;
          for (auto& r : target->relationships) names.push_back(r->name);
          throw MappingError("relationship " + rel->qualified() + ": back_populates(\"" + spec->back_populates +
                             "\") names no relationship of model " + target->type_name +
                             (names.empty() ? std::string(" (it declares none)") : " (its relationships: " + join(names) + ")") +
                             "; declare it there with back_populates(\"" + rel->name + "\"), or fix the name");
        }
        if (other->target != cls || other->direction != reverse(rel->direction))
          throw MappingError("relationship " + rel->qualified() + ": back_populates(\"" + spec->back_populates +
                             "\") names " + other->qualified() + ", which is not the other side of " +
                             rel->qualified() + " (it relates " + target->type_name + " to " + other->target->type_name +
                             "); name the relationship of " + target->type_name + " that refers back to " +
                             cls->type_name);
        const RelationshipSpec* other_spec = nullptr;
        for (auto& s : target->relationship_specs)
          if (s->name == other->name) other_spec = s.get();
        if (!other_spec || other_spec->back_populates != rel->name)
          throw MappingError("relationship " + rel->qualified() + " names " + other->qualified() +
                             " in back_populates, but " + other->qualified() + " does not name " + rel->qualified() +
                             " back; add .back_populates(\"" + rel->name + "\") to " + other->qualified());
        if (!other->partner) {  // the first of the two to be processed links both
          auto* o = const_cast<RelationshipInfo*>(other);
          rel->partner = o;
          o->partner = rel;
          rel->drives_flush = rel->direction == Direction::many_to_many || rel->direction == Direction::many_to_one;
          o->drives_flush = o->direction == Direction::many_to_one;
        }
      }
    } catch (const MappingError& e) {
      fail(*cls, e.what());
      fail(*target, e.what());
    }
  }
}

RelState& state_of(InstanceBase* i, const RelationshipInfo& rel) {
  if (!i) null_access();
  if (i->cls != rel.owner)
    throw ArgumentError("relationship " + rel.qualified() + " belongs to model " + rel.owner->type_name +
                        ", not to this " + i->cls->type_name);
  if (rel.access) return rel.access->state(i->object);
  if (!i->extra) i->extra = new ExtraStates();
  auto& slot = i->extra->at(rel.slot);
  if (!slot) {
    slot.reset(rel.make_state());
    slot->owner_ = i;
    slot->info_ = &rel;
  }
  return *slot;
}

}  // namespace detail

}  // namespace retort
