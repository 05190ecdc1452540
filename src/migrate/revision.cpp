// Revision files (YAML, through yaml-cpp) and the graph they form.
#include "retort/migrate/revision.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <set>
#include <sstream>

#include "migrate/text.hpp"
#include "retort/core/error.hpp"

namespace retort::migrate {

namespace {

using detail::join;
using detail::overloaded;

// ---- reading ----------------------------------------------------------------------------

/// Reads one file's nodes, naming file:line:column in every error.
class Reader {
 public:
  explicit Reader(std::filesystem::path file) : file_(std::move(file)) {}

  /// file:line:column of a node.
  std::string where(const YAML::Node& at) const {
    auto mark = at.Mark();
    std::string out = file_.string();
    if (mark.line >= 0) out += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    return out;
  }
  [[noreturn]] void fail(const YAML::Node& at, const std::string& what) const {
    std::string place = where(at);
    throw MigrationError(place + ": " + what, ErrorDetails{.location = place, .code = "bad-revision"});
  }

  YAML::Node need(const YAML::Node& map, const char* key, const char* what) const {
    if (!map.IsMap()) fail(map, std::string(what) + " must be a mapping");
    auto n = map[key];
    if (!n) fail(map, std::string(what) + " needs '" + key + "'");
    return n;
  }
  std::string text(const YAML::Node& map, const char* key, const char* what) const {
    auto n = need(map, key, what);
    if (!n.IsScalar()) fail(n, std::string("'") + key + "' of " + what + " must be a text");
    return n.as<std::string>();
  }
  std::string text_or(const YAML::Node& map, const char* key, std::string fallback) const {
    auto n = map[key];
    if (!n || n.IsNull()) return fallback;
    if (!n.IsScalar()) fail(n, std::string("'") + key + "' must be a text");
    return n.as<std::string>();
  }
  bool flag(const YAML::Node& map, const char* key, bool fallback) const {
    auto n = map[key];
    if (!n) return fallback;
    try {
      return n.as<bool>();
    } catch (const YAML::Exception&) {
      fail(n, std::string("'") + key + "' must be true or false");
    }
  }
  std::vector<std::string> names(const YAML::Node& map, const char* key, const char* what) const {
    auto n = need(map, key, what);
    std::vector<std::string> out;
    if (n.IsScalar()) return {n.as<std::string>()};
    if (!n.IsSequence()) fail(n, std::string("'") + key + "' of " + what + " must be a list of names");
    for (auto x : n) {
      if (!x.IsScalar()) fail(x, std::string("'") + key + "' of " + what + " must be a list of names");
      out.push_back(x.as<std::string>());
    }
    return out;
  }
  /// The optional list `map[key]`: a null node when absent or null (iterating it
  /// visits nothing); a mapping or a text there is an error, not an empty list.
  YAML::Node list(const YAML::Node& map, const char* key, const char* what) const {
    auto n = map[key];
    if (!n || n.IsNull()) return YAML::Node();
    if (!n.IsSequence()) fail(n, std::string("'") + key + "' of " + what + " must be a list");
    return n;
  }
  /// A scalar holding SQL (a server default); `key` names it in the error.
  std::string sql_text(const YAML::Node& n, const char* key) const {
    if (!n.IsScalar()) fail(n, std::string("'") + key + "' must be SQL text, e.g. \"'dog'\" or now()");
    return n.as<std::string>();
  }
  SqlType type(const YAML::Node& map, const char* what) const {
    auto t = text(map, "type", what);
    try {
      return SqlType::from_description(t);
    } catch (const ArgumentError& e) {
      fail(map["type"], e.what());
    }
  }

  ColumnSpec column(const YAML::Node& n) const {
    ColumnSpec c;
    c.name = text(n, "name", "a column");
    c.type = type(n, "a column");
    c.nullable = flag(n, "nullable", true);
    if (auto d = n["server_default"]; d && !d.IsNull()) c.server_default = sql_text(d, "server_default");
    if (auto a = n["autoincrement"]) c.autoincrement = flag(n, "autoincrement", false);
    return c;
  }
  ForeignKeyConstraint foreign_key(const YAML::Node& n) const {
    ForeignKeyConstraint f;
    f.name = text(n, "name", "a foreign key");
    f.columns = names(n, "columns", "a foreign key");
    f.referred_table = text(n, "referred_table", "a foreign key");
    f.referred_columns = names(n, "referred_columns", "a foreign key");
    f.ondelete = text_or(n, "ondelete", "");
    f.onupdate = text_or(n, "onupdate", "");
    return f;
  }
  UniqueConstraint unique(const YAML::Node& n) const {
    return UniqueConstraint{names(n, "columns", "a unique constraint"), text(n, "name", "a unique constraint")};
  }
  CheckConstraint check(const YAML::Node& n) const {
    return CheckConstraint{text(n, "sql", "a check constraint"), text(n, "name", "a check constraint")};
  }

