// Reliability: one process at a time works on a journal (issue 10, point 1). A second `crewctl batch`
// on a journal that another process holds — fresh or --resume, by any spelling of the path — is
// refused with exit 2 naming the holder, before it sends any request; two resumes started together
// never kick off an item twice; a SIGKILLed holder's journal can be resumed at once.
#include <unistd.h>

#include <csignal>

#include "cli/cli_fixture.hpp"
#include "reliability/accounting.hpp"

namespace crewai::test {
namespace {

std::int64_t requests_to(const Json& stats, const std::string& endpoint) {
  std::int64_t n = 0;
  if (stats["requests"].contains(endpoint)) {
    for (const auto& [code, count] : stats["requests"][endpoint].items()) n += count.get<std::int64_t>();
  }
  return n;
}

class JournalOwnerTest : public CliTest {
 protected:
  std::vector<std::string> batch_args(const SimFixture& sim, const std::string& in,
                                      const std::string& journal, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"batch", in, "-o", path("out.jsonl"), "--journal", journal,
                                     "--concurrency", "4", "--poll-interval", "0.05", "-q"};
    args.insert(args.end(), extra.begin(), extra.end());
    return conn(sim, args);
  }
  // A simulator whose runs take ~0.4 s, so a batch of `n` items at concurrency 4 is still going
  // while the test starts a second process.
  static void slow_runs(sim::ServerOptions& o) { o.time_scale = 0.003; }

  // `killed`: a holder was SIGKILLed, so a kickoff it sent before its id was journalled comes back
  // `ambiguous` (not sent again).
  void expect_every_item_once(const SimFixture& sim, std::size_t items, bool killed = false) {
    auto records = json_lines(read_file(path("out.jsonl")));
    auto a = Accounting::of(items, records, {sim.stats()});
    EXPECT_EQ(records.size(), items);
    EXPECT_EQ(a.duplicates, 0u) << a.first_problems();
    EXPECT_EQ(a.lost, 0u) << a.first_problems();
    EXPECT_EQ(a.count("succeeded") + (killed ? a.count("ambiguous") : 0), items);
    EXPECT_LE(a.sim_kickoffs, static_cast<std::int64_t>(items));
  }
};

TEST_F(JournalOwnerTest, SecondProcessIsRefusedNamingTheHolderBeforeAnyRequest) {
  constexpr std::size_t kItems = 40;
  SimFixture sim("research", slow_runs);
  auto in = write("in.jsonl", topics_jsonl(kItems));
  const std::string journal = path("b.journal");
  auto holder = spawn(batch_args(sim, in, journal));
  std::string holder_err = last_err_;
  ASSERT_TRUE(wait_until([&] { return sim.stats()["kickoffs"]["total"].get<int>() > 0; }, 30s));
  ASSERT_EQ(::symlink(journal.c_str(), path("link.journal").c_str()), 0);

  const std::vector<std::pair<std::string, std::vector<std::string>>> tries = {
      {journal, {"--resume"}},
      {journal, {}},
      {dir_ + "/./xdg/../b.journal", {"--resume"}},
      {path("link.journal"), {"--resume"}},
  };
  for (const auto& [spelling, extra] : tries) {
    SCOPED_TRACE(spelling + (extra.empty() ? "" : " " + extra[0]));
    auto other_out = path("other.jsonl");
    auto args = batch_args(sim, in, spelling, extra);
    args[3] = other_out;  // its own results file: nothing may be written there
    auto second = crewctl(args);
    EXPECT_EQ(second.exit_code, 2) << second.err;
    EXPECT_NE(second.err.find("in use by pid " + std::to_string(holder->pid())), std::string::npos)
        << second.err;
    EXPECT_NE(second.err.find("on host "), std::string::npos) << second.err;
    EXPECT_NE(second.err.find("since 20"), std::string::npos) << second.err;
    EXPECT_FALSE(std::filesystem::exists(other_out));
  }
  EXPECT_EQ(requests_to(sim.stats(), "GET /inputs"), 1);  // the holder's only: the others sent nothing
  ASSERT_EQ(holder->wait(60s), 0) << read_file(holder_err);
  expect_every_item_once(sim, kItems);
  EXPECT_FALSE(std::filesystem::exists(journal + ".lock"));  // released, and removed
  print_figure("reliability: second-process refused=" + std::to_string(tries.size()) +
               " kickoffs=" + sim.stats()["kickoffs"]["total"].dump() + " dup=0 lost=0");
}

TEST_F(JournalOwnerTest, TwoResumesStartedTogetherKickOffNothingTwice) {
  constexpr std::size_t kItems = 24;
  SimFixture sim("research", slow_runs);
  auto in = write("in.jsonl", topics_jsonl(kItems));
  const std::string journal = path("b.journal");
  auto first = spawn(batch_args(sim, in, journal));
  ASSERT_TRUE(wait_until([&] { return sim.stats()["kickoffs"]["total"].get<int>() >= 4; }, 30s));
  first->signal(SIGKILL);
  ASSERT_EQ(first->wait(30s), 128 + SIGKILL);

  auto a = spawn(batch_args(sim, in, journal, {"--resume"}));
  std::string a_err = last_err_;
  auto b = spawn(batch_args(sim, in, path("./b.journal"), {"--resume"}));
  std::string b_err = last_err_;
  int code_a = a->wait(60s), code_b = b->wait(60s);
  // One of them works on the journal, the other is refused at once (the batch lasts seconds).
  // (The one that works exits 0, or 5 when the kill left an `ambiguous` item.)
  EXPECT_TRUE((code_a == 2) != (code_b == 2)) << code_a << " " << code_b << read_file(a_err) << read_file(b_err);
  const std::string refused = code_a == 2 ? read_file(a_err) : read_file(b_err);
  // Started together, the winner may not have written its pid yet when the other one looks.
  EXPECT_NE(refused.find("is in use by"), std::string::npos) << refused;
  expect_every_item_once(sim, kItems, true);
  print_figure("reliability: two-resumes kickoffs=" + sim.stats()["kickoffs"]["total"].dump() +
               " dup=0 lost=0");
}

TEST_F(JournalOwnerTest, SigkilledHolderLeavesNothingStuck) {
  constexpr std::size_t kItems = 24;
  SimFixture sim("research", slow_runs);
  auto in = write("in.jsonl", topics_jsonl(kItems));
  const std::string journal = path("b.journal");
  auto holder = spawn(batch_args(sim, in, journal));
  ASSERT_TRUE(wait_until([&] { return sim.stats()["kickoffs"]["total"].get<int>() >= 4; }, 30s));
  holder->signal(SIGKILL);
  ASSERT_EQ(holder->wait(30s), 128 + SIGKILL);
  EXPECT_TRUE(std::filesystem::exists(journal + ".lock"));  // left behind, but no longer locked

  auto resumed = crewctl(batch_args(sim, in, journal, {"--resume"}));
  EXPECT_NE(resumed.exit_code, 2) << resumed.err;
  expect_every_item_once(sim, kItems, true);
}

}  // namespace
}  // namespace crewai::test
