// Models to JSON and back, driven by each column's SQL type: the same value
// (a text "2024-01-01 10:00:00.000000", an integer 1) is written as what the
// column means (an ISO 8601 timestamp, true). The reverse direction checks
// every field before assigning any, so a rejected body changes nothing.
#include "retort/orm/to_dict.hpp"

#include <algorithm>
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

/// The object's columns (filtered at the top level), then the relationships
/// `include` names, nested; an object already on the path is written as its key only.
nlohmann::json dict_of(InstanceBase& instance, const std::vector<std::string>& include, const ToDictOptions* filter,
                       std::vector<const InstanceBase*>& path, int depth, int max_depth) {
  nlohmann::json out = nlohmann::json::object();
  bool cycle = std::find(path.begin(), path.end(), &instance) != path.end();
  for (std::size_t k = 0; k < instance.cls->columns.size(); ++k) {
    const auto& c = instance.cls->columns[k];
    const auto& name = c.spec().name;
    if (cycle && std::find(instance.cls->primary_key.begin(), instance.cls->primary_key.end(), k) ==
                     instance.cls->primary_key.end())
      continue;
    if (filter && !filter->only.empty() && !listed(filter->only, name)) continue;
    if (filter && listed(filter->exclude, name)) continue;
    out[name] = column_json(c.spec().type, c.access->get(instance.object));
  }
  if (cycle || include.empty()) return out;
  // "pets.toys" and "pets" share "pets": group the rest of each path by its first name.
  std::vector<std::pair<std::string, std::vector<std::string>>> heads;
  for (auto& p : include) {
    auto dot = p.find('.');
    std::string head = p.substr(0, dot);
    auto it = std::find_if(heads.begin(), heads.end(), [&](auto& h) { return h.first == head; });
    if (it == heads.end()) {
      heads.emplace_back(head, std::vector<std::string>{});
      it = heads.end() - 1;
    }
    if (dot != std::string::npos) it->second.push_back(p.substr(dot + 1));
  }
  if (depth >= max_depth)
    throw ArgumentError("to_dict(include=...) nests deeper than max_depth=" + std::to_string(max_depth) + " at '" +
                        heads.front().first + "'; raise max_depth or shorten the path");
  path.push_back(&instance);
  for (auto& [head, rest] : heads) {
    const RelationshipInfo* rel = nullptr;
    try {
      rel = &relationship_named(*instance.cls, head);
    } catch (const ArgumentError& e) {
      throw ArgumentError(std::string("to_dict(include=...): ") + e.what());
    }
    auto& state = state_of(&instance, *rel);
    std::vector<InstanceBase*> related =
        rel->kind == MemberKind::dynamic ? state.query().fetch() : state.items();
    if (rel->scalar()) {
      out[head] = related.empty() ? nlohmann::json(nullptr) : dict_of(*related.front(), rest, nullptr, path, depth + 1, max_depth);
    } else {
      auto list = nlohmann::json::array();
      for (auto* r : related) list.push_back(dict_of(*r, rest, nullptr, path, depth + 1, max_depth));
      out[head] = std::move(list);
    }
  }
  path.pop_back();
  return out;
}

}  // namespace

nlohmann::json to_dict(const InstanceBase& instance, const ToDictOptions& options) {
  std::vector<const InstanceBase*> path;
  return dict_of(const_cast<InstanceBase&>(instance), options.include, &options, path, 0, options.max_depth);
}

nlohmann::json to_dict_all(const std::vector<InstanceBase*>& instances, const ToDictOptions& options) {
  if (!options.include.empty() && !instances.empty() && instances.front()->session) {
    // Every included path is loaded for all objects at once: "pets.toys" → selectinload(pets).selectinload(toys).
    std::vector<LoadPath> paths;
    for (auto& include : options.include) {
      LoadPath path;
      std::size_t start = 0;
      while (true) {
        auto dot = include.find('.', start);
        path.emplace_back(include.substr(start, dot == std::string::npos ? std::string::npos : dot - start), Lazy::selectin);
        if (dot == std::string::npos) break;
        start = dot + 1;
      }
      paths.push_back(std::move(path));
    }
    try {
      load_below(*instances.front()->session, instances, make_plan(*instances.front()->cls, paths, nullptr, 0));
    } catch (const ArgumentError& e) {
      throw ArgumentError(std::string("to_dict(include=...): ") + e.what());
    }
  }
  auto out = nlohmann::json::array();
  for (auto* i : instances) out.push_back(to_dict(*i, options));
  return out;
}

void assign_from_dict(const ClassInfo& cls, void* object, const nlohmann::json& data, bool partial) {
  if (!data.is_object())
    throw ValidationError(cls.type_name + " data must be a JSON object, not " + std::string(json_kind(data)), {});
  std::vector<std::string> bad;
  std::string message;
  std::vector<std::pair<std::size_t, Value>> assignments;
  for (auto& [key, value] : data.items()) {
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
