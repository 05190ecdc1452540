// Database URLs: parsing and rendering of dialect[+driver]://user:password@host:port/database?k=v,
// the grammar SQLAlchemy reads. The parser is a hand-written scanner rather than SQLAlchemy's
// regex so that every malformed input is reported with its column and what was expected there;
// the sqlite forms (relative, absolute, memory) follow SQLAlchemy's slash counting.
#include "retort/core/url.hpp"

#include <cctype>
#include <algorithm>
#include <cstddef>
#include <utility>

#include "retort/core/error.hpp"

namespace retort {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_unreserved(char c) { return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~'; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// How a character is shown in a message: printable as itself, the rest as \xNN.
std::string show_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  static const char* digits = "0123456789ABCDEF";
  return std::string("byte 0x") + digits[u >> 4] + digits[u & 15];
}

/// Parses one URL, remembering the whole text so errors can point into it.
class UrlParser {
 public:
  explicit UrlParser(std::string_view text) : text_(text) {}

  Url parse() {
    if (text_.empty()) {
      fail(0, "expected a database URL such as 'sqlite:///app.db' or 'postgresql://user:password@host/db', found an empty string",
           "set DATABASE_URL to a URL");
    }
    for (std::size_t i = 0; i < text_.size(); ++i) {
      auto u = static_cast<unsigned char>(text_[i]);
      if (u < 0x20 || u == 0x7f) {
        fail(i, "expected printable characters, found " + show_char(text_[i]),
             "remove control characters and newlines (percent-encode them if they belong in a value)");
      }
    }
    Url url;
    std::size_t pos = parse_scheme(url);
    std::size_t authority_end = text_.find_first_of("/?", pos);
    if (authority_end == std::string_view::npos) authority_end = text_.size();
    parse_authority(url, pos, authority_end);
    pos = authority_end;
    std::size_t query_start = text_.find('?', pos);
    std::size_t path_end = query_start == std::string_view::npos ? text_.size() : query_start;
    if (pos < path_end) {  // text_[pos] == '/'
      url.database = decode(pos + 1, path_end, "the database name");
    }
    if (query_start != std::string_view::npos) parse_query(url, query_start + 1);
    if (url.dialect == "sqlite") check_sqlite(url, authority_end);
    return url;
  }

 private:
  [[noreturn]] void fail(std::size_t index, const std::string& expected, const std::string& fix) const {
    int column = static_cast<int>(index) + 1;
    std::string message = "invalid database URL at column " + std::to_string(column) + ": " + expected;
    if (!fix.empty()) message += "; " + fix;
    if (!text_.empty()) message += " (URL: " + masked() + ")";
    ErrorDetails details;
    details.location = "<url>:1:" + std::to_string(column);
    details.code = "bad-url";
    throw ConfigError(message, std::move(details));
  }

  /// The text with whatever sits between "user:" and the last '@' replaced by ***.
  std::string masked() const {
    std::size_t start = text_.find("://");
    if (start == std::string_view::npos) return std::string(text_);
    start += 3;
    std::size_t end = text_.find_first_of("/?", start);
    if (end == std::string_view::npos) end = text_.size();
    std::size_t at = text_.rfind('@', end);
    if (at == std::string_view::npos || at < start) return std::string(text_);
    std::size_t colon = text_.find(':', start);
    if (colon == std::string_view::npos || colon > at) return std::string(text_);
    return std::string(text_.substr(0, colon + 1)) + "***" + std::string(text_.substr(at));
  }

  std::size_t parse_scheme(Url& url) const {
    std::size_t sep = text_.find("://");
    std::size_t colon = text_.find(':');
    if (sep == std::string_view::npos || colon < sep) {
      // No "://", or a ':' before it: point at the first thing that is not scheme text.
      std::size_t i = 0;
      while (i < text_.size() && (is_alpha(text_[i]) || is_digit(text_[i]) || text_[i] == '_' || text_[i] == '+')) ++i;
      if (i == 0) {
        fail(0, "expected a scheme such as 'sqlite' or 'postgresql' followed by '://', found " + show_char(text_[0]),
             "start the URL with the dialect name, e.g. 'sqlite:///app.db'");
      }
      if (i == text_.size()) {
        fail(i, "expected '://' after the scheme '" + std::string(text_) + "'",
             "write it as '" + std::string(text_) + "://...', e.g. 'sqlite:///app.db'");
      }
      if (text_[i] == ':') {
        fail(i, "expected '://' after the scheme, found '" + std::string(text_.substr(i, text_.find_first_not_of(":/", i) - i)) + "'",
             "use 'sqlite:///relative.db' or 'sqlite:////absolute/path.db' (three or four slashes)");
      }
      fail(i, "expected a letter, digit, '_', '+' or '://' in the scheme, found " + show_char(text_[i]),
           "the scheme is dialect[+driver], e.g. 'postgresql+psycopg2'");
    }
    if (sep == 0) {
      fail(0, "expected a scheme (the dialect, e.g. 'sqlite' or 'postgresql') before '://'", "write e.g. 'sqlite:///app.db'");
    }
    std::string_view scheme = text_.substr(0, sep);
    std::size_t plus = scheme.find('+');
    std::string_view dialect = scheme.substr(0, plus);
    if (dialect.empty()) fail(0, "expected a dialect name before '+'", "write e.g. 'postgresql+psycopg2://...'");
    if (!is_alpha(dialect[0])) {
      fail(0, "expected the dialect name to start with a letter, found " + show_char(dialect[0]), "write e.g. 'postgresql://...'");
    }
    for (std::size_t i = 0; i < scheme.size(); ++i) {
      char c = scheme[i];
      if (is_alpha(c) || is_digit(c) || c == '_' || (c == '+' && i == plus)) continue;
      if (c == '+') fail(i, "expected at most one '+' in the scheme", "the scheme is dialect[+driver]");
      fail(i, "expected a letter, digit, '_' or '+' in the scheme, found " + show_char(c),
           "the scheme is dialect[+driver], e.g. 'postgresql+psycopg2'");
    }
    if (plus != std::string_view::npos) {
      if (plus + 1 == scheme.size()) fail(plus + 1, "expected a driver name after '+'", "drop the '+' or name the driver");
      url.driver = lower(scheme.substr(plus + 1));
    }
    url.dialect = lower(dialect);
    if (url.dialect == "postgres") url.dialect = "postgresql";
    return sep + 3;
  }

