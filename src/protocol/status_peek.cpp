// The state of a run still going, read without building the body's DOM (issue 13, point 5): a
// poll that answers RUNNING needs nothing else, and the live body (~1 KB of events, progress and
// usage, its `state` near the end) costs a full parse ~250 allocations, and even nlohmann's SAX
// pass ~20 µs. This is a strict one-pass scan of the whole body: stricter than nlohmann's parser,
// never looser, so a body parse_status would refuse (not JSON, too deep, a number out of range) is
// never read as running. Whatever it is unsure of (escapes in a key or in the state, a surrogate,
// an exponent, a byte-order mark) it leaves to parse_status, which stays the one reader of every
// dialect.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "protocol/json_util.hpp"
#include "protocol/status.hpp"

namespace crewai::protocol {
namespace {

using MemberText = std::pair<std::string_view, std::string_view>;  // a key, its value's raw text

// A body's top-level members in order, the first 32 in place: the scan of a poll (most polls are
// of a run going on, ~20 members) then allocates nothing.
class MemberList {
 public:
  void add(std::string_view key, std::string_view text) {
    if (more_.empty() && n_ < inline_.size()) {
      inline_[n_++] = {key, text};
      return;
    }
    if (more_.empty())
      more_.assign(inline_.begin(), inline_.begin() + static_cast<std::ptrdiff_t>(n_));
    more_.emplace_back(key, text);
  }
  std::span<const MemberText> view() const {
    return more_.empty() ? std::span<const MemberText>(inline_.data(), n_)
                         : std::span<const MemberText>(more_);
  }

 private:
  std::array<MemberText, 32> inline_;
  std::size_t n_ = 0;
  std::vector<MemberText> more_;
};

// A top-level `state` or `status` member: what its last occurrence held (the last wins, as in the DOM).
struct Member {
  enum class Kind { absent, null, string, other } kind = Kind::absent;
  std::string_view text;  // the string's raw bytes
  bool escaped = false;   // ...which hold escapes: only parse_status decodes them
};

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  // The whole body: one object, then only whitespace.
  bool body() {
    skip_ws();
    if (!peek('{') || !object(0)) return false;
    skip_ws();
    return i_ == s_.size();
  }

  Member state, status;
  // Set before body(): filled with every top-level member, its key and its value's text, in order.
  MemberList* members = nullptr;

 private:
  bool peek(char c) const { return i_ < s_.size() && s_[i_] == c; }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
  }

  bool value(int depth, Member* into) {
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    bool ok = false;
    Member::Kind kind = Member::Kind::other;
    std::string_view text;
    bool escaped = false;
    if (c == '{') ok = object(depth + 1);
    else if (c == '[') ok = array(depth + 1);
    else if (c == '"') {
      ok = string(text, escaped);
      kind = Member::Kind::string;
    } else if (c == 'n') {
      ok = literal("null");
      kind = Member::Kind::null;
    } else if (c == 't') ok = literal("true");
    else if (c == 'f') ok = literal("false");
    else ok = number();
    if (ok && into != nullptr) *into = Member{kind, text, escaped};
    return ok;
  }

  // `depth`: containers enclosing this one; parse_json refuses kMaxJsonDepth and deeper.
  bool object(int depth) {
    if (depth >= kMaxJsonDepth) return false;
    ++i_;  // '{'
    skip_ws();
    if (peek('}')) return ++i_, true;
    for (;;) {
      std::string_view key;
      bool escaped = false;
      if (!peek('"') || !string(key, escaped)) return false;
      if (depth == 0 && escaped) return false;  // might spell "state": leave it to the full parse
      skip_ws();
      if (!peek(':')) return false;
      ++i_;
      skip_ws();
      Member* into = nullptr;
      if (depth == 0) into = key == "state" ? &state : key == "status" ? &status : nullptr;
      const std::size_t start = i_;
      if (!value(depth, into)) return false;
      if (depth == 0 && members != nullptr) members->add(key, s_.substr(start, i_ - start));
      skip_ws();
      if (peek(',')) {
        ++i_;
        skip_ws();
        continue;
      }
      if (peek('}')) return ++i_, true;
      return false;
    }
  }

