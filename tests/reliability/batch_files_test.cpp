// Reliability: what `crewctl batch` does to files (issue 10). The input is never an output (point 4);
// `--resume` with nothing to resume is an error (point 5); a refused or failed resume destroys no
// earlier results (point 2); a journal that cannot be written stops the batch with exit 5 and a
// resume takes the results it could not journal from the results file (point 3).
#include <unistd.h>

#include <csignal>

#include "cli/cli_fixture.hpp"
#include "reliability/accounting.hpp"

namespace crewai::test {
namespace {

std::string topics(std::size_t n) {
  std::string text;
  for (std::size_t i = 0; i < n; ++i) {
    text += R"({"id": "t)" + std::to_string(i) + R"(", "inputs": {"topic": "topic )" + std::to_string(i) +
            R"(", "current_year": "2026"}})" + "\n";
  }
  return text;
}

class BatchFilesTest : public CliTest {
 protected:
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
  const std::string text = topics(3);
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
  auto in = write("in.jsonl", topics(4));
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

}  // namespace
}  // namespace crewai::test
