// batch/input_detail.hpp — pieces shared by the JSONL and CSV readers (not public).
#pragma once

#include <cstddef>
#include <istream>
#include <string>
#include <unordered_map>
#include <vector>

#include "batch/input_reader.hpp"

namespace crewai::batch::detail {

// Characters from a stream, with a few already-read characters replayed first (format sniffing
// reads ahead without losing anything).
class CharSource {
 public:
  CharSource(std::streambuf* sb, std::string replay) : sb_(sb), replay_(std::move(replay)) {}
  int next() {
    if (pos_ < replay_.size()) return static_cast<unsigned char>(replay_[pos_++]);
    return sb_ ? sb_->sbumpc() : std::char_traits<char>::eof();
  }
  int peek() {
    if (pos_ < replay_.size()) return static_cast<unsigned char>(replay_[pos_]);
    return sb_ ? sb_->sgetc() : std::char_traits<char>::eof();
  }

 private:
  std::streambuf* sb_;
  std::string replay_;
  std::size_t pos_ = 0;
};

constexpr int kEof = std::char_traits<char>::eof();

// "2,000,000"
std::string group_thousands(std::size_t n);
std::string line_prefix(std::size_t line);  // "line 7: "
std::string too_long(std::size_t line, std::size_t bytes, std::size_t cap);
std::string bad_utf8(std::size_t line, std::size_t offset);  // offset 0-based; printed 1-based

// Remembers ids seen so far; the second line with an id is invalid.
class IdSet {
 public:
  // Empty string when `id` is new (or empty), else the invalid reason.
  std::string check(const std::string& id, std::size_t line);

 private:
  std::unordered_map<std::string, std::size_t> first_line_;
};

[[nodiscard]] Result<std::vector<BatchItem>> read_jsonl(CharSource& src, const ReaderOptions& opts);
Result<std::vector<BatchItem>> read_csv(CharSource& src, const ReaderOptions& opts);

}  // namespace crewai::batch::detail