  bool array(int depth) {
    if (depth >= kMaxJsonDepth) return false;
    ++i_;  // '['
    skip_ws();
    if (peek(']')) return ++i_, true;
    for (;;) {
      if (!value(depth, nullptr)) return false;
      skip_ws();
      if (peek(',')) {
        ++i_;
        skip_ws();
        continue;
      }
      if (peek(']')) return ++i_, true;
      return false;
    }
  }

  // Compared a byte at a time: a body holds dozens of nulls, and a memcmp call each was 5% of a
  // final status read.
  bool literal(std::string_view word) {
    if (s_.size() - i_ < word.size()) return false;
    for (std::size_t k = 0; k < word.size(); ++k) {
      if (s_[i_ + k] != word[k]) return false;
    }
    i_ += word.size();
    return true;
  }

  static bool digit(char c) { return c >= '0' && c <= '9'; }
  static bool hex(char c) {
    return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  // RFC 8259 numbers without an exponent and at most 64 characters long: always finite as a
  // double, so the full parse reads every one (an exponent or a huge literal goes there).
  bool number() {
    const std::size_t start = i_;
    if (peek('-')) ++i_;
    if (peek('0')) {
      ++i_;
    } else {
      if (i_ >= s_.size() || s_[i_] < '1' || s_[i_] > '9') return false;
      while (i_ < s_.size() && digit(s_[i_])) ++i_;
    }
    if (peek('.')) {
      ++i_;
      if (i_ >= s_.size() || !digit(s_[i_])) return false;
      while (i_ < s_.size() && digit(s_[i_])) ++i_;
    }
    if (peek('e') || peek('E')) return false;
    return i_ - start <= 64;
  }

  // A string with its quotes; `text` is its raw content, `escaped` whether it held a backslash.
  // Control characters, bad escapes, surrogate escapes and malformed UTF-8 are refused.
  bool string(std::string_view& text, bool& escaped) {
    const std::size_t start = ++i_;
    while (i_ < s_.size()) {
      // Runs of plain ASCII are most of a body's bytes: one table look-up each instead of four
      // compares (a RUNNING body's whole scan: 1.01 -> 0.85 us).
      while (i_ < s_.size() && !kStringStop[static_cast<unsigned char>(s_[i_])]) ++i_;
      if (i_ >= s_.size()) break;
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        text = s_.substr(start, i_ - start);
        ++i_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        escaped = true;
        if (!escape()) return false;
      } else if (c >= 0x80) {
        if (!utf8()) return false;
      } else {
        ++i_;
      }
    }
    return false;
  }

  // The bytes a string's scan must look at: its end, an escape, a control character, non-ASCII.
  static constexpr std::array<bool, 256> kStringStop = [] {
    std::array<bool, 256> stop{};
    for (int c = 0; c < 256; ++c) stop[c] = c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
    return stop;
  }();

