// The results file: record lines, unordered and in input order, resume with already-written items.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "batch/output_writer.hpp"
#include "crewai/batch.hpp"

namespace crewai::batch {
namespace {

namespace fs = std::filesystem;

ItemRecord record(std::size_t index) {
  ItemRecord r;
  r.index = index;
  r.id = "id" + std::to_string(index);
  r.outcome = Outcome::succeeded;
  r.kickoff_id = "k" + std::to_string(index);
  r.kickoff_ids = {r.kickoff_id};
  r.attempts = 1;
  r.result = "ok";
  return r;
}

class OutputWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "output_writer_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = (dir_ / "results.jsonl").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<Json> lines() const {
    std::ifstream f(path_);
    std::vector<Json> out;
    for (std::string line; std::getline(f, line);) out.push_back(Json::parse(line));
    return out;
  }
  std::vector<std::size_t> indexes() const {
    std::vector<std::size_t> out;
    for (const auto& j : lines()) out.push_back(j.at("index").get<std::size_t>());
    return out;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(OutputWriterTest, LineHasTheResultsFileFields) {
  ItemRecord r = record(3);
  r.outcome = Outcome::paused;
  r.pause_task_id = "t1";
  r.pause_task_output = "draft";
  r.started_at = 10.0;
  const Json j = Json::parse(results_line(r));
  EXPECT_EQ(j.at("index"), 3);
  EXPECT_EQ(j.at("id"), "id3");
  EXPECT_EQ(j.at("state"), "paused");
  EXPECT_EQ(j.at("kickoff_id"), "k3");
  EXPECT_EQ(j.at("kickoff_ids"), Json::array({"k3"}));
  EXPECT_EQ(j.at("result"), "ok");
  EXPECT_EQ(j.at("attempts"), 1);
  EXPECT_EQ(j.at("pause"), Json({{"task_id", "t1"}, {"task_output", "draft"}}));
  EXPECT_EQ(j.at("started_at"), 10.0);
  EXPECT_TRUE(j.at("finished_at").is_null());
  for (const char* key : {"request_id", "result_json", "error", "run_state", "duration_seconds"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_FALSE(Json::parse(results_line(record(1))).contains("pause"));
  // No error is null, never "" (issue 10, point 9): one spelling for "none", as documented.
  EXPECT_TRUE(Json::parse(results_line(record(1))).at("error").is_null());
  EXPECT_EQ(results_line(record(1)).rfind("{\"index\":1,\"id\":\"id1\",\"state\":\"succeeded\"", 0), 0u);
}

// results_line lists the file's fields itself; each field of the record's one JSON form
// (crewai::to_json) must be in it with the same value, `outcome` as `state` and the pause fields
// under `pause`.
TEST_F(OutputWriterTest, EveryRecordFieldIsInTheResultsLine) {
  ItemRecord paused = record(4);
  paused.outcome = Outcome::paused;
  paused.request_id = "b-4";
  paused.result_json = Json{{"b", 2}, {"a", {1, "x"}}};
  paused.error = "waiting";
  paused.run_state = "PAUSED";
  paused.pause_task_id = "t";
  paused.pause_task_output = "draft";
  paused.pause_callback_url = "https://example.test/cb";
  paused.started_at = 1.5;
  paused.finished_at = 2.5;
  paused.duration_seconds = 1.0;
  for (const ItemRecord& r : {record(0), paused}) {
    const Json record_json = to_json(r);
    const Json line = Json::parse(results_line(r));
    for (const auto& [key, value] : record_json.items()) {
      if (key == "outcome") {
        EXPECT_EQ(line.at("state"), value);
      } else if (key.rfind("pause_", 0) == 0) {
        const Json pause = line.value("pause", Json::object());
        EXPECT_EQ(pause.value(key.substr(6), Json()), value) << key;
      } else {
        ASSERT_TRUE(line.contains(key)) << key;
        EXPECT_EQ(line.at(key), value) << key;
      }
    }
    auto back = record_from_results_line(line);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(to_json(*back), record_json);
  }
}

TEST_F(OutputWriterTest, BytesThatAreNotUtf8AreReplacedNotThrown) {
  ItemRecord r = record(0);
  r.error = "cannot open /tmp/\xff\xfe.jsonl";
  r.result_json = Json{{"nested", {1, 2.5, "ok", nullptr, true}}};
  std::string line;
  ASSERT_NO_THROW(line = results_line(r));
  const Json j = Json::parse(line);
  EXPECT_EQ(j.at("error"), "cannot open /tmp/\xEF\xBF\xBD\xEF\xBF\xBD.jsonl");
  EXPECT_EQ(j.at("result_json"), Json({{"nested", {1, 2.5, "ok", nullptr, true}}}));
}

// Records whose results lines are pinned byte for byte: every field set, every optional absent,
// and strings and numbers that exercise the serialiser's escaping, U+FFFD replacement and doubles.
std::vector<ItemRecord> golden_records() {
  ItemRecord full = record(7);
  full.outcome = Outcome::paused;
  full.request_id = "b-7";
  full.kickoff_ids = {"k6", "k7"};
  full.attempts = 2;
  full.result = "draft ready";
  full.result_json = Json::parse(R"({"z":[1,-2,3.25,true,false,null,"s",{},[]],)"
                                 R"("a":{"n":18446744073709551615,"f":1e300,"m":-0.0}})");
  full.error = "waiting for feedback";
  full.run_state = "PAUSED";
  full.pause_task_id = "task-1";
  full.pause_task_output = "the draft";
  full.pause_callback_url = "https://example.test/cb?x=1&y=2";
  full.started_at = 1796062650.4470153;
  full.finished_at = 1796062650.5328157;
  full.duration_seconds = 0.0858004093170166;

  ItemRecord minimal;  // skipped before any kickoff: every optional absent, every string empty

  ItemRecord escaped = record(12);
  escaped.outcome = Outcome::failed;
  escaped.id = "q\"b\\n\nt\tc\x01\x1f" "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
  escaped.kickoff_ids = {"bad\xff\xfe", "cut\xe2\x82"};
  escaped.result = "line1\nline2\r\n\"quoted\" \\ / \x7f";
  escaped.result_json = Json{{"k\xff", "v\x80\x01"}, {"\xc3\xa9", {1.5, "\"", nullptr}}};
  escaped.error = "cannot open /tmp/\xff\xfe.jsonl";
  escaped.run_state = "FAILED";
  escaped.pause_task_output = "\xc0\xaf";  // only task_output: task_id null, no callback_url
  escaped.started_at = 0.1;
  escaped.duration_seconds = 1e-7;

  ItemRecord callback_only = record(3);
  callback_only.outcome = Outcome::paused;
  callback_only.pause_callback_url = "https://example.test/flow";
  callback_only.index = std::numeric_limits<std::size_t>::max();
  callback_only.attempts = -1;
  return {full, minimal, escaped, callback_only};
}

// The exact text, as written before results_line stopped building a DOM (issue 13): the line is
// read by other tools, resumed from and stored in the journals, so not one byte may change.
TEST_F(OutputWriterTest, ResultsLineTextIsUnchanged) {
  const std::string bad = "\xEF\xBF\xBD";  // U+FFFD, in place of each byte that is not UTF-8
  const std::string e_acute = "\xC3\xA9";
  const std::vector<std::string> expected = {
      R"({"index":7,"id":"id7","state":"paused","kickoff_id":"k7","kickoff_ids":["k6","k7"],)"
      R"("request_id":"b-7","result":"draft ready",)"
      R"("result_json":{"a":{"f":1e+300,"m":-0.0,"n":18446744073709551615},)"
      R"("z":[1,-2,3.25,true,false,null,"s",{},[]]},)"
      R"("error":"waiting for feedback","attempts":2,"run_state":"PAUSED",)"
      R"("pause":{"task_id":"task-1","task_output":"the draft",)"
      R"("callback_url":"https://example.test/cb?x=1&y=2"},)"
      R"("started_at":1796062650.4470153,"finished_at":1796062650.5328157,)"
      R"("duration_seconds":0.0858004093170166})",

      R"({"index":0,"id":"","state":"skipped","kickoff_id":"","kickoff_ids":[],"request_id":"",)"
      R"("result":null,"result_json":null,"error":null,"attempts":0,"run_state":"",)"
      R"("started_at":null,"finished_at":null,"duration_seconds":null})",

      R"({"index":12,"id":"q\"b\\n\nt\tc\u0001\u001f)" + e_acute + "\xE2\x82\xAC\xF0\x9F\x98\x80" +
          R"(","state":"failed","kickoff_id":"k12",)" +
          R"("kickoff_ids":["bad)" + bad + bad + R"(","cut)" + bad + R"("],"request_id":"",)" +
          R"("result":"line1\nline2\r\n\"quoted\" \\ / )" + "\x7F" + R"(",)" +
          R"("result_json":{"k)" + bad + R"(":"v)" + bad + R"(\u0001",")" + e_acute +
          R"(":[1.5,"\"",null]},)" +
          R"("error":"cannot open /tmp/)" + bad + bad + R"(.jsonl","attempts":1,)" +
          R"("run_state":"FAILED","pause":{"task_id":null,"task_output":")" + bad + bad + R"("},)" +
          R"("started_at":0.1,"finished_at":null,"duration_seconds":1e-07})",

      R"({"index":18446744073709551615,"id":"id3","state":"paused","kickoff_id":"k3",)"
      R"("kickoff_ids":["k3"],"request_id":"","result":"ok","result_json":null,"error":null,)"
      R"("attempts":-1,"run_state":"",)"
      R"("pause":{"task_id":null,"task_output":null,"callback_url":"https://example.test/flow"},)"
      R"("started_at":null,"finished_at":null,"duration_seconds":null})",
  };
  const auto records = golden_records();
  ASSERT_EQ(records.size(), expected.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(results_line(records[i]), expected[i]) << "record " << i;
  }
}

