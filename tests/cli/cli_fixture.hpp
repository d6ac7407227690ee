// cli_fixture.hpp — a temporary directory, a clean environment and `crewctl(...)` for CLI tests.
#pragma once

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/process.hpp"
#include "support/sim_fixture.hpp"

namespace crewai::test {

using Json = nlohmann::json;
using namespace std::chrono_literals;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "crewctl-test-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    std::filesystem::create_directories(dir_ + "/xdg");
    env_["PATH"] = std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin";
    env_["HOME"] = dir_;
    env_["XDG_CONFIG_HOME"] = dir_ + "/xdg";
    env_["NO_COLOR"] = "1";
    for (const char* keep : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS", "LSAN_OPTIONS"}) {
      if (const char* v = std::getenv(keep)) env_[keep] = v;
    }
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream out(path(name), std::ios::binary | std::ios::trunc);
    out << text;
    return path(name);
  }

  // Runs crewctl to completion (60 s deadline); `extra_env` is added to the clean environment.
  ProcResult crewctl(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& extra_env = {},
                     const std::string& stdin_data = "") {
    auto child = spawn(args, extra_env, stdin_data);
    ProcResult r;
    r.exit_code = child->wait(60s);
    r.out = read_file(last_out_);
    r.err = read_file(last_err_);
    return r;
  }

  std::unique_ptr<Child> spawn(const std::vector<std::string>& args,
                               const std::map<std::string, std::string>& extra_env = {},
                               const std::string& stdin_data = "") {
    std::vector<std::string> argv{crewctl_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto env = env_;
    for (const auto& [k, v] : extra_env) env[k] = v;
    int n = ++runs_;
    last_out_ = path("stdout." + std::to_string(n));
    last_err_ = path("stderr." + std::to_string(n));
    return std::make_unique<Child>(argv, env, stdin_data, last_out_, last_err_);
  }

  // url/token flags for a SimFixture.
  static std::vector<std::string> conn(const SimFixture& sim, std::vector<std::string> args) {
    args.insert(args.end(), {"--url", sim.base_url(), "--token", kSimToken});
    return args;
  }

  static Json last_json_line(const std::string& out) {
    auto end = out.find_last_not_of('\n');
    if (end == std::string::npos) return Json();
    auto start = out.rfind('\n', end);
    start = start == std::string::npos ? 0 : start + 1;
    return Json::parse(out.substr(start, end - start + 1), nullptr, false);
  }

  static std::vector<Json> json_lines(const std::string& text) {
    std::vector<Json> lines;
    std::size_t pos = 0;
    while (pos < text.size()) {
      auto nl = text.find('\n', pos);
      if (nl == std::string::npos) nl = text.size();
      if (nl > pos) lines.push_back(Json::parse(text.substr(pos, nl - pos), nullptr, false));
      pos = nl + 1;
    }
    return lines;
  }

  static std::string crew(const std::string& name) { return crew_path(name); }

  std::string dir_;
  std::map<std::string, std::string> env_;
  std::string last_out_, last_err_;
  int runs_ = 0;
};

}  // namespace crewai::test
