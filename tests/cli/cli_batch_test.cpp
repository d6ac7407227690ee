// crewctl batch: records, malformed lines, dry run, journal/resume after SIGINT, the progress line on
// a pseudo-terminal, and a verbose run that never shows the token.
#include <sqlite3.h>

#include <csignal>
#include <set>
#include <sstream>

#include "cli/cli_fixture.hpp"

namespace crewai::test {
namespace {

std::string topics(int n, const std::string& prefix = "topic") {
  std::string text;
  for (int i = 0; i < n; ++i) {
    text += R"({"id": "t)" + std::to_string(i) + R"(", "inputs": {"topic": ")" + prefix + " " +
            std::to_string(i) + R"(", "current_year": "2026"}})" + "\n";
  }
  return text;
}

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

class BatchTest : public CliTest {
 protected:
  std::vector<std::string> fast(std::vector<std::string> args) const {
    args.insert(args.end(), {"--poll-interval", "0.05"});
    return args;
  }
};

TEST_F(BatchTest, OrderedRecordsAndSummary) {
  SimFixture sim("research");
  auto in = write("in.jsonl", topics(10));
  auto out = path("out.jsonl");
  auto r = crewctl(conn(sim, fast({"batch", in, "-o", out, "--ordered", "--summary-json", path("s.json"),
                                   "--json"})));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto records = json_lines(read_file(out));
  ASSERT_EQ(records.size(), 10u);
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i]["index"], i);
    EXPECT_EQ(records[i]["id"], "t" + std::to_string(i));
    EXPECT_EQ(records[i]["state"], "succeeded");
    EXPECT_FALSE(records[i]["kickoff_id"].get<std::string>().empty());
    EXPECT_EQ(records[i]["attempts"], 1);
    EXPECT_TRUE(records[i]["result_json"].is_object());
  }
  auto summary = Json::parse(read_file(path("s.json")));
  EXPECT_EQ(summary["counts"]["succeeded"], 10);
  EXPECT_TRUE(summary["duration_seconds"]["p50"].is_number());
  EXPECT_EQ(Json::parse(r.out)["summary"]["exit_code"], 0);
  EXPECT_NE(r.err.find("summary: 10 items"), std::string::npos);
  EXPECT_NE(r.err.find("p90"), std::string::npos);
}

