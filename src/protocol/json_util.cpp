#include "protocol/json_util.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace crewai::protocol {

namespace {

std::string exception_detail(std::string_view what) {
  if (auto p = what.find("parse error at line 1, "); p != std::string_view::npos) {
    what.remove_prefix(p + 23);
  } else if (auto q = what.find("] "); q != std::string_view::npos) {
    what.remove_prefix(q + 2);
  }
  if (what.size() > 200) return std::string(what.substr(0, 200)) + "...";
  return std::string(what);
}

// Whether a container in `text` has kMaxJsonDepth or more containers around it (brackets outside
// strings). Exact for valid JSON; on invalid text the parse fails anyway.
bool may_be_too_deep(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (depth >= kMaxJsonDepth) return true;
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return false;
}

// Parses `text` with the depth guard; nlohmann throws on a syntax error only when
// `allow_exceptions`. The guard never throws: it drops the too-deep value and sets `too_deep`.
// Text that cannot be too deep skips the guard: nlohmann's parser with a callback builds each
// value aside and calls the callback per token, ~1.5x the plain parse (every status body).
Json guarded_parse(std::string_view text, bool allow_exceptions, bool& too_deep) {
  if (!may_be_too_deep(text)) return Json::parse(text, nullptr, allow_exceptions);
  const Json::parser_callback_t guard = [&too_deep](int depth, Json::parse_event_t event, Json&) {
    if (depth >= kMaxJsonDepth &&
        (event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start)) {
      too_deep = true;
      return false;
    }
    return true;
  };
  return Json::parse(text, guard, allow_exceptions);
}

std::string too_deep_reason() {
  return "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
}

}  // namespace

tl::expected<Json, std::string> parse_json(std::string_view text) {
  bool too_deep = false;
  // Text that is not JSON is an answer here, not an exception (a Markdown result is read on
  // every run's end): the throwing parse runs only to word the reason of a failure.
  Json j = guarded_parse(text, false, too_deep);
  if (too_deep) return tl::unexpected(too_deep_reason());
  if (!j.is_discarded()) return j;
  try {
    (void)guarded_parse(text, true, too_deep);
  } catch (const Json::exception& e) {  // parse_error, or out_of_range for a number like 1e400
    return tl::unexpected(exception_detail(e.what()));
  }
  return tl::unexpected(std::string("not JSON"));
}

tl::expected<std::string, std::string> dump_json_checked(const Json& j) {
  try {
    std::string out;
    JsonAppender<Json>(out, Json::error_handler_t::strict).value(j);
    return out;
  } catch (const Json::exception& e) {  // type_error 316: a string that is not UTF-8
    return tl::unexpected(exception_detail(e.what()));
  }
}

std::optional<Json> try_parse(std::string_view text) {
  bool too_deep = false;
  Json j = guarded_parse(text, false, too_deep);
  if (too_deep || j.is_discarded()) return std::nullopt;
  return j;
}

const Json& member(const Json& object, std::string_view key) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::optional<std::string> get_string(const Json& object, std::string_view key) {
  const Json& v = member(object, key);
  if (!v.is_string()) return std::nullopt;
  return v.get<std::string>();
}

std::optional<std::int64_t> get_int(const Json& object, std::string_view key) {
  const Json& v = member(object, key);
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_unsigned()) {
    auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

std::optional<double> get_number(const Json& object, std::string_view key) {
  const Json& v = member(object, key);
  if (!v.is_number()) return std::nullopt;
  return v.get<double>();
}

std::optional<std::string> first_string(const Json& object, std::initializer_list<std::string_view> keys) {
  for (auto key : keys) {
    auto s = get_string(object, key);
    if (s && !s->empty()) return s;
  }
  return std::nullopt;
}

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  auto b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(kSpace);
  return s.substr(b, e - b + 1);
}

namespace {

// Length of the valid UTF-8 sequence at the start of `s`, or 0 when it is not one.
std::size_t utf8_sequence(std::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  std::size_t len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || len > s.size() || b0 == 0xC0 || b0 == 0xC1 || b0 > 0xF4) return 0;
  for (std::size_t i = 1; i < len; ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) return 0;
  }
  if (len > 2) {  // no overlong forms, no surrogates, nothing above U+10FFFF
    const auto b1 = static_cast<unsigned char>(s[1]);
    if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 >= 0xA0) || (b0 == 0xF0 && b1 < 0x90) ||
        (b0 == 0xF4 && b1 >= 0x90))
      return 0;
  }
  return len;
}

}  // namespace

std::string excerpt(std::string_view text, std::size_t max_chars) {
  // Bodies may be any bytes; an Error message must stay valid UTF-8 (it ends up in JSON output).
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t len = utf8_sequence(text.substr(i));
    if (out.size() + std::max<std::size_t>(len, 3) > max_chars) return out + "...";
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

}  // namespace crewai::protocol
