// Bad input, two ways. (1) The checked-in corpus of malformed JSONL/CSV (tests/corpus, expectations in
// tests/corpus/expected.json; the 10 MB line is generated here) through `crewctl batch --sim`: exact
// records and exit code per file. (2) Every simulator garbage mode on GET /status through a Batch:
// a clear per-item error, never a crash or a hang.
#include <fstream>

#include "cli/cli_fixture.hpp"
#include "crewai/batch.hpp"

namespace crewai::test {
namespace {

std::string corpus_dir() {
  const char* src = std::getenv("CREWAI_SOURCE_DIR");
  if (src && *src) return std::string(src) + "/tests/corpus";
  return (std::filesystem::path(__FILE__).parent_path().parent_path() / "corpus").string();
}

// A good line, one line of 10 MB (a JSON object with a 10 MB string), a good line.
void generate_long_line(const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << R"({"topic": "before", "current_year": "2026"})" << "\n";
  out << R"({"topic": ")" << std::string(10u << 20, 'x') << R"(", "current_year": "2026"})" << "\n";
  out << R"({"topic": "after", "current_year": "2026"})" << "\n";
}

class CorpusTest : public CliTest {};

TEST_F(CorpusTest, EveryFileGivesTheExpectedRecordsAndExitCode) {
  std::ifstream spec_file(corpus_dir() + "/expected.json");
  ASSERT_TRUE(spec_file) << corpus_dir();
  auto spec = Json::parse(spec_file);
  ASSERT_FALSE(spec["cases"].empty());
  for (const auto& c : spec["cases"]) {
    std::string name = c["file"];
    SCOPED_TRACE(name);
    std::string input = corpus_dir() + "/" + name;
    if (c.value("generated", false)) {
      input = path(name);
      generate_long_line(input);
    }
    std::string out = path(name + ".out");
    auto r = crewctl({"batch", input, "--sim", crew("research"), "--sim-time-scale", "0.001", "-o", out,
                      "--ordered", "--poll-interval", "0.02", "-q"});
    EXPECT_EQ(r.exit_code, c["exit_code"].get<int>()) << r.err;
    auto records = json_lines(read_file(out));
    const auto& want = c["records"];
    ASSERT_EQ(records.size(), want.size()) << read_file(out) << r.err;
    for (std::size_t i = 0; i < want.size(); ++i) {
      const auto& got = records[i];
      SCOPED_TRACE("record " + std::to_string(i) + ": " + got.dump().substr(0, 300));
      EXPECT_EQ(got["index"], want[i]["index"]);
      EXPECT_EQ(got["state"], want[i]["state"]);
      if (want[i].contains("id")) {
        EXPECT_EQ(got["id"], want[i]["id"]);
      }
      // No error is null, not "" (docs/cli.md "Batch output").
      if (want[i]["state"] == "succeeded") {
        EXPECT_TRUE(got["error"].is_null());
      }
      if (want[i].contains("error")) {
        ASSERT_TRUE(got["error"].is_string());
        EXPECT_NE(got["error"].get<std::string>().find(want[i]["error"].get<std::string>()),
                  std::string::npos);
      }
      if (got["state"] == "invalid") {
        EXPECT_EQ(got["attempts"], 0);  // nothing spent on a bad line
      }
      if (got["state"] == "succeeded") {
        EXPECT_EQ(got["attempts"], 1);
      }
    }
  }
}

// --- simulator garbage on GET /status -------------------------------------------------------------

struct GarbageCase {
  std::string mode;            // the fault's key under status.garbage
  std::string error;           // expected in each record's error
};

BatchReport run_against_garbage(const std::string& mode, double oversized_mb, std::size_t items,
                                int max_failed_polls = 10) {
  SimFixture sim("research", [&](sim::ServerOptions& o) {
    Json garbage = {{mode, 1.0}};
    if (oversized_mb > 0) garbage["oversized_mb"] = oversized_mb;
    o.faults = sim::parse_faults(Json{{"status", {{"garbage", garbage}}}}).value();
  });
  ClientOptions co;
  co.base_url = sim.base_url();
  co.token = kSimToken;
  co.poll.initial = 5ms;
  co.poll.cap = 20ms;
  co.random_seed = 5;
  co.poll.max_failed_polls = max_failed_polls;
  auto client = Client::create(co).value();
  std::vector<BatchItem> list(items);
  for (std::size_t i = 0; i < items; ++i) {
    list[i].inputs = {{"topic", "g" + std::to_string(i)}, {"current_year", "2026"}};
  }
  BatchOptions o;
  o.max_concurrent = 4;
  o.item_deadline = std::chrono::milliseconds(600'000);  // a hang shows as the ctest timeout
  auto batch = Batch::create(client, std::move(list), o).value();
  auto report = batch->run();
  EXPECT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(sim.stats()["kickoffs"]["total"], static_cast<int>(items));  // polls never re-kick
  return report ? std::move(*report) : BatchReport{};
}

TEST(GarbageTest, EveryGarbageModeIsAClearPerItemError) {
  // With every status answer garbled, each run is polled PollPolicy::max_failed_polls (10) times
  // and then recorded `error` with the parse error of the last answer.
  const std::vector<GarbageCase> cases = {
      {"non_json", "status body is not JSON"},
      {"truncated", "status body is not JSON"},
      {"wrong_types", "unreadable run state"},
      {"unknown_state", "unknown run state"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.mode);
    auto report = run_against_garbage(c.mode, 0, 6);
    ASSERT_EQ(report.records.size(), 6u);
    for (const auto& r : report.records) {
      EXPECT_EQ(r.outcome, Outcome::error) << r.error;
      EXPECT_NE(r.error.find("protocol"), std::string::npos) << r.error;
      EXPECT_NE(r.error.find(c.error), std::string::npos) << r.error;
      EXPECT_FALSE(r.kickoff_id.empty());
    }
    std::printf("garbage %s: %s\n", c.mode.c_str(), report.records.front().error.c_str());
  }
}

TEST(GarbageTest, AHundredMegabyteStatusBodyIsRefusedAtTheCap) {
  // 100 MB bodies against the transport's 64 MB cap: the transfer is cut at the cap and the poll
  // counts as failed; the item is recorded `error` ("answer too large"). Each such poll moves 64 MB
  // (seconds in a debug build), so this test allows 3 failed polls instead of the default 10.
  auto report = run_against_garbage("oversized", 100, 1, 3);
  ASSERT_EQ(report.records.size(), 1u);
  for (const auto& r : report.records) {
    EXPECT_EQ(r.outcome, Outcome::error) << r.error;
    EXPECT_NE(r.error.find("too large"), std::string::npos) << r.error;
  }
  std::printf("garbage oversized: %s\n", report.records.front().error.c_str());
}

}  // namespace
}  // namespace crewai::test