  Operation operation(const YAML::Node& item) const {
    if (!item.IsMap() || item.size() != 1)
      fail(item, "an operation is a mapping with one key, the operation's name (create_table, add_column, ...)");
    auto it = item.begin();
    YAML::Node key = it->first;  // copies: the iterator yields temporaries
    YAML::Node n = it->second;
    if (!key.IsScalar()) fail(key, "an operation's name must be a text such as create_table or add_column");
    std::string kind = key.as<std::string>();
    if (kind == "create_table") {
      TableDef t;
      t.name = text(n, "name", "create_table");
      auto cols = need(n, "columns", "create_table");
      if (!cols.IsSequence() || cols.size() == 0) fail(cols, "create_table needs a list of columns");
      for (auto c : cols) t.columns.push_back(column(c));
      if (auto pk = n["primary_key"]) {
        t.primary_key.name = text(pk, "name", "a primary key");
        t.primary_key.columns = names(pk, "columns", "a primary key");
      }
      for (auto f : list(n, "foreign_keys", "create_table")) t.foreign_keys.push_back(foreign_key(f));
      for (auto u : list(n, "unique", "create_table")) t.uniques.push_back(unique(u));
      for (auto c : list(n, "checks", "create_table")) t.checks.push_back(check(c));
      return CreateTable{std::move(t)};
    }
    if (kind == "drop_table") return DropTable{text(n, "name", "drop_table")};
    if (kind == "rename_table") return RenameTable{text(n, "from", "rename_table"), text(n, "to", "rename_table")};
    if (kind == "add_column") return AddColumn{text(n, "table", "add_column"), column(need(n, "column", "add_column"))};
    if (kind == "drop_column") return DropColumn{text(n, "table", "drop_column"), text(n, "column", "drop_column")};
    if (kind == "alter_column") {
      AlterColumn a{text(n, "table", "alter_column"), text(n, "column", "alter_column"), {}, {}, {}, {}};
      if (n["type"]) a.type = type(n, "alter_column");
      if (n["nullable"]) a.nullable = flag(n, "nullable", true);
      if (auto d = n["server_default"]) a.server_default = d.IsNull() ? std::optional<std::string>() : sql_text(d, "server_default");
      if (n["new_name"]) a.new_name = text(n, "new_name", "alter_column");
      if (!a.type && !a.nullable && !a.server_default && !a.new_name)
        fail(n, "alter_column changes nothing: give type, nullable, server_default or new_name");
      return a;
    }
    if (kind == "create_index")
      return CreateIndex{text(n, "table", "create_index"),
                         Index{text(n, "name", "create_index"), names(n, "columns", "create_index"), flag(n, "unique", false)}};
    if (kind == "drop_index") return DropIndex{text(n, "table", "drop_index"), text(n, "name", "drop_index")};
    if (kind == "add_constraint") {
      std::string table = text(n, "table", "add_constraint");
      if (n["unique"]) return AddConstraint{table, unique(n["unique"])};
      if (n["foreign_key"]) return AddConstraint{table, foreign_key(n["foreign_key"])};
      if (n["check"]) return AddConstraint{table, check(n["check"])};
      fail(n, "add_constraint needs one of unique, foreign_key or check");
    }
    if (kind == "drop_constraint") return DropConstraint{text(n, "table", "drop_constraint"), text(n, "name", "drop_constraint")};
    if (kind == "execute") {
      if (n.IsScalar()) return Execute{n.as<std::string>(), ""};
      return Execute{text(n, "sql", "execute"), text_or(n, "dialect", "")};
    }
    fail(key, "unknown operation '" + kind +
                        "'; the operations are create_table, drop_table, rename_table, add_column, drop_column, "
                        "alter_column, create_index, drop_index, add_constraint, drop_constraint, execute");
  }

  std::vector<Operation> operations(const YAML::Node& root, const char* key) const {
    auto n = root[key];
    if (!n || n.IsNull()) return {};
    if (!n.IsSequence()) fail(n, std::string("'") + key + "' must be a list of operations");
    std::vector<Operation> out;
    for (auto item : n) out.push_back(operation(item));
    return out;
  }