  void parse_authority(Url& url, std::size_t begin, std::size_t end) {
    std::size_t at = text_.rfind('@', end == 0 ? 0 : end - 1);
    std::size_t host_begin = begin;
    if (at != std::string_view::npos && at >= begin && at < end) {
      std::size_t colon = text_.find(':', begin);
      if (colon != std::string_view::npos && colon < at) {
        url.username = decode(begin, colon, "the user name");
        url.password = decode(colon + 1, at, "the password");
      } else {
        url.username = decode(begin, at, "the user name");
      }
      host_begin = at + 1;
    }
    std::size_t port_colon = std::string_view::npos;
    if (host_begin < end && text_[host_begin] == '[') {
      std::size_t close = text_.find(']', host_begin);
      if (close == std::string_view::npos || close > end) {
        fail(host_begin, "expected ']' to close the IPv6 address opened here",
             "write IPv6 hosts in brackets, e.g. 'postgresql://user@[::1]:5432/db'");
      }
      std::string_view address = text_.substr(host_begin + 1, close - host_begin - 1);
      if (address.empty()) fail(host_begin + 1, "expected an IPv6 address between '[' and ']'", "e.g. '[::1]'");
      bool zone = false;
      for (std::size_t i = 0; i < address.size(); ++i) {
        char c = address[i];
        if (zone ? is_unreserved(c) : (is_hex(c) || c == ':' || c == '.')) continue;
        if (!zone && c == '%' && i > 0) {
          zone = true;
          continue;
        }
        fail(host_begin + 1 + i, "expected an IPv6 address (hex digits, ':' and '.'), found " + show_char(c), "e.g. '[::1]'");
      }
      url.host = std::string(address);
      std::size_t after = close + 1;
      if (after < end) {
        if (text_[after] != ':') {
          fail(after, "expected ':', '/', '?' or the end after the IPv6 address, found " + show_char(text_[after]),
               "write the port as '[::1]:5432'");
        }
        port_colon = after;
      }
    } else {
      std::size_t colon = text_.find(':', host_begin);
      std::size_t host_end = (colon != std::string_view::npos && colon < end) ? colon : end;
      for (std::size_t i = host_begin; i < host_end; ++i) {
        char c = text_[i];
        if (is_unreserved(c)) continue;
        if (c == ']' || c == '[') {
          fail(i, "expected a host name, found " + show_char(c), "write IPv6 hosts in brackets, e.g. '[::1]'");
        }
        fail(i, "expected a host name (letters, digits, '-', '.', '_'), found " + show_char(c),
             "percent-encode such characters in the user name or password (e.g. '@' as %40, '/' as %2F)");
      }
      url.host = std::string(text_.substr(host_begin, host_end - host_begin));
      if (host_end < end) port_colon = host_end;
    }
    if (port_colon != std::string_view::npos) parse_port(url, port_colon + 1, end);
  }

  void parse_port(Url& url, std::size_t begin, std::size_t end) const {
    const std::string fix = "write the port as digits between 1 and 65535, e.g. 'host:5432'";
    if (begin == end) fail(begin, "expected a port number after ':'", fix + ", or drop the ':'");
    std::string_view digits = text_.substr(begin, end - begin);
    if (digits.find(':') != std::string_view::npos) {
      fail(begin - 1, "expected host[:port], found more than one ':' ('" + std::string(digits) + "' after the first)",
           "write IPv6 hosts in brackets, e.g. 'postgresql://user@[::1]:5432/db', and percent-encode ':' in a password as %3A");
    }
    long value = 0;
    for (std::size_t i = begin; i < end; ++i) {
      if (!is_digit(text_[i])) {
        fail(i, "expected a port number (digits only), found " + show_char(text_[i]) + " in '" +
                    std::string(text_.substr(begin, end - begin)) + "'",
             fix + "; percent-encode ':' in a password as %3A");
      }
      value = value * 10 + (text_[i] - '0');
      if (value > 65535) break;
    }
    if (value < 1 || value > 65535) {
      fail(begin, "expected a port between 1 and 65535, found " + std::string(text_.substr(begin, end - begin)), fix);
    }
    url.port = static_cast<int>(value);
  }

