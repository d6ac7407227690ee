// Reliability: what `crewctl batch` does to files (issue 10). The input is never an output (point 4);
// `--resume` with nothing to resume is an error (point 5); a refused or failed resume destroys no
// earlier results (point 2); a journal that cannot be written stops the batch with exit 5 and a
// resume takes the results it could not journal from the results file (point 3); request ids name one
// batch (point 10).
#include <unistd.h>

#include <csignal>
#include <functional>
#include <set>

#include "batch/batch_factory.hpp"
#include "cli/cli_fixture.hpp"
#include "reliability/accounting.hpp"

namespace crewai::test {
namespace {

ClientOptions fast_client(const SimFixture& sim) {
  ClientOptions co;
  co.base_url = sim.base_url();
  co.token = kSimToken;
  co.poll.initial = std::chrono::milliseconds(20);
  co.poll.cap = std::chrono::milliseconds(100);
  return co;
}

std::vector<BatchItem> items(std::size_t n) {
  std::vector<BatchItem> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i].inputs = {{"topic", "t" + std::to_string(i)}, {"current_year", "2026"}};
  return out;
}

// A journal whose disk fills after `budget` writes: every later write fails, as SQLite's do.
class FillingJournal : public batch::Journal {
 public:
  FillingJournal(std::unique_ptr<batch::Journal> inner, int budget) : inner_(std::move(inner)), budget_(budget) {}
  Result<void> bind(const batch::BatchIdentity& id) override { return inner_->bind(id); }
  Result<std::optional<batch::BatchIdentity>> identity() override { return inner_->identity(); }
  Result<std::vector<batch::JournalItem>> load() override { return inner_->load(); }
  void record_intent(std::size_t index, int attempt, const std::string& request_id,
                     std::function<void(Result<void>)> done) override {
    if (full()) return done(tl::unexpected(disk_full()));
    inner_->record_intent(index, attempt, request_id, std::move(done));
  }
  void record_kickoff(std::size_t index, int attempt, const std::string& kickoff_id) override {
    if (!full()) inner_->record_kickoff(index, attempt, kickoff_id);
  }
  void record_final(const ItemRecord& rec) override {
    if (!full()) inner_->record_final(rec);
  }
  Result<void> flush() override {
    auto r = inner_->flush();
    if (budget_ < 0) return tl::unexpected(disk_full());
    return r;
  }
  std::string path() const override { return inner_->path(); }

 private:
  bool full() { return --budget_ < 0; }
  static Error disk_full() {
    Error e;
    e.code = ErrorCode::unavailable;
    e.message = "journal j: cannot write: database or disk is full";
    return e;
  }
  std::unique_ptr<batch::Journal> inner_;
  int budget_;
};

class BatchFilesTest : public CliTest {
 protected:
  static std::string partial(const std::string& out) { return out + ".partial"; }
  std::vector<std::string> batch(const SimFixture& sim, const std::string& in, const std::string& out,
                                 std::vector<std::string> extra = {}) const {
    std::vector<std::string> args = {"batch", in, "-o", out, "--poll-interval", "0.02", "-q"};
    args.insert(args.end(), extra.begin(), extra.end());
    return conn(sim, args);
  }
};

// --- point 4: input and output are different files ---------------------------------------------

TEST_F(BatchFilesTest, AnOutputThatIsTheInputIsRefusedWhateverItsSpelling) {
  SimFixture sim("research");
  const std::string text = topics_jsonl(3);
  auto in = write("io.jsonl", text);
  ASSERT_EQ(::symlink(in.c_str(), path("link.jsonl").c_str()), 0);
  ASSERT_EQ(::link(in.c_str(), path("hard.jsonl").c_str()), 0);
  std::filesystem::create_directories(path("sub"));
  const std::vector<std::vector<std::string>> tries = {
      {"-o", in},
      {"-o", dir_ + "/sub/../io.jsonl"},
      {"-o", path("link.jsonl")},
      {"-o", path("hard.jsonl")},
      {"-o", path("out.jsonl"), "--journal", path("link.jsonl")},
      {"-o", path("out.jsonl"), "--summary-json", path("hard.jsonl")},
      {"-o", path("same"), "--journal", dir_ + "/./same"},
  };
  for (const auto& flags : tries) {
    std::vector<std::string> args = {"batch", in, "-q"};
    args.insert(args.end(), flags.begin(), flags.end());
    SCOPED_TRACE(flags[1] + (flags.size() > 2 ? " " + flags[2] + " " + flags[3] : ""));
    auto r = crewctl(conn(sim, args));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(flags.size() > 2 ? flags[3] : flags[1]), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(flags.back() == dir_ + "/./same" ? "is the journal" : "is the input file " + in),
              std::string::npos) << r.err;
    EXPECT_EQ(read_file(in), text);
  }
  EXPECT_EQ(sim.stats()["kickoffs"]["total"], 0);
  print_figure("reliability: input-is-output spellings=" + std::to_string(tries.size()) +
               " refused kickoffs=0");
}