  /// `binds:` of a --multidb revision: bind key → its upgrade and downgrade.
  std::map<std::string, BindOperations, std::less<>> binds(const YAML::Node& root) const {
    static const std::string shape =
        "'binds' maps each database to its operations: default (DATABASE_URL) or a bind key (DATABASE_URL_<KEY>) "
        "to {upgrade: [...], downgrade: [...]}";
    for (const char* key : {"upgrade", "downgrade"})
      if (root[key])
        fail(root[key], std::string("'") + key +
                            "' at the top of a revision is for a single-database migrations folder; this one is "
                            "--multidb (multidb: true in retort.yaml): " + shape);
    auto n = need(root, "binds", "a revision of a --multidb migrations folder");
    std::map<std::string, BindOperations, std::less<>> out;
    if (n.IsNull()) return out;
    if (!n.IsMap()) fail(n, shape);
    for (auto it = n.begin(); it != n.end(); ++it) {
      YAML::Node key = it->first;
      YAML::Node body = it->second;
      if (!key.IsScalar() || key.as<std::string>().empty())
        fail(key, "a bind key must be a non-empty name; the default database is written '" +
                      std::string(kDefaultBindName) + "'");
      std::string name = key.as<std::string>();
      std::string bind = name == kDefaultBindName ? "" : name;
      if (out.count(bind)) fail(key, "bind '" + name + "' is named twice; give its operations once");
      BindOperations ops;
      ops.location = where(key);
      if (!body.IsNull()) {
        if (!body.IsMap()) fail(body, "bind '" + name + "': " + shape);
        for (auto field = body.begin(); field != body.end(); ++field) {
          YAML::Node k = field->first;
          std::string f = k.IsScalar() ? k.as<std::string>() : "";
          if (f != "upgrade" && f != "downgrade")
            fail(k, "bind '" + name + "' has '" + f + "'; a bind holds only upgrade and downgrade");
        }
        ops.upgrade = operations(body, "upgrade");
        ops.downgrade = operations(body, "downgrade");
      }
      out.emplace(std::move(bind), std::move(ops));
    }
    return out;
  }

 private:
  std::filesystem::path file_;
};

/// The offset of the first byte of `text` that a YAML file may not hold, or
/// npos: one that does not start a well-formed UTF-8 sequence (overlong forms
/// and surrogates included), or a C0 control character other than tab, line
/// feed and carriage return (not YAML's c-printable; inside double quotes they
/// are written as escapes such as "\x01"). DEL is let through: yaml-cpp reads
/// it, and writes it unescaped.
std::size_t unreadable_at(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return i;
      ++i;
      continue;
    }
    std::size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (n == 0 || i + n > text.size()) return i;
    auto c1 = static_cast<unsigned char>(text[i + 1]);
    // The second byte's range depends on the first (no overlong forms, surrogates or > U+10FFFF).
    unsigned char low = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    unsigned char high = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    if (c1 < low || c1 > high) return i;
    for (std::size_t k = 2; k < n; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return i;
    }
    i += n;
  }
  return std::string_view::npos;
}

// ---- writing --------------------------------------------------------------------------------

