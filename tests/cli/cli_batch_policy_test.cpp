// crewctl batch policies end to end: --retry-failed, --max-errors, --max-error-rate, --rate and
// --rerun-ambiguous, each against the in-process simulator and checked by what it counted.
#include <algorithm>
#include <set>

#include "cli/cli_fixture.hpp"

namespace crewai::test {
namespace {

// `n` lines; topics starting with "fail" make the research crew's run end FAILED.
std::string lines(int n, const std::string& prefix) {
  std::string text;
  for (int i = 0; i < n; ++i) {
    text += R"({"id": ")" + prefix + std::to_string(i) + R"(", "inputs": {"topic": ")" + prefix + " " +
            std::to_string(i) + R"(", "current_year": "2026"}})" + "\n";
  }
  return text;
}

std::map<std::string, int> count_states(const std::vector<Json>& records) {
  std::map<std::string, int> n;
  for (const auto& r : records) ++n[r.at("state").get<std::string>()];
  return n;
}

class BatchPolicyTest : public CliTest {
 protected:
  ProcResult batch(const SimFixture& sim, const std::string& in, std::vector<std::string> extra) {
    std::vector<std::string> args{"batch",
                                  in,
                                  "-o",
                                  path("out.jsonl"),
                                  "--ordered",
                                  "--poll-interval",
                                  "0.05",
                                  "--summary-json",
                                  path("summary.json")};
    args.insert(args.end(), extra.begin(), extra.end());
    return crewctl(conn(sim, args));
  }
  std::vector<Json> records() const { return json_lines(read_file(path("out.jsonl"))); }
  Json summary() const { return Json::parse(read_file(path("summary.json")), nullptr, false); }
};

TEST_F(BatchPolicyTest, RetryFailedKicksOffAFailedRunAgainWithANewRequestId) {
  SimFixture sim("research");
  auto in = write("in.jsonl", lines(1, "fail") + lines(1, "good"));
  auto r = batch(sim, in, {"--retry-failed", "2", "--no-journal"});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // still failed after the retries
  auto rec = records();
  ASSERT_EQ(rec.size(), 2u);
  EXPECT_EQ(rec[0]["state"], "failed");
  EXPECT_EQ(rec[0]["attempts"], 3);
  ASSERT_EQ(rec[0]["kickoff_ids"].size(), 3u);
  std::set<std::string> ids(rec[0]["kickoff_ids"].begin(), rec[0]["kickoff_ids"].end());
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_NE(rec[0]["error"].get<std::string>().find("source unavailable"), std::string::npos);
  EXPECT_EQ(rec[1]["state"], "succeeded");
  EXPECT_EQ(rec[1]["attempts"], 1);
  EXPECT_EQ(sim.stats()["kickoffs"]["total"], 4);  // 3 for the failing item, 1 for the good one
}

