// protocol/json_util.hpp — tolerant field access for bodies whose keys may be absent, null or mistyped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

#include "crewai/types.hpp"

namespace crewai::protocol {

// Deepest nesting accepted from outside (inputs files, server bodies). Serialising JSON recurses,
// so an 800 KB line of '[' would otherwise overflow the stack when it is written or hashed.
inline constexpr int kMaxJsonDepth = 128;

// Parses without throwing. The error is a short reason without nlohmann's "[json.exception...]"
// prefix: a syntax error with its position, a number too large for a double, or nesting deeper
// than kMaxJsonDepth.
[[nodiscard]] tl::expected<Json, std::string> parse_json(std::string_view text);
// Writes JSON values at the end of `out`: the one serialiser of the SDK and crewctl (dump_json is
// made of it). A string that is not UTF-8 (bytes a caller put into a value) is written with U+FFFD
// in place of the bad bytes rather than throwing: output, journals and hashes never fail on it.
// Text laid out by hand around its values (the results line) uses it directly, so that escaping
// and number formatting stay the same as everywhere else without a DOM of the whole text. Make
// one per text, not per value: nlohmann's serializer costs two allocations to make.
template <class J>
class JsonAppender {
 public:
  // `bad_utf8`: replace (the default, above), or strict for dump_json_checked (the serializer
  // throws Json::type_error 316 on a string that is not UTF-8).
  explicit JsonAppender(std::string& out,
                        typename J::error_handler_t bad_utf8 = J::error_handler_t::replace)
      : out_(out),
        serializer_(nlohmann::detail::output_adapter<char, typename J::string_t>(out), ' ',
                    bad_utf8) {}

  // Compact, or indented by `indent` spaces when >= 0 (as basic_json::dump). Compact text is
  // written by walking the DOM here, so that its strings (keys included) take string()'s path:
  // the serializer's per-byte UTF-8 walk was most of a kickoff body's and a results line's
  // result_json (issue 13). Scalars and indented text are the serializer's own.
  void value(const J& j, int indent = -1) {
    if (indent >= 0) {
      serializer_.dump(j, true, false, static_cast<unsigned>(indent));
    } else {
      compact(j);
    }
  }
  // The serializer takes only a J: the string goes through one kept J whose buffer is reused.
  // Printable ASCII without '"' or '\\' is written as it stands, which is exactly what the
  // serializer writes for it (it escapes only those two and control characters, and checks UTF-8):
  // ids, states and most results are such text, and the serializer's per-byte UTF-8 walk was ~1 K
  // instructions a string, a third of a results line (issue 13). The serializer flushes its
  // buffer at the end of each value, so the two never interleave.
  void string(std::string_view s) {
    if (plain_ascii(s)) {
      out_ += '"';
      out_ += s;
      out_ += '"';
      return;
    }
    if (!scratch_.is_string()) scratch_ = typename J::string_t();
    scratch_.template get_ref<typename J::string_t&>().assign(s);
    serializer_.dump(scratch_, false, false, 0U);
  }

 private:
  void compact(const J& j) {
    if (j.is_object()) {
      out_ += '{';
      bool first = true;
      for (const auto& [key, member] : j.template get_ref<const typename J::object_t&>()) {
        if (!first) out_ += ',';
        first = false;
        string(key);
        out_ += ':';
        compact(member);
      }
      out_ += '}';
    } else if (j.is_array()) {
      out_ += '[';
      bool first = true;
      for (const J& element : j.template get_ref<const typename J::array_t&>()) {
        if (!first) out_ += ',';
        first = false;
        compact(element);
      }
      out_ += ']';
    } else if (j.is_string()) {
      string(j.template get_ref<const typename J::string_t&>());
    } else {
      serializer_.dump(j, false, false, 0U);
    }
  }

  static bool plain_ascii(std::string_view s) {
    for (const char c : s) {
      if (c < 0x20 || c > 0x7E || c == '"' || c == '\\') return false;
    }
    return true;
  }

  std::string& out_;
  nlohmann::detail::serializer<J> serializer_;
  J scratch_;  // null until the first string(): dump_json never pays for it
};

// `j` as compact text (indented when `indent` >= 0), through JsonAppender.
template <class J>
std::string dump_json(const J& j, int indent = -1) {
  std::string out;
  JsonAppender<J>(out).value(j, indent);
  return out;
}
// For request bodies: `j` as compact text, or the reason it cannot be (a string that is not UTF-8),
// so that the caller learns of its mistake before anything is sent.
[[nodiscard]] tl::expected<std::string, std::string> dump_json_checked(const Json& j);
// parse_json() without the reason; nullopt when `text` is not (acceptable) JSON.
std::optional<Json> try_parse(std::string_view text);

// The member as a string / integer / number when it exists with that type; nullopt otherwise.
std::optional<std::string> get_string(const Json& object, std::string_view key);
std::optional<std::int64_t> get_int(const Json& object, std::string_view key);
std::optional<double> get_number(const Json& object, std::string_view key);
// The first key of `keys` whose value is a non-empty string.
std::optional<std::string> first_string(const Json& object, std::initializer_list<std::string_view> keys);
// The member when present and not null; null otherwise.
const Json& member(const Json& object, std::string_view key);

// At most `max_chars` of `text` (whole UTF-8 sequences), with "..." when cut.
std::string excerpt(std::string_view text, std::size_t max_chars);
std::string_view trim(std::string_view s);

}  // namespace crewai::protocol