TEST_F(OutputWriterTest, UnorderedWritesAsRecordsCome) {
  auto w = OutputWriter::open(path_, false, 3);
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write(record(2)));
  ASSERT_TRUE((*w)->flush());
  EXPECT_EQ(indexes(), std::vector<std::size_t>{2});
  ASSERT_TRUE((*w)->write(record(0)));
  ASSERT_TRUE((*w)->finish());
  EXPECT_EQ(indexes(), (std::vector<std::size_t>{2, 0}));
}

// No write per record (issue 13): lines reach the file in blocks of 64, on flush() and at finish().
TEST_F(OutputWriterTest, LinesAreBufferedUntilFlushOrFinish) {
  auto w = OutputWriter::open(path_, false, 200);
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write(record(0)));
  ASSERT_TRUE((*w)->write(record(1)));
  EXPECT_EQ(fs::file_size(path_), 0u);
  ASSERT_TRUE((*w)->flush());
  EXPECT_EQ(indexes(), (std::vector<std::size_t>{0, 1}));
  for (std::size_t i = 2; i < 65; ++i) ASSERT_TRUE((*w)->write(record(i)));
  EXPECT_EQ(indexes().size(), 2u);  // 63 lines since the flush
  ASSERT_TRUE((*w)->write(record(65)));
  EXPECT_EQ(indexes().size(), 66u);  // the 64th: a block
  ASSERT_TRUE((*w)->write(record(66)));
  ASSERT_TRUE((*w)->flush());
  EXPECT_EQ(indexes().size(), 67u);
}

