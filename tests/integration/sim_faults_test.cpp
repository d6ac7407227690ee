// Simulator faults, determinism, and the crewai-sim executable. Webhooks: sim_webhooks_test.cpp.
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <regex>
#include <set>
#include <thread>

#include "integration/sim_test_support.hpp"

extern char** environ;

namespace crewai::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

sim::FaultConfig faults(const json& j) {
  auto f = sim::parse_faults(j);
  EXPECT_TRUE(f.has_value()) << (f ? "" : f.error());
  return f ? *f : sim::FaultConfig{};
}

std::function<void(sim::ServerOptions&)> with_faults(json j, std::uint64_t seed = 0) {
  return [j, seed](sim::ServerOptions& o) {
    o.faults = faults(j);
    o.seed = seed;
  };
}

TEST(SimFaults, LatencyIsCounted) {
  SimFixture sim("research", with_faults({{"inputs", {{"latency_ms", {1, 3}}}}}));
  auto c = client_for(sim);
  EXPECT_EQ(c.get("/inputs").status, 200);
  EXPECT_EQ(sim.stats()["faults"]["latency"], 1);
}

TEST(SimFaults, ErrorRatesWithRetryAfter) {
  SimFixture sim("research", with_faults({{"all", {{"errors", {{"503", 1.0}}}, {"retry_after", 2}}}}));
  auto c = client_for(sim);
  auto r = c.get("/inputs");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.header("retry-after"), "2");
  EXPECT_EQ(c.post("/kickoff", json{{"inputs", kResearch}}).status, 503);
  EXPECT_EQ(c.get("/").status, 200);  // health and /_sim are never faulted
  auto st = sim.stats();
  EXPECT_EQ(st["faults"]["http_503"], 2);
  EXPECT_EQ(st["requests"]["GET /inputs"]["503"], 1);
  EXPECT_EQ(st["kickoffs"]["total"], 0);
  for (int code : {429, 500, 502, 504}) {
    sim.server().set_faults(faults({{"status", {{"errors", {{std::to_string(code), 1.0}}}}}}));
    EXPECT_EQ(c.get("/status/x").status, code);
  }
}

TEST(SimFaults, ConnectionReset) {
  SimFixture sim("research", with_faults({{"inputs", {{"reset", 1.0}}}}));
  auto c = client_for(sim);
  auto r = c.get("/inputs");
  EXPECT_TRUE(r.reset) << r.status << " " << r.error;
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(c.get("/").status, 200);
  EXPECT_EQ(sim.stats()["faults"]["reset"], 1);
  EXPECT_EQ(sim.stats()["requests"]["GET /inputs"]["reset"], 1);
}

TEST(SimFaults, KickoffProcessedButAnswerDropped) {
  SimFixture sim("research", with_faults({{"kickoff", {{"drop_response", 1.0}}}}));
  auto c = client_for(sim);
  auto r = c.post("/kickoff", json{{"inputs", kResearch}, {"meta", {{"requestId", "r-1"}}}});
  EXPECT_TRUE(r.reset);
  auto st = sim.stats();
  EXPECT_EQ(st["kickoffs"]["total"], 1);
  EXPECT_EQ(st["kickoffs"]["by_request_id"]["r-1"], 1);
  EXPECT_EQ(st["faults"]["drop_response"], 1);
  EXPECT_EQ(st["requests"]["POST /kickoff"]["dropped"], 1);
  std::int64_t runs = 0;
  for (const auto& [state, n] : st["runs"]["by_state"].items()) runs += n.get<std::int64_t>();
  EXPECT_EQ(runs, 1);
}

TEST(SimFaults, StuckRunNeverFinishes) {
  SimFixture sim("research", with_faults({{"stuck", 1.0}}));
  auto c = client_for(sim);
  auto stuck = c.post("/kickoff", json{{"inputs", kResearch}}).json()["kickoff_id"].get<std::string>();
  sim.server().set_faults({});
  auto normal = c.post("/kickoff", json{{"inputs", kResearch}}).json()["kickoff_id"].get<std::string>();
  wait_state(c, normal, "SUCCESS");  // started later, same script: the stuck one would be done too
  auto s = c.get("/status/" + stuck).json();
  EXPECT_EQ(s["state"], "RUNNING");
  EXPECT_EQ(s["progress"]["current"], "reporting_task");
  EXPECT_EQ(sim.stats()["faults"]["stuck_run"], 1);
}

TEST(SimFaults, ColdStartAnswers503ThenRecovers) {
  SimFixture sim("research", with_faults({{"cold_start", {{"requests", 2}, {"status", 503}, {"retry_after", 1}}}}));
  auto c = client_for(sim);
  auto first = c.get("/inputs");
  EXPECT_EQ(first.status, 503);
  EXPECT_EQ(first.header("retry-after"), "1");
  EXPECT_EQ(c.get("/inputs").status, 503);
  EXPECT_EQ(c.get("/inputs").status, 200);
  EXPECT_EQ(sim.stats()["faults"]["cold_start"], 2);
}

TEST(SimFaults, ColdStartSlowInsteadOfFailing) {
  SimFixture sim("research", with_faults({{"cold_start", {{"requests", 1}, {"status", 0}, {"latency_ms", 5}}}}));
  auto c = client_for(sim);
  EXPECT_EQ(c.get("/inputs").status, 200);
  EXPECT_EQ(sim.stats()["faults"]["cold_start"], 1);
}