/// A text value. yaml-cpp writes text holding control characters (a '\r',
/// say) as a plain scalar, which reads back changed: such text is written
/// double-quoted, where they are escapes.
struct Text {
  const std::string& s;
};
YAML::Emitter& operator<<(YAML::Emitter& e, Text t) {
  bool control = std::any_of(t.s.begin(), t.s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  if (control) e << YAML::DoubleQuoted;
  return e << t.s;
}

void emit_names(YAML::Emitter& e, const std::vector<std::string>& names) {
  e << YAML::Flow << YAML::BeginSeq;
  for (auto& n : names) e << Text{n};
  e << YAML::EndSeq;
}

void emit_column(YAML::Emitter& e, const ColumnSpec& c) {
  e << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << Text{c.name} << YAML::Key << "type" << YAML::Value
    << Text{c.type.describe()} << YAML::Key << "nullable" << YAML::Value << c.is_nullable();
  if (c.server_default) e << YAML::Key << "server_default" << YAML::Value << Text{*c.server_default};
  if (c.autoincrement) e << YAML::Key << "autoincrement" << YAML::Value << *c.autoincrement;
  e << YAML::EndMap;
}

void emit_fk(YAML::Emitter& e, const ForeignKeyConstraint& f) {
  e << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << Text{f.name} << YAML::Key << "columns"
    << YAML::Value;
  emit_names(e, f.columns);
  e << YAML::Key << "referred_table" << YAML::Value << Text{f.referred_table} << YAML::Key << "referred_columns" << YAML::Value;
  emit_names(e, f.referred_columns);
  if (!f.ondelete.empty()) e << YAML::Key << "ondelete" << YAML::Value << Text{f.ondelete};
  if (!f.onupdate.empty()) e << YAML::Key << "onupdate" << YAML::Value << Text{f.onupdate};
  e << YAML::EndMap;
}

void emit_named_columns(YAML::Emitter& e, const std::string& name, const std::vector<std::string>& columns) {
  e << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << Text{name} << YAML::Key << "columns" << YAML::Value;
  emit_names(e, columns);
  e << YAML::EndMap;
}

void emit_check(YAML::Emitter& e, const CheckConstraint& c) {
  e << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << Text{c.name} << YAML::Key << "sql" << YAML::Value
    << Text{c.sql} << YAML::EndMap;
}

void emit_operation(YAML::Emitter& e, const Operation& op) {
  e << YAML::BeginMap;
  auto flat = [&](const char* kind) { e << YAML::Key << kind << YAML::Value << YAML::Flow << YAML::BeginMap; };
  auto kv = [&](const char* k, const std::string& v) { e << YAML::Key << k << YAML::Value << Text{v}; };
  std::visit(
      overloaded{
          [&](const CreateTable& o) {
            e << YAML::Key << "create_table" << YAML::Value << YAML::BeginMap;
            kv("name", o.table.name);
            e << YAML::Key << "columns" << YAML::Value << YAML::BeginSeq;
            for (auto& c : o.table.columns) emit_column(e, c);
            e << YAML::EndSeq;
            if (!o.table.primary_key.columns.empty()) {
              e << YAML::Key << "primary_key" << YAML::Value;
              emit_named_columns(e, o.table.primary_key.name, o.table.primary_key.columns);
            }
            if (!o.table.foreign_keys.empty()) {
              e << YAML::Key << "foreign_keys" << YAML::Value << YAML::BeginSeq;
              for (auto& f : o.table.foreign_keys) emit_fk(e, f);
              e << YAML::EndSeq;
            }
            if (!o.table.uniques.empty()) {
              e << YAML::Key << "unique" << YAML::Value << YAML::BeginSeq;
              for (auto& u : o.table.uniques) emit_named_columns(e, u.name, u.columns);
              e << YAML::EndSeq;
            }
            if (!o.table.checks.empty()) {
              e << YAML::Key << "checks" << YAML::Value << YAML::BeginSeq;
              for (auto& c : o.table.checks) emit_check(e, c);
              e << YAML::EndSeq;
            }
            e << YAML::EndMap;
          },
          [&](const DropTable& o) {
            flat("drop_table");
            kv("name", o.table);
            e << YAML::EndMap;
          },
          [&](const RenameTable& o) {
            flat("rename_table");
            kv("from", o.from);
            kv("to", o.to);
            e << YAML::EndMap;
          },
          [&](const AddColumn& o) {
            flat("add_column");
            kv("table", o.table);
            e << YAML::Key << "column" << YAML::Value;
            emit_column(e, o.column);
            e << YAML::EndMap;
          },
          [&](const DropColumn& o) {
            flat("drop_column");
            kv("table", o.table);
            kv("column", o.column);
            e << YAML::EndMap;
          },
          [&](const AlterColumn& o) {
            flat("alter_column");
            kv("table", o.table);
            kv("column", o.column);
            if (o.type) kv("type", o.type->describe());
            if (o.nullable) e << YAML::Key << "nullable" << YAML::Value << *o.nullable;
            if (o.server_default) {
              e << YAML::Key << "server_default" << YAML::Value;
              if (*o.server_default) e << Text{**o.server_default};
              else e << YAML::Null;
            }
            if (o.new_name) kv("new_name", *o.new_name);
            e << YAML::EndMap;
          },
          [&](const CreateIndex& o) {
            flat("create_index");
            kv("table", o.table);
            kv("name", o.index.name);
            e << YAML::Key << "columns" << YAML::Value;
            emit_names(e, o.index.columns);
            e << YAML::Key << "unique" << YAML::Value << o.index.unique << YAML::EndMap;
          },
          [&](const DropIndex& o) {
            flat("drop_index");
            kv("table", o.table);
            kv("name", o.name);
            e << YAML::EndMap;
          },
          [&](const AddConstraint& o) {
            flat("add_constraint");
            kv("table", o.table);
            std::visit(overloaded{[&](const UniqueConstraint& u) {
                                    e << YAML::Key << "unique" << YAML::Value;
                                    emit_named_columns(e, u.name, u.columns);
                                  },
                                  [&](const ForeignKeyConstraint& f) {
                                    e << YAML::Key << "foreign_key" << YAML::Value;
                                    emit_fk(e, f);
                                  },
                                  [&](const CheckConstraint& c) {
                                    e << YAML::Key << "check" << YAML::Value;
                                    emit_check(e, c);
                                  }},
                       o.constraint);
            e << YAML::EndMap;
          },
          [&](const DropConstraint& o) {
            flat("drop_constraint");
            kv("table", o.table);
            kv("name", o.name);
            e << YAML::EndMap;
          },
          [&](const Execute& o) {
            flat("execute");
            kv("sql", o.sql);
            if (!o.dialect.empty()) kv("dialect", o.dialect);
            e << YAML::EndMap;
          },
      },
      op);
  e << YAML::EndMap;
}

void emit_operations(YAML::Emitter& e, const char* key, const std::vector<Operation>& ops) {
  e << YAML::Key << key << YAML::Value;
  if (ops.empty()) {
    e << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
    return;
  }
  e << YAML::BeginSeq;
  for (auto& op : ops) emit_operation(e, op);
  e << YAML::EndSeq;
}

}  // namespace

