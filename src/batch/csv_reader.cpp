// CSV (RFC 4180) batch input: a header row, then one item per data row.
#include <cctype>
#include <set>

#include "batch/input_detail.hpp"
#include "protocol/json_util.hpp"

namespace crewai::batch::detail {
namespace {

struct CsvRecord {
  std::size_t line = 0;    // physical line the record starts on
  std::size_t bytes = 0;   // every byte of the record but its terminator
  std::string raw;         // the record's bytes, up to the cap (for the UTF-8 check)
  std::vector<std::string> fields;
  std::string error;       // syntax problem, without the "line N: " prefix
};

// A character-level RFC 4180 parser that keeps at most `cap` bytes of a record and counts the rest,
// so that an enormous record costs no memory.
class CsvParser {
 public:
  CsvParser(CharSource& src, std::size_t cap) : src_(src), cap_(cap) {}

  // False at the end of input with nothing read.
  bool next(CsvRecord& rec) {
    rec = CsvRecord{};
    rec.line = line_;
    int c = src_.next();
    if (c == kEof) return false;
    rec.fields.emplace_back();
    enum class State { unquoted, quoted, after_quote } state = State::unquoted;
    bool field_start = true;
    for (; c != kEof; c = src_.next()) {
      if (state == State::quoted) {
        if (c == '"') {
          state = State::after_quote;
        } else {
          if (c == '\n') ++line_;
          keep(rec, c);
        }
        count(rec, c);
        continue;
      }
      if (c == '\n' || (c == '\r' && src_.peek() == '\n')) {
        if (c == '\r') src_.next();
        ++line_;
        return true;
      }
      count(rec, c);
      if (c == ',') {
        rec.fields.emplace_back();
        state = State::unquoted;
        field_start = true;
        continue;
      }
      if (state == State::after_quote) {
        if (c == '"') {
          keep(rec, c);
          state = State::quoted;
          continue;
        }
        if (rec.error.empty()) {
          rec.error = "unexpected character after the closing quote of field " +
                      std::to_string(rec.fields.size());
        }
        state = State::unquoted;
      } else if (c == '"' && field_start) {
        state = State::quoted;
        field_start = false;
        continue;
      }
      field_start = false;
      keep(rec, c);
    }
    if (state == State::quoted && rec.error.empty()) rec.error = "unterminated quoted field";
    return true;
  }

 private:
  void count(CsvRecord& rec, int c) {
    if (rec.bytes < cap_) rec.raw.push_back(static_cast<char>(c));
    ++rec.bytes;
  }
  void keep(CsvRecord& rec, int c) {
    if (rec.bytes <= cap_) rec.fields.back().push_back(static_cast<char>(c));
  }

  CharSource& src_;
  std::size_t cap_;
  std::size_t line_ = 1;
};

bool is_blank(const CsvRecord& rec) {
  return rec.bytes == 0 && rec.fields.size() == 1 && rec.error.empty();
}

// The reason a record cannot be used (empty when it can).
std::string record_problem(const CsvRecord& rec, std::size_t cap) {
  if (rec.bytes > cap) return too_long(rec.line, rec.bytes, cap);
  if (auto bad = find_invalid_utf8(rec.raw); bad != std::string::npos) return bad_utf8(rec.line, bad);
  if (!rec.error.empty()) return line_prefix(rec.line) + rec.error;
  return {};
}

struct Header {
  std::vector<std::string> names;
  std::ptrdiff_t id_column = -1;
};

[[nodiscard]] Result<Header> parse_header(const CsvRecord& rec, std::size_t cap) {
  const std::string where = "CSV header (line " + std::to_string(rec.line) + ")";
  if (auto problem = record_problem(rec, cap); !problem.empty()) {
    return make_error(ErrorCode::invalid_argument,
                      where + ": " + problem.substr(line_prefix(rec.line).size()));
  }
  Header h;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < rec.fields.size(); ++i) {
    const std::string& name = rec.fields[i];
    if (name.empty()) {
      return make_error(ErrorCode::invalid_argument,
                        where + ": column " + std::to_string(i + 1) + " has no name");
    }
    if (!seen.insert(name).second) {
      return make_error(ErrorCode::invalid_argument, where + ": duplicate column " + Json(name).dump());
    }
    if (name == "id") h.id_column = static_cast<std::ptrdiff_t>(i);
    h.names.push_back(name);
  }
  return h;
}

// Flows take typed values: a cell whose whole text is JSON other than a string (42, 1.5, true,
// null, [..], {..}) keeps that type; anything else, "007" included, is the string as written.
Json cell_value(std::string cell, bool typed) {
  if (!typed) return Json(std::move(cell));
  auto j = protocol::try_parse(cell);
  if (j && !j->is_string() && !(j->is_number() && cell.size() > 1 && cell[0] == '0' &&
                                std::isdigit(static_cast<unsigned char>(cell[1])))) {
    return std::move(*j);
  }
  return Json(std::move(cell));
}

std::string fill_item(const Header& h, CsvRecord& rec, BatchItem& item, bool typed) {
  if (rec.fields.size() != h.names.size()) {
    return line_prefix(rec.line) + "expected " + std::to_string(h.names.size()) + " fields, got " +
           std::to_string(rec.fields.size());
  }
  for (std::size_t i = 0; i < rec.fields.size(); ++i) {
    if (static_cast<std::ptrdiff_t>(i) == h.id_column) {
      item.id = std::move(rec.fields[i]);
    } else {
      item.inputs[h.names[i]] = cell_value(std::move(rec.fields[i]), typed);
    }
  }
  return {};
}

}  // namespace

Result<std::vector<BatchItem>> read_csv(CharSource& src, const ReaderOptions& opts) {
  CsvParser parser(src, opts.max_line_bytes);
  CsvRecord rec;
  std::optional<Header> header;
  std::vector<BatchItem> items;
  IdSet ids;
  while (parser.next(rec)) {
    if (is_blank(rec)) continue;
    if (!header) {
      auto h = parse_header(rec, opts.max_line_bytes);
      if (!h) return tl::unexpected(h.error());
      header = std::move(*h);
      continue;
    }
    BatchItem item;
    item.index = items.size();
    item.invalid_reason = record_problem(rec, opts.max_line_bytes);
    if (item.invalid_reason.empty()) item.invalid_reason = fill_item(*header, rec, item, opts.typed_csv_cells);
    if (item.invalid_reason.empty()) item.invalid_reason = ids.check(item.id, rec.line);
    // An invalid row keeps its id when it has one, so that its record can be matched to the row.
    auto id_at = static_cast<std::size_t>(header->id_column);
    if (item.id.empty() && header->id_column >= 0 && id_at < rec.fields.size()) {
      item.id = rec.fields[id_at];
    }
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace crewai::batch::detail
