// Reading configuration never aborts (issue 10, point 8) and the small honesty fixes of point 9:
// token files and profile values reported for what they are, the progress line's counts.
#include <unistd.h>

#include "cli/cli_fixture.hpp"

namespace crewai::test {
namespace {

class CliConfigTest : public CliTest {
 protected:
  void expect_usage_error(const ProcResult& r, const std::string& says) {
    EXPECT_EQ(r.exit_code, 2) << r.err;  // 134 was an uncaught std::filesystem::filesystem_error
    EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
  }
};

TEST_F(CliConfigTest, ConfigPathsThatCannotBeReadAreClearErrors) {
  SimFixture sim("research");
  std::filesystem::create_symlink(path("loop-b"), path("loop-a"));
  std::filesystem::create_symlink(path("loop-a"), path("loop-b"));
  expect_usage_error(crewctl(conn(sim, {"inputs", "--config", path("loop-a")})), path("loop-a"));
  expect_usage_error(crewctl(conn(sim, {"inputs", "--config", path(std::string(5000, 'x'))})),
                     "config file");
  std::filesystem::create_directories(path("a-dir"));
  expect_usage_error(crewctl(conn(sim, {"inputs", "--config", path("a-dir")})), "is a directory");
  expect_usage_error(crewctl(conn(sim, {"inputs", "--config", path("missing.toml")})),
                     "does not exist");
  // The default path too: a loop there is an error, but no file at all is fine.
  std::filesystem::create_directories(path("xdg/crewctl"));
  std::filesystem::create_symlink(path("xdg/crewctl/config.toml"), path("xdg/crewctl/config.toml.b"));
  std::filesystem::create_symlink(path("xdg/crewctl/config.toml.b"), path("xdg/crewctl/config.toml"));
  expect_usage_error(crewctl(conn(sim, {"inputs"})), "config.toml");
  std::filesystem::remove(path("xdg/crewctl/config.toml"));
  EXPECT_EQ(crewctl(conn(sim, {"inputs"})).exit_code, 0);
  if (::geteuid() != 0) {  // root reads anything: the check only means something for a user
    write("locked.toml", "[default]\n");
    std::filesystem::permissions(path("locked.toml"), std::filesystem::perms::none);
    expect_usage_error(crewctl(conn(sim, {"inputs", "--config", path("locked.toml")})),
                       "locked.toml");
  }
}

TEST_F(CliConfigTest, TokenFilesAreReportedForWhatTheyAre) {
  SimFixture sim("research");
  std::filesystem::create_directories(path("tokdir"));
  expect_usage_error(crewctl({"inputs", "--url", sim.base_url(), "--token-file", path("tokdir")}),
                     "is a directory");
  // Surrounding blank lines and spaces are not part of the token.
  auto padded = write("padded", std::string("\n  ") + kSimToken + " \t\n\n");
  auto r = crewctl({"inputs", "--url", sim.base_url(), "--token-file", padded});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(CliConfigTest, ProfileValuesOfTheWrongTypeAreNamed) {
  SimFixture sim("research");
  std::filesystem::create_directories(path("xdg/crewctl"));
  write("xdg/crewctl/config.toml",
        "[default]\nbase_url = \"" + sim.base_url() + "\"\ntoken = 12345678\n");
  expect_usage_error(crewctl({"inputs"}), "token must be a string");
  // ~ in token_file is the home directory, as in a shell.
  write("home-token", kSimToken);
  write("xdg/crewctl/config.toml",
        "[default]\nbase_url = \"" + sim.base_url() + "\"\ntoken_file = \"~/home-token\"\n");
  auto r = crewctl({"inputs"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(CliConfigTest, ProgressShowsTimeoutApartFromFailed) {
  auto in = write("in.jsonl", "{\"topic\":\"a\",\"current_year\":\"1\"}\n"
                              "{\"topic\":\"b\",\"current_year\":\"1\"}\n");
  auto r = crewctl({"batch", in, "--sim", crew("research"), "-o", path("out.jsonl"), "--deadline",
                    "1ms", "--poll-interval", "0.05"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("failed 0, timeout 2, ambiguous 0"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace crewai::test