Revision read_revision(const std::filesystem::path& file, Layout layout) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw MigrationError(file.string() + ": cannot read the revision file", ErrorDetails{.location = file.string()});
  return parse_revision(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()), file, layout);
}

Revision parse_revision(std::string_view text, const std::filesystem::path& file, Layout layout) {
  Reader r(file);
  // yaml-cpp keeps invalid bytes when reading but writes U+FFFD for them, and
  // reads a NUL byte together with the next one as a different byte: a file
  // that is not UTF-8 or holds raw control characters would change when
  // written back, so it is refused before yaml-cpp sees it.
  if (auto bad = unreadable_at(text); bad != std::string_view::npos) {
    std::size_t line_start = text.rfind('\n', bad == 0 ? 0 : bad - 1);
    line_start = line_start == std::string_view::npos || bad == 0 ? 0 : line_start + 1;
    std::string where = file.string() + ":" + std::to_string(1 + std::count(text.begin(), text.begin() + bad, '\n')) +
                        ":" + std::to_string(bad - line_start + 1);
    auto c = static_cast<unsigned char>(text[bad]);
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", c);
    std::string what = c < 0x80 ? std::string("control character ") + byte +
                                      " is not allowed in YAML; inside double quotes write it as an escape, e.g. \"\\x" +
                                      (byte + 2) + "\""
                                : std::string("not UTF-8: byte ") + byte +
                                      " does not start a UTF-8 character; save the file as UTF-8";
    throw MigrationError(where + ": " + what, ErrorDetails{.location = where, .code = "bad-revision"});
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    std::string where = file.string() + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    throw MigrationError(where + ": not valid YAML: " + e.msg, ErrorDetails{.location = where, .code = "bad-revision"});
  }
  if (!root.IsMap()) r.fail(root, "a revision file is a mapping with revision, down_revision, message, upgrade and downgrade");
  Revision rev;
  rev.path = file;
  // Ids name files and are compared as text: lower-case letters, digits and '_' only.
  auto id = [&](const YAML::Node& n, const std::string& value, const char* what) {
    if (value.empty() || value.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyz_") != std::string::npos)
      r.fail(n, std::string(what) + " '" + value + "' may hold only lower-case letters, digits and '_'");
    return value;
  };
  rev.id = id(root["revision"], r.text(root, "revision", "a revision file"), "revision id");
  auto down = r.need(root, "down_revision", "a revision file (null for the first revision)");
  if (down.IsSequence()) {
    for (auto d : down) {
      if (!d.IsScalar()) r.fail(d, "each down_revision of a merge must be a revision id");
      rev.down_revisions.push_back(id(d, d.as<std::string>(), "down_revision"));
    }
  } else if (!down.IsNull()) {
    if (!down.IsScalar()) r.fail(down, "down_revision must be a revision id, a list of them (a merge) or null (the first revision)");
    rev.down_revisions.push_back(id(down, down.as<std::string>(), "down_revision"));
  }
  rev.message = r.text_or(root, "message", "");
  rev.create_date = r.text_or(root, "create_date", "");
  rev.layout = layout;
  if (layout == Layout::multidb) {
    rev.binds = r.binds(root);
    return rev;
  }
  if (root["binds"])
    r.fail(root["binds"], "'binds' is for a migrations folder made with `db init --multidb` (multidb: true in "
                          "retort.yaml); in this one a revision has 'upgrade' and 'downgrade' at the top");
  rev.upgrade = r.operations(root, "upgrade");
  rev.downgrade = r.operations(root, "downgrade");
  return rev;
}

std::string revision_yaml(const Revision& rev) {
  YAML::Emitter e;
  e.SetNullFormat(YAML::LowerNull);
  e << YAML::BeginMap;
  e << YAML::Key << "revision" << YAML::Value << Text{rev.id};
  e << YAML::Key << "down_revision" << YAML::Value;
  if (rev.down_revisions.empty()) e << YAML::Null;
  else if (rev.down_revisions.size() == 1) e << Text{rev.down_revisions.front()};
  else emit_names(e, rev.down_revisions);
  e << YAML::Key << "message" << YAML::Value << Text{rev.message};
  e << YAML::Key << "create_date" << YAML::Value << Text{rev.create_date};
  for (auto& note : rev.notes) e << YAML::Newline << YAML::Comment(note);
  if (rev.layout == Layout::multidb) {
    e << YAML::Key << "binds" << YAML::Value << YAML::BeginMap;
    for (auto& [key, ops] : rev.binds) {  // "" (default) first
      e << YAML::Key << Text{key.empty() ? std::string(kDefaultBindName) : key} << YAML::Value << YAML::BeginMap;
      emit_operations(e, "upgrade", ops.upgrade);
      emit_operations(e, "downgrade", ops.downgrade);
      e << YAML::EndMap;
    }
    e << YAML::EndMap;
  } else {
    emit_operations(e, "upgrade", rev.upgrade);
    emit_operations(e, "downgrade", rev.downgrade);
  }
  e << YAML::EndMap;
  return std::string("# A retort revision: edit it freely; what it says is what `db upgrade` runs.\n") + e.c_str() + "\n";
}

std::string new_revision_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char digits[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 12; ++i) id += digits[rng() % 16];
  return id;
}