  bool escape() {
    if (i_ + 1 >= s_.size()) return false;
    const char e = s_[i_ + 1];
    if (e == 'u') {
      if (i_ + 6 > s_.size()) return false;
      for (std::size_t k = i_ + 2; k < i_ + 6; ++k) {
        if (!hex(s_[k])) return false;
      }
      // D800-DFFF, a surrogate (the second digit is 8-9 or a letter): the full parse pairs them.
      if ((s_[i_ + 2] == 'd' || s_[i_ + 2] == 'D') && s_[i_ + 3] >= '8') return false;
      i_ += 6;
      return true;
    }
    if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't')
      return false;
    i_ += 2;
    return true;
  }

  // One well-formed UTF-8 sequence (RFC 3629: no overlongs, no surrogates, at most U+10FFFF).
  bool utf8() {
    const auto b = [this](std::size_t k) { return static_cast<unsigned char>(s_[i_ + k]); };
    const auto cont = [](unsigned char c) { return (c & 0xC0) == 0x80; };
    const unsigned char c = b(0);
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c == 0xE0) n = 3, lo = 0xA0;
    else if (c >= 0xE1 && c <= 0xEC) n = 3;
    else if (c == 0xED) n = 3, hi = 0x9F;
    else if (c >= 0xEE && c <= 0xEF) n = 3;
    else if (c == 0xF0) n = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 4;
    else if (c == 0xF4) n = 4, hi = 0x8F;
    else return false;
    if (i_ + n > s_.size()) return false;
    if (b(1) < lo || b(1) > hi) return false;
    for (std::size_t k = 2; k < n; ++k) {
      if (!cont(b(k))) return false;
    }
    i_ += n;
    return true;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// `object[key] = value`, with the map's end as the hint: bodies written with sorted keys (Python's
// json.dumps(sort_keys=True), the simulator) then insert with one key compare instead of a search
// (std::map's string compares were 9% of a run's final status read); other orders insert as before.
void insert_last_wins(Json& object, std::string key, Json value) {
  auto& members = object.get_ref<Json::object_t&>();
  members.insert_or_assign(members.end(), std::move(key), std::move(value));
}

// The DOM of one member's text, which the Scanner has already checked (so no bounds or syntax
// checks here), built without nlohmann's parser: its lexer and per-parse setup were 5.7% of a
// batch's CPU for the few small objects of each run's end (progress, usage_metrics, result_json;
// issue 13). It builds only what reads exactly as nlohmann's parse does: strings, integers of at
// most 18 digits (unsigned when not negative, as nlohmann stores them), decimals (from_chars rounds
// as strtod does), literals, and containers of those (a repeated key: the last wins). A longer
// integer is nullopt, and the member goes to try_parse.
class Builder {
 public:
  explicit Builder(std::string_view s) : s_(s) {}

  std::optional<Json> value() {
    skip_ws();
    switch (s_[i_]) {
      case '{': return object();
      case '[': return array();
      case '"': return Json(string());
      case 'n': return i_ += 4, Json(nullptr);
      case 't': return i_ += 4, Json(true);
      case 'f': return i_ += 5, Json(false);
      default: return number();
    }
  }

