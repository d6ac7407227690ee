// api.hpp — the simulator's HTTP semantics without sockets: routes, auth, dialects, error bodies,
// fault decisions, accounting. The Beast layer (server.cpp) feeds it parsed requests and carries out
// the Response (delay, answer, reset or drop). Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "crewai/sim/options.hpp"
#include "runs.hpp"
#include "stats.hpp"

namespace crewai::sim::detail {

struct Request {
  std::string method, target, authorization, body;
};

struct Response {
  enum class Action { respond, reset, drop };
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  Action action = Action::respond;
  std::chrono::milliseconds delay{0};
  std::vector<std::string> pump;  // runs whose webhooks need a (re)start
};

// A request body read as a JSON object; `error` says why it is not one.
struct Parsed {
  json body;
  std::string error;
};
Parsed parse_object(const std::string& text);
// Reads the webhook fields of a kickoff or resume body; returns an error message or empty.
// `live`: also `humanInputWebhookUrl` (a URL string, called without auth; it wins over
// `humanInputWebhook`).
std::string read_hooks(const json& body, Webhooks& hooks, bool live);
bool has_hooks(const Webhooks& h);

class Api {
 public:
  explicit Api(const ServerOptions& opts);

  Response handle(const Request& req, Clock::time_point now);
  // A request the HTTP parser refused (413 over the body cap, 400 malformed).
  Response reject(const std::string& method, const std::string& target, int status,
                  const std::string& message);

  // The server's own base URL, once bound: flow requests' callback_url points below it.
  void set_base_url(const std::string& base_url);

  nlohmann::json stats(Clock::time_point now) const;
  void reset_stats() { stats_.reset(); }
  void set_faults(FaultConfig f);
  std::optional<Clock::time_point> due_webhooks(const std::string& id, Clock::time_point now,
                                                std::vector<Outgoing>& out) {
    auto next = runs_.due_webhooks(id, now, out);
    if (!out.empty()) stats_.webhooks_sent(out.size());
    return next;
  }
  void webhook_done(bool delivered) { stats_.webhook(delivered); }

 private:
  struct Route;
  Response route(const Route& r, const Request& req, Clock::time_point now);
  Response inputs() const;
  Response kickoff(const std::string& body, Clock::time_point now, double stuck_rate);
  Response status(const std::string& id, Clock::time_point now);
  Response resume(const std::string& body, Clock::time_point now);
  Response stop(const std::string& id, Clock::time_point now);
  // The live dialect's bodies (live.cpp).
  Response live_resume(const std::string& body, Clock::time_point now);
  Response unauthorized(const std::string& header) const;
  Response internal_error() const;  // 500 "Internal Server Error", text/plain
  bool live() const { return opts_.dialect == Dialect::live; }
  Response flow_feedback(const std::string& id, const std::string& body, Clock::time_point now);
  Response sim_faults(const std::string& body);
  Response error(int status, const std::string& message) const;
  Response missing(const std::vector<std::string>& names) const;
  bool authorized(const std::string& header) const;
  struct Plan;
  Plan plan(const std::string& endpoint, Clock::time_point now);
  void garble(Response& r, double draw, const EndpointFaults& f);

  ServerOptions opts_;
  RunStore runs_;
  Stats stats_;
  mutable std::mutex fault_mu_;
  FaultConfig faults_;
  std::unordered_map<std::string, std::uint64_t> fault_seq_;
  Clock::time_point cold_begin_, last_request_;
  std::int64_t cold_count_ = 0;
  bool any_request_ = false;
};

}  // namespace crewai::sim::detail