std::string revision_file_name(const Revision& rev) {
  std::string slug;
  for (char c : rev.message) {
    if (std::isalnum(static_cast<unsigned char>(c))) slug += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!slug.empty() && slug.back() != '_') slug += '_';
    if (slug.size() >= 40) break;
  }
  while (!slug.empty() && slug.back() == '_') slug.pop_back();
  return rev.id + (slug.empty() ? "" : "_" + slug) + ".yaml";
}

// ---- the graph ------------------------------------------------------------------------------

RevisionGraph RevisionGraph::load(const std::filesystem::path& versions, Layout layout) {
  RevisionGraph g;
  if (!std::filesystem::is_directory(versions))
    throw MigrationError("no versions folder at " + versions.string() + "; run `db init` to create the migrations folder");
  std::vector<std::filesystem::path> files;
  for (auto& entry : std::filesystem::directory_iterator(versions))
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (auto& f : files) {
    Revision r = read_revision(f, layout);
    if (g.revisions_.count(r.id))
      throw MigrationError(f.string() + ": revision " + r.id + " is also in " + g.revisions_.at(r.id).path.string() +
                           "; give one of them another id");
    g.revisions_.emplace(r.id, std::move(r));
  }
  for (auto& [id, r] : g.revisions_)
    for (auto& d : r.down_revisions)
      if (!g.revisions_.count(d))
        throw MigrationError(r.path.string() + ": revision " + id + " follows down_revision '" + d +
                             "', which no file in " + versions.string() + " has; restore that file or fix down_revision",
                             ErrorDetails{.location = r.path.string(), .code = "bad-revision"});
  return g;
}

void RevisionGraph::add(Revision revision) {
  if (revisions_.count(revision.id)) throw MigrationError("revision " + revision.id + " exists already");
  for (auto& d : revision.down_revisions)
    if (!revisions_.count(d)) throw MigrationError("revision " + revision.id + " follows unknown revision '" + d + "'");
  revisions_.emplace(revision.id, std::move(revision));
}