// --- point 5: --resume means resume ------------------------------------------------------------

TEST_F(BatchFilesTest, ResumeWithoutAJournalIsAnErrorUnlessResumeOrStart) {
  SimFixture sim("research");
  auto in = write("in.jsonl", topics_jsonl(4));
  auto out = path("out.jsonl");
  auto typo = crewctl(batch(sim, in, out, {"--resume", "--journal", path("typo.journal")}));
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("no journal at " + path("typo.journal")), std::string::npos) << typo.err;
  EXPECT_NE(typo.err.find("--resume-or-start"), std::string::npos) << typo.err;  // shown despite -q
  EXPECT_EQ(sim.stats()["kickoffs"]["total"], 0);
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(path("typo.journal")));

  auto started = crewctl(batch(sim, in, out, {"--resume-or-start", "--summary-json", path("s1")}));
  ASSERT_EQ(started.exit_code, 0) << started.err;
  EXPECT_EQ(sim.stats()["kickoffs"]["total"], 4);
  auto again = crewctl(batch(sim, in, out, {"--resume-or-start", "--summary-json", path("s2")}));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Json::parse(read_file(path("s2")))["restored"], 4);
  EXPECT_EQ(sim.stats()["kickoffs"]["total"], 4);  // resumed: nothing paid twice
}

// --- point 2: a refused or failed resume destroys nothing --------------------------------------

std::string corpus_journal(const std::string& name) {
  const char* src = std::getenv("CREWAI_SOURCE_DIR");
  std::filesystem::path root = src && *src ? std::filesystem::path(src) / "tests"
                                           : std::filesystem::path(__FILE__).parent_path().parent_path();
  return (root / "corpus" / "journals" / name).string();
}

