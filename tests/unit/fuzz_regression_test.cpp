// Replays every checked-in fuzz input — the seed corpora (tests/fuzz/corpus/<target>/) and the crashes
// found so far (tests/fuzz/regressions/<target>/) — through the same functions the libFuzzer targets
// call, so a fixed crash stays fixed in every build (sanitized ones included), not only under clang.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/targets.hpp"

namespace crewai::fuzz {
namespace {

namespace fs = std::filesystem;

fs::path fuzz_dir() {
  const char* src = std::getenv("CREWAI_SOURCE_DIR");
  return fs::path(src ? src : ".") / "tests" / "fuzz";
}

std::vector<fs::path> inputs_of(const std::string& kind, const std::string& target) {
  std::vector<fs::path> files;
  fs::path dir = fuzz_dir() / kind / target;
  if (!fs::is_directory(dir)) return files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename().string().front() != '.') files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs every file; a crash or sanitizer report fails the test binary, naming the file on stderr.
std::size_t replay(const std::string& target, void (*one)(std::string_view), void (*reset)() = nullptr) {
  std::size_t n = 0;
  for (const char* kind : {"corpus", "regressions"}) {
    for (const auto& file : inputs_of(kind, target)) {
      SCOPED_TRACE(file.string());
      std::fprintf(stderr, "replay %s\n", file.string().c_str());
      if (reset) reset();
      EXPECT_NO_THROW(one(slurp(file)));
      ++n;
    }
  }
  return n;
}

TEST(FuzzRegression, CorporaArePresent) {
  for (const char* t : {"fuzz_status", "fuzz_input_reader", "fuzz_typed_output", "fuzz_sim_request"})
    EXPECT_FALSE(inputs_of("corpus", t).empty()) << "no seed corpus for " << t << " under " << fuzz_dir();
}

TEST(FuzzRegression, Status) { EXPECT_GT(replay("fuzz_status", status_one), 0u); }
TEST(FuzzRegression, InputReader) { EXPECT_GT(replay("fuzz_input_reader", input_reader_one), 0u); }
TEST(FuzzRegression, TypedOutput) { EXPECT_GT(replay("fuzz_typed_output", typed_output_one), 0u); }

// Fresh deployments per file, as libFuzzer reproduces a crash from one input; then the whole corpus
// as one sequence, so inputs that refer to an earlier kickoff ($ID) reach a live run.
TEST(FuzzRegression, SimRequest) {
  EXPECT_GT(replay("fuzz_sim_request", sim_request_one, sim_request_reset), 0u);
  sim_request_reset();
  EXPECT_GT(replay("fuzz_sim_request", sim_request_one), 0u);
}

}  // namespace
}  // namespace crewai::fuzz
