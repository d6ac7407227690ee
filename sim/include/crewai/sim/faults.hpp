// crewai/sim/faults.hpp — fault injection for the simulator: what goes wrong, how often, where.
// A value type; the server draws every decision from a RNG seeded by (seed, endpoint, request number),
// so a given seed and request order reproduce the same faults.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

namespace crewai::sim {

struct EndpointFaults {
  std::int64_t latency_min_ms = 0;   // added before answering; uniform in [min, max]
  std::int64_t latency_max_ms = 0;
  std::map<int, double> error_rates;  // HTTP status (429, 500, 502, 503, 504) -> probability
  std::optional<int> retry_after;     // seconds, sent with those error answers
  double reset = 0.0;                 // close the connection (RST) without answering
  double drop_response = 0.0;         // kickoff: create the run, then close without answering
  // GET /status only: 200 answers whose body is broken.
  double non_json = 0.0;
  double truncated = 0.0;
  double wrong_types = 0.0;
  double unknown_state = 0.0;
  double oversized = 0.0;
  std::size_t oversized_bytes = 2u << 20;
};

// The first `requests` requests, and every request within `seconds` (real time), after server start or
// after `idle_seconds` without any request, answer `status` (0 = answer normally but `latency_ms` late).
struct ColdStart {
  std::int64_t requests = 0;
  double seconds = 0.0;
  double idle_seconds = 0.0;  // 0 = only at start
  int status = 503;
  std::int64_t latency_ms = 0;
  std::optional<int> retry_after;
  bool enabled() const { return requests > 0 || seconds > 0.0; }
};

struct FaultConfig {
  // Keys: "all", "inputs", "kickoff", "status", "resume", "stop", "feedback" (the flow callback). An
  // endpoint's own entry replaces "all".
  std::map<std::string, EndpointFaults> endpoints;
  double stuck = 0.0;  // probability that a new run never finishes (stays RUNNING on its last task)
  ColdStart cold_start;

  const EndpointFaults* for_endpoint(const std::string& endpoint) const;
};

// JSON format (docs/simulator.md):
// {"status": {"latency_ms": [5, 50], "errors": {"503": 0.1}, "retry_after": 1, "reset": 0.01,
//             "garbage": {"non_json": 0.01, "truncated": 0.01, "wrong_types": 0.01,
//                         "unknown_state": 0.01, "oversized": 0.01, "oversized_mb": 2}},
//  "kickoff": {"drop_response": 0.1}, "stuck": 0.05,
//  "cold_start": {"requests": 3, "seconds": 0, "idle_seconds": 60, "status": 503, "retry_after": 2}}
tl::expected<FaultConfig, std::string> parse_faults(const nlohmann::json& j);
tl::expected<FaultConfig, std::string> load_faults(const std::string& path);

// Merge one inline flag into a fault JSON document (then parse_faults it). Flag syntax:
//   ENDPOINT:KEY=VALUE[,KEY=VALUE...]   e.g. "status:503=0.1,retry-after=1,latency=5-50"
//   keys: latency=MS|MIN-MAX, 429|500|502|503|504=RATE, retry-after=S, reset=RATE, drop=RATE,
//         non-json|truncated|wrong-types|unknown-state|oversized=RATE, oversized-mb=N
//   run:stuck=RATE
//   cold-start:requests=N,seconds=S,idle=S,status=CODE,latency=MS,retry-after=S
tl::expected<void, std::string> merge_fault_flag(const std::string& flag, nlohmann::json& doc);

}  // namespace crewai::sim
