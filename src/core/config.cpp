// Config: settings from the process environment, `.env` and `.flaskenv`, searched and ranked as
// the Flask CLI does (python-dotenv's find_dotenv walks up from the working directory; nothing
// overrides a variable already set, so environment > .env > .flaskenv). Each value remembers
// where it came from, so a bad or missing DATABASE_URL can be reported with its file and line.
#include <unistd.h>  // environ

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>

#include <nlohmann/json.hpp>

#include "retort/core/config.hpp"
#include "retort/core/error.hpp"

namespace retort {
namespace {

namespace fs = std::filesystem;

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    std::size_t eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    env.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
  }
  return env;
}

/// Reads a dotenv file as Python's text mode would: UTF-8, `\r\n` and `\r` read as `\n`.
/// (A leading byte-order mark is dropped too; python-dotenv would make it part of the first name.)
std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ErrorDetails details;
    details.location = path.string();
    details.code = "bad-dotenv";
    throw ConfigError("cannot read " + path.string() + ": the file exists but could not be opened; check its permissions",
                      std::move(details));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string raw = std::move(buffer).str();
  std::size_t start = raw.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  std::string text;
  text.reserve(raw.size());
  for (std::size_t i = start; i < raw.size(); ++i) {
    if (raw[i] == '\r') {
      text += '\n';
      if (i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
    } else {
      text += raw[i];
    }
  }
  return text;
}

/// The directory itself, then each parent up to the root, as python-dotenv's _walk_to_root.
std::vector<std::string> walk_to_root(fs::path start) {
  start = fs::absolute(start).lexically_normal();
  if (!start.has_filename() && start.has_relative_path()) start = start.parent_path();  // "/a/b/" -> "/a/b"
  std::vector<std::string> dirs;
  for (fs::path dir = start;; dir = dir.parent_path()) {
    dirs.push_back(dir.string());
    if (dir.parent_path() == dir || dir.parent_path().empty()) break;
  }
  return dirs;
}

std::string join_paths(const std::vector<std::string>& paths) {
  std::string out;
  for (const auto& p : paths) {
    if (!out.empty()) out += ", ";
    out += p;
  }
  return out;
}

}  // namespace

Config Config::from_env(const Options& options) {
  Config config;
  std::map<std::string, std::string> seen = options.environment ? *options.environment : process_environment();
  for (const auto& [key, value] : seen) config.values_.emplace(key, Setting{value, "environment", 0});
  if (!options.load_dotenv) return config;

  config.searched_ = walk_to_root(options.start_dir ? fs::path(*options.start_dir) : fs::current_path());
  for (const char* name : {".env", ".flaskenv"}) {
    for (const auto& dir : config.searched_) {
      std::error_code ec;
      if (fs::is_regular_file(fs::path(dir) / name, ec)) {
        config.files_.push_back((fs::path(dir) / name).string());
        break;
      }
    }
  }
  // Each file expands `${VAR}` against what is already set (the environment, then earlier files),
  // and adds only the names nobody has set yet.
  for (const auto& file : config.files_) {
    const std::string& origin = file;
    auto entries = parse_dotenv(read_text(file), origin);
    std::map<std::string, int> line_of;
    for (const auto& entry : entries) line_of[entry.key] = entry.line;
    for (auto& [key, value] : expand_dotenv(entries, seen)) {
      if (config.values_.contains(key)) continue;
      seen.emplace(key, value);
      config.values_.emplace(key, Setting{std::move(value), origin, line_of[key]});
    }
  }
  return config;
}

void Config::set(std::string key, std::string value, std::string source) {
  values_.insert_or_assign(std::move(key), Setting{std::move(value), std::move(source), 0});
}

const Config::Setting* Config::find(std::string_view key) const {
  auto it = values_.find(key);
  return it == values_.end() ? nullptr : &it->second;
}

std::string Config::origin_of(const Setting& setting) const {
  if (setting.line > 0) return setting.source + ":" + std::to_string(setting.line);
  if (setting.source == "environment") return "the environment";
  return setting.source;
}

std::optional<std::string> Config::get(std::string_view key) const {
  const Setting* s = find(key);
  return s ? std::optional<std::string>(s->value) : std::nullopt;
}

std::optional<std::string> Config::source(std::string_view key) const {
  const Setting* s = find(key);
  return s ? std::optional<std::string>(s->source) : std::nullopt;
}

