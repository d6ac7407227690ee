// Batch input: JSONL and CSV, every malformed kind becoming an invalid item with its line and reason.
#include "batch/input_reader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "batch/journal.hpp"

namespace crewai::batch {
namespace {

namespace fs = std::filesystem;

std::vector<BatchItem> read(const std::string& text, InputFormat fmt, ReaderOptions opts = {}) {
  std::istringstream in(text);
  auto items = read_items(in, fmt, opts);
  EXPECT_TRUE(items) << items.error().message;
  return items ? *items : std::vector<BatchItem>{};
}

std::vector<std::string> reasons(const std::vector<BatchItem>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) out.push_back(item.invalid_reason);
  return out;
}

TEST(Jsonl, PlainAndWrapperLines) {
  auto items = read(
      "{\"topic\": \"ai\"}\n"
      "{\"id\": \"a1\", \"inputs\": {\"topic\": \"ml\"}, \"meta\": {\"team\": \"x\"}}\n"
      "{\"id\": 42, \"inputs\": {\"topic\": \"db\"}}\n"
      "{\"id\": \"own\", \"topic\": \"not a wrapper\"}\n"
      "{\"inputs\": {\"inputs\": {\"a\": 1}, \"extra\": true}}\n",
      InputFormat::jsonl);
  ASSERT_EQ(items.size(), 5u);
  for (std::size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(items[i].index, i);
    EXPECT_EQ(items[i].invalid_reason, "");
  }
  EXPECT_EQ(items[0].inputs, Json({{"topic", "ai"}}));
  EXPECT_EQ(items[0].id, "");
  EXPECT_EQ(items[1].id, "a1");
  EXPECT_EQ(items[1].inputs, Json({{"topic", "ml"}}));
  EXPECT_EQ(items[1].meta, Json({{"team", "x"}}));
  EXPECT_EQ(items[2].id, "42");
  EXPECT_EQ(items[3].id, "");
  EXPECT_EQ(items[3].inputs, Json({{"id", "own"}, {"topic", "not a wrapper"}}));
  // A crew input named "inputs" goes inside a wrapper.
  EXPECT_EQ(items[4].inputs, Json({{"inputs", {{"a", 1}}}, {"extra", true}}));
}

TEST(Jsonl, AWrapperWithAStrayKeySaysWhichKey) {
  auto items = read("{\"id\": \"w1\", \"inputs\": {\"a\": 1}, \"priority\": 2}\n"
                    "{\"inputs\": {\"a\": 1}, \"extra\": true}\n",
                    InputFormat::jsonl);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].id, "w1");
  EXPECT_EQ(items[0].invalid_reason,
            "line 1: a wrapper line takes only \"id\", \"inputs\" and \"meta\", got \"priority\"");
  EXPECT_EQ(items[1].invalid_reason,
            "line 2: a wrapper line takes only \"id\", \"inputs\" and \"meta\", got \"extra\"");
}

TEST(Jsonl, EveryMalformedKindNamesItsLineAndGoodLinesStillCome) {
  auto items = read(
      "{\"n\": 1}\n"                                   // line 1
      "\n"                                             // 2: blank, skipped
      "{\"n\": \n"                                     // 3: bad JSON
      "[1, 2]\n"                                       // 4: array
      "null\n"                                         // 5: null
      "   \t \r\n"                                     // 6: blank
      "\"text\"\n"                                     // 7: scalar
      "{\"n\": \"caf\xC3\xA9\", \"bad\": \"\xC3\x28\"}\n"  // 8: invalid UTF-8 at byte 24
      "{\"id\": \"a1\", \"inputs\": {}}\n"             // 9
      "{\"id\": \"a1\", \"inputs\": {\"x\": 1}}\n"     // 10: duplicate id
      "{\"id\": [1], \"inputs\": {}}\n"                // 11: bad id type
      "{\"inputs\": {}, \"meta\": 3}\n"                // 12: bad meta
      "7\n"                                            // 13: number
      "{\"n\": 2}\r\n",                                // 14: CRLF
      InputFormat::jsonl);
  ASSERT_EQ(items.size(), 12u);
  EXPECT_THAT(reasons(items),
              ::testing::ElementsAre(
                  "",
                  "line 3: not valid JSON (column 7: syntax error while parsing value - unexpected "
                  "end of input; expected '[', '{', or a literal)",
                  "line 4: expected a JSON object, got an array",
                  "line 5: expected a JSON object, got null",
                  "line 7: expected a JSON object, got a string",
                  "line 8: invalid UTF-8 at byte 24",
                  "",
                  "line 10: duplicate id \"a1\"",
                  "line 11: \"id\" must be a string or a number, got an array",
                  "line 12: \"meta\" must be an object, got a number",
                  "line 13: expected a JSON object, got a number",
                  ""));
  EXPECT_EQ(items[9].index, 9u);
  EXPECT_EQ(items[11].inputs, Json({{"n", 2}}));
  EXPECT_EQ(items[7].id, "a1");
}

