#include "batch_files.hpp"

#include <filesystem>
#include <utility>

namespace crewctl {
namespace {

namespace fs = std::filesystem;

// Same inode when both exist; otherwise the same place once symlinks and `.`/`..` are resolved (a
// file that does not exist yet can only be the other one by name).
bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec) && !ec;
  auto ca = fs::weakly_canonical(fs::absolute(a, ec), ec);
  if (ec) return false;
  auto cb = fs::weakly_canonical(fs::absolute(b, ec), ec);
  return !ec && ca == cb;
}

}  // namespace

crewai::Result<void> check_batch_paths(const BatchArgs& a, const std::string& journal) {
  const std::pair<const char*, std::string> outputs[] = {
      {"the results file (-o)", a.output == "-" ? std::string() : a.output},
      {"the journal", journal},
      {"the summary file (--summary-json)", a.summary_json},
  };
  for (const auto& [what, path] : outputs) {
    if (path.empty() || a.input == "-") continue;
    if (same_file(a.input, path)) {
      return crewai::make_error(crewai::ErrorCode::invalid_argument,
                                std::string(what) + " " + path + " is the input file " + a.input +
                                    ": it would be overwritten. Write to another path");
    }
  }
  if (!journal.empty() && a.output != "-" && same_file(a.output, journal)) {
    return crewai::make_error(crewai::ErrorCode::invalid_argument,
                              "the results file (-o) " + a.output + " is the journal " + journal +
                                  ": give them different paths");
  }
  return {};
}

}  // namespace crewctl