TEST_F(BatchPolicyTest, MaxErrorsStopsNewKickoffsAndSkipsTheRest) {
  SimFixture sim("research");
  auto in = write("in.jsonl", lines(10, "fail"));
  auto r = batch(sim, in, {"--max-errors", "2", "--concurrency", "1", "--no-journal"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto rec = records();
  ASSERT_EQ(rec.size(), 10u);  // nothing lost: every item has a record
  auto n = count_states(rec);
  EXPECT_EQ(n["failed"], 2);
  EXPECT_EQ(n["skipped"], 8);
  EXPECT_EQ(sim.stats()["kickoffs"]["total"], 2);
  for (const auto& x : rec) {
    if (x["state"] == "skipped") {
      EXPECT_NE(x["error"].get<std::string>().find("the batch stopped"), std::string::npos) << x;
    }
  }
  EXPECT_NE(r.err.find("stopped early: max errors reached (2)"), std::string::npos) << r.err;
  EXPECT_TRUE(summary()["stopped"].get<bool>());
}

TEST_F(BatchPolicyTest, MaxErrorRateJudgesOnlyAfterTwentyRecords) {
  SimFixture sim("research");
  // 19 good items first: the rate is judged from the 20th record on, then 30 failures push it over.
  auto in = write("in.jsonl", lines(19, "good") + lines(30, "fail"));
  auto r = batch(sim, in, {"--max-error-rate", "0.3", "--concurrency", "1", "--no-journal"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto rec = records();
  ASSERT_EQ(rec.size(), 49u);
  auto n = count_states(rec);
  EXPECT_EQ(n["succeeded"], 19);
  // errors/finished > 0.3 first holds at 9 failures of 28 records (8/27 is not over).
  EXPECT_EQ(n["failed"], 9);
  EXPECT_EQ(n["skipped"], 21);
  EXPECT_EQ(sim.stats()["kickoffs"]["total"], 28);
  EXPECT_TRUE(summary()["stopped"].get<bool>());

  auto bad = crewctl(conn(sim, {"batch", in, "--max-error-rate", "1.5", "-o", path("x")}));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--max-error-rate"), std::string::npos) << bad.err;
}

TEST_F(BatchPolicyTest, RateSpacesKickoffsAfterTheBurst) {
  SimFixture sim("research");
  auto in = write("in.jsonl", lines(10, "good"));
  auto r = batch(sim, in, {"--rate", "4", "--no-journal"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rec = records();
  ASSERT_EQ(rec.size(), 10u);
  std::vector<double> started;
  for (const auto& x : rec) started.push_back(x["started_at"].get<double>());
  std::sort(started.begin(), started.end());
  // A token bucket of 4 filling at 4/s: in any span of T seconds at most 4 + 4T kickoffs start, so
  // the 10th starts at least 1.5 s after the first. (A lower bound: a slow machine only spaces them
  // more.)
  for (std::size_t i = 0; i < started.size(); ++i) {
    for (std::size_t j = i + 1; j < started.size(); ++j) {
      const double span = started[j] - started[i] + 0.05;
      EXPECT_LE(static_cast<double>(j - i + 1), 4.0 + 4.0 * span) << "kickoffs " << i << ".." << j;
    }
  }
  EXPECT_GE(started.back() - started.front(), 1.5 - 0.05);
  EXPECT_EQ(crewctl(conn(sim, {"batch", in, "--rate", "-1", "-o", path("x")})).exit_code, 2);
}

TEST_F(BatchPolicyTest, AmbiguousItemsAreKickedOffAgainOnlyWhenAsked) {
  SimFixture sim("research", [](sim::ServerOptions& o) {
    o.faults.endpoints["kickoff"].drop_response = 1.0;  // every run starts, no answer comes back
  });
  auto in = write("in.jsonl", lines(3, "good"));
  auto first = batch(sim, in, {});
  EXPECT_EQ(first.exit_code, 5) << first.err;
  EXPECT_EQ(count_states(records())["ambiguous"], 3);
  EXPECT_EQ(sim.stats()["kickoffs"]["total"], 3);  // paid for, never sent twice

  sim.server().set_faults({});
  auto plain = batch(sim, in, {"--resume"});
  EXPECT_EQ(plain.exit_code, 5) << plain.err;
  EXPECT_EQ(count_states(records())["ambiguous"], 3);
  EXPECT_EQ(sim.stats()["kickoffs"]["total"], 3);  // a resume alone does not pay again

  auto rerun = batch(sim, in, {"--resume", "--rerun-ambiguous"});
  EXPECT_EQ(rerun.exit_code, 0) << rerun.err;
  auto rec = records();
  ASSERT_EQ(rec.size(), 3u);
  for (const auto& x : rec) {
    EXPECT_EQ(x["state"], "succeeded");
    EXPECT_EQ(x["attempts"], 2);  // the ambiguous attempt, then the new one (a new request id)
    const auto rid = x["request_id"].get<std::string>();
    EXPECT_EQ(rid.substr(rid.size() - 3), "-a2") << x;
  }
  EXPECT_EQ(sim.stats()["kickoffs"]["total"], 6);

  auto again = batch(sim, in, {"--resume", "--rerun-ambiguous"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(sim.stats()["kickoffs"]["total"], 6);  // finished items are never re-run
  EXPECT_EQ(crewctl(conn(sim, {"batch", in, "--rerun-ambiguous", "-o", path("y")})).exit_code, 2);
}

}  // namespace
}  // namespace crewai::test