// The line made once for the journal is written as given, not made again.
TEST_F(OutputWriterTest, WritesTheLineItIsGiven) {
  auto w = OutputWriter::open(path_, true, 2);
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write(record(1), results_line(record(1))));
  ASSERT_TRUE((*w)->write(record(0), R"({"index":0,"given":true})"));
  ASSERT_TRUE((*w)->finish());
  std::ifstream f(path_);
  std::string first, second;
  std::getline(f, first);
  std::getline(f, second);
  EXPECT_EQ(first, R"({"index":0,"given":true})");
  EXPECT_EQ(second, results_line(record(1)));
}

TEST_F(OutputWriterTest, OrderedHoldsBackUntilTheGapFills) {
  auto w = OutputWriter::open(path_, true, 5);
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write(record(2)));
  ASSERT_TRUE((*w)->write(record(1)));
  EXPECT_TRUE(indexes().empty());
  EXPECT_EQ((*w)->held_back(), 2u);
  ASSERT_TRUE((*w)->write(record(0)));
  ASSERT_TRUE((*w)->flush());
  EXPECT_EQ(indexes(), (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ((*w)->held_back(), 0u);
  ASSERT_TRUE((*w)->write(record(4)));
  ASSERT_TRUE((*w)->write(record(3)));
  ASSERT_TRUE((*w)->finish());
  EXPECT_EQ(indexes(), (std::vector<std::size_t>{0, 1, 2, 3, 4}));
}

TEST_F(OutputWriterTest, OrderedResumeSkipsItemsAlreadyPresent) {
  {
    auto w = OutputWriter::open(path_, true, 4);
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->write(record(0)));
    ASSERT_TRUE((*w)->write(record(2)));  // held back: 1 never finishes in this run
  }
  EXPECT_EQ(indexes(), std::vector<std::size_t>{0});
  auto w = OutputWriter::open(path_, true, 4, OutputWriter::Mode::append);
  ASSERT_TRUE(w);
  (*w)->mark_present(0);
  ASSERT_TRUE((*w)->write(record(3)));
  ASSERT_TRUE((*w)->write(record(1)));
  ASSERT_TRUE((*w)->flush());
  EXPECT_EQ(indexes(), (std::vector<std::size_t>{0, 1}));
  ASSERT_TRUE((*w)->write(record(2)));
  ASSERT_TRUE((*w)->finish());
  EXPECT_EQ(indexes(), (std::vector<std::size_t>{0, 1, 2, 3}));
}