// Each record is serialised once (issue 13): the journal stores the very line the results file has.
TEST_F(BatchTest, JournalAndResultsFileCarryTheSameRecordText) {
  SimFixture sim("research");
  auto in = write("in.jsonl", topics(6) + R"({"topic": "fail x", "current_year": "2026"})" "\n");
  auto out = path("out.jsonl");
  auto r = crewctl(conn(sim, fast({"batch", in, "-o", out})));
  ASSERT_EQ(r.exit_code, 1) << r.err;  // one run fails
  std::set<std::string> file_lines;
  std::istringstream text(read_file(out));
  for (std::string line; std::getline(text, line);) file_lines.insert(line);
  ASSERT_EQ(file_lines.size(), 7u);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((out + ".journal").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT json FROM records", -1, &s, nullptr), SQLITE_OK);
  std::set<std::string> journal_lines;
  while (sqlite3_step(s) == SQLITE_ROW) {
    journal_lines.insert(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  EXPECT_EQ(journal_lines, file_lines);
}

TEST_F(BatchTest, StdinToStdout) {
  SimFixture sim("research");
  auto r = crewctl(conn(sim, fast({"batch", "-", "--no-journal"})), {}, "topic,current_year\nA,1\nB,2\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  std::set<int> idx;
  for (auto& l : lines) idx.insert(l["index"].get<int>());
  EXPECT_EQ(idx, (std::set<int>{0, 1}));
}

TEST_F(BatchTest, MalformedLinesAreInvalidOthersRun) {
  SimFixture sim("research");
  auto in = write("in.jsonl",
                  R"({"topic": "a", "current_year": "1"})" "\n"
                  R"({"topic": "b", "current_year": )" "\n"
                  R"({"topic": "c", "current_year": "1"})" "\n"
                  R"([1, 2])" "\n"
                  "\n"
                  R"({"topic": "d"})" "\n"
                  R"({"topic": "fail e", "current_year": "1"})" "\n");
  auto out = path("out.jsonl");
  auto r = crewctl(conn(sim, fast({"batch", in, "-o", out, "--ordered"})));
  EXPECT_EQ(r.exit_code, 1) << r.err;  // a failed run outranks invalid lines
  auto rec = json_lines(read_file(out));
  ASSERT_EQ(rec.size(), 6u);
  EXPECT_EQ(rec[0]["state"], "succeeded");
  EXPECT_EQ(rec[1]["state"], "invalid");
  EXPECT_NE(rec[1]["error"].get<std::string>().find("line 2"), std::string::npos);
  EXPECT_EQ(rec[2]["state"], "succeeded");
  EXPECT_EQ(rec[3]["state"], "invalid");
  EXPECT_NE(rec[3]["error"].get<std::string>().find("line 4"), std::string::npos);
  EXPECT_EQ(rec[4]["state"], "invalid");
  EXPECT_NE(rec[4]["error"].get<std::string>().find("current_year"), std::string::npos);
  EXPECT_EQ(rec[5]["state"], "failed");
  EXPECT_EQ(sim.stats()["kickoffs"]["total"], 3);

  auto only_invalid = write("bad.jsonl", R"({"topic": "a", "current_year": "1"})" "\nnot json\n");
  EXPECT_EQ(crewctl(conn(sim, fast({"batch", only_invalid, "--no-journal", "-o", path("o2")}))).exit_code, 2);
}

TEST_F(BatchTest, DryRunSpendsNothing) {
  SimFixture sim("research");
  auto in = write("in.jsonl", topics(5) + R"({"topic": "no year"})" "\n");
  auto r = crewctl(conn(sim, {"batch", in, "--dry-run", "-o", path("out.jsonl")}));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  auto rec = json_lines(read_file(path("out.jsonl")));
  ASSERT_EQ(rec.size(), 6u);
  std::size_t skipped = 0, invalid = 0;
  for (auto& x : rec) (x["state"] == "skipped" ? skipped : invalid) += 1;
  EXPECT_EQ(skipped, 5u);
  EXPECT_EQ(invalid, 1u);
  EXPECT_EQ(sim.stats()["kickoffs"]["total"], 0);
  EXPECT_FALSE(std::filesystem::exists(path("out.jsonl.journal")));
  auto clean = write("clean.jsonl", topics(3));
  EXPECT_EQ(crewctl(conn(sim, {"batch", clean, "--dry-run", "-o", path("o3")})).exit_code, 0);
  EXPECT_EQ(sim.stats()["kickoffs"]["total"], 0);
}

TEST_F(BatchTest, ExistingJournalNeedsResume) {
  SimFixture sim("research");
  auto in = write("in.jsonl", topics(4));
  auto out = path("out.jsonl");
  ASSERT_EQ(crewctl(conn(sim, fast({"batch", in, "-o", out}))).exit_code, 0);
  EXPECT_TRUE(std::filesystem::exists(out + ".journal"));
  auto again = crewctl(conn(sim, fast({"batch", in, "-o", out})));
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("--resume"), std::string::npos);
  auto resumed = crewctl(conn(sim, fast({"batch", in, "-o", out, "--resume", "--summary-json", path("s")})));
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(json_lines(read_file(out)).size(), 4u);
  EXPECT_EQ(Json::parse(read_file(path("s")))["restored"], 4);
  EXPECT_EQ(sim.stats()["kickoffs"]["total"], 4);
}

TEST_F(BatchTest, InterruptThenResumeRunsEveryItemOnce) {
  // One run takes ~1 s (125 crew seconds): the batch is still going when the first records appear.
  SimFixture sim("research", [](sim::ServerOptions& o) { o.time_scale = 0.008; });
  constexpr std::size_t kItems = 12;
  auto in = write("in.jsonl", topics(kItems));
  auto out = path("out.jsonl");
  auto args = conn(sim, fast({"batch", in, "-o", out, "--concurrency", "2"}));
  auto child = spawn(args);
  std::string err_path = last_err_;
  // Results go to out.jsonl.partial until the batch ends (then it is renamed to out.jsonl).
  ASSERT_TRUE(wait_until([&] { return count_lines(read_file(out + ".partial")) >= 2; }, 30s));
  child->signal(SIGINT);
  ASSERT_EQ(child->wait(30s), 130);
  std::string err = read_file(err_path);
  EXPECT_NE(err.find("--resume"), std::string::npos) << err;
  auto first = json_lines(read_file(out));
  EXPECT_EQ(first.size(), kItems);  // finished, drained and skipped items all have a record
  std::size_t skipped = 0;
  for (auto& r : first) skipped += r["state"] == "skipped";
  EXPECT_GT(skipped, 0u);

  args.push_back("--resume");
  auto resumed = crewctl(args);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  auto records = json_lines(read_file(out));
  ASSERT_EQ(records.size(), kItems);
  std::set<std::size_t> seen;
  for (auto& r : records) {
    EXPECT_EQ(r["state"], "succeeded") << r.dump();
    seen.insert(r["index"].get<std::size_t>());
  }
  EXPECT_EQ(seen.size(), kItems);
  auto stats = sim.stats()["kickoffs"];
  EXPECT_EQ(stats["total"], kItems);
  ASSERT_EQ(stats["by_request_id"].size(), kItems);
  for (auto& [id, n] : stats["by_request_id"].items()) EXPECT_EQ(n, 1) << id;
}

// The second Ctrl-C cancels the runs in flight (POST /stop) before leaving: they are recorded
// `cancelled` (final: a resume does not pay for them again), the untouched items stay resumable.
TEST_F(BatchTest, SecondInterruptCancelsTheRunsInFlightAndStaysResumable) {
  SimFixture sim("research", [](sim::ServerOptions& o) { o.time_scale = 0.02; });  // ~2.5 s a run
  constexpr std::size_t kItems = 4;
  auto in = write("in.jsonl", topics(kItems));
  auto out = path("out.jsonl");
  auto args = conn(sim, fast({"batch", in, "-o", out, "--concurrency", "2", "--ordered"}));
  auto verbose = args;
  verbose.push_back("--verbose");
  auto child = spawn(verbose);
  std::string err_path = last_err_;
  auto kicked = [&] {
    const std::string err = read_file(err_path), what = "POST /kickoff -> 200";
    std::size_t n = 0;
    for (auto p = err.find(what); p != std::string::npos; p = err.find(what, p + 1)) ++n;
    return n >= 2;
  };
  ASSERT_TRUE(wait_until(kicked, 30s));
  child->signal(SIGINT);
  ASSERT_TRUE(wait_until([&] { return read_file(err_path).find("stopping:") != std::string::npos; }, 10s));
  child->signal(SIGINT);
  ASSERT_EQ(child->wait(30s), 130);
  EXPECT_NE(read_file(err_path).find("cancelling the runs in flight (POST /stop) and leaving"),
            std::string::npos);
  auto first = json_lines(read_file(out));
  ASSERT_EQ(first.size(), kItems);
  EXPECT_EQ(first[0]["state"], "cancelled") << first[0].dump();  // stopped, its kickoff id kept
  EXPECT_FALSE(first[0]["kickoff_id"].get<std::string>().empty());
  EXPECT_EQ(first[3]["state"], "skipped");
  std::size_t cancelled = 0;
  for (auto& r : first) cancelled += r["state"] == "cancelled";
  EXPECT_EQ(sim.stats()["stops"].value("stopped", 0), static_cast<std::int64_t>(cancelled));

  args.push_back("--resume");
  auto resumed = crewctl(args);
  ASSERT_EQ(resumed.exit_code, 1) << resumed.err;  // cancelled runs count as not succeeded
  auto records = json_lines(read_file(out));
  ASSERT_EQ(records.size(), kItems);
  for (std::size_t i = 0; i < kItems; ++i) {
    EXPECT_EQ(records[i]["state"], first[i]["state"] == "cancelled" ? "cancelled" : "succeeded")
        << records[i].dump();
  }
  EXPECT_EQ(records[0]["kickoff_id"], first[0]["kickoff_id"]);  // never kicked off again
  auto stats = sim.stats()["kickoffs"];
  EXPECT_EQ(stats["total"], kItems);
  for (auto& [id, n] : stats["by_request_id"].items()) EXPECT_EQ(n, 1) << id;
}

TEST_F(BatchTest, ProgressLineOnPseudoTerminal) {
  SimFixture sim("research");
  auto in = write("in.jsonl", topics(6));
  std::string cmd = crewctl_bin() + " batch " + in + " -o " + path("out.jsonl") + " --no-journal --url " +
                    sim.base_url() + " --token " + kSimToken + " --poll-interval 0.05";
  std::vector<std::string> argv{"/usr/bin/script", "-qfec", cmd, "/dev/null"};
  auto env = env_;
  Child child(argv, env, "", path("pty.out"), path("pty.err"));
  ASSERT_EQ(child.wait(60s), 0) << read_file(path("pty.out"));
  std::string tty = read_file(path("pty.out"));
  EXPECT_NE(tty.find("\r["), std::string::npos) << tty;
  EXPECT_NE(tty.find("6/6"), std::string::npos) << tty;
  EXPECT_NE(tty.find("in flight"), std::string::npos);
  EXPECT_EQ(tty.find("\x1b[32m"), std::string::npos);  // NO_COLOR
  EXPECT_EQ(json_lines(read_file(path("out.jsonl"))).size(), 6u);

  auto plain = crewctl(conn(sim, fast({"batch", in, "-o", path("o2"), "--no-journal"})));
  EXPECT_EQ(plain.err.find('\r'), std::string::npos);
  EXPECT_NE(plain.err.find("progress: 6/6 done"), std::string::npos) << plain.err;
  auto quiet = crewctl(conn(sim, fast({"batch", in, "-o", path("o3"), "--no-journal", "--quiet"})));
  EXPECT_EQ(quiet.err, "");
}

TEST_F(BatchTest, VerboseBatchNeverShowsTheToken) {
  const std::string token = "tok-Zq9-distinctive-7731";
  SimFixture sim("research", [&](sim::ServerOptions& o) { o.tokens = {token}; });
  auto token_file = write("tok", token + "\n");
  auto in = write("in.jsonl", topics(4));
  auto out = path("out.jsonl");
  auto r = crewctl(fast({"batch", in, "-o", out, "--verbose", "--url", sim.base_url(), "--token-file",
                         token_file, "--journal", path("j.db"), "--summary-json", path("s.json")}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("GET /inputs -> 200"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("POST /kickoff"), std::string::npos);
  for (const auto& f : {out, path("j.db"), path("j.db-wal"), path("s.json")}) {
    EXPECT_EQ(read_file(f).find(token), std::string::npos) << f;
  }
  EXPECT_EQ(r.out.find(token), std::string::npos);
  EXPECT_EQ(r.err.find(token), std::string::npos);
}

TEST_F(BatchTest, SimBatch) {
  auto in = write("in.jsonl", topics(5));
  auto r = crewctl({"batch", in, "--sim", crew("research"), "--sim-time-scale", "0.001", "-o",
                    path("out.jsonl"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_lines(read_file(path("out.jsonl"))).size(), 5u);
  const auto summary = Json::parse(r.out)["summary"];
  EXPECT_EQ(summary["counts"]["succeeded"], 5);
  // Kickoffs share the polls' pooled connections: at most one per run in flight (and /inputs).
  EXPECT_GE(summary["connections_opened"], 1);
  EXPECT_LE(summary["connections_opened"], 6);
  EXPECT_FALSE(std::filesystem::exists(path("out.jsonl.journal")));
}

// The journal fsyncs each commit unless --journal-sync normal says otherwise; the summary reports
// the level SQLite took. The flag is refused where it means nothing.
TEST_F(BatchTest, JournalSyncIsFullUnlessToldNormal) {
  SimFixture sim("research");
  auto in = write("in.jsonl", topics(2));
  auto full = crewctl(conn(sim, fast({"batch", in, "-o", path("a.jsonl"), "--json"})));
  ASSERT_EQ(full.exit_code, 0) << full.err;
  EXPECT_EQ(Json::parse(full.out)["summary"]["journal_sync"], "full");
  auto normal = crewctl(conn(sim, fast({"batch", in, "-o", path("b.jsonl"), "--json", "--journal-sync", "normal"})));
  ASSERT_EQ(normal.exit_code, 0) << normal.err;
  EXPECT_EQ(Json::parse(normal.out)["summary"]["journal_sync"], "normal");
  EXPECT_EQ(json_lines(read_file(path("b.jsonl"))).size(), 2u);

  auto bogus = crewctl(conn(sim, fast({"batch", in, "-o", path("c.jsonl"), "--journal-sync", "always"})));
  EXPECT_EQ(bogus.exit_code, 2);
  EXPECT_NE(bogus.err.find("--journal-sync"), std::string::npos) << bogus.err;
  auto none = crewctl(conn(sim, fast({"batch", in, "-o", path("d.jsonl"), "--no-journal", "--journal-sync", "full"})));
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("--journal-sync"), std::string::npos) << none.err;
  auto shared = crewctl(conn(sim, fast({"batch", in, "-o", path("e.jsonl"), "--journal", "postgresql://db.example/x",
                                        "--journal-sync", "normal"})));
  EXPECT_EQ(shared.exit_code, 2);
  EXPECT_NE(shared.err.find("synchronous_commit"), std::string::npos) << shared.err;
}

// --journal-commit-interval paces a journal file's commits (0: none); out of range or without a
// journal file it is refused, naming the flag.
TEST_F(BatchTest, JournalCommitIntervalPacesAJournalFileOnly) {
  SimFixture sim("research");
  auto in = write("in.jsonl", topics(3));
  for (const char* ms : {"0", "50"}) {
    const std::string out = path(std::string("paced-") + ms + ".jsonl");
    auto r = crewctl(conn(sim, fast({"batch", in, "-o", out, "--journal-commit-interval", ms})));
    ASSERT_EQ(r.exit_code, 0) << ms << ": " << r.err;
    EXPECT_EQ(json_lines(read_file(out)).size(), 3u) << ms;
  }
  auto negative = crewctl(conn(sim, fast({"batch", in, "-o", path("n.jsonl"), "--journal-commit-interval", "-1"})));
  EXPECT_EQ(negative.exit_code, 2);
  EXPECT_NE(negative.err.find("--journal-commit-interval"), std::string::npos) << negative.err;
  auto none = crewctl(conn(sim, fast({"batch", in, "-o", path("d.jsonl"), "--no-journal",
                                      "--journal-commit-interval", "5"})));
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("--journal-commit-interval: there is no journal"), std::string::npos) << none.err;
  auto shared = crewctl(conn(sim, fast({"batch", in, "-o", path("e.jsonl"), "--journal", "postgresql://db.example/x",
                                        "--journal-commit-interval", "5"})));
  EXPECT_EQ(shared.exit_code, 2);
  EXPECT_NE(shared.err.find("applies to a journal file"), std::string::npos) << shared.err;
}

TEST_F(BatchTest, PausedAndCallErrorExitCodes) {
  SimFixture approval("approval");
  auto in = write("in.jsonl", R"({"topic": "a"})" "\n");
  auto paused = crewctl(conn(approval, fast({"batch", in, "--no-journal", "-o", path("o1")})));
  EXPECT_EQ(paused.exit_code, 3) << paused.err;
  EXPECT_EQ(json_lines(read_file(path("o1")))[0]["state"], "paused");
  auto auth = crewctl({"batch", in, "--no-journal", "-o", path("o2"), "--url", approval.base_url(),
                       "--token", "wrong"});
  EXPECT_EQ(auth.exit_code, 5) << auth.err;
  SimFixture slow("research", [](sim::ServerOptions& o) { o.time_scale = 1.0; });
  auto rin = write("r.jsonl", topics(1));
  auto timeout = crewctl(conn(slow, fast({"batch", rin, "--no-journal", "-o", path("o3"), "--deadline", "0.3s"})));
  EXPECT_EQ(timeout.exit_code, 4) << timeout.err;
  EXPECT_EQ(json_lines(read_file(path("o3")))[0]["state"], "timeout");
}

}  // namespace
}  // namespace crewai::test