TEST_F(BatchFilesTest, ARefusedResumeLeavesTheEarlierResultsAsTheyWere) {
  SimFixture sim("research");
  SimFixture other("research");
  auto in = write("in.jsonl", topics_jsonl(4));
  auto out = path("out.jsonl");
  const std::string journal = out + ".journal";
  ASSERT_EQ(crewctl(batch(sim, in, out)).exit_code, 0);
  const std::string results = read_file(out);
  ASSERT_EQ(json_lines(results).size(), 4u);
  std::filesystem::copy_file(journal, path("good.journal"));

  struct Case {
    std::string what;
    std::function<std::vector<std::string>()> args;
    int exit_code;
  };
  const std::vector<Case> cases = {
      {"a journal that is not a database", [&] {
         std::filesystem::copy_file(corpus_journal("not_sqlite.journal"), journal,
                                    std::filesystem::copy_options::overwrite_existing);
         return batch(sim, in, out, {"--resume"});
       }, 2},
      {"a truncated journal", [&] {
         std::filesystem::copy_file(corpus_journal("truncated.journal"), journal,
                                    std::filesystem::copy_options::overwrite_existing);
         return batch(sim, in, out, {"--resume"});
       }, 2},
      {"changed inputs", [&] { return batch(sim, write("in2.jsonl", topics_jsonl(5)), out, {"--resume", "--journal", journal}); }, 2},
      {"another deployment", [&] { return batch(other, in, out, {"--resume"}); }, 2},
      {"a wrong token", [&] {
         auto args = batch(sim, in, out, {"--resume"});
         args.back() = "not-the-token";
         return args;
       }, 5},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    std::filesystem::copy_file(path("good.journal"), journal, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::remove(journal + "-wal");
    std::filesystem::remove(journal + "-shm");
    auto r = crewctl(c.args());
    EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
    EXPECT_EQ(read_file(out), results);
    EXPECT_FALSE(std::filesystem::exists(partial(out)));
  }
  EXPECT_EQ(sim.stats()["kickoffs"]["total"], 4);
  EXPECT_EQ(other.stats()["kickoffs"]["total"], 0);

  // With its own journal back, the resume goes through and replaces them whole.
  std::filesystem::copy_file(path("good.journal"), journal, std::filesystem::copy_options::overwrite_existing);
  auto ok = crewctl(batch(sim, in, out, {"--resume"}));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(json_lines(read_file(out)).size(), 4u);
  print_figure("reliability: refused-resumes cases=" + std::to_string(cases.size()) +
               " results-kept kickoffs=" + sim.stats()["kickoffs"]["total"].dump());
}

// --- point 3: a journal that cannot be written stops the batch loudly ----------------------------

TEST_F(BatchFilesTest, UnjournalledResultsAreReportedAndAResumeTakesThemInsteadOfPayingAgain) {
  constexpr std::size_t kItems = 20;
  SimFixture sim("research");
  auto client = Client::create(fast_client(sim)).value();
  BatchOptions o;
  o.max_concurrent = 4;
  o.adaptive = false;
  o.journal_path = path("j.journal");
  // The first 4 writes (the first 4 intents) reach the disk; their kickoff ids and results do not.
  auto real = batch::open_sqlite_journal(o.journal_path).value();
  auto first = batch::BatchFactory::create(client, items(kItems), o,
                                           std::make_unique<FillingJournal>(std::move(real), 4))
                   .value();
  auto report = first->run().value();
  first.reset();
  ASSERT_TRUE(report.journal_error);
  EXPECT_NE(report.journal_error->message.find("disk is full"), std::string::npos);
  auto a = Accounting::of(kItems, report.records, {sim.stats()});
  EXPECT_EQ(a.count("succeeded"), 4u);  // their results are in the report, though not journalled
  EXPECT_EQ(a.count("skipped"), kItems - 4);
  EXPECT_EQ(a.sim_kickoffs, 4);

  // The resume is given the results written out (as crewctl reads them from the results file), and
  // asked to re-run ambiguous items: the 4 must come back succeeded, not ambiguous, and unpaid.
  o.earlier_records = report.records;
  o.rerun_ambiguous = true;
  auto resumed = Batch::create(client, items(kItems), o).value()->run().value();
  auto b = Accounting::of(kItems, resumed.records, {sim.stats()});
  EXPECT_FALSE(resumed.journal_error);
  EXPECT_EQ(b.count("succeeded"), kItems) << b.first_problems();
  EXPECT_EQ(resumed.final_snapshot.restored, 4u);
  EXPECT_EQ(b.sim_kickoffs, static_cast<std::int64_t>(kItems));
  EXPECT_EQ(b.duplicates, 0u) << b.first_problems();
  // ... and the journal was mended with them: without the results file, all are restored.
  BatchOptions plain;
  plain.journal_path = o.journal_path;
  auto third = Batch::create(client, items(kItems), plain).value()->run().value();
  EXPECT_EQ(third.final_snapshot.restored, kItems);
  print_figure(b.figure("journal-full-then-resume", 0));
}

// The same through crewctl, with a real full disk: the file-size limit (RLIMIT_FSIZE, `ulimit -f`)
// makes every write past it fail (EFBIG; SIGXFSZ ignored), root included, as crash_test's FullDiskTest
// does. The journal's WAL grows by 4 KiB pages at every commit and passes the limit within the first
// items; the results file (well under 1 KiB a line) stays below it.
TEST_F(BatchFilesTest, CrewctlExitsFiveOnAFullJournalDiskAndTheResumeLosesAndPaysNothing) {
  constexpr std::size_t kItems = 30;
  SimFixture sim("research");
  auto in = write("in.jsonl", topics_jsonl(kItems));
  auto out = path("out.jsonl");
  std::vector<std::string> args = {"/bin/sh", "-c",
                                   "trap '' XFSZ; { (ulimit -f 160; exec \"$@\") 2>&1; echo \"exit=$?\"; } | cat",
                                   "sh", crewctl_bin()};
  for (const auto& arg : batch(sim, in, out, {"--concurrency", "4"})) args.push_back(arg);
  Child limited(args, env_, "", path("limited.out"), path("limited.err"));
  ASSERT_EQ(limited.wait(120s), 0);
  const std::string log = read_file(path("limited.out"));
  EXPECT_NE(log.find("exit=5\n"), std::string::npos) << log;
  EXPECT_NE(log.find("the journal could not be written"), std::string::npos) << log;
  auto first = json_lines(read_file(out));
  EXPECT_EQ(first.size(), kItems) << log;  // every record, renamed into place
  const auto paid = sim.stats()["kickoffs"]["total"].get<std::size_t>();
  EXPECT_LT(paid, kItems);

  auto resumed = crewctl(batch(sim, in, out, {"--resume", "--rerun-ambiguous"}));
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  auto a = Accounting::of(kItems, json_lines(read_file(out)), {sim.stats()});
  print_figure(a.figure("journal-disk-full-cli paid_before_stop=" + std::to_string(paid), 0));
  EXPECT_EQ(a.count("succeeded"), kItems) << a.first_problems();
  EXPECT_EQ(a.sim_kickoffs, static_cast<std::int64_t>(kItems));
  EXPECT_EQ(a.duplicates, 0u) << a.first_problems();
  EXPECT_EQ(a.lost, 0u) << a.first_problems();
}

// --- point 10: request ids identify one attempt of one batch -------------------------------------

TEST_F(BatchFilesTest, RequestIdsAreStableAcrossResumesAndDifferInAnotherBatch) {
  SimFixture sim("research");
  auto in = write("in.jsonl", topics_jsonl(5));
  ASSERT_EQ(crewctl(batch(sim, in, path("a.jsonl"))).exit_code, 0);
  ASSERT_EQ(crewctl(batch(sim, in, path("b.jsonl"))).exit_code, 0);  // the same items, another batch
  auto a = json_lines(read_file(path("a.jsonl")));
  auto b = json_lines(read_file(path("b.jsonl")));
  ASSERT_EQ(a.size(), 5u);
  ASSERT_EQ(b.size(), 5u);
  std::set<std::string> seen;
  for (const auto& r : a) seen.insert(r["request_id"].get<std::string>());
  for (const auto& r : b) EXPECT_FALSE(seen.count(r["request_id"].get<std::string>())) << r.dump();
  // So the simulator's count still proves duplicates: no request id was counted twice.
  const auto stats = sim.stats();  // kept: items() of a temporary's member would dangle
  for (const auto& [id, n] : stats["kickoffs"]["by_request_id"].items()) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(sim.stats()["kickoffs"]["total"], 10);

  // A resume keeps the batch id: items kicked off by the resume carry the first session's prefix.
  auto client = Client::create(fast_client(sim)).value();
  struct StopAfterTwo : BatchObserver {
    int n = 0;
    bool on_record(const ItemRecord&) override { return ++n < 2; }
  } stop;
  BatchOptions o;
  o.journal_path = path("lib.journal");
  o.max_concurrent = 1;
  auto first = Batch::create(client, items(6), o, &stop).value()->run().value();
  const std::string id0 = first.records[0].request_id;
  const std::string prefix = id0.substr(0, id0.rfind('-') + 1);
  ASSERT_EQ(prefix.size(), 17u) << id0;
  auto resumed = Batch::create(client, items(6), o).value()->run().value();
  std::size_t kicked_by_resume = 0;
  for (const auto& r : resumed.records) {
    EXPECT_EQ(r.outcome, Outcome::succeeded) << r.index;
    EXPECT_EQ(r.request_id, prefix + std::to_string(r.index)) << r.index;
    kicked_by_resume += first.records[r.index].outcome == Outcome::skipped;
  }
  EXPECT_GT(kicked_by_resume, 0u);
}

}  // namespace
}  // namespace crewai::test
