// batch/input_reader.hpp — batch items from JSONL or CSV, one item per data line/row.
//
// Every non-blank line (JSONL) or data row (CSV) becomes a BatchItem whose index is its position
// among data lines (0-based). A malformed one still becomes an item, with invalid_reason naming its
// 1-based physical line and what is wrong, e.g.
//   line 7: not valid JSON (column 5: syntax error ...)
//   line 3: expected a JSON object, got an array
//   line 9: invalid UTF-8 at byte 14           (byte: 1-based offset within the line)
//   line 4: 2,000,000 bytes exceeds the 1,048,576-byte line limit
//   line 5: duplicate id "a1"
// so that good lines around it still run. Only a file that cannot be read (or a CSV header that
// cannot name the columns) is an error for the whole input.
//
// JSONL: a line is either the inputs object itself, or a wrapper {"id": ..., "inputs": {...},
// "meta": {...}}. It is a wrapper exactly when it has an "inputs" key whose value is an object and
// no keys other than id, inputs and meta; anything else is the inputs (so an inputs object may
// itself have an "id" key). A wrapper's id may be a string or a number (stored as its text); meta
// must be an object or null.
//
// CSV (RFC 4180): the header row names the inputs; quoted fields may hold commas, doubled quotes
// and line breaks; CRLF or LF. A column named "id" is the item id, not an input. Values are
// strings. A row with the wrong number of fields is invalid, naming the line it starts on.
//
// Both: a leading UTF-8 byte-order mark is ignored; blank lines are skipped (not items); an empty
// input is zero items; a line longer than max_line_bytes is never held whole in memory. Every line is
// checked to be UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
#pragma once

#include <cstddef>
#include <istream>
#include <string>
#include <vector>

#include "crewai/batch.hpp"
#include "crewai/error.hpp"

namespace crewai::batch {

enum class InputFormat { automatic, jsonl, csv };

struct ReaderOptions {
  InputFormat format = InputFormat::automatic;
  std::size_t max_line_bytes = 1 << 20;  // per line (JSONL) or per record (CSV), without the newline
  // CSV cells for a flow: a cell whose whole text is JSON other than a string (42, 1.5, true, false,
  // null, [...], {...}) keeps that type; anything else, a number with a leading zero ("007")
  // included, is the text. Off (crews): every cell is a string. JSONL values always keep their types.
  bool typed_csv_cells = false;
};

// "-" reads stdin. automatic: .jsonl/.ndjson/.json → jsonl, .csv → csv, else the first non-blank
// character decides ('{' or '[' → jsonl, anything else → csv).
[[nodiscard]] Result<std::vector<BatchItem>> read_items(const std::string& path, const ReaderOptions& opts = {});
// `fmt` overrides opts.format; automatic sniffs the stream.
[[nodiscard]] Result<std::vector<BatchItem>> read_items(std::istream& in, InputFormat fmt,
                                          const ReaderOptions& opts = {});

// Where a UTF-8 check failed: the 0-based offset of the first bad byte, or npos when valid.
std::size_t find_invalid_utf8(std::string_view s) noexcept;

}  // namespace crewai::batch
