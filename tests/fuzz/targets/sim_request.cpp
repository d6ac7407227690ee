// One fuzz input = one request to the simulator's API (crewai::sim::detail::Api, the socket-free
// layer the Beast server feeds). Input format, like a tiny HTTP message:
//   METHOD TARGET\n
//   key: value\n ...        auth (the Authorization value), advance (virtual ms before the request),
//                           sim (amp | celery | seed | fastapi | reversed | flow | live: which
//                           deployment)
//   \n
//   body
// "$ID" in the target or body stands for the last kickoff_id that deployment returned.
// Each deployment keeps its runs between inputs (so a kickoff can be followed by status/resume) and
// is rebuilt every kResetEvery inputs, so memory and run counts stay bounded.
#include <charconv>
#include <map>
#include <memory>
#include <string>

#include "api.hpp"
#include "fuzz/targets.hpp"

namespace crewai::fuzz {
namespace {

using sim::detail::Api;
using sim::detail::Clock;

constexpr int kResetEvery = 500;
constexpr long long kMaxAdvanceMs = 3'600'000;

constexpr const char* kCrew = R"({
  "name": "fuzz_crew", "inputs": ["topic"], "pending_seconds": 1, "started_seconds": 1,
  "tasks": [
    {"name": "draft", "agent": "Writer", "duration": 5, "output": "Draft about {topic}",
     "output_json": {"topic": "{topic}"}, "human_input": true,
     "usage": {"prompt_tokens": 10, "completion_tokens": 5}},
    {"name": "publish", "agent": "Editor", "duration": 5, "output": "Published {topic}"}
  ],
  "result_json": {"title": "{topic}", "n": 1},
  "failures": [
    {"when": {"input": "topic", "matches": "^fail"}, "message": "bad {topic}", "task": "draft"},
    {"rate": 0.1, "message": "LLM error"}
  ]
})";

constexpr const char* kFlow = R"({
  "name": "fuzz_flow", "kind": "flow", "inputs": ["company"],
  "tasks": [{"name": "score", "agent": "flow", "duration": 3, "output": "{company} scored"},
            {"name": "review", "agent": "flow", "duration": 1, "output": "reviewed",
             "human_input": true}],
  "result_json": {"company": "{company}", "score": 82, "review": "{human_feedback}"}
})";

struct Deployment {
  std::unique_ptr<Api> api;
  std::string last_id = "none";
};

struct State {
  std::map<std::string, Deployment> deployments;
  Clock::time_point now = Clock::time_point{} + std::chrono::hours(1);
  int inputs = 0;
};

State& state() {
  static State s;
  return s;
}

sim::ServerOptions options_for(const std::string& name) {
  sim::ServerOptions o;
  o.crew = *sim::parse_crew(nlohmann::json::parse(name == "flow" ? kFlow : kCrew));
  o.tokens = {"tok"};
  o.time_scale = 1.0;
  o.seed = 7;
  o.dialect = sim::Dialect::amp;
  if (name == "live") o.dialect = sim::Dialect::live;
  if (name == "celery") o.dialect = sim::Dialect::celery_legacy;
  if (name == "seed") o.dialect = sim::Dialect::seed;
  if (name == "fastapi") o.errors = sim::ErrorStyle::fastapi;
  if (name == "reversed") o.reversed_status_path = true;
  if (name == "flow") o.flow_webhook_secret = "fuzz-flow-secret";
  return o;
}

Deployment& deployment(std::string name) {
  if (name != "celery" && name != "seed" && name != "fastapi" && name != "reversed" && name != "flow" &&
      name != "live")
    name = "amp";
  auto& d = state().deployments[name];
  if (!d.api) d.api = std::make_unique<Api>(options_for(name));
  return d;
}

void substitute_id(std::string& s, const std::string& id) {
  for (auto at = s.find("$ID"); at != std::string::npos; at = s.find("$ID", at + id.size()))
    s.replace(at, 3, id);
}

std::string_view next_line(std::string_view& rest) {
  auto nl = rest.find('\n');
  std::string_view line = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

void sim_request_reset() { state() = State{}; }

void sim_request_one(std::string_view data) {
  if (++state().inputs > kResetEvery) sim_request_reset(), state().inputs = 1;
  sim::detail::Request req;
  std::string_view rest = data;
  std::string_view first = next_line(rest);
  auto sp = first.find(' ');
  req.method = std::string(first.substr(0, sp));
  req.target = sp == std::string_view::npos ? "/" : std::string(first.substr(sp + 1));
  std::string which;
  long long advance = 0;
  for (std::string_view line = next_line(rest); !line.empty(); line = next_line(rest)) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon), value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (key == "auth") req.authorization = std::string(value);
    else if (key == "sim") which = std::string(value);
    else if (key == "advance") std::from_chars(value.data(), value.data() + value.size(), advance);
  }
  req.body = std::string(rest);
  if (advance > 0) state().now += std::chrono::milliseconds(std::min(advance, kMaxAdvanceMs));
  Deployment& d = deployment(which);
  substitute_id(req.target, d.last_id);
  substitute_id(req.body, d.last_id);
  Api& api = *d.api;
  auto out = api.handle(req, state().now);
  if (out.status == 200 && req.target == "/kickoff") {
    auto j = nlohmann::json::parse(out.body, nullptr, false);
    if (j.is_object() && j.contains("kickoff_id") && j["kickoff_id"].is_string())
      d.last_id = j["kickoff_id"].get<std::string>();
  }
  for (const auto& id : out.pump) {
    std::vector<sim::detail::Outgoing> hooks;
    (void)api.due_webhooks(id, state().now + std::chrono::hours(1), hooks);
    for (bool delivered : {true, false}) api.webhook_done(delivered);
  }
  volatile std::size_t n = api.stats(state().now).dump().size() + out.body.size();
  (void)n;
}

}  // namespace crewai::fuzz
