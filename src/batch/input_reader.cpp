// Batch input: format choice, UTF-8 checking, and the JSONL reader. CSV is in csv_reader.cpp.
#include "batch/input_reader.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "batch/input_detail.hpp"
#include "protocol/json_util.hpp"

namespace crewai::batch {
namespace detail {

std::string group_thousands(std::size_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string line_prefix(std::size_t line) { return "line " + std::to_string(line) + ": "; }

std::string too_long(std::size_t line, std::size_t bytes, std::size_t cap) {
  return line_prefix(line) + group_thousands(bytes) + " bytes exceeds the " + group_thousands(cap) +
         "-byte line limit";
}

std::string bad_utf8(std::size_t line, std::size_t offset) {
  return line_prefix(line) + "invalid UTF-8 at byte " + std::to_string(offset + 1);
}

std::string IdSet::check(const std::string& id, std::size_t line) {
  if (id.empty()) return {};
  auto [it, fresh] = first_line_.emplace(id, line);
  if (fresh) return {};
  return line_prefix(line) + "duplicate id " + Json(id).dump();
}

namespace {

// Reads one line (without '\n' and a trailing '\r'), keeping at most `cap` bytes of it and counting
// the rest. False at the end of input with nothing read.
bool read_line(CharSource& src, std::size_t cap, std::string& out, std::size_t& bytes) {
  out.clear();
  bytes = 0;
  int c = src.next();
  if (c == kEof) return false;
  int last = kEof;
  for (; c != kEof && c != '\n'; c = src.next()) {
    if (bytes < cap + 1) out.push_back(static_cast<char>(c));
    ++bytes;
    last = c;
  }
  if (last == '\r') {
    --bytes;
    if (out.size() > bytes) out.pop_back();
  }
  return true;
}

bool is_blank(std::string_view s) { return s.find_first_not_of(" \t\r\f\v") == std::string_view::npos; }

std::string type_name(const Json& j) {
  switch (j.type()) {
    case Json::value_t::array: return "an array";
    case Json::value_t::null: return "null";
    case Json::value_t::string: return "a string";
    case Json::value_t::boolean: return "a boolean";
    default: return "a number";
  }
}

bool is_wrapper(const Json& j) {
  auto inputs = j.find("inputs");
  if (inputs == j.end() || !inputs->is_object()) return false;
  for (const auto& [key, value] : j.items()) {
    if (key != "id" && key != "inputs" && key != "meta") return false;
  }
  return true;
}

// Fills `item` from a parsed line; returns the invalid reason (empty when fine).
std::string fill_item(Json&& j, std::size_t line, BatchItem& item) {
  if (!j.is_object()) return line_prefix(line) + "expected a JSON object, got " + type_name(j);
  if (auto inputs = j.find("inputs"); inputs != j.end() && inputs->is_object() && !is_wrapper(j)) {
    // An "inputs" object says the line means to be a wrapper: a stray key is a mistake to name,
    // not a reason to send the whole line as inputs (and fail later with "missing inputs").
    for (const auto& [key, value] : j.items()) {
      if (key != "id" && key != "inputs" && key != "meta") {
        if (auto id = j.find("id"); id != j.end() && id->is_string()) item.id = id->get<std::string>();
        return line_prefix(line) + "a wrapper line takes only \"id\", \"inputs\" and \"meta\", got \"" +
               key + "\"";
      }
    }
  }
  if (!is_wrapper(j)) {
    item.inputs = std::move(j);
    return {};
  }
  if (auto id = j.find("id"); id != j.end()) {
    if (id->is_string()) {
      item.id = id->get<std::string>();
    } else if (id->is_number()) {
      item.id = id->dump();
    } else if (!id->is_null()) {
      return line_prefix(line) + "\"id\" must be a string or a number, got " + type_name(*id);
    }
  }
  if (auto meta = j.find("meta"); meta != j.end() && !meta->is_null()) {
    if (!meta->is_object()) {
      return line_prefix(line) + "\"meta\" must be an object, got " + type_name(*meta);
    }
    item.meta = std::move(*meta);
  }
  item.inputs = std::move(j["inputs"]);
  return {};
}

}  // namespace

Result<std::vector<BatchItem>> read_jsonl(CharSource& src, const ReaderOptions& opts) {
  std::vector<BatchItem> items;
  IdSet ids;
  std::string text;
  std::size_t bytes = 0;
  for (std::size_t line = 1; read_line(src, opts.max_line_bytes, text, bytes); ++line) {
    if (bytes <= opts.max_line_bytes && is_blank(text)) continue;
    BatchItem item;
    item.index = items.size();
    if (bytes > opts.max_line_bytes) {
      item.invalid_reason = too_long(line, bytes, opts.max_line_bytes);
    } else if (auto bad = find_invalid_utf8(text); bad != std::string::npos) {
      item.invalid_reason = bad_utf8(line, bad);
    } else {
      if (auto j = protocol::parse_json(text)) {
        item.invalid_reason = fill_item(std::move(*j), line, item);
      } else {
        item.invalid_reason = line_prefix(line) + "not valid JSON (" + j.error() + ")";
      }
      if (item.invalid_reason.empty()) item.invalid_reason = ids.check(item.id, line);
    }
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace detail

std::size_t find_invalid_utf8(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return i;
    }
    if (i + 1 >= n || p[i + 1] < lo || p[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k) {
      if (i + k >= n || (p[i + k] & 0xC0) != 0x80) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

namespace {

InputFormat format_from_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (ext == ".jsonl" || ext == ".ndjson" || ext == ".json") return InputFormat::jsonl;
  if (ext == ".csv") return InputFormat::csv;
  return InputFormat::automatic;
}

// Drops a byte-order mark; with `sniff`, reads ahead to the first non-blank character to choose the
// format. Everything read (but the BOM) is replayed to the reader.
detail::CharSource prepare(std::streambuf* sb, InputFormat& fmt) {
  std::string replay;
  static constexpr unsigned char kBom[] = {0xEF, 0xBB, 0xBF};
  for (unsigned char b : kBom) {
    int c = sb->sgetc();
    if (c == detail::kEof || static_cast<unsigned char>(c) != b) break;
    replay.push_back(static_cast<char>(sb->sbumpc()));
  }
  if (replay.size() == 3) replay.clear();
  if (fmt == InputFormat::automatic) {
    const bool read_ahead = !replay.empty();  // the start of a non-BOM multibyte character
    int c = read_ahead ? static_cast<unsigned char>(replay[0]) : sb->sgetc();
    while (!read_ahead && c != detail::kEof && std::isspace(c)) {
      replay.push_back(static_cast<char>(sb->sbumpc()));
      c = sb->sgetc();
    }
    fmt = (c == '{' || c == '[') ? InputFormat::jsonl : InputFormat::csv;
  }
  return detail::CharSource(sb, std::move(replay));
}

}  // namespace

Result<std::vector<BatchItem>> read_items(std::istream& in, InputFormat fmt, const ReaderOptions& opts) {
  std::streambuf* sb = in.rdbuf();
  if (sb == nullptr) return make_error(ErrorCode::invalid_argument, "input stream has no buffer");
  detail::CharSource src = prepare(sb, fmt);
  return fmt == InputFormat::csv ? detail::read_csv(src, opts) : detail::read_jsonl(src, opts);
}

Result<std::vector<BatchItem>> read_items(const std::string& path, const ReaderOptions& opts) {
  InputFormat fmt = opts.format;
  if (path == "-") return read_items(std::cin, fmt, opts);
  if (fmt == InputFormat::automatic) fmt = format_from_extension(path);
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return make_error(ErrorCode::invalid_argument, "cannot read input " + path + ": it is a directory");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return make_error(ErrorCode::invalid_argument,
                      "cannot open input " + path + ": " + std::strerror(errno));
  }
  return read_items(file, fmt, opts);
}

}  // namespace crewai::batch