TEST(SimFaults, GarbageStatusBodies) {
  SimFixture sim("research");
  auto c = client_for(sim);
  auto id = c.post("/kickoff", json{{"inputs", kResearch}}).json()["kickoff_id"].get<std::string>();
  auto garbage = [&](const char* kind) {
    sim.server().set_faults(faults({{"status", {{"garbage", {{kind, 1.0}, {"oversized_mb", 0.5}}}}}}));
    auto r = c.get("/status/" + id);
    EXPECT_EQ(r.status, 200) << kind;
    return r;
  };
  EXPECT_TRUE(garbage("non_json").json().is_discarded());
  EXPECT_TRUE(garbage("truncated").json().is_discarded());
  EXPECT_TRUE(garbage("wrong_types").json()["state"].is_number());
  EXPECT_EQ(garbage("unknown_state").json()["state"], "EXPLODED");
  EXPECT_GT(garbage("oversized").body.size(), 500'000u);
  auto st = sim.stats()["faults"];
  for (const char* k : {"garbage_non_json", "garbage_truncated", "garbage_wrong_types",
                        "garbage_unknown_state", "garbage_oversized"})
    EXPECT_EQ(st[k], 1) << k;
}

std::vector<int> codes_for_seed(std::uint64_t seed) {
  SimFixture sim("research", with_faults({{"inputs", {{"errors", {{"503", 0.5}}}}}}, seed));
  auto c = client_for(sim);
  std::vector<int> codes;
  for (int i = 0; i < 40; ++i) codes.push_back(c.get("/inputs").status);
  return codes;
}

TEST(SimFaults, ReproducibleFromSeed) {
  auto a = codes_for_seed(7), b = codes_for_seed(7), other = codes_for_seed(8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, other);
  EXPECT_NE(std::count(a.begin(), a.end(), 503), 0);
  EXPECT_NE(std::count(a.begin(), a.end(), 200), 0);
}

TEST(SimFaults, ReplacedAtRuntimeOverHttp) {
  SimFixture sim("research");
  auto c = client_for(sim);
  EXPECT_EQ(c.post("/_sim/faults", json{{"inputs", {{"errors", {{"429", 1.0}}}}}}).status, 200);
  EXPECT_EQ(c.get("/inputs").status, 429);
  EXPECT_EQ(c.post("/_sim/faults", json{{"bogus", 1}}).status, 400);
  EXPECT_EQ(c.post("/_sim/faults", json::object()).status, 200);
  EXPECT_EQ(c.get("/inputs").status, 200);
}

// The crewai-sim executable with `extra` arguments: its pid, stdout pipe and the port it printed.
struct Spawned {
  pid_t pid = 0;
  int out = -1;
  std::string line, port;
};

Spawned spawn_sim(const char* bin, const std::vector<std::string>& extra) {
  Spawned s;
  int out[2];
  EXPECT_EQ(pipe(out), 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  std::string crew = crew_path("research");
  std::vector<std::string> args = {bin, "--crew", crew, "--port", "0", "--token", "t"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  EXPECT_EQ(posix_spawn(&s.pid, bin, &fa, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  s.out = out[0];
  char ch = 0;
  while (read(s.out, &ch, 1) == 1 && ch != '\n') s.line += ch;
  s.port = s.line.substr(s.line.rfind(':') + 1);
  return s;
}

int stop_sim(Spawned& s) {
  kill(s.pid, SIGTERM);
  int status = 0;
  EXPECT_EQ(waitpid(s.pid, &status, 0), s.pid);
  close(s.out);
  return status;
}

TEST(SimExecutable, PrintsListeningFirstAndStopsOnSigterm) {
  const char* bin = std::getenv("CREWAI_SIM_BIN");
  if (!bin) GTEST_SKIP() << "CREWAI_SIM_BIN not set";
  auto s = spawn_sim(bin, {"--dialect", "amp"});  // GET / is a route of the documented API only
  EXPECT_TRUE(std::regex_match(s.line, std::regex(R"(listening on 127\.0\.0\.1:[1-9][0-9]*)"))) << s.line;
  HttpClient c("http://127.0.0.1:" + s.port);
  c.set_token("t");
  EXPECT_EQ(c.get("/").status, 200);
  int status = stop_sim(s);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(SimExecutable, LiveDialectWithoutStopRoute) {
  const char* bin = std::getenv("CREWAI_SIM_BIN");
  if (!bin) GTEST_SKIP() << "CREWAI_SIM_BIN not set";
  auto s = spawn_sim(bin, {"--dialect", "live", "--no-stop-route"});
  HttpClient c("http://127.0.0.1:" + s.port);
  c.set_token("t");
  auto root = c.get("/");
  EXPECT_EQ(root.status, 404);
  EXPECT_EQ(root.json(), json({{"detail", "Not Found"}}));
  auto id = c.post("/kickoff", json{{"inputs", kResearch}}).json().value("kickoff_id", "");
  auto stop = c.post("/stop/" + id, std::string());
  EXPECT_EQ(stop.status, 404);
  EXPECT_EQ(stop.json(), json({{"detail", "Not Found"}}));
  stop_sim(s);
}

}  // namespace
}  // namespace crewai::test
