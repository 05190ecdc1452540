// `.env` parsing and `${VAR}` expansion with python-dotenv 0.21's rules (its parser.py and
// variables.py), written as a scanner that tracks line and column. Where python-dotenv logs
// "could not parse statement" and skips the text, retort throws ConfigError naming
// origin:line:column, because a silently dropped DATABASE_URL is worse than a loud error.
#include <cstddef>
#include <string>
#include <utility>

#include "retort/core/config.hpp"
#include "retort/core/error.hpp"

namespace retort {
namespace {

/// Python's `\s` restricted to ASCII (plus the separators 0x1c-0x1f it also matches).
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || (c >= 0x1c && c <= 0x1f);
}
/// `[^\S\r\n]`: whitespace that does not end a line.
bool is_inline_space(char c) { return is_space(c) && c != '\n' && c != '\r'; }

std::string show(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  static const char* digits = "0123456789ABCDEF";
  return std::string("byte 0x") + digits[u >> 4] + digits[u & 15];
}

class DotenvParser {
 public:
  DotenvParser(std::string_view text, std::string_view origin) : text_(text), origin_(origin) {}

  std::vector<DotenvEntry> parse() {
    std::vector<DotenvEntry> entries;
    while (true) {
      while (pos_ < text_.size() && is_space(text_[pos_])) advance(1);
      if (pos_ >= text_.size()) break;
      if (auto entry = parse_binding()) entries.push_back(std::move(*entry));
    }
    return entries;
  }

 private:
  char peek(std::size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }
  bool at_end() const { return pos_ >= text_.size(); }
  bool at_line_end() const { return at_end() || peek() == '\n' || peek() == '\r'; }

  /// Moves `n` bytes forward, counting `\n`, `\r\n` and a lone `\r` as line ends.
  void advance(std::size_t n) {
    for (std::size_t end = pos_ + n; pos_ < end && pos_ < text_.size(); ++pos_) {
      char c = text_[pos_];
      if (c == '\n' || (c == '\r' && (pos_ + 1 >= text_.size() || text_[pos_ + 1] != '\n'))) {
        ++line_;
        line_start_ = pos_ + 1;
      }
    }
  }
  void skip_inline_space() {
    while (!at_end() && is_inline_space(peek())) advance(1);
  }

  /// 1-based column of the current position, counted in characters (UTF-8 code points).
  int column() const { return column_of(line_start_, pos_); }
  int column_of(std::size_t start, std::size_t at) const {
    int col = 1;
    for (std::size_t i = start; i < at; ++i) {
      if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) ++col;
    }
    return col;
  }

  [[noreturn]] void fail(int line, int col, const std::string& expected, const std::string& fix) const {
    std::string where = std::string(origin_) + ":" + std::to_string(line) + ":" + std::to_string(col);
    ErrorDetails details;
    details.location = where;
    details.code = "bad-dotenv";
    throw ConfigError(where + ": cannot parse line " + std::to_string(line) + ", column " + std::to_string(col) + " of " +
                          std::string(origin_) + ": " + expected + "; " + fix,
                      std::move(details));
  }
  [[noreturn]] void fail_here(const std::string& expected, const std::string& fix) const {
    fail(line_, column(), expected, fix);
  }
  std::string found() const {
    if (at_end()) return "the end of the file";
    if (peek() == '\n' || peek() == '\r') return "the end of the line";
    return show(peek());
  }

  std::optional<DotenvEntry> parse_binding() {
    DotenvEntry entry;
    entry.line = line_;
    // `export` followed by inline whitespace is dropped (python-dotenv's `(?:export[^\S\r\n]+)?`).
    if (text_.substr(pos_, 6) == "export" && is_inline_space(peek(6))) {
      advance(6);
      skip_inline_space();
    }
    if (peek() == '#') {
      skip_comment_and_end();
      return std::nullopt;
    }
    entry.key = parse_key();
    skip_inline_space();
    if (peek() == '=') {
      advance(1);
      skip_inline_space();
      entry.value = parse_value();
    } else if (!at_line_end() && peek() != '#') {
      fail_here("expected '=' after the name '" + entry.key + "', found " + found(),
                "write KEY=value (names cannot contain spaces; quote the value if it has spaces)");
    }
    skip_comment_and_end();
    return entry;
  }