const Revision& RevisionGraph::get(std::string_view id) const {
  if (auto it = revisions_.find(id); it != revisions_.end()) return it->second;
  std::vector<std::string> matches;
  for (auto& [rid, r] : revisions_)
    if (!id.empty() && rid.rfind(id, 0) == 0) matches.push_back(rid);
  if (matches.size() == 1) return revisions_.find(matches.front())->second;
  if (matches.empty())
    throw MigrationError("Can't locate revision identified by '" + std::string(id) + "'; `db history` lists them",
                         ErrorDetails{.code = "unknown-revision"});
  throw MigrationError("revision prefix '" + std::string(id) + "' is ambiguous: " + join(matches) + "; give more digits",
                       ErrorDetails{.code = "unknown-revision"});
}

std::vector<std::string> RevisionGraph::heads() const {
  std::set<std::string> followed;
  for (auto& [id, r] : revisions_)
    for (auto& d : r.down_revisions) followed.insert(d);
  std::vector<std::string> out;
  for (auto& [id, r] : revisions_)
    if (!followed.count(id)) out.push_back(id);
  return out;
}

std::vector<std::string> RevisionGraph::bases() const {
  std::vector<std::string> out;
  for (auto& [id, r] : revisions_)
    if (r.down_revisions.empty()) out.push_back(id);
  return out;
}

std::vector<std::string> RevisionGraph::branch_points() const {
  std::map<std::string, int> children;
  for (auto& [id, r] : revisions_)
    for (auto& d : r.down_revisions) ++children[d];
  std::vector<std::string> out;
  for (auto& [id, n] : children)
    if (n > 1) out.push_back(id);
  return out;
}

std::vector<std::string> RevisionGraph::ancestors(std::string_view id) const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::function<void(const std::string&)> walk = [&](const std::string& r) {
    if (!seen.insert(r).second) return;
    for (auto& d : get(r).down_revisions) walk(d);
    out.push_back(r);
  };
  walk(get(id).id);
  return out;
}

std::map<std::string, std::string, std::less<>> RevisionGraph::bind_keys() const {
  std::map<std::string, std::string, std::less<>> out;
  for (auto* r : ordered())
    for (auto& [key, ops] : r->binds) out.try_emplace(key, ops.location);
  return out;
}

RevisionGraph RevisionGraph::for_bind(std::string_view bind_key) const {
  RevisionGraph g;
  for (auto& [id, r] : revisions_) {
    Revision copy;
    copy.id = r.id;
    copy.down_revisions = r.down_revisions;
    copy.message = r.message;
    copy.create_date = r.create_date;
    copy.path = r.path;
    if (auto it = r.binds.find(bind_key); it != r.binds.end()) {
      copy.upgrade = it->second.upgrade;
      copy.downgrade = it->second.downgrade;
    }
    g.revisions_.emplace(id, std::move(copy));
  }
  return g;
}

std::vector<const Revision*> RevisionGraph::ordered() const {
  std::vector<const Revision*> out;
  std::set<std::string> seen;
  std::function<void(const Revision&)> walk = [&](const Revision& r) {
    if (!seen.insert(r.id).second) return;
    for (auto& d : r.down_revisions) walk(revisions_.find(d)->second);
    out.push_back(&r);
  };
  for (auto& [id, r] : revisions_) walk(r);
  return out;
}

std::vector<std::string> RevisionGraph::normalize(std::vector<std::string> heads) const {
  // A head that is below another head is not a head.
  std::sort(heads.begin(), heads.end());
  heads.erase(std::unique(heads.begin(), heads.end()), heads.end());
  std::vector<std::string> out;
  for (auto& h : heads) {
    bool below = false;
    for (auto& other : heads) {
      if (other == h) continue;
      auto anc = ancestors(other);
      if (std::find(anc.begin(), anc.end(), h) != anc.end()) below = true;
    }
    if (!below) out.push_back(h);
  }
  return out;
}

std::vector<std::string> RevisionGraph::after_upgrade(std::vector<std::string> current, const Revision& r) const {
  current.push_back(r.id);
  return normalize(std::move(current));
}

std::vector<std::string> RevisionGraph::after_downgrade(std::vector<std::string> current, const Revision& r) const {
  std::erase(current, r.id);
  for (auto& d : r.down_revisions) current.push_back(d);
  return normalize(std::move(current));
}

