#include "api.hpp"

#include <boost/beast/http/status.hpp>

#include "hooks.hpp"
#include "status.hpp"

namespace crewai::sim::detail {
namespace {

// The reason phrase of `status` from Beast's table (the one the status line carries), "Error" for a
// code Beast does not know.
std::string reason(int status) {
  const auto known = boost::beast::http::int_to_status(static_cast<unsigned>(status));
  if (known == boost::beast::http::status::unknown) return "Error";
  return std::string(boost::beast::http::obsolete_reason(known));
}

Response json_response(int status, const json& body) {
  Response r;
  r.status = status;
  r.body = dump_json(body);
  return r;
}

std::string split_path(const std::string& target) { return target.substr(0, target.find('?')); }

bool constant_time_equal(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

struct Api::Route {
  enum class Kind {
    health,
    inputs,
    kickoff,
    status,
    reversed_status,
    resume,
    stop,
    flow_feedback,
    stats,
    reset,
    faults,
    none
  };
  Kind kind = Kind::none;
  const char* method = "GET";
  std::string key;       // stats key, e.g. "GET /status"
  std::string fault;     // fault section, empty = never faulted
  std::string id;
};

struct Api::Plan {
  std::optional<Response> early;
  std::chrono::milliseconds delay{0};
  double garbage = 1.0, drop = 1.0, stuck = 0.0;
  EndpointFaults cfg;
};

Api::Api(const ServerOptions& opts)
    : opts_(opts),
      runs_(opts.crew, opts.time_scale, opts.seed, opts.dialect == Dialect::live),
      faults_(opts.faults) {
  runs_.set_flow_hitl({"", opts_.flow_webhook_secret});
}

void Api::set_base_url(const std::string& base_url) {
  runs_.set_flow_hitl({base_url, opts_.flow_webhook_secret});
}

void Api::set_faults(FaultConfig f) {
  std::lock_guard lock(fault_mu_);
  faults_ = std::move(f);
  cold_count_ = 0;
  any_request_ = false;
}

Response Api::error(int status, const std::string& message) const {
  json body = opts_.errors == ErrorStyle::fastapi || live() ? json{{"detail", message}}
                                                  : json{{"error", reason(status)}, {"message", message}};
  return json_response(status, body);
}

Response Api::missing(const std::vector<std::string>& names) const {
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  if (live()) return error(422, "Missing inputs: " + list);
  if (opts_.errors == ErrorStyle::fastapi) {
    json detail = json::array();
    for (const auto& n : names)
      detail.push_back({{"loc", {"body", "inputs", n}}, {"msg", "field required"}, {"type", "missing"}});
    return json_response(422, {{"detail", detail}});
  }
  return json_response(422, {{"error", reason(422)},
                             {"message", "Missing required inputs: " + list},
                             {"details", {{"missing_inputs", names}}}});
}

bool Api::authorized(const std::string& header) const {
  if (opts_.tokens.empty()) return true;
  const std::string prefix = "Bearer ";
  if (header.size() <= prefix.size() || header.compare(0, prefix.size(), prefix) != 0) return false;
  std::string token = header.substr(prefix.size());
  bool ok = false;
  for (const auto& t : opts_.tokens) ok |= constant_time_equal(token, t);
  return ok;
}

Response Api::handle(const Request& req, Clock::time_point now) {
  Route r;
  std::string path = split_path(req.target);
  using K = Route::Kind;
  auto set = [&](K kind, const char* method, std::string key, std::string fault = {}) {
    r.kind = kind;
    r.method = method;
    r.key = std::move(key);
    r.fault = std::move(fault);
  };
  const bool seed = opts_.dialect == Dialect::seed;
  const bool stop_route = opts_.stop_route && (opts_.dialect == Dialect::amp || live());
  if (path == "/" && !live()) set(K::health, "GET", "GET /");
  else if (path == "/inputs") set(K::inputs, "GET", "GET /inputs", "inputs");
  else if (path == "/kickoff") set(K::kickoff, "POST", "POST /kickoff", "kickoff");
  else if (path == "/resume") set(K::resume, "POST", "POST /resume", "resume");
  else if (path == "/_sim/stats") set(K::stats, "GET", "GET /_sim/stats");
  else if (path == "/_sim/reset") set(K::reset, "POST", "POST /_sim/reset");
  else if (path == "/_sim/faults") set(K::faults, "POST", "POST /_sim/faults");
  else if (path.rfind("/status/", 0) == 0 && path.size() > 8 && path.find('/', 8) == std::string::npos) {
    set(K::status, "GET", "GET /status", "status");
    r.id = path.substr(8);
  } else if (stop_route && path.rfind("/stop/", 0) == 0 && path.size() > 6 &&
             path.find('/', 6) == std::string::npos) {
    set(K::stop, "POST", "POST /stop", "stop");
    r.id = path.substr(6);
  } else if ((seed || opts_.reversed_status_path) && path.size() > 8 &&
             path.compare(path.size() - 7, 7, "/status") == 0 &&
             path.find('/', 1) == path.size() - 7) {
    set(K::reversed_status, "GET", "GET /{id}/status", "status");
    r.id = path.substr(1, path.size() - 8);
  } else if (auto id = flow_callback_id(path); !id.empty()) {
    set(K::flow_feedback, "POST", "POST /flows/{id}/feedback", "feedback");
    r.id = std::move(id);
  } else {
    r.key = "other";
  }
  Response out;
  // FastAPI matches the route before it runs the auth dependency: live answers a route 404 or 405
  // to anyone.
  if (live() && r.kind == K::none) {
    out = error(404, "Not Found");
  } else if (live() && req.method != r.method) {
    out = error(405, "Method Not Allowed");
    out.headers.emplace_back("Allow", r.method);
  } else if (!authorized(req.authorization)) {
    out = unauthorized(req.authorization);
  } else if (r.kind == K::none && path.rfind("/stop/", 0) == 0) {
    // What a deployment without the route answers (FastAPI's route 404), so that a client can tell
    // "cannot cancel here" from an unknown run in every dialect.
    out = json_response(404, {{"detail", "Not Found"}});
  } else if (r.kind == K::none) {
    out = error(404, "No route for " + req.method + " " + path);
  } else if (req.method != r.method) {
    out = error(405, "Method " + req.method + " is not allowed on " + path);
    out.headers.emplace_back("Allow", r.method);
  } else {
    out = route(r, req, now);
  }
  const char* outcome_names[] = {"", "reset", "dropped"};
  std::string outcome = out.action == Response::Action::respond
                            ? std::to_string(out.status)
                            : outcome_names[static_cast<int>(out.action)];
  stats_.request(r.key, outcome);
  return out;
}

Response Api::route(const Route& r, const Request& req, Clock::time_point now) {
  using K = Route::Kind;
  Plan p;
  if (!r.fault.empty()) {
    p = plan(r.fault, now);
    if (p.early) return *p.early;
  }
  Response out;
  switch (r.kind) {
    case K::health:
      out.content_type = "text/plain";
      out.body = "Healthy";
      break;
    case K::inputs: out = inputs(); break;
    case K::kickoff:
      out = kickoff(req.body, now, p.stuck);
      if (out.status == 200 && p.drop < p.cfg.drop_response) {
        stats_.fault("drop_response");
        out.action = Response::Action::drop;
      }
      break;
    case K::status:
    case K::reversed_status:
      out = status(r.id, now);
      if (out.status == 200) garble(out, p.garbage, p.cfg);
      break;
    case K::resume: out = live() ? live_resume(req.body, now) : resume(req.body, now); break;
    case K::stop: out = stop(r.id, now); break;
    case K::flow_feedback:
      out = flow_feedback(r.id, req.body, now);
      break;
    case K::stats: out = json_response(200, stats(now)); break;
    case K::reset:
      stats_.reset();
      out = json_response(200, {{"reset", true}});
      break;
    case K::faults: out = sim_faults(req.body); break;
    case K::none: break;
  }
  out.delay += p.delay;
  return out;
}

Api::Plan Api::plan(const std::string& endpoint, Clock::time_point now) {
  Plan p;
  std::lock_guard lock(fault_mu_);
  p.stuck = faults_.stuck;
  const auto& cold = faults_.cold_start;
  if (cold.enabled()) {
    bool idle = cold.idle_seconds > 0 && any_request_ &&
                std::chrono::duration<double>(now - last_request_).count() >= cold.idle_seconds;
    if (!any_request_ || idle) {
      cold_begin_ = now;
      cold_count_ = 0;
    }
    bool is_cold = cold_count_ < cold.requests ||
                   std::chrono::duration<double>(now - cold_begin_).count() < cold.seconds;
    ++cold_count_;
    any_request_ = true;
    last_request_ = now;
    if (is_cold) {
      stats_.fault("cold_start");
      if (cold.status != 0) {
        p.early = error(cold.status, "Deployment is starting (cold start)");
        if (cold.retry_after) p.early->headers.emplace_back("Retry-After", std::to_string(*cold.retry_after));
        return p;
      }
      p.delay += std::chrono::milliseconds(cold.latency_ms);
    }
  }
  const EndpointFaults* f = faults_.for_endpoint(endpoint);
  if (!f) return p;
  p.cfg = *f;
  std::uint64_t rng = mix64(opts_.seed ^ hash_text(endpoint)) ^ mix64(fault_seq_[endpoint]++);
  double latency = unit_draw(rng), reset = unit_draw(rng), err = unit_draw(rng);
  p.drop = unit_draw(rng);
  p.garbage = unit_draw(rng);
  if (f->latency_max_ms > 0) {
    auto span = static_cast<double>(f->latency_max_ms - f->latency_min_ms);
    p.delay += std::chrono::milliseconds(f->latency_min_ms + static_cast<std::int64_t>(latency * (span + 1)));
    stats_.fault("latency");
  }
  if (reset < f->reset) {
    stats_.fault("reset");
    p.early = Response{};
    p.early->action = Response::Action::reset;
    p.early->delay = p.delay;
    return p;
  }
  double acc = 0.0;
  for (const auto& [code, rate] : f->error_rates) {
    acc += rate;
    if (err < acc) {
      stats_.fault("http_" + std::to_string(code));
      p.early = error(code, reason(code) + " (injected)");
      if (f->retry_after) p.early->headers.emplace_back("Retry-After", std::to_string(*f->retry_after));
      p.early->delay = p.delay;
      return p;
    }
  }
  return p;
}

void Api::garble(Response& r, double draw, const EndpointFaults& f) {
  const std::pair<double, const char*> kinds[] = {{f.non_json, "non_json"},
                                                  {f.truncated, "truncated"},
                                                  {f.wrong_types, "wrong_types"},
                                                  {f.unknown_state, "unknown_state"},
                                                  {f.oversized, "oversized"}};
  double acc = 0.0;
  std::string kind;
  for (const auto& [rate, name] : kinds) {
    acc += rate;
    if (draw < acc) {
      kind = name;
      break;
    }
  }
  if (kind.empty()) return;
  stats_.fault("garbage_" + kind);
  if (kind == "non_json") {
    r.content_type = "text/html";
    r.body = "<html><body><h1>502 Bad Gateway</h1>upstream sent garbage</body></html>";
  } else if (kind == "truncated") {
    r.body = r.body.substr(0, r.body.size() / 2);
  } else if (kind == "wrong_types") {
    r.body = dump_json({{"state", 42}, {"status", {"not", "a", "string"}}, {"result", {{"x", 1}}},
                  {"progress", "half"}, {"usage_metrics", "lots"}, {"events", 7}});
  } else if (kind == "unknown_state") {
    json j = json::parse(r.body);
    if (j.contains("state")) j["state"] = "EXPLODED";
    else j["status"] = "exploded";
    r.body = dump_json(j);
  } else {
    json j = json::parse(r.body);
    j["padding"] = std::string(f.oversized_bytes, 'x');
    r.body = dump_json(j);
  }
}

Response Api::reject(const std::string& method, const std::string& target, int status,
                     const std::string& message) {
  (void)method;
  (void)target;
  stats_.request("rejected", std::to_string(status));
  return error(status, message);
}

json Api::stats(Clock::time_point now) const {
  json j = stats_.to_json();
  std::size_t live = 0;
  json by_state = runs_.by_state(now, live);
  j["runs"] = {{"by_state", by_state}, {"live", live}};
  return j;
}

}  // namespace crewai::sim::detail