TEST_F(OutputWriterTest, OrderedFinishWithGapsWritesWhatItHasAndSaysWhatIsMissing) {
  auto w = OutputWriter::open(path_, true, 4);
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write(record(1)));
  ASSERT_TRUE((*w)->write(record(3)));
  auto f = (*w)->finish();
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().message, "results are incomplete: 2 of 4 items have no record (first: index 0)");
  EXPECT_EQ(indexes(), (std::vector<std::size_t>{1, 3}));
}

TEST_F(OutputWriterTest, RejectsDuplicatesAndOutOfRange) {
  auto w = OutputWriter::open(path_, true, 2);
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write(record(1)));
  EXPECT_FALSE((*w)->write(record(1)));
  EXPECT_FALSE((*w)->write(record(2)));
}

TEST_F(OutputWriterTest, ResultsLineReadsBackAsTheRecord) {
  ItemRecord r = record(3);
  r.outcome = Outcome::paused;
  r.request_id = "b-3";
  r.pause_task_id = "t1";
  r.pause_task_output = "draft";
  auto back = record_from_results_line(Json::parse(results_line(r)));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->index, 3u);
  EXPECT_EQ(back->outcome, Outcome::paused);
  EXPECT_EQ(back->request_id, "b-3");
  EXPECT_EQ(back->kickoff_ids, r.kickoff_ids);
  EXPECT_EQ(back->result, r.result);
  EXPECT_EQ(back->pause_task_id, r.pause_task_id);
  EXPECT_EQ(back->pause_task_output, r.pause_task_output);
  EXPECT_FALSE(record_from_results_line(Json::parse(R"({"index": 1, "state": "bogus"})")));
  EXPECT_FALSE(record_from_results_line(Json::array()));
}

