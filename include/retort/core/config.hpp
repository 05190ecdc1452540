// Configuration from the process environment, `.env` and `.flaskenv`, with the
// Flask CLI's precedence: environment > .env > .flaskenv. `.env` files follow
// python-dotenv's syntax (see parse_dotenv).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "retort/core/url.hpp"

namespace retort {

/// One `KEY=value` line of a `.env` file. A bare `KEY` has no value.
struct DotenvEntry {
  std::string key;
  std::optional<std::string> value;
  int line = 0;  ///< 1-based line where the entry starts
};

/// Parses `.env` text as python-dotenv does: `export ` prefix, single and double
/// quotes (escapes decoded in double quotes; `\\` and `\'` in single quotes),
/// multi-line quoted values, `#` comments (in unquoted values only after
/// whitespace), empty values. `${VAR}` and `${VAR:-default}` are *not* expanded
/// here (see expand_dotenv). A malformed line throws ConfigError whose location
/// is `origin:line:column`.
std::vector<DotenvEntry> parse_dotenv(std::string_view text, std::string_view origin = "<string>");

/// Expands `${VAR}` and `${VAR:-default}` in each value, top to bottom, as
/// python-dotenv does with override=False: a name set in `environment` wins,
/// then earlier entries of this file; an unknown name expands to "".
/// Returns key → value (a bare `KEY` is left out); a later duplicate wins.
std::map<std::string, std::string> expand_dotenv(const std::vector<DotenvEntry>& entries,
                                                 const std::map<std::string, std::string>& environment);

/// Settings read from the environment and dotenv files.
///
/// **Example**: `auto cfg = Config::from_env(); auto url = cfg.database_url();`
class Config {
 public:
  struct Options {
    /// Where the search for `.env`/`.flaskenv` starts; walks up to the root. Defaults to the working directory.
    std::optional<std::string> start_dir;
    bool load_dotenv = true;  ///< read `.env` and `.flaskenv` at all
    /// The environment to use instead of the process's (tests).
    std::optional<std::map<std::string, std::string>> environment;
  };

  Config() = default;
  /// Reads the environment, then `.env`, then `.flaskenv` (each value from the first that has it).
  static Config from_env(const Options& options);
  static Config from_env() { return from_env(Options{}); }

  /// Sets a value (as `app.config[key] = value`); it wins over everything read.
  void set(std::string key, std::string value, std::string source = "set()");

  std::optional<std::string> get(std::string_view key) const;
  /// Where a key's value came from: "environment", a file path, or "set()".
  std::optional<std::string> source(std::string_view key) const;
  bool get_bool(std::string_view key, bool fallback = false) const;  ///< 1/true/yes/on, 0/false/no/off

  /// `DATABASE_URL`, else `SQLALCHEMY_DATABASE_URI`, parsed. Missing: ConfigError
  /// naming both variables and the files searched. Malformed: ConfigError naming where it came from.
  Url database_url() const;
  /// The other databases by bind key, as Flask-SQLAlchemy's SQLALCHEMY_BINDS:
  /// each `DATABASE_URL_<KEY>=url` (the key in lower case: DATABASE_URL_AUTH is
  /// bind "auth"), and `SQLALCHEMY_BINDS` as a JSON object `{"auth": "url"}`
  /// (DATABASE_URL_<KEY> wins over it). Malformed: ConfigError naming the setting.
  std::map<std::string, Url> binds() const;
  /// The setting that gives a bind its URL: "DATABASE_URL" for "", else "DATABASE_URL_<KEY>".
  static std::string bind_url_setting(std::string_view bind_key);
  /// The read replicas of a bind ("" the default): the comma-separated URLs of
  /// `DATABASE_REPLICA_URLS`, or of `DATABASE_REPLICA_URLS_<KEY>` for a bind.
  std::vector<std::string> replica_urls(std::string_view bind_key = "") const;
  /// `SQLALCHEMY_ECHO` as a boolean.
  bool echo() const { return get_bool("SQLALCHEMY_ECHO"); }

  /// The dotenv files that were read, in precedence order.
  const std::vector<std::string>& files() const noexcept { return files_; }

 private:
  struct Setting {
    std::string value;
    std::string source;
    int line = 0;  ///< the line in `source` when it is a dotenv file
  };
  const Setting* find(std::string_view key) const;
  std::string origin_of(const Setting& setting) const;
  std::map<std::string, Setting, std::less<>> values_;
  std::vector<std::string> files_;
  std::vector<std::string> searched_;  // directories, start first
};

}  // namespace retort
