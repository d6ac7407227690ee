#include "stats.hpp"

namespace crewai::sim::detail {

void Stats::request(const std::string& endpoint, const std::string& outcome) {
  std::lock_guard lock(mu_);
  ++requests_[endpoint][outcome];
}

void Stats::kickoff(const std::string& request_id) {
  std::lock_guard lock(mu_);
  ++kickoffs_;
  if (!request_id.empty()) ++by_request_id_[request_id];
}

void Stats::fault(const std::string& kind) {
  std::lock_guard lock(mu_);
  ++faults_[kind];
}

void Stats::stop(const std::string& outcome) {
  std::lock_guard lock(mu_);
  ++stops_[outcome];
}

void Stats::resume(const std::string& outcome) {
  std::lock_guard lock(mu_);
  ++resumes_[outcome];
}

void Stats::webhooks_sent(std::size_t n) {
  std::lock_guard lock(mu_);
  hooks_sent_ += static_cast<std::int64_t>(n);
}

void Stats::webhook(bool delivered) {
  std::lock_guard lock(mu_);
  ++(delivered ? hooks_delivered_ : hooks_failed_);
}

void Stats::status_body(bool reused) {
  std::lock_guard lock(mu_);
  ++(reused ? bodies_reused_ : bodies_rendered_);
}

nlohmann::json Stats::to_json() const {
  std::lock_guard lock(mu_);
  nlohmann::json requests = nlohmann::json::object();
  for (const auto& [endpoint, codes] : requests_) requests[endpoint] = codes;
  return {{"requests", requests},
          {"kickoffs", {{"total", kickoffs_}, {"by_request_id", by_request_id_}}},
          {"faults", faults_},
          {"stops", stops_},
          {"resumes", resumes_},
          {"webhooks",
           {{"sent", hooks_sent_}, {"delivered", hooks_delivered_}, {"failed", hooks_failed_}}},
          {"status_bodies", {{"rendered", bodies_rendered_}, {"reused", bodies_reused_}}}};
}

void Stats::reset() {
  std::lock_guard lock(mu_);
  requests_.clear();
  kickoffs_ = 0;
  by_request_id_.clear();
  faults_.clear();
  stops_.clear();
  resumes_.clear();
  hooks_sent_ = hooks_delivered_ = hooks_failed_ = 0;
  bodies_rendered_ = bodies_reused_ = 0;
}

}  // namespace crewai::sim::detail
