// CSV cells for a flow (ReaderOptions::typed_csv_cells): JSON non-strings keep their type, anything
// else is the text. Part of input_reader_test.
#include <gtest/gtest.h>

#include <sstream>

#include "batch/input_reader.hpp"

namespace crewai::batch {
namespace {

TEST(InputReaderFlow, CsvCellsKeepTheirJsonTypeForFlows) {
  struct Row { const char* cell; Json expected; };
  const std::vector<Row> rows = {
      {"42", 42},           {"1.5", 1.5},         {"true", true},        {"null", nullptr},
      {"\"[1, 2]\"", Json::array({1, 2})},         {"\"{\"\"a\"\": 1}\"", Json{{"a", 1}}},
      {"007", "007"},       {"hello", "hello"},   {"\"\"\"q\"\"\"", "\"q\""},
      {"2x", "2x"},
  };
  for (const auto& r : rows) {
    std::istringstream in(std::string("v\n") + r.cell + "\n");
    ReaderOptions typed;
    typed.typed_csv_cells = true;
    auto items = read_items(in, InputFormat::csv, typed);
    ASSERT_TRUE(items) << r.cell;
    ASSERT_EQ(items->size(), 1u) << r.cell;
    EXPECT_EQ((*items)[0].inputs["v"], r.expected) << r.cell;
    std::istringstream again(std::string("v\n") + r.cell + "\n");
    auto strings = read_items(again, InputFormat::csv, ReaderOptions{});
    ASSERT_TRUE(strings) << r.cell;
    EXPECT_TRUE((*strings)[0].inputs["v"].is_string()) << r.cell;
  }
}

}  // namespace
}  // namespace crewai::batch