 private:
  void skip_ws() {
    while (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t') ++i_;
  }

  // A string's value: its bytes, with escapes decoded (the Scanner let through no surrogate
  // escape, so each \u is one code point, written as UTF-8 the way nlohmann writes it).
  std::string string() {
    std::string out;
    std::size_t from = ++i_;
    for (;;) {
      // The Scanner checked that the string ends, so the search needs no bound. (string_view's
      // find_first_of called memchr on its two-character set once per byte: 30 instructions a
      // byte, a third of a run's final status read.)
      std::size_t at = from;
      while (s_[at] != '"' && s_[at] != '\\') ++at;
      out.append(s_.substr(from, at - from));
      i_ = at + 1;
      if (s_[at] == '"') return out;
      const char e = s_[i_++];
      if (e == 'u') {
        unsigned cp = 0;
        std::from_chars(s_.data() + i_, s_.data() + i_ + 4, cp, 16);
        i_ += 4;
        append_utf8(out, cp);
      } else {
        out.push_back(e == 'b' ? '\b' : e == 'f' ? '\f' : e == 'n' ? '\n' : e == 'r' ? '\r'
                      : e == 't' ? '\t' : e);  // '"', '\\' and '/' stand for themselves
      }
      from = i_;
    }
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  std::optional<Json> object() {
    ++i_;  // '{'
    Json out = Json::object();
    skip_ws();
    if (s_[i_] == '}') return ++i_, out;
    for (;;) {
      skip_ws();
      std::string key = string();
      skip_ws();
      ++i_;  // ':'
      auto v = value();
      if (!v) return std::nullopt;
      insert_last_wins(out, std::move(key), std::move(*v));
      skip_ws();
      if (s_[i_++] == '}') return out;  // else ','
    }
  }

  std::optional<Json> array() {
    ++i_;  // '['
    Json out = Json::array();
    skip_ws();
    if (s_[i_] == ']') return ++i_, out;
    for (;;) {
      auto v = value();
      if (!v) return std::nullopt;
      out.push_back(std::move(*v));
      skip_ws();
      if (s_[i_++] == ']') return out;  // else ','
    }
  }

  std::optional<Json> number() {
    const std::size_t start = i_;
    bool decimal = false;
    while (i_ < s_.size() && ((s_[i_] >= '0' && s_[i_] <= '9') || s_[i_] == '-' || s_[i_] == '.')) {
      decimal = decimal || s_[i_] == '.';
      ++i_;
    }
    const char* first = s_.data() + start;
    const char* last = s_.data() + i_;
    if (decimal) {
      double d = 0;
      if (std::from_chars(first, last, d).ec != std::errc()) return std::nullopt;
      return Json(d);
    }
    if (last - first > (*first == '-' ? 19 : 18)) return std::nullopt;  // may not fit: nlohmann's
    if (*first == '-') {
      std::int64_t v = 0;
      std::from_chars(first, last, v);
      return Json(v);
    }
    std::uint64_t v = 0;
    std::from_chars(first, last, v);
    return Json(v);
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

bool still_going(RunState s) {
  return s == RunState::pending || s == RunState::started || s == RunState::running;
}

// The state of a scanned body when it is a run still going (peek_running_state's reading).
std::optional<RunState> going_state(const Scanner& scan) {
  const Member* read = nullptr;
  if (scan.state.kind == Member::Kind::string) {
    read = &scan.state;
  } else if (scan.state.kind != Member::Kind::other && scan.status.kind == Member::Kind::string) {
    read = &scan.status;  // the docs' dialect: the state in `status`
  }
  if (read == nullptr || read->escaped) return std::nullopt;
  std::optional<RunState> state = parse_state(read->text);
  if (state && still_going(*state)) return state;
  return std::nullopt;
}

// The scan has checked every value, so a string without escapes is its bytes as they stand; the
// rest goes through the one parser, a member at a time.
std::optional<Json> build_members(std::span<const MemberText> members,
                                  std::span<const std::string_view> wanted) {
  Json out = Json::object();
  for (const auto& [key, text] : members) {
    if (std::find(wanted.begin(), wanted.end(), key) == wanted.end()) continue;
    Json value;
    if (text.size() >= 2 && text.front() == '"' && text.find('\\') == std::string_view::npos) {
      value = std::string(text.substr(1, text.size() - 2));
    } else if (auto built = Builder(text).value()) {
      value = std::move(*built);
    } else if (auto v = try_parse(text)) {
      value = std::move(*v);
    } else {
      return std::nullopt;
    }
    // A repeated key: the last wins, as in the DOM.
    insert_last_wins(out, std::string(key), std::move(value));
  }
  return out;
}

}  // namespace

std::optional<RunState> peek_running_state(std::string_view body) {
  Scanner scan(body);
  if (!scan.body()) return std::nullopt;
  return going_state(scan);
}

std::optional<Json> object_members(std::string_view body,
                                   std::span<const std::string_view> wanted) {
  MemberList members;
  Scanner scan(body);
  scan.members = &members;
  if (!scan.body()) return std::nullopt;
  return build_members(members.view(), wanted);
}

PollScan scan_poll(std::string_view body, std::span<const std::string_view> wanted) {
  MemberList members;
  Scanner scan(body);
  scan.members = &members;
  if (!scan.body()) return {};
  if (auto going = going_state(scan)) return {going, std::nullopt};
  return {std::nullopt, build_members(members.view(), wanted)};
}

}  // namespace crewai::protocol
