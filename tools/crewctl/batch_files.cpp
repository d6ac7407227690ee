#include "batch_files.hpp"

#include <filesystem>
#include <fstream>
#include <utility>

#include "batch/output_writer.hpp"

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
      {"the results file's temporary file", a.output == "-" ? std::string() : crewai::batch::partial_path(a.output)},
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

std::vector<crewai::ItemRecord> earlier_records(const std::string& output) {
  std::vector<crewai::ItemRecord> out;
  for (const auto& file : {output, crewai::batch::partial_path(output)}) {
    std::ifstream in(file, std::ios::binary);
    for (std::string line; std::getline(in, line);) {
      auto r = crewai::batch::record_from_results_line(crewai::Json::parse(line, nullptr, false));
      if (r) out.push_back(std::move(*r));
    }
  }
  return out;
}

}  // namespace crewctl
