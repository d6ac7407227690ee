#include <sstream>
#include <string>

#include "batch/input_reader.hpp"
#include "batch/journal.hpp"
#include "fuzz/targets.hpp"

namespace crewai::fuzz {
namespace {

void read_as(std::string_view data, batch::InputFormat fmt, std::size_t max_line) {
  std::istringstream in{std::string(data)};
  batch::ReaderOptions opts;
  opts.max_line_bytes = max_line;
  auto items = batch::read_items(in, fmt, opts);
  if (!items) return;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const auto& item = (*items)[i];
    if (item.index != i) __builtin_trap();  // indexes are positions among data lines
    if (item.invalid_reason.empty() && !item.inputs.is_object()) __builtin_trap();
  }
  volatile std::size_t n = batch::hash_items(*items).size();
  (void)n;
}

}  // namespace

void input_reader_one(std::string_view data) {
  for (auto fmt : {batch::InputFormat::jsonl, batch::InputFormat::csv, batch::InputFormat::automatic}) {
    read_as(data, fmt, std::size_t{1} << 20);
    read_as(data, fmt, 64);  // the over-long line/record path
  }
  (void)batch::find_invalid_utf8(data);
}

}  // namespace crewai::fuzz