TEST(Jsonl, Utf8RejectsOverlongsSurrogatesAndBeyondUnicode) {
  EXPECT_EQ(find_invalid_utf8("plain"), std::string::npos);
  EXPECT_EQ(find_invalid_utf8("\xE2\x82\xAC \xF0\x9F\x98\x80"), std::string::npos);
  EXPECT_EQ(find_invalid_utf8("ab\xC0\xAF"), 2u);          // overlong '/'
  EXPECT_EQ(find_invalid_utf8("\xE0\x80\xAF"), 0u);        // overlong, 3 bytes
  EXPECT_EQ(find_invalid_utf8("x\xED\xA0\x80"), 1u);       // surrogate U+D800
  EXPECT_EQ(find_invalid_utf8("\xF4\x90\x80\x80"), 0u);    // U+110000
  EXPECT_EQ(find_invalid_utf8("\xF5\x80\x80\x80"), 0u);
  EXPECT_EQ(find_invalid_utf8("ok\xE2\x82"), 2u);          // truncated
  EXPECT_EQ(find_invalid_utf8("\x80"), 0u);                // lone continuation
}

TEST(Jsonl, HugeLineIsReportedWithoutTakingTheRunDown) {
  std::string text = "{\"a\": 1}\n{\"big\": \"" + std::string(10'000'000, 'x') + "\"}\n{\"b\": 2}\n";
  auto items = read(text, InputFormat::jsonl);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].invalid_reason, "");
  EXPECT_EQ(items[1].invalid_reason, "line 2: 10,000,011 bytes exceeds the 1,048,576-byte line limit");
  EXPECT_EQ(items[2].invalid_reason, "");
  EXPECT_EQ(items[2].inputs, Json({{"b", 2}}));
}

TEST(Jsonl, NumberOverflowAndDeepNestingAreInvalidLinesNotCrashes) {
  // Found by fuzz_input_reader in CI: nlohmann reports 1e400 as out_of_range, not parse_error, and
  // the uncaught exception ended the process. Deep nesting overflowed the stack when hashed.
  const std::string deep = "{\"a\": " + std::string(400'000, '[') + std::string(400'000, ']') + "}";
  const std::string ok_deep = "{\"a\": " + std::string(127, '[') + std::string(127, ']') + "}";
  auto items =
      read("{\"a\": 1e400}\n" + deep + "\n" + ok_deep + "\n{\"b\": -1e308}\n", InputFormat::jsonl);
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0].invalid_reason, "line 1: not valid JSON (number overflow parsing '1e400')");
  EXPECT_EQ(items[1].invalid_reason, "line 2: not valid JSON (nested deeper than 128 levels)");
  EXPECT_EQ(items[2].invalid_reason, "");
  EXPECT_EQ(items[3].invalid_reason, "");
  EXPECT_FALSE(hash_items(items).empty());  // hashing serialises every item: no deep recursion left
}

TEST(Jsonl, LineLimitIsConfigurable) {
  ReaderOptions opts;
  opts.max_line_bytes = 10;
  auto items = read("{\"a\": 123}\n{\"a\": 1234}\n", InputFormat::jsonl, opts);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].invalid_reason, "");
  EXPECT_EQ(items[1].invalid_reason, "line 2: 11 bytes exceeds the 10-byte line limit");
}

TEST(Jsonl, EmptyAndBlankInputsAreZeroItems) {
  EXPECT_TRUE(read("", InputFormat::jsonl).empty());
  EXPECT_TRUE(read("\n\n  \n", InputFormat::jsonl).empty());
  EXPECT_TRUE(read("", InputFormat::csv).empty());
  EXPECT_TRUE(read("", InputFormat::automatic).empty());
}