bool Config::get_bool(std::string_view key, bool fallback) const {
  const Setting* s = find(key);
  if (s == nullptr) return fallback;
  std::string v = s->value;
  auto is_blank = [](unsigned char c) { return std::isspace(c) != 0; };
  v.erase(v.begin(), std::find_if_not(v.begin(), v.end(), is_blank));
  v.erase(std::find_if_not(v.rbegin(), v.rend(), is_blank).base(), v.end());
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* yes : {"1", "true", "yes", "on"}) {
    if (v == yes) return true;
  }
  for (const char* no : {"0", "false", "no", "off", ""}) {
    if (v == no) return false;
  }
  ErrorDetails details;
  details.location = s->line > 0 ? origin_of(*s) : "";
  details.code = "bad-bool";
  throw ConfigError(std::string(key) + "=\"" + s->value + "\" (from " + origin_of(*s) +
                        ") is not a boolean: expected 1/true/yes/on or 0/false/no/off",
                    std::move(details));
}

Url Config::database_url() const {
  std::string name = "DATABASE_URL";
  const Setting* s = find(name);
  if (s == nullptr) {
    name = "SQLALCHEMY_DATABASE_URI";
    s = find(name);
  }
  if (s == nullptr) {
    std::string searched;
    if (!files_.empty()) {
      searched = "the environment or " + join_paths(files_) + " (found walking up from " + searched_.front() + ")";
    } else if (!searched_.empty()) {
      searched = "the environment, and no .env/.flaskenv found walking up from " + searched_.front();
    } else {
      searched = "the environment (.env/.flaskenv not read: Options::load_dotenv is false)";
    }
    ErrorDetails details;
    details.code = "no-database-url";
    throw ConfigError("no database URL: neither DATABASE_URL nor SQLALCHEMY_DATABASE_URI is set in " + searched +
                          ". Set one, e.g. a line DATABASE_URL=sqlite:///app.db in .env",
                      std::move(details));
  }
  try {
    return Url::parse(s->value);
  } catch (const ConfigError& e) {
    ErrorDetails details = e.details();
    if (s->line > 0) details.location = origin_of(*s);
    throw ConfigError(name + " from " + origin_of(*s) + " is not a valid database URL: " + e.what(), std::move(details));
  }
}

namespace {

std::string lower(std::string_view text) {
  std::string out;
  for (char c : text) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string upper(std::string_view text) {
  std::string out;
  for (char c : text) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::map<std::string, Url> Config::binds() const {
  std::map<std::string, Url> out;
  auto parse = [&](const std::string& name, const std::string& text, const Setting& from) {
    try {
      return Url::parse(text);
    } catch (const ConfigError& e) {
      throw ConfigError(name + " from " + origin_of(from) + " is not a valid database URL: " + e.what(),
                        ErrorDetails{.location = origin_of(from)});
    }
  };
  if (const Setting* s = find("SQLALCHEMY_BINDS")) {
    nlohmann::json binds;
    try {
      binds = nlohmann::json::parse(s->value);
    } catch (const nlohmann::json::exception&) {
      binds = nullptr;
    }
    if (!binds.is_object())
      throw ConfigError("SQLALCHEMY_BINDS from " + origin_of(*s) +
                            " must be a JSON object of bind keys and URLs, e.g. {\"auth\": \"sqlite:///auth.db\"}",
                        ErrorDetails{.location = origin_of(*s)});
    for (auto& [key, url] : binds.items()) {
      if (!url.is_string() || key.empty())
        throw ConfigError("SQLALCHEMY_BINDS from " + origin_of(*s) + ": the bind '" + key +
                              "' must map a non-empty key to a URL string",
                          ErrorDetails{.location = origin_of(*s)});
      out.insert_or_assign(key, parse("SQLALCHEMY_BINDS[\"" + key + "\"]", url.get<std::string>(), *s));
    }
  }
  constexpr std::string_view prefix = "DATABASE_URL_";
  for (const auto& [name, setting] : values_) {
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    out.insert_or_assign(lower(std::string_view(name).substr(prefix.size())), parse(name, setting.value, setting));
  }
  return out;
}

std::string Config::bind_url_setting(std::string_view bind_key) {
  return bind_key.empty() ? "DATABASE_URL" : "DATABASE_URL_" + upper(bind_key);
}

std::vector<std::string> Config::replica_urls(std::string_view bind_key) const {
  std::string name = "DATABASE_REPLICA_URLS";
  if (!bind_key.empty()) name += "_" + upper(bind_key);
  const Setting* s = find(name);
  std::vector<std::string> out;
  if (!s) return out;
  std::stringstream in(s->value);
  for (std::string url; std::getline(in, url, ',');) {
    url.erase(0, url.find_first_not_of(" \t"));
    url.erase(url.find_last_not_of(" \t") + 1);
    if (url.empty()) continue;
    try {
      (void)Url::parse(url);
    } catch (const ConfigError& e) {
      throw ConfigError(name + " from " + origin_of(*s) + ": '" + url + "' is not a valid database URL: " + e.what(),
                        ErrorDetails{.location = origin_of(*s)});
    }
    out.push_back(url);
  }
  return out;
}

}  // namespace retort