// Mode::replace: an earlier results file stays as it was until every record is written.
TEST_F(OutputWriterTest, ReplaceKeepsTheEarlierFileUntilFinish) {
  {
    std::ofstream earlier(path_);
    earlier << results_line(record(7)) << "\n";
  }
  auto w = OutputWriter::open(path_, true, 2, OutputWriter::Mode::replace);
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write(record(1)));
  ASSERT_TRUE((*w)->write(record(0)));
  EXPECT_EQ(indexes(), std::vector<std::size_t>{7});  // the new lines are in the .partial file
  EXPECT_TRUE(fs::exists(partial_path(path_)));
  ASSERT_TRUE((*w)->finish());
  EXPECT_EQ(indexes(), (std::vector<std::size_t>{0, 1}));
  EXPECT_FALSE(fs::exists(partial_path(path_)));
}

TEST_F(OutputWriterTest, ReplaceDiscardedOrIncompleteLeavesTheEarlierFile) {
  {
    std::ofstream earlier(path_);
    earlier << results_line(record(7)) << "\n";
  }
  auto w = OutputWriter::open(path_, false, 2, OutputWriter::Mode::replace);
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write(record(0)));
  (*w)->discard();
  EXPECT_EQ(indexes(), std::vector<std::size_t>{7});
  EXPECT_FALSE(fs::exists(partial_path(path_)));

  auto o = OutputWriter::open(path_, true, 2, OutputWriter::Mode::replace);
  ASSERT_TRUE(o);
  ASSERT_TRUE((*o)->write(record(1)));
  EXPECT_FALSE((*o)->finish());  // index 0 never came: not renamed over the earlier results
  EXPECT_EQ(indexes(), std::vector<std::size_t>{7});
  EXPECT_TRUE(fs::exists(partial_path(path_)));
}

TEST_F(OutputWriterTest, ReplaceWritesAPipeOrDeviceInPlace) {
  auto w = OutputWriter::open("/dev/null", false, 1, OutputWriter::Mode::replace);
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_TRUE((*w)->write(record(0)));
  ASSERT_TRUE((*w)->finish());
  EXPECT_FALSE(fs::exists("/dev/null.partial"));
}

TEST_F(OutputWriterTest, UnopenablePathIsAnError) {
  auto w = OutputWriter::open((dir_ / "missing" / "r.jsonl").string(), false, 1);
  ASSERT_FALSE(w);
  EXPECT_THAT(w.error().message, ::testing::HasSubstr("cannot open results file"));
}

// ItemRecord <-> JSON (batch/records.cpp): the shape the results file and the journal share.
TEST(Records, RoundTripAndOutcomeNames) {
  ItemRecord r;
  r.index = 12;
  r.id = "row-12";
  r.outcome = Outcome::paused;
  r.request_id = "b-12";
  r.kickoff_id = "k2";
  r.kickoff_ids = {"k1", "k2"};
  r.attempts = 2;
  r.result = "text";
  r.result_json = Json{{"a", 1}};
  r.error = "waiting for a human";
  r.run_state = "PAUSED";
  r.pause_task_id = "t";
  r.started_at = 1.5;
  r.duration_seconds = 3.0;
  Json j = to_json(r);
  EXPECT_EQ(j["outcome"], "paused");
  EXPECT_TRUE(j["finished_at"].is_null());
  auto back = record_from_json(j);
  ASSERT_TRUE(back);
  EXPECT_EQ(to_json(*back), j);
  for (auto o : {Outcome::succeeded, Outcome::failed, Outcome::paused, Outcome::timeout, Outcome::ambiguous,
                 Outcome::invalid, Outcome::error, Outcome::skipped})
    EXPECT_EQ(outcome_from_string(to_string(o)), o);
  EXPECT_FALSE(outcome_from_string("done"));
  EXPECT_FALSE(record_from_json(Json{{"outcome", "failed"}}));
  EXPECT_FALSE(record_from_json(Json{{"index", 1}, {"outcome", "weird"}}));
  EXPECT_FALSE(record_from_json(Json::array()));
}

}  // namespace
}  // namespace crewai::batch