std::vector<std::string> RevisionGraph::resolve_upgrade_targets(const std::vector<std::string>& current,
                                                                std::string_view target) const {
  if (target == "head") {
    auto h = heads();
    if (h.size() > 1)
      throw MigrationError("Multiple head revisions are present (" + join(h) +
                               "); merge them with `db merge`, or upgrade to one of them, or to 'heads' for all",
                           ErrorDetails{.code = "multiple-heads"});
    return h;
  }
  if (target == "heads") return heads();
  if (!target.empty() && target[0] == '+') {
    int steps = 0;
    try {
      steps = std::stoi(std::string(target.substr(1)));
    } catch (...) {
      throw MigrationError("relative target '" + std::string(target) + "' must be +N");
    }
    if (current.size() > 1)
      throw MigrationError("relative upgrade from several heads (" + join(current) + ") is ambiguous; give a revision");
    std::string at = current.empty() ? "" : current.front();
    for (int k = 0; k < steps; ++k) {
      std::vector<std::string> next;
      for (auto& [id, r] : revisions_)
        if ((at.empty() && r.down_revisions.empty()) ||
            std::find(r.down_revisions.begin(), r.down_revisions.end(), at) != r.down_revisions.end())
          next.push_back(id);
      if (next.empty())
        throw MigrationError("Relative revision " + std::string(target) + " didn't produce " + std::to_string(steps) +
                             " migrations (only " + std::to_string(k) + " above " + (at.empty() ? "base" : at) + ")");
      if (next.size() > 1)
        throw MigrationError("relative upgrade " + std::string(target) + " reaches a branch (" + join(next) +
                             "); give a revision");
      at = next.front();
    }
    return {at};
  }
  return {get(target).id};
}

std::vector<const Revision*> RevisionGraph::upgrade_path(const std::vector<std::string>& current,
                                                         std::string_view target) const {
  std::set<std::string> applied;
  for (auto& c : current)
    for (auto& a : ancestors(c)) applied.insert(a);
  std::vector<const Revision*> out;
  std::set<std::string> queued;
  for (auto& t : resolve_upgrade_targets(current, target))
    for (auto& a : ancestors(t))  // parents before children
      if (!applied.count(a) && queued.insert(a).second) out.push_back(&get(a));
  return out;
}

std::vector<const Revision*> RevisionGraph::downgrade_path(const std::vector<std::string>& current,
                                                           std::string_view target) const {
  std::set<std::string> keep;
  if (target == "base") {
    // nothing kept
  } else if (!target.empty() && target[0] == '-') {
    int steps = 0;
    try {
      steps = std::stoi(std::string(target.substr(1)));
    } catch (...) {
      throw MigrationError("relative target '" + std::string(target) + "' must be -N");
    }
    if (current.size() != 1)
      throw MigrationError(current.empty() ? "nothing to downgrade: the database is at base"
                                           : "relative downgrade from several heads (" + join(current) + ") is ambiguous");
    std::string at = current.front();
    for (int k = 0; k < steps; ++k) {
      auto& r = get(at);
      if (r.down_revisions.size() > 1)
        throw MigrationError("relative downgrade " + std::string(target) + " reaches merge " + at + "; give a revision");
      if (r.down_revisions.empty()) {
        if (k + 1 < steps)
          throw MigrationError("Relative revision " + std::string(target) + " didn't produce " + std::to_string(steps) +
                               " migrations");
        at.clear();
        break;
      }
      at = r.down_revisions.front();
    }
    if (!at.empty())
      for (auto& a : ancestors(at)) keep.insert(a);
  } else {
    auto& t = get(target);
    for (auto& a : ancestors(t.id)) keep.insert(a);
    bool below = false;
    for (auto& c : current) {
      auto anc = ancestors(c);
      if (std::find(anc.begin(), anc.end(), t.id) != anc.end()) below = true;
    }
    if (!below)
      throw MigrationError("revision " + t.id + " is not below the current revision (" +
                           (current.empty() ? std::string("base") : join(current)) + "); use `db upgrade` to go up");
  }
  std::vector<std::string> applied;
  std::set<std::string> seen;
  for (auto& c : current)
    for (auto& a : ancestors(c))
      if (seen.insert(a).second) applied.push_back(a);
  std::vector<const Revision*> out;
  for (auto it = applied.rbegin(); it != applied.rend(); ++it)  // children before parents
    if (!keep.count(*it)) out.push_back(&get(*it));
  return out;
}

}  // namespace retort::migrate
