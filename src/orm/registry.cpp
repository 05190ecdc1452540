// The registry of mapped classes: models are enrolled before main (cheaply:
// a type and a builder), and configured on first use, when every Mapping runs
// once into a ClassInfo with its Table. Mapping errors are reported then,
// naming the model and the member.
#include <cxxabi.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <mutex>

#include "orm/relationships.hpp"
#include "orm/statements.hpp"
#include "retort/orm/mapper.hpp"
#include "retort/orm/ptr.hpp"

namespace retort {

namespace detail {

namespace {

struct Registry {
  std::recursive_mutex mutex;
  std::size_t relationships_configured_for = 0;  ///< enrolled models when relationships were last configured  // a Mapping may touch another model's class_info while it builds
  std::vector<std::pair<std::type_index, ClassBuilder>> enrolled;
  std::map<std::type_index, std::unique_ptr<ClassInfo>> configured;
  std::map<std::string, MetaData, std::less<>> metadata;  ///< by bind key
};

Registry& registry() {
  static Registry r;
  return r;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

/// Turns the builder's declarations into the table and the key, checking them.
void finish(ClassInfo& info) {
  const std::string model = info.type_name;
  if (info.columns.empty())
    throw MappingError("model " + model + " maps no column; its Mapping<" + model +
                       ">::map must call m.column(&" + model + "::member, \"name\")");
  if (info.table_name.empty()) info.table_name = default_table_name(model);
  std::vector<std::string> seen;
  for (auto& c : info.columns) {
    const auto& name = c.spec().name;
    if (std::find(seen.begin(), seen.end(), name) != seen.end())
      throw MappingError("model " + model + " maps column '" + name + "' twice; each column is mapped once");
    for (std::size_t i = 0; i < seen.size(); ++i)
      if (info.columns[i].member == c.member && info.columns[i].member_type == c.member_type)
        throw MappingError("model " + model + " maps one member to two columns ('" + seen[i] + "' and '" + name +
                           "')");
    seen.push_back(name);
  }
  std::vector<std::string> flagged;
  for (auto& c : info.columns)
    if (c.spec().primary_key) flagged.push_back(c.spec().name);
  for (auto& item : info.constraints) {
    auto* pk = std::get_if<PrimaryKeyConstraint>(&item.variant());
    if (pk && !flagged.empty() && pk->columns != flagged)
      throw MappingError("model " + model + " declares its primary key twice, differently: columns marked "
                         "primary_key() (" + join(flagged) + ") and a PrimaryKeyConstraint (" + join(pk->columns) +
                         "); keep one of the two");
  }
  std::vector<TableItem> items;
  for (auto& c : info.columns) items.emplace_back(c.column);
  for (auto& item : info.constraints) items.push_back(item);
  try {
    info.table.emplace(info.table_name, std::move(items));
  } catch (const ArgumentError& e) {
    throw MappingError("model " + model + " (table '" + info.table_name + "'): " + e.what());
  }
  for (auto& name : info.table->primary_key().columns) info.primary_key.push_back(info.column_named(name));
  if (info.primary_key.empty())
    throw MappingError("model " + model + " has no primary key; mark one column with .primary_key() "
                       "(the identity map needs one)");
  if (auto* auto_col = info.table->autoincrement_column()) info.autoincrement = static_cast<int>(info.column_named(auto_col->name));
  info.statements = std::make_shared<ClassStatements>();
}

ClassInfo& configure(std::type_index type, ClassBuilder build) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  auto it = r.configured.find(type);
  if (it != r.configured.end()) return *it->second;
  auto info = std::make_unique<ClassInfo>(type);
  build(*info);
  finish(*info);
  for (auto& [other_type, other] : r.configured)
    if (other->table_name == info->table_name)
      throw MappingError("models " + other->type_name + " and " + info->type_name + " both map table '" +
                         info->table_name + "'; give one of them another name with m.table(\"...\")");
  auto& ref = *info;
  r.configured.emplace(type, std::move(info));
  return ref;
}

/// SQLAlchemy's configure_mappers: the columns of every enrolled model (and
/// of the models their relationships name), then the relationships. A model
/// whose mapping fails is left out, and its error is thrown when it is used.
void configure_mappers() {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  if (r.relationships_configured_for == r.enrolled.size()) return;
  std::vector<ClassInfo*> classes;
  for (std::size_t i = 0; i < r.enrolled.size(); ++i) {
    auto [type, build] = r.enrolled[i];
    try {
      auto& info = configure(type, build);
      classes.push_back(&info);
      for (auto& spec : info.relationship_specs) enroll(spec->target_type, spec->target_build);
    } catch (const MappingError&) {
      // reported when this model is used
    }
  }
  r.relationships_configured_for = r.enrolled.size();
  configure_relationships(classes);
}

}  // namespace

ClassInfo::ClassInfo(std::type_index t) : type(t) {}
ClassInfo::~ClassInfo() = default;

bool enroll(std::type_index type, ClassBuilder build) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  for (auto& e : r.enrolled)
    if (e.first == type) return true;
  r.enrolled.emplace_back(type, build);
  return true;
}

const ClassInfo& class_info(std::type_index type, ClassBuilder build) {
  enroll(type, build);
  auto& info = configure(type, build);
  configure_mappers();
  if (!info.config_error.empty()) throw MappingError(info.config_error);
  return info;
}

std::size_t ClassInfo::column_of(const MemberKey& key, const std::type_info& t) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i].member == key && *columns[i].member_type == t) return i;
  throw MappingError("model " + type_name + ": this member is not mapped to a column; map it in Mapping<" +
                     type_name + ">::map with m.column(...)");
}