  std::string parse_key() {
    if (peek() == '\'') {
      std::size_t close = text_.find('\'', pos_ + 1);
      if (close == std::string_view::npos) {
        fail_here("expected a closing ' after the quoted name", "write 'KEY'=value or drop the quotes");
      }
      if (close == pos_ + 1) fail_here("expected a name between the quotes, found ''", "write 'KEY'=value");
      std::string key(text_.substr(pos_ + 1, close - pos_ - 1));
      advance(close + 1 - pos_);
      return key;
    }
    std::size_t start = pos_;
    while (!at_end() && peek() != '=' && peek() != '#' && !is_space(peek())) advance(1);
    if (pos_ == start) {
      fail_here("expected a variable name, found " + found(), "write KEY=value; a line cannot start with '='");
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  std::string parse_value() {
    char c = peek();
    if (c == '\'' || c == '"') return parse_quoted(c);
    if (at_line_end()) return "";
    std::size_t start = pos_;
    while (!at_line_end()) advance(1);
    std::string_view part = text_.substr(start, pos_ - start);
    // `\s+#.*` is a comment; then trailing whitespace goes.
    for (std::size_t i = 1; i < part.size(); ++i) {
      if (part[i] == '#' && is_space(part[i - 1])) {
        part = part.substr(0, i);
        break;
      }
    }
    while (!part.empty() && is_space(part.back())) part.remove_suffix(1);
    return std::string(part);
  }

  /// A quoted value, which may span lines. A backslash takes the next character with it, so
  /// `\"` (or `\'`) never closes the value; escapes are decoded as python-dotenv decodes them.
  std::string parse_quoted(char quote) {
    int open_line = line_;
    int open_col = column();
    std::size_t start = pos_ + 1;
    std::size_t i = start;
    while (i < text_.size() && text_[i] != quote) i += text_[i] == '\\' ? 2 : 1;
    if (i >= text_.size()) {
      fail(open_line, open_col,
           std::string("expected a closing ") + quote + " for the value whose quote opens here, found the end of the file",
           std::string("add the closing ") + quote + " (a quoted value may span lines, so everything after it was read as part of the value)");
    }
    std::string_view raw = text_.substr(start, i - start);
    advance(i + 1 - pos_);
    std::string out;
    out.reserve(raw.size());
    for (std::size_t k = 0; k < raw.size(); ++k) {
      if (raw[k] != '\\' || k + 1 >= raw.size()) {
        out += raw[k];
        continue;
      }
      char e = raw[k + 1];
      char decoded = '\0';
      if (e == '\\' || e == '\'') {
        decoded = e;
      } else if (quote == '"') {
        switch (e) {
          case '"': decoded = '"'; break;
          case 'a': decoded = '\a'; break;
          case 'b': decoded = '\b'; break;
          case 'f': decoded = '\f'; break;
          case 'n': decoded = '\n'; break;
          case 'r': decoded = '\r'; break;
          case 't': decoded = '\t'; break;
          case 'v': decoded = '\v'; break;
          default: break;
        }
      }
      if (decoded != '\0') {
        out += decoded;
        ++k;
      } else {
        out += '\\';  // not an escape: the backslash stays and the next character is read normally
      }
    }
    return out;
  }

  /// `(?:[^\S\r\n]*#[^\r\n]*)?` then `[^\S\r\n]*(?:\r\n|\n|\r|$)`.
  void skip_comment_and_end() {
    skip_inline_space();
    if (peek() == '#') {
      while (!at_line_end()) advance(1);
    }
    if (!at_line_end()) {
      fail_here("expected a comment (' # ...') or the end of the line after the closing quote, found " + found(),
                "put the whole value inside the quotes, or start a comment with '#'");
    }
    if (peek() == '\r' && peek(1) == '\n') {
      advance(2);
    } else if (!at_end()) {
      advance(1);
    }
  }

  std::string_view text_;
  std::string_view origin_;
  std::size_t pos_ = 0;
  std::size_t line_start_ = 0;
  int line_ = 1;
};

/// One `${NAME}` or `${NAME:-default}` found at `text[start]`, as variables.py's regex matches it.
struct Reference {
  std::size_t end = 0;  ///< one past the closing '}'
  std::string name;
  std::optional<std::string> fallback;
};

std::optional<Reference> match_reference(std::string_view text, std::size_t start) {
  if (text.substr(start, 2) != "${") return std::nullopt;
  std::size_t i = start + 2;
  while (i < text.size() && text[i] != '}' && text[i] != ':') ++i;
  Reference ref;
  ref.name = std::string(text.substr(start + 2, i - start - 2));
  if (text.substr(i, 2) == ":-") {
    std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) return std::nullopt;
    ref.fallback = std::string(text.substr(i + 2, close - i - 2));
    ref.end = close + 1;
    return ref;
  }
  if (i < text.size() && text[i] == '}') {
    ref.end = i + 1;
    return ref;
  }
  return std::nullopt;
}

}  // namespace

std::vector<DotenvEntry> parse_dotenv(std::string_view text, std::string_view origin) {
  return DotenvParser(text, origin).parse();
}

std::map<std::string, std::string> expand_dotenv(const std::vector<DotenvEntry>& entries,
                                                 const std::map<std::string, std::string>& environment) {
  // What this file has defined so far; a bare KEY is present with no value and expands to "".
  std::map<std::string, std::optional<std::string>> defined;
  for (const auto& entry : entries) {
    if (!entry.value) {
      defined[entry.key] = std::nullopt;
      continue;
    }
    const std::string& value = *entry.value;
    std::string out;
    std::size_t i = 0;
    while (i < value.size()) {
      auto ref = value[i] == '$' ? match_reference(value, i) : std::nullopt;
      if (!ref) {
        out += value[i++];
        continue;
      }
      if (auto env = environment.find(ref->name); env != environment.end()) {
        out += env->second;
      } else if (auto own = defined.find(ref->name); own != defined.end()) {
        out += own->second.value_or("");
      } else {
        out += ref->fallback.value_or("");
      }
      i = ref->end;
    }
    defined[entry.key] = std::move(out);
  }
  std::map<std::string, std::string> result;
  for (auto& [key, value] : defined) {
    if (value) result.emplace(key, std::move(*value));
  }
  return result;
}

}  // namespace retort