TEST(Csv, HeaderQuotingCrlfAndIdColumn) {
  auto items = read(
      "id,topic,notes\r\n"
      "r1,\"a, b\",\"say \"\"hi\"\"\"\r\n"
      "r2,multi,\"line one\nline two\"\r\n"
      "\r\n"
      ",plain,\r\n",
      InputFormat::csv);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].id, "r1");
  EXPECT_EQ(items[0].inputs, Json({{"topic", "a, b"}, {"notes", "say \"hi\""}}));
  EXPECT_EQ(items[1].id, "r2");
  EXPECT_EQ(items[1].inputs, Json({{"topic", "multi"}, {"notes", "line one\nline two"}}));
  EXPECT_EQ(items[2].id, "");
  EXPECT_EQ(items[2].inputs, Json({{"topic", "plain"}, {"notes", ""}}));
  for (const auto& item : items) EXPECT_EQ(item.invalid_reason, "");
}

TEST(Csv, MalformedRowsNameTheirLine) {
  auto items = read(
      "id,topic\n"          // 1
      "a,x\n"               // 2
      "b,y,extra\n"         // 3: too many
      "c\n"                 // 4: too few
      "d,\"multi\nline\"\n" // 5-6
      "e,\"bad\"tail\n"     // 7
      "a,dup\n"             // 8
      "f,\xFF\n"            // 9
      "g,\"never closed\n",  // 10
      InputFormat::csv);
  EXPECT_THAT(reasons(items), ::testing::ElementsAre(
                                  "", "line 3: expected 2 fields, got 3", "line 4: expected 2 fields, got 1",
                                  "", "line 7: unexpected character after the closing quote of field 2",
                                  "line 8: duplicate id \"a\"", "line 9: invalid UTF-8 at byte 3",
                                  "line 10: unterminated quoted field"));
  EXPECT_EQ(items[3].inputs, Json({{"topic", "multi\nline"}}));
}

TEST(Csv, HeaderProblemsAreErrorsForTheWholeInput) {
  std::istringstream dup("a,b,a\n1,2,3\n");
  auto r = read_items(dup, InputFormat::csv);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "CSV header (line 1): duplicate column \"a\"");
  std::istringstream unnamed("a,,c\n");
  r = read_items(unnamed, InputFormat::csv);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "CSV header (line 1): column 2 has no name");
  EXPECT_TRUE(read("a,b\n", InputFormat::csv).empty());
}

TEST(Csv, HugeRecordIsBounded) {
  ReaderOptions opts;
  opts.max_line_bytes = 100;
  auto items = read("t\n\"" + std::string(5000, 'q') + "\"\nok\n", InputFormat::csv, opts);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].invalid_reason, "line 2: 5,002 bytes exceeds the 100-byte line limit");
  EXPECT_EQ(items[1].inputs, Json({{"t", "ok"}}));
}

TEST(Format, SniffedFromTheFirstNonBlankCharacter) {
  auto j = read("\n  {\"a\": 1}\n", InputFormat::automatic);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0].inputs, Json({{"a", 1}}));
  auto c = read("\xEF\xBB\xBFtopic\nx\n", InputFormat::automatic);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].inputs, Json({{"topic", "x"}}));
  auto bom_json = read("\xEF\xBB\xBF{\"a\": 2}\n", InputFormat::automatic);
  ASSERT_EQ(bom_json.size(), 1u);
  EXPECT_EQ(bom_json[0].invalid_reason, "");
}

class FileInput : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "input_reader_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    auto p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  fs::path dir_;
};

TEST_F(FileInput, FormatFollowsTheExtension) {
  // A .csv whose first character is '{' is still CSV; a .jsonl file is JSONL.
  auto csv = read_items(write("in.csv", "{col}\nv\n"));
  ASSERT_TRUE(csv);
  ASSERT_EQ(csv->size(), 1u);
  EXPECT_EQ((*csv)[0].inputs, Json({{"{col}", "v"}}));
  auto jsonl = read_items(write("in.ndjson", "{\"a\": 1}\n"));
  ASSERT_TRUE(jsonl);
  EXPECT_EQ((*jsonl)[0].inputs, Json({{"a", 1}}));
  auto sniffed = read_items(write("in.txt", "a,b\n1,2\n"));
  ASSERT_TRUE(sniffed);
  EXPECT_EQ((*sniffed)[0].inputs, Json({{"a", "1"}, {"b", "2"}}));
}

TEST_F(FileInput, UnreadableFilesAreErrors) {
  auto missing = read_items((dir_ / "nope.jsonl").string());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message,
            "cannot open input " + (dir_ / "nope.jsonl").string() + ": No such file or directory");
  auto directory = read_items(dir_.string());
  ASSERT_FALSE(directory);
  EXPECT_THAT(directory.error().message, ::testing::HasSubstr("is a directory"));
}

}  // namespace
}  // namespace crewai::batch