std::size_t ClassInfo::column_named(std::string_view name) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i].spec().name == name) return i;
  std::vector<std::string> names;
  for (auto& c : columns) names.push_back(c.spec().name);
  throw ArgumentError("model " + type_name + " has no column '" + std::string(name) + "'; its columns are: " +
                      join(names));
}

std::string default_table_name(std::string_view name) {
  // Flask-SQLAlchemy 3's rule: '_' before an upper-case letter that follows a
  // lower-case letter or digit, and before an upper-case letter (not the first)
  // followed by a lower-case one; then lower-case and strip leading '_'.
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool upper = std::isupper(static_cast<unsigned char>(c));
    if (upper && i > 0) {
      char prev = name[i - 1];
      bool after_lower_or_digit = std::islower(static_cast<unsigned char>(prev)) || std::isdigit(static_cast<unsigned char>(prev));
      bool before_lower = i + 1 < name.size() && std::islower(static_cast<unsigned char>(name[i + 1]));
      if (after_lower_or_digit || before_lower) out += '_';
    }
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::size_t start = out.find_first_not_of('_');
  return start == std::string::npos ? out : out.substr(start);
}

std::string demangled_class_name(const char* mangled) {
  int status = 0;
  char* d = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string full = (status == 0 && d) ? d : mangled;
  std::free(d);
  // Drop namespaces and enclosing classes; keep template arguments as written.
  std::size_t angle = full.find('<');
  std::size_t scope = full.rfind("::", angle);
  return scope == std::string::npos ? full : full.substr(scope + 2);
}

}  // namespace detail

void detail::check_foreign_keys(const ClassInfo& cls, const MetaData& metadata) {
  for (auto& fk : cls.table->foreign_keys()) {
    if (fk.referred_table == cls.table_name || metadata.find(fk.referred_table)) continue;
    bool in_another_bind = std::any_of(registry().metadata.begin(), registry().metadata.end(),
                                       [&](auto& bind) { return bind.second.find(fk.referred_table); });
    if (in_another_bind) continue;  // relates the models; not declared in either database
    throw MappingError("model " + cls.type_name + ": column '" + fk.columns.front() + "' refers to table '" +
                       fk.referred_table + "', which no model maps; map that model (or fix the name in foreign_key(\"" +
                       fk.referred_table + "." + fk.referred_columns.front() + "\"))");
  }
}

namespace {

/// The model's table as its bind's database declares it: without the foreign
/// keys to other binds' tables, since no database can check those.
Table table_in_bind(const detail::ClassInfo& cls, const std::vector<const detail::ClassInfo*>& classes) {
  std::vector<std::string> elsewhere;
  for (auto& fk : cls.table->foreign_keys())
    for (auto* other : classes)
      if (other->table_name == fk.referred_table && other->bind_key != cls.bind_key) elsewhere.push_back(fk.referred_table);
  return elsewhere.empty() ? *cls.table : cls.table->without_foreign_keys_to(elsewhere);
}

/// Configures every enrolled model and puts its tables in its bind's metadata.
std::vector<const detail::ClassInfo*> configure_all(detail::Registry& r) {
  std::vector<const detail::ClassInfo*> classes;
  for (std::size_t i = 0; i < r.enrolled.size(); ++i) {
    auto [type, build] = r.enrolled[i];
    classes.push_back(&detail::class_info(type, build));
  }
  for (auto* cls : classes) {
    auto& md = r.metadata[cls->bind_key];
    if (!md.find(cls->table_name)) md.add(table_in_bind(*cls, classes));
  }
  for (auto* cls : classes)  // association tables live with the model that declares them
    for (auto& rel : cls->relationships)
      if (rel->secondary && !r.metadata[cls->bind_key].find(rel->secondary->name()))
        r.metadata[cls->bind_key].add(*rel->secondary);
  for (auto* cls : classes) detail::check_foreign_keys(*cls, r.metadata[cls->bind_key]);
  return classes;
}

}  // namespace

const MetaData& mapped_metadata(std::string_view bind_key) {
  auto& r = detail::registry();
  std::lock_guard lock(r.mutex);
  configure_all(r);
  auto it = r.metadata.find(bind_key);
  if (it == r.metadata.end()) it = r.metadata.emplace(std::string(bind_key), MetaData()).first;
  return it->second;
}

std::vector<std::string> mapped_bind_keys() {
  auto& r = detail::registry();
  std::lock_guard lock(r.mutex);
  std::vector<std::string> keys;
  for (auto* cls : configure_all(r))
    if (std::find(keys.begin(), keys.end(), cls->bind_key) == keys.end()) keys.push_back(cls->bind_key);
  std::sort(keys.begin(), keys.end());  // "" sorts first
  return keys;
}

}  // namespace retort