  void parse_query(Url& url, std::size_t begin) {
    std::size_t pos = begin;
    while (pos <= text_.size()) {
      std::size_t amp = text_.find('&', pos);
      std::size_t end = amp == std::string_view::npos ? text_.size() : amp;
      if (end > pos) {  // empty items ("a=1&&b=2", a trailing '&') are skipped, as parse_qsl does
        std::size_t eq = text_.find('=', pos);
        if (eq == std::string_view::npos || eq >= end) {
          fail(pos, "expected key=value in the query, found '" + std::string(text_.substr(pos, end - pos)) + "' without '='",
               "write it as '" + std::string(text_.substr(pos, end - pos)) + "=value'");
        }
        if (eq == pos) fail(pos, "expected a key before '=' in the query", "write query items as key=value");
        url.query.emplace_back(decode(pos, eq, "a query key", true), decode(eq + 1, end, "a query value", true));
      }
      if (amp == std::string_view::npos) break;
      pos = amp + 1;
    }
  }

  void check_sqlite(const Url& url, std::size_t authority_end) const {
    if (url.username || url.password || !url.host.empty() || url.port) {
      std::size_t begin = text_.find("://") + 3;
      fail(begin, "expected no user, password, host or port in a sqlite URL, found '" +
                      std::string(text_.substr(begin, authority_end - begin)) + "'",
           "a sqlite URL is 'sqlite:///relative.db', 'sqlite:////absolute/path.db' or 'sqlite://' for memory");
    }
  }

  /// Percent-decodes text_[begin, end); `plus_is_space` for query parts (as parse_qsl).
  std::string decode(std::size_t begin, std::size_t end, const std::string& what, bool plus_is_space = false) const {
    std::string out;
    out.reserve(end - begin);
    for (std::size_t i = begin; i < end; ++i) {
      char c = text_[i];
      if (c == '%') {
        if (i + 2 < end && is_hex(text_[i + 1]) && is_hex(text_[i + 2])) {
          auto hex = [](char h) { return is_digit(h) ? h - '0' : (std::tolower(static_cast<unsigned char>(h)) - 'a' + 10); };
          out += static_cast<char>(hex(text_[i + 1]) * 16 + hex(text_[i + 2]));
          i += 2;
          continue;
        }
        fail(i, "expected two hex digits after '%' in " + what + ", found '" +
                    std::string(text_.substr(i, std::min<std::size_t>(3, end - i))) + "'",
             "write a literal '%' as %25");
      }
      out += (plus_is_space && c == '+') ? ' ' : c;
    }
    return out;
  }

  std::string_view text_;
};

/// Percent-encodes every byte outside unreserved and `safe`.
std::string encode(std::string_view s, std::string_view safe) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    if (is_unreserved(c) || safe.find(c) != std::string_view::npos) {
      out += c;
    } else {
      auto u = static_cast<unsigned char>(c);
      out += '%';
      out += digits[u >> 4];
      out += digits[u & 15];
    }
  }
  return out;
}

}  // namespace

Url Url::parse(std::string_view text) { return UrlParser(text).parse(); }

std::string Url::render(bool hide_password) const {
  std::string out = dialect;
  if (!driver.empty()) out += "+" + driver;
  out += "://";
  if (username) {
    out += encode(*username, "!$&'()*+,;=");
    if (password) out += ":" + (hide_password ? std::string("***") : encode(*password, "!$&'()*+,;="));
    out += "@";
  }
  // Only a bracketed host may hold more than unreserved characters: an IPv6
  // address (':') or, without any ':', one with a zone ('%') such as "[e2%eth0]".
  if (!std::all_of(host.begin(), host.end(), is_unreserved)) {
    out += "[" + host + "]";
  } else {
    out += host;
  }
  if (port) out += ":" + std::to_string(*port);
  if (!database.empty()) out += "/" + encode(database, "!$&'()*+,;=:@/");
  if (!query.empty()) {
    out += "?";
    for (std::size_t i = 0; i < query.size(); ++i) {
      if (i > 0) out += "&";
      out += encode(query[i].first, "!$'()*,;:@/?") + "=" + encode(query[i].second, "!$'()*,;:@/?");
    }
  }
  return out;
}

std::optional<std::string> Url::query_value(std::string_view key) const {
  std::optional<std::string> found;
  for (const auto& [k, v] : query) {
    if (k == key) found = v;
  }
  return found;
}

bool Url::is_memory() const { return dialect == "sqlite" && (database.empty() || database == ":memory:"); }

}  // namespace retort
