// Reliability: `crewctl batch` SIGKILLed at 10 random (seeded) moments and resumed each time, with
// the first kickoffs' answers dropped so that `--resume --rerun-ambiguous` always has work; a
// journal that cannot be written (read-only place, full disk) is a clear error before any kickoff.
#include <csignal>
#include <random>

#include "cli/cli_fixture.hpp"
#include "crewai/batch.hpp"
#include "reliability/accounting.hpp"

namespace crewai::test {
namespace {

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

class CrashTest : public CliTest {
 protected:
  std::vector<std::string> batch_args(const SimFixture& sim, const std::string& in,
                                      std::vector<std::string> extra = {}) const {
    std::vector<std::string> args = {"batch", in, "-o", path("out.jsonl"), "--journal",
                                     path("batch.journal"), "--concurrency", "16",
                                     "--poll-interval", "0.05", "-q"};
    args.insert(args.end(), extra.begin(), extra.end());
    return conn(sim, args);
  }
};

TEST_F(CrashTest, SigkillAtTenRandomMomentsThenResumeKicksOffNothingTwice) {
  constexpr std::size_t kItems = 400;
  constexpr int kKills = 10;
  SimFixture sim("research", [](sim::ServerOptions& o) { o.time_scale = 0.002; });  // 0.25 s a run
  auto in = write("in.jsonl", topics_jsonl(kItems));
  std::mt19937 rng(20260611);
  std::uniform_int_distribution<std::size_t> pick(0, kItems * 9 / 10);
  std::vector<std::size_t> moments;
  for (int i = 0; i < kKills; ++i) moments.push_back(pick(rng));
  std::sort(moments.begin(), moments.end());

  auto t0 = std::chrono::steady_clock::now();
  bool first = true;
  for (std::size_t moment : moments) {
    // Killed once the results being written (out.jsonl.partial until the batch ends) hold `moment`
    // lines (restored records are written first, so a small moment kills a resumed batch while it
    // is starting up).
    auto child = spawn(batch_args(sim, in, {"--resume-or-start"}));  // the first has no journal yet
    if (std::exchange(first, false)) {
      // The simulator creates the first kickoffs' runs and drops their answers: those items are
      // ambiguous on every run of this test, not only when a kill lands between intent and id.
      sim.server().set_faults(sim::parse_faults(nlohmann::json{{"kickoff", {{"drop_response", 1.0}}}}).value());
      ASSERT_TRUE(wait_until([&] { return sim.stats()["kickoffs"]["total"].get<int>() >= 1; }, 60s));
      sim.server().set_faults({});
    }
    ASSERT_TRUE(wait_until([&] { return count_lines(read_file(path("out.jsonl.partial"))) >= moment; }, 120s));
    child->signal(SIGKILL);
    int code = child->wait(30s);
    EXPECT_TRUE(code == 128 + SIGKILL || code == 0) << code << read_file(last_err_);
  }
  auto last = crewctl(batch_args(sim, in, {"--resume"}));
  EXPECT_TRUE(last.exit_code == 0 || last.exit_code == 5) << last.exit_code << last.err;
  auto records = json_lines(read_file(path("out.jsonl")));
  auto a = Accounting::of(kItems, records, {sim.stats()});
  print_figure(a.figure("crash-resume kills=" + std::to_string(kKills), seconds_since(t0)));
  EXPECT_EQ(records.size(), kItems);
  EXPECT_EQ(a.lost, 0u) << a.first_problems();
  EXPECT_EQ(a.duplicates, 0u) << a.first_problems();
  EXPECT_EQ(a.count("succeeded") + a.count("ambiguous"), kItems);
  EXPECT_LE(a.sim_kickoffs, static_cast<std::int64_t>(kItems));
  for (const auto& r : records) {
    if (r["state"] == "ambiguous") {
      EXPECT_NE(r["error"].get<std::string>().find("ambiguous"), std::string::npos) << r.dump();
    }
  }

  // Kicking the ambiguous ones off again uses new requestIds: still no requestId twice, and the
  // simulator counts exactly one new kickoff per ambiguous item.
  const std::size_t ambiguous = a.count("ambiguous");
  ASSERT_GE(ambiguous, 1u);
  auto rerun = crewctl(batch_args(sim, in, {"--resume", "--rerun-ambiguous"}));
  EXPECT_EQ(rerun.exit_code, 0) << rerun.err;
  auto after = Accounting::of(kItems, json_lines(read_file(path("out.jsonl"))), {sim.stats()});
  EXPECT_EQ(after.count("succeeded"), kItems);
  EXPECT_EQ(after.duplicates, 0u) << after.first_problems();
  EXPECT_EQ(after.sim_kickoffs, a.sim_kickoffs + static_cast<std::int64_t>(ambiguous));
}

// --- the journal cannot be written --------------------------------------------------------------
//
// Tests run as root in CI, where a chmod 0555 directory stops nothing. These places refuse a new file
// whatever the caller's privileges: procfs has no file creation at all (ENOENT), and a path whose
// parent is a regular file fails with ENOTDIR.
std::vector<std::string> unwritable_journals(const std::string& regular_file) {
  return {"/proc/self/crewai-journal.sqlite", regular_file + "/journal.sqlite"};
}

TEST_F(CrashTest, ReadOnlyJournalIsAClearErrorBeforeAnyKickoff) {
  SimFixture sim("research");
  auto regular = write("plain-file", "x");
  ClientOptions co;
  co.base_url = sim.base_url();
  co.token = kSimToken;
  auto client = Client::create(co).value();
  for (const auto& journal : unwritable_journals(regular)) {
    std::vector<BatchItem> items(3);
    for (std::size_t i = 0; i < items.size(); ++i) {
      items[i].inputs = {{"topic", "t" + std::to_string(i)}, {"current_year", "2026"}};
    }
    BatchOptions o;
    o.journal_path = journal;
    auto b = Batch::create(client, items, o);
    if (b) {
      auto r = (*b)->run();
      ASSERT_FALSE(r) << journal << ": the batch ran without its journal";
      EXPECT_NE(r.error().message.find("journal"), std::string::npos) << r.error().message;
    } else {
      EXPECT_NE(b.error().message.find("journal"), std::string::npos) << b.error().message;
    }

    auto cli = crewctl(conn(sim, {"batch", write("in.jsonl", topics_jsonl(3)), "-o", path("out.jsonl"),
                                  "--journal", journal}));
    EXPECT_EQ(cli.exit_code, 2) << journal << "\n" << cli.err;
    EXPECT_NE(cli.err.find("journal"), std::string::npos) << cli.err;
    EXPECT_EQ(sim.stats()["kickoffs"]["total"], 0) << journal;
  }
  print_figure("reliability: read-only-journal places=2 kickoffs=" +
               sim.stats()["kickoffs"]["total"].dump() + " dup=0 lost=0");
}

// A full disk: SQLite ignores /dev/full tricks and a tiny filesystem cannot be mounted here, so the
// file-size limit (RLIMIT_FSIZE, `ulimit -f`) stands in for it: every write past the limit fails
// (EFBIG; SIGXFSZ is ignored, as a full disk raises no signal), root included. The child's output
// goes through a pipe to `cat`, outside the limit, so its messages survive.
class FullDiskTest : public CrashTest {
 protected:
  // crewctl under `ulimit -f BLOCKS` (512-byte blocks); returns its merged output and "exit=N".
  std::string run_limited(int blocks, const std::vector<std::string>& crewctl_args) {
    std::vector<std::string> args = {
        "/bin/sh", "-c",
        "trap '' XFSZ; { (ulimit -f " + std::to_string(blocks) +
            "; exec \"$@\") 2>&1; echo \"exit=$?\"; } | cat",
        "sh", crewctl_bin()};
    args.insert(args.end(), crewctl_args.begin(), crewctl_args.end());
    Child child(args, env_, "", path("limited.out"), path("limited.err"));
    EXPECT_EQ(child.wait(120s), 0);
    return read_file(path("limited.out"));
  }
};

TEST_F(FullDiskTest, FullDiskJournalIsAClearErrorBeforeAnyKickoff) {
  SimFixture sim("research");
  auto in = write("in.jsonl", topics_jsonl(20));
  std::string out = run_limited(0, conn(sim, {"batch", in, "-o", path("out.jsonl"), "--journal",
                                              path("full.journal")}));
  // An error exit (5: "journal ...: cannot open: disk I/O error"), not a signal (exit=1xx).
  EXPECT_TRUE(out.find("exit=5\n") != std::string::npos || out.find("exit=2\n") != std::string::npos) << out;
  EXPECT_NE(out.find("journal"), std::string::npos) << out;
  EXPECT_EQ(sim.stats()["kickoffs"]["total"], 0) << out;
  print_figure("reliability: full-disk-journal fsize=0 kickoffs=" +
               sim.stats()["kickoffs"]["total"].dump() + " dup=0 lost=0");
}

// The disk fills mid-batch (40 KB per file allowed): crewctl stops kicking off with a clear message
// and an error exit; once there is room again, --resume finishes every item without a second
// kickoff. Runs whose kickoff id could not be journalled come back `ambiguous` (not re-kicked).
TEST_F(FullDiskTest, DiskFillingMidBatchStopsCleanlyAndResumes) {
  constexpr std::size_t kItems = 300;
  SimFixture sim("research");
  auto in = write("in.jsonl", topics_jsonl(kItems));
  auto t0 = std::chrono::steady_clock::now();
  std::string out = run_limited(80, batch_args(sim, in));
  EXPECT_NE(out.find("exit=5\n"), std::string::npos) << out;
  // Whichever file hits the limit first is named: the journal ("disk I/O error") or the results.
  EXPECT_TRUE(out.find("disk I/O error") != std::string::npos ||
              out.find("File too large") != std::string::npos) << out;
  auto stopped_at = sim.stats()["kickoffs"]["total"].get<std::size_t>();
  EXPECT_LT(stopped_at, kItems);

  auto resumed = crewctl(batch_args(sim, in, {"--resume"}));
  EXPECT_TRUE(resumed.exit_code == 0 || resumed.exit_code == 5) << resumed.err;
  auto records = json_lines(read_file(path("out.jsonl")));
  auto a = Accounting::of(kItems, records, {sim.stats()});
  print_figure(a.figure("disk-full-mid-batch stopped_after_kickoffs=" + std::to_string(stopped_at),
                        seconds_since(t0)));
  EXPECT_EQ(records.size(), kItems);
  EXPECT_EQ(a.lost, 0u) << a.first_problems();
  EXPECT_EQ(a.duplicates, 0u) << a.first_problems();
  EXPECT_EQ(a.count("succeeded") + a.count("ambiguous"), kItems);
}

}  // namespace
}  // namespace crewai::test
