// stats.hpp — what the simulator did, for GET /_sim/stats. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace crewai::sim::detail {

class Stats {
 public:
  void request(const std::string& endpoint, const std::string& outcome);  // outcome: "200", "reset"...
  void kickoff(const std::string& request_id);                             // empty: no meta.requestId
  void fault(const std::string& kind);
  void stop(const std::string& outcome);    // POST /stop: "stopped", "refused" (terminal), "unknown"
  void resume(const std::string& outcome);  // live /resume: "continued", "unmatched"
  void webhooks_sent(std::size_t n);  // POSTs started
  void webhook(bool delivered);       // a POST's outcome
  void status_body(bool reused);      // a status body from a run's memo, or rendered
  // {"requests", "kickoffs", "faults", "webhooks", "stops", "resumes", "status_bodies"}
  nlohmann::json to_json() const;
  void reset();

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, std::int64_t>> requests_;
  std::int64_t kickoffs_ = 0;
  std::map<std::string, std::int64_t> by_request_id_;
  std::map<std::string, std::int64_t> faults_;
  std::map<std::string, std::int64_t> stops_, resumes_;
  std::int64_t hooks_sent_ = 0, hooks_delivered_ = 0, hooks_failed_ = 0;
  std::int64_t bodies_rendered_ = 0, bodies_reused_ = 0;
};

}  // namespace crewai::sim::detail
