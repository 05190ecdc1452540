// Models to JSON and back, driven by each column's SQL type: the same value
// (a text "2024-01-01 10:00:00.000000", an integer 1) is written as what the
// column means (an ISO 8601 timestamp, true). The reverse direction checks
// every field before assigning any, so a rejected body changes nothing.
#include "retort/orm/to_dict.hpp"
#include "retort/orm/to_json.hpp"

#include <algorithm>
#include <charconv>
#include <list>
#include <cstdio>

#include "orm/loading.hpp"
#include "orm/relationships.hpp"
#include "retort/core/datetime.hpp"

namespace retort::detail {

namespace {

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(const Bytes& in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < in.size(); i += 3) {
    unsigned n = static_cast<unsigned>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= in[i + 2];
    out += kBase64[(n >> 18) & 63];
    out += kBase64[(n >> 12) & 63];
    out += i + 1 < in.size() ? kBase64[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kBase64[n & 63] : '=';
  }
  return out;
}

bool base64_decode(std::string_view in, Bytes& out) {
  if (in.size() % 4 != 0) return false;
  auto value = [](char c) -> int {
    const char* p = std::find(kBase64, kBase64 + 64, c);
    return p == kBase64 + 64 ? -1 : static_cast<int>(p - kBase64);
  };
  for (std::size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    for (int k = 0; k < 4; ++k) {
      char c = in[i + static_cast<std::size_t>(k)];
      bool pad_ok = c == '=' && k >= 2 && i + 4 == in.size();
      v[k] = pad_ok ? 0 : value(c);
      if (v[k] < 0) return false;
    }
    unsigned n = (static_cast<unsigned>(v[0]) << 18) | (static_cast<unsigned>(v[1]) << 12) |
                 (static_cast<unsigned>(v[2]) << 6) | static_cast<unsigned>(v[3]);
    out.push_back(static_cast<unsigned char>(n >> 16));
    if (in[i + 2] != '=') out.push_back(static_cast<unsigned char>(n >> 8));
    if (in[i + 3] != '=') out.push_back(static_cast<unsigned char>(n));
  }
  return true;
}

/// A decimal's text with at least `scale` digits after the point, as the
/// column declares it (SQLite keeps NUMERIC as REAL, which drops "12.50"'s 0).
std::string decimal_text(const Value& v, int scale) {
  std::string text;
  if (v.kind() == Value::Kind::text) {
    text = v.as_text();
  } else if (v.kind() == Value::Kind::integer) {
    text = std::to_string(v.as_int());
  } else {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", scale, v.as_double());
    return buf;
  }
  if (scale <= 0) return text;
  auto dot = text.find('.');
  if (dot == std::string::npos) {
    text += '.';
    dot = text.size() - 1;
  }
  auto digits = static_cast<int>(text.size() - dot - 1);
  if (digits < scale) text.append(static_cast<std::size_t>(scale - digits), '0');
  return text;
}

nlohmann::json column_json(const SqlType& type, const Value& v) {
  if (v.is_null()) return nullptr;
  switch (type.kind) {
    case TypeKind::boolean: return v.as_bool();
    case TypeKind::numeric: return decimal_text(v, type.scale);
    case TypeKind::date_time: {
      std::string s = v.as_text();
      if (s.size() > 10 && s[10] == ' ') s[10] = 'T';
      return s;
    }
    case TypeKind::json: {
      if (v.kind() != Value::Kind::text) break;
      auto j = nlohmann::json::parse(v.as_text(), nullptr, false);
      return j.is_discarded() ? nlohmann::json(v.as_text()) : j;
    }
    default: break;
  }
  switch (v.kind()) {
    case Value::Kind::null: return nullptr;
    case Value::Kind::boolean: return v.as_bool();
    case Value::Kind::integer: return v.as_int();
    case Value::Kind::real: return v.as_double();
    case Value::Kind::text: return v.as_text();
    case Value::Kind::bytes: return base64_encode(v.as_bytes());
  }
  return nullptr;
}

/// Characters (code points) of UTF-8 text: VARCHAR(n) counts characters, not bytes.
std::size_t characters(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool listed(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

const char* json_kind(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return "an integer";
    case nlohmann::json::value_t::number_float: return "a number";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::object: return "an object";
    default: return "a value";
  }
}

/// The stored form of a JSON value for a column, or an empty optional and `why`.
std::optional<Value> column_value(const ColumnSpec& spec, const nlohmann::json& j, std::string& why) {
  const SqlType& t = spec.type;
  if (j.is_null()) {
    if (!spec.is_nullable()) {
      why = "may not be null";
      return std::nullopt;
    }
    return Value();
  }
  auto expect = [&](const char* what) {
    why = std::string("must be ") + what + ", not " + json_kind(j);
    return std::nullopt;
  };
  try {
    switch (t.kind) {
      case TypeKind::integer:
      case TypeKind::big_integer:
      case TypeKind::small_integer:
        if (!j.is_number_integer()) return expect("an integer");
        return Value(j.get<std::int64_t>());
      case TypeKind::boolean:
        if (!j.is_boolean()) return expect("true or false");
        return Value(j.get<bool>());
      case TypeKind::floating:
        if (!j.is_number()) return expect("a number");
        return Value(j.get<double>());
      case TypeKind::numeric:
        if (j.is_number_integer()) return Value(std::to_string(j.get<std::int64_t>()));
        if (j.is_string()) return Value(Decimal(j.get<std::string>()).str());
        if (j.is_number()) return Value(j.get<double>());
        return expect("a decimal string such as \"12.50\"");
      case TypeKind::string:
      case TypeKind::text:
        if (!j.is_string()) return expect("a string");
        if (t.length && characters(j.get_ref<const std::string&>()) > static_cast<std::size_t>(*t.length)) {
          why = "is longer than " + std::to_string(*t.length) + " characters";
          return std::nullopt;
        }
        return Value(j.get<std::string>());
      case TypeKind::enumeration:
        if (!j.is_string() || !listed(t.enum_values, j.get<std::string>())) {
          std::string allowed;
          for (auto& v : t.enum_values) allowed += (allowed.empty() ? "" : ", ") + v;
          why = "must be one of: " + allowed;
          return std::nullopt;
        }
        return Value(j.get<std::string>());
      case TypeKind::date:
        if (!j.is_string()) return expect("a date string YYYY-MM-DD");
        return Value(to_iso(parse_date(j.get<std::string>())));
      case TypeKind::date_time:
        if (!j.is_string()) return expect("an ISO 8601 timestamp string");
        return Value(to_iso(parse_timestamp(j.get<std::string>())));
      case TypeKind::time:
        if (!j.is_string()) return expect("a time string HH:MM:SS");
        return Value(to_iso(parse_time(j.get<std::string>())));
      case TypeKind::uuid:
        if (!j.is_string()) return expect("a UUID string");
        return Value(Uuid::parse(j.get<std::string>()).str());
      case TypeKind::large_binary: {
        Bytes b;
        if (!j.is_string() || !base64_decode(j.get<std::string>(), b)) return expect("a base64 string");
        return Value(std::move(b));
      }
      case TypeKind::json: return Value(j.dump());
      case TypeKind::unknown: break;
    }
  } catch (const ArgumentError& e) {
    why = e.what();
    return std::nullopt;
  }
  why = "has a column type retort cannot read from JSON";
  return std::nullopt;
}

}  // namespace

namespace {

/// The relationships an `include` list names, as a tree: "pets.toys" and "pets" share "pets".
struct Include {
  std::string name;
  std::vector<Include> below;
};

std::vector<Include> include_tree(const std::vector<std::string>& paths) {
  std::vector<Include> tree;
  for (auto& p : paths) {
    auto* level = &tree;
    std::size_t start = 0;
    while (true) {
      auto dot = p.find('.', start);
      std::string name = p.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      auto it = std::find_if(level->begin(), level->end(), [&](auto& i) { return i.name == name; });
      if (it == level->end()) it = level->insert(level->end(), Include{std::move(name), {}});
      if (dot == std::string::npos) break;
      level = &it->below;
      start = dot + 1;
    }
  }
  return tree;
}

/// Every included path loaded for all objects at once: "pets.toys" → selectinload(pets).selectinload(toys).
void load_includes(const std::vector<InstanceBase*>& instances, const std::vector<std::string>& include, const char* api) {
  if (include.empty() || instances.empty() || !instances.front()->session) return;
  std::vector<LoadPath> paths;
  for (auto& p : include) {
    LoadPath path;
    std::size_t start = 0;
    while (true) {
      auto dot = p.find('.', start);
      path.emplace_back(p.substr(start, dot == std::string::npos ? std::string::npos : dot - start), Lazy::selectin);
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    paths.push_back(std::move(path));
  }
  try {
    load_below(*instances.front()->session, instances, make_plan(*instances.front()->cls, paths, nullptr, 0));
  } catch (const ArgumentError& e) {
    throw ArgumentError(std::string(api) + "(include=...): " + e.what());
  }
}

/// What one object's JSON holds, shared by to_dict (a tree) and to_json (text):
/// the columns (filtered at the top level; the key only for an object already on the
/// path, which ends a cycle), then each included relationship's objects.
struct ObjectWalk {
  const std::vector<Include>& include;
  const ToDictOptions* filter;  ///< top level only
  std::vector<const InstanceBase*>& path;
  int depth;
  int max_depth;
  const char* api;  ///< "to_dict" or "to_json", for error messages

  bool cycle(const InstanceBase& instance) const {
    return std::find(path.begin(), path.end(), &instance) != path.end();
  }
  bool writes_column(const InstanceBase& instance, std::size_t k, bool on_cycle) const {
    if (!filter && !on_cycle) return true;  // below the top level, every column
    const auto& name = instance.cls->columns[k].spec().name;
    const auto& key = instance.cls->primary_key;
    if (on_cycle && std::find(key.begin(), key.end(), k) == key.end()) return false;
    if (filter && !filter->only.empty() && !listed(filter->only, name)) return false;
    return !(filter && listed(filter->exclude, name));
  }
  /// Calls `visit(name, relationship, objects)` for each include, with `path` holding `instance`.
  template <class Visit>
  void relationships(InstanceBase& instance, Visit&& visit) const {
    if (include.empty()) return;
    if (depth >= max_depth)
      throw ArgumentError(std::string(api) + "(include=...) nests deeper than max_depth=" + std::to_string(max_depth) + " at '" +
                          include.front().name + "'; raise max_depth or shorten the path");
    path.push_back(&instance);
    for (auto& inc : include) {
      const RelationshipInfo* rel = nullptr;
      try {
        rel = &relationship_named(*instance.cls, inc.name);
      } catch (const ArgumentError& e) {
        throw ArgumentError(std::string(api) + "(include=...): " + e.what());
      }
      auto& state = state_of(&instance, *rel);
      std::vector<InstanceBase*> fetched;
      if (rel->kind == MemberKind::dynamic) fetched = state.query().fetch();
      const auto& related = rel->kind == MemberKind::dynamic ? fetched : state.items();
      visit(inc, *rel, related, ObjectWalk{inc.below, nullptr, path, depth + 1, max_depth, api});
    }
    path.pop_back();
  }
};

nlohmann::json dict_of(InstanceBase& instance, const ObjectWalk& walk) {
  nlohmann::json out = nlohmann::json::object();
  bool cycle = walk.cycle(instance);
  for (std::size_t k = 0; k < instance.cls->columns.size(); ++k) {
    if (!walk.writes_column(instance, k, cycle)) continue;
    const auto& c = instance.cls->columns[k];
    out[c.spec().name] = column_json(c.spec().type, c.access->get(instance.object));
  }
  if (cycle) return out;
  walk.relationships(instance, [&](const Include& inc, const RelationshipInfo& rel, const std::vector<InstanceBase*>& related,
                                   const ObjectWalk& below) {
    if (rel.scalar()) {
      out[inc.name] = related.empty() ? nlohmann::json(nullptr) : dict_of(*related.front(), below);
    } else {
      auto list = nlohmann::json::array();
      for (auto* r : related) list.push_back(dict_of(*r, below));
      out[inc.name] = std::move(list);
    }
  });
  return out;
}

/// JSON text in one of the two styles.
class JsonWriter {
 public:
  JsonWriter(std::string& out, JsonStyle style) : out_(out), python_(style == JsonStyle::python) {}

  void comma() { out_.append(", ", python_ ? 2 : 1); }
  void key(std::string_view name) {
    string(name);
    out_.append(": ", python_ ? 2 : 1);
  }
  void integer(std::int64_t v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, end);
  }
  /// A string, escaped: always '"', '\\' and control characters; in the python style
  /// also DEL and everything beyond ASCII (as \uXXXX, with surrogate pairs).
  void string(std::string_view s) {
    out_ += '"';
    std::size_t i = 0;
    while (i < s.size() && printable_ascii(s[i])) ++i;  // most text: one copy, no escape
    if (i == s.size()) {
      out_.append(s);
      out_ += '"';
      return;
    }
    std::size_t plain = 0;  // start of the run not yet copied
    while (i < s.size()) {
      auto c = static_cast<unsigned char>(s[i]);
      bool as_is = c < 0x80 ? c >= 0x20 && c != '"' && c != '\\' && !(c == 0x7f && python_)
                            : !python_ && valid_utf8_at(s, i);
      if (as_is) {
        i += c < 0x80 ? 1 : utf8_length(c);
        continue;
      }
      out_.append(s, plain, i - plain);
      i = escape_at(s, i);
      plain = i;
    }
    out_.append(s, plain, std::string_view::npos);
    out_ += '"';
  }
  /// Any JSON value, in this writer's style.
  void value(const nlohmann::json& j) {
    switch (j.type()) {
      case nlohmann::json::value_t::object: {
        out_ += '{';
        bool first = true;
        for (auto& [k, v] : j.items()) {
          if (!first) comma();
          first = false;
          key(k);
          value(v);
        }
        out_ += '}';
        return;
      }
      case nlohmann::json::value_t::array: {
        out_ += '[';
        for (std::size_t i = 0; i < j.size(); ++i) {
          if (i) comma();
          value(j[i]);
        }
        out_ += ']';
        return;
      }
      case nlohmann::json::value_t::string: string(j.get_ref<const std::string&>()); return;
      default: out_ += j.dump(); return;  // numbers, booleans, null
    }
  }
  /// Writes `"name": ` (or `"name":`) for column `k` of `cls`, after a separator
  /// unless `first`: escaped once per class and writer, appended in one piece.
  void column_key(const ClassInfo& cls, std::size_t k, bool first) {
    if (last_keys_ == keys_.end() || last_keys_->first != &cls) {
      last_keys_ = std::find_if(keys_.begin(), keys_.end(), [&](auto& entry) { return entry.first == &cls; });
      if (last_keys_ == keys_.end()) {
        std::vector<std::string> keys;  // ", " + key: the key alone starts after the separator
        for (auto& c : cls.columns) {
          std::string text;
          JsonWriter sub(text, python_ ? JsonStyle::python : JsonStyle::compact);
          sub.comma();
          sub.key(c.spec().name);
          keys.push_back(std::move(text));
        }
        last_keys_ = keys_.emplace(keys_.end(), &cls, std::move(keys));
      }
    }
    const std::string& text = last_keys_->second[k];
    std::size_t separator = python_ ? 2 : 1;
    if (first) out_.append(text, separator, std::string::npos);
    else out_.append(text);
  }
  std::string& out() { return out_; }

 private:
  /// Printable ASCII other than '"' and '\\': the same in both styles.
  static bool printable_ascii(char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  }
  static std::size_t utf8_length(unsigned char lead) { return lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2; }
  /// Whether a well-formed UTF-8 sequence starts at s[i] (no overlong forms, no surrogates).
  static bool valid_utf8_at(std::string_view s, std::size_t i) { return decode(s, i).second != 0; }
  /// The code point at s[i] and its length in bytes; length 0 when malformed.
  static std::pair<char32_t, std::size_t> decode(std::string_view s, std::size_t i) {
    auto lead = static_cast<unsigned char>(s[i]);
    if (lead < 0x80) return {lead, 1};
    if (lead < 0xC2 || lead > 0xF4) return {0, 0};
    std::size_t n = utf8_length(lead);
    if (i + n > s.size()) return {0, 0};
    char32_t cp = lead & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
    for (std::size_t k = 1; k < n; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return {0, 0};
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < smallest[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {0, 0};
    return {cp, n};
  }
  void unit(unsigned u) {
    static constexpr char hex[] = "0123456789abcdef";
    out_ += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out_ += hex[(u >> shift) & 0xF];
  }
  /// Writes the escape for the character at s[i]; returns the index after it.
  std::size_t escape_at(std::string_view s, std::size_t i) {
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out_ += "\\\""; return i + 1;
      case '\\': out_ += "\\\\"; return i + 1;
      case '\b': out_ += "\\b"; return i + 1;
      case '\f': out_ += "\\f"; return i + 1;
      case '\n': out_ += "\\n"; return i + 1;
      case '\r': out_ += "\\r"; return i + 1;
      case '\t': out_ += "\\t"; return i + 1;
      default: break;
    }
    auto [cp, n] = decode(s, i);
    if (n == 0) {  // malformed: one byte becomes U+FFFD
      if (python_) unit(0xFFFD);
      else out_ += "\xEF\xBF\xBD";
      return i + 1;
    }
    if (cp >= 0x10000) {
      unit(0xD800 + ((cp - 0x10000) >> 10));
      unit(0xDC00 + ((cp - 0x10000) & 0x3FF));
    } else {
      unit(cp);
    }
    return i + n;
  }

  std::string& out_;
  bool python_;
  using ClassKeys = std::list<std::pair<const ClassInfo*, std::vector<std::string>>>;
  ClassKeys keys_;  ///< column_key's texts, per class
  ClassKeys::iterator last_keys_ = keys_.end();
};

/// One column's value: integers and text directly, the rest as to_dict encodes it.
void write_column(JsonWriter& w, const SqlType& type, const Value& v) {
  bool plain = type.kind != TypeKind::boolean && type.kind != TypeKind::numeric && type.kind != TypeKind::date_time &&
               type.kind != TypeKind::json;
  if (v.is_null()) w.out() += "null";
  else if (plain && v.kind() == Value::Kind::integer) w.integer(v.as_int());
  else if (plain && v.kind() == Value::Kind::text) w.string(v.as_text());
  else w.value(column_json(type, v));
}

void write_object(JsonWriter& w, InstanceBase& instance, const ObjectWalk& walk) {
  w.out() += '{';
  bool first = true;
  auto next = [&] {
    if (!first) w.comma();
    first = false;
  };
  bool cycle = walk.cycle(instance);
  for (std::size_t k = 0; k < instance.cls->columns.size(); ++k) {
    if (!walk.writes_column(instance, k, cycle)) continue;
    const auto& c = instance.cls->columns[k];
    w.column_key(*instance.cls, k, first);
    first = false;
    write_column(w, c.spec().type, c.access->get(instance.object));
  }
  if (!cycle) {
    walk.relationships(instance, [&](const Include& inc, const RelationshipInfo& rel,
                                     const std::vector<InstanceBase*>& related, const ObjectWalk& below) {
      next();
      w.key(inc.name);
      if (rel.scalar()) {
        if (related.empty()) w.out() += "null";
        else write_object(w, *related.front(), below);
        return;
      }
      w.out() += '[';
      for (std::size_t i = 0; i < related.size(); ++i) {
        if (i) w.comma();
        write_object(w, *related[i], below);
      }
      w.out() += ']';
    });
  }
  w.out() += '}';
}

}  // namespace

nlohmann::json to_dict(const InstanceBase& instance, const ToDictOptions& options) {
  std::vector<const InstanceBase*> path;
  auto tree = include_tree(options.include);
  return dict_of(const_cast<InstanceBase&>(instance), ObjectWalk{tree, &options, path, 0, options.max_depth, "to_dict"});
}

nlohmann::json to_dict_all(const std::vector<InstanceBase*>& instances, const ToDictOptions& options) {
  load_includes(instances, options.include, "to_dict");
  std::vector<const InstanceBase*> path;
  auto tree = include_tree(options.include);
  ObjectWalk walk{tree, &options, path, 0, options.max_depth, "to_dict"};
  auto out = nlohmann::json::array();
  for (auto* i : instances) out.push_back(dict_of(*i, walk));
  return out;
}

std::string to_json_all(const std::vector<InstanceBase*>& instances, const ToDictOptions& options, JsonStyle style,
                        bool array) {
  load_includes(instances, options.include, "to_json");
  std::vector<const InstanceBase*> path;
  auto tree = include_tree(options.include);
  ObjectWalk walk{tree, &options, path, 0, options.max_depth, "to_json"};
  std::string text;
  JsonWriter w(text, style);
  if (array) text += '[';
  for (std::size_t i = 0; i < instances.size(); ++i) {
    if (i) w.comma();
    write_object(w, *instances[i], walk);
  }
  if (array) text += ']';
  return text;
}

void assign_from_dict(const ClassInfo& cls, void* object, const nlohmann::json& data, bool partial) {
  if (!data.is_object())
    throw ValidationError(cls.type_name + " data must be a JSON object, not " + std::string(json_kind(data)), {});
  std::vector<std::string> bad;
  std::string message;
  std::vector<std::pair<std::size_t, Value>> assignments;
  for (auto& item : data.items()) {
    const std::string& key = item.key();  // not a structured binding: clang 14 cannot capture one
    const nlohmann::json& value = item.value();
    auto it = std::find_if(cls.columns.begin(), cls.columns.end(), [&](auto& c) { return c.spec().name == key; });
    if (it == cls.columns.end()) {
      bad.push_back(key);
      message += "\n  " + key + ": unknown field";
      continue;
    }
    auto index = static_cast<std::size_t>(it - cls.columns.begin());
    if (static_cast<int>(index) == cls.autoincrement) {
      bad.push_back(key);
      message += "\n  " + key + ": is generated by the database; leave it out";
      continue;
    }
    std::string why;
    auto v = column_value(it->spec(), value, why);
    if (!v) {
      bad.push_back(key);
      message += "\n  " + key + ": " + why;
      continue;
    }
    assignments.emplace_back(index, std::move(*v));
  }
  if (!partial) {
    for (std::size_t i = 0; i < cls.columns.size(); ++i) {
      auto& spec = cls.columns[i].spec();
      bool required = !spec.is_nullable() && !spec.default_value && !spec.server_default &&
                      static_cast<int>(i) != cls.autoincrement;
      if (required && !data.contains(spec.name)) {
        bad.push_back(spec.name);
        message += "\n  " + spec.name + ": is required";
      }
    }
  }
  if (!bad.empty()) {
    std::string known;
    for (auto& c : cls.columns) known += (known.empty() ? "" : ", ") + c.spec().name;
    throw ValidationError("invalid " + cls.type_name + " data:" + message + "\n(" + cls.type_name + "'s fields: " + known + ")",
                          std::move(bad));
  }
  for (auto& [index, v] : assignments) cls.columns[index].access->set(object, v);
}

}  // namespace retort::detail
