#include "runs.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iterator>

#include "hooks.hpp"

namespace crewai::sim::detail {
namespace {

Clock::time_point at(Clock::time_point base, double crew_seconds, double scale) {
  return base + std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double>(crew_seconds * scale));
}

// ISO-8601 UTC with milliseconds: "2025-01-31T12:00:00.123Z".
std::string iso_millis(std::int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[80];  // room for any int the compiler can imagine in each field
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms % 1000));
  return buf;
}

}  // namespace

const char* state_name(State s) {
  switch (s) {
    case State::pending: return "PENDING";
    case State::started: return "STARTED";
    case State::running: return "RUNNING";
    case State::paused: return "PAUSED";
    case State::success: return "SUCCESS";
    case State::failed: return "FAILED";
    case State::revoked: return "REVOKED";
  }
  return "UNKNOWN";
}

bool is_terminal(State s) {
  return s == State::success || s == State::failed || s == State::revoked;
}

std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t hash_text(const std::string& s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

double unit_draw(std::uint64_t& state) {
  state = mix64(state);
  return static_cast<double>(state >> 11) * 0x1.0p-53;
}

std::string uuid_from(std::uint64_t a, std::uint64_t b) {
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", unsigned(a >> 32),
                unsigned((a >> 16) & 0xffff), unsigned(a & 0xffff), unsigned(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

RunStore::RunStore(Crew crew, double time_scale, std::uint64_t seed, bool live)
    : crew_(std::move(crew)), scale_(time_scale), seed_(seed), live_(live) {}

std::pair<std::string, bool> RunStore::create(NewRun n, Clock::time_point now) {
  Run r;
  r.inputs = std::move(n.inputs);
  r.meta = std::move(n.meta);
  r.hooks = std::move(n.hooks);
  r.created = r.phase_start = now;
  r.created_wall = std::chrono::system_clock::now();
  r.attempts.assign(crew_.tasks.size(), 0);
  r.feedback.assign(crew_.tasks.size(), {});
  r.approved.assign(crew_.tasks.size(), false);
  r.answers.assign(crew_.tasks.size(), {});
  std::lock_guard lock(mu_);
  r.seq = next_seq_++;
  std::uint64_t idrng = mix64(seed_ + 0x51ed) ^ mix64(r.seq);
  r.id = uuid_from(mix64(idrng), mix64(idrng + 1));
  if (crew_.flow) init_flow_state(r, n.restore_from);
  // Outcome randomness keyed by the request id when there is one, so it does not depend on the
  // order in which concurrent kickoffs arrive.
  std::uint64_t rng = mix64(seed_ ^ (n.request_id.empty() ? mix64(r.seq) : hash_text(n.request_id)));
  std::vector<double> draws;
  for (std::size_t i = 0; i < crew_.failures.size(); ++i) draws.push_back(unit_draw(rng));
  if (const auto* rule = r.fail_at_start ? nullptr : select_failure(crew_, r.inputs, draws)) {
    r.fail_task = rule->task_index;
    r.fail_message = render_template(rule->message, r.inputs);
  }
  r.stuck = unit_draw(rng) < n.stuck_rate;
  auto result = std::make_pair(r.id, r.stuck);
  runs_.emplace(r.id, std::move(r));
  return result;
}

View RunStore::view(const Run& r, Clock::time_point now) const {
  if (!r.revoked_at || now < *r.revoked_at) return timeline(r, now);
  View v = timeline(r, *r.revoked_at);
  v.state = State::revoked;
  v.current.reset();
  v.updated_at = *r.revoked_at;
  v.next_change.reset();
  return v;
}

View RunStore::timeline(const Run& r, Clock::time_point now) const {
  View v;
  double t = std::chrono::duration<double>(now - r.phase_start).count() / scale_;
  double mark = 0.0;
  auto stamp = [&](double crew_s) { return at(r.phase_start, crew_s, scale_); };
  if (r.first_phase) {
    v.updated_at = r.phase_start;
    if (t < crew_.pending_seconds) {
      v.next_change = stamp(crew_.pending_seconds);
      return v;
    }
    mark = crew_.pending_seconds;
    v.started_at = v.updated_at = stamp(mark);
    if (t < mark + crew_.started_seconds) {
      v.state = State::started;
      v.next_change = stamp(mark + crew_.started_seconds);
      return v;
    }
    mark += crew_.started_seconds;
    if (r.fail_at_start) {
      v.state = State::failed;
      v.updated_at = stamp(mark);
      return v;
    }
  } else {
    v.started_at = r.continued ? r.created : at(r.created, crew_.pending_seconds, scale_);
  }
  const std::size_t n = crew_.tasks.size();
  for (std::size_t i = r.phase_task; i < n; ++i) {
    v.updated_at = stamp(mark);
    v.completed = i;
    v.current = i;
    double end = mark + crew_.tasks[i].duration;
    if ((r.stuck && i + 1 == n) || t < end) {
      v.state = State::running;
      if (!(r.stuck && i + 1 == n)) v.next_change = stamp(end);
      return v;
    }
    if (r.fail_task == i) {
      v.state = State::failed;
      v.updated_at = stamp(end);
      return v;
    }
    mark = end;
    if (crew_.tasks[i].human_input && !r.approved[i]) {
      v.state = State::paused;
      v.completed = i + 1;
      v.updated_at = stamp(mark);
      return v;
    }
  }
  v.state = State::success;
  v.completed = n;
  v.current.reset();
  v.updated_at = stamp(mark);
  return v;
}

std::optional<std::pair<Run, View>> RunStore::snapshot(const std::string& id,
                                                      Clock::time_point now) const {
  std::lock_guard lock(mu_);
  auto it = runs_.find(id);
  if (it == runs_.end()) return std::nullopt;
  return std::make_pair(it->second, view(it->second, now));
}

ResumeOutcome RunStore::resume(const std::string& id, bool approve, const std::string& feedback,
                               Webhooks hooks, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = runs_.find(id);
  if (it == runs_.end()) return ResumeOutcome::not_found;
  Run& r = it->second;
  ++r.revision;
  View v = view(r, now);
  if (v.state != State::paused || !v.current) return ResumeOutcome::not_paused;
  std::size_t task = *v.current;
  // Streaming events up to the pause that the pump has not sent yet go out with the old config.
  add_stream_events(r, v, r.stream_backlog);
  if (hooks.human.is_null()) hooks.human = r.hooks.human;
  r.hooks = std::move(hooks);
  if (approve) {
    // A flow approved through /resume takes human_feedback as the callback's feedback.
    if (crew_.flow) record_answer(r, task, feedback);
    r.approved[task] = true;
    start_phase(r, task + 1, now);
    return task + 1 == crew_.tasks.size() ? ResumeOutcome::completed : ResumeOutcome::resumed;
  }
  r.feedback[task] = feedback;
  ++r.attempts[task];
  start_phase(r, task, now);  // the task runs again: its webhooks and events go out again
  return ResumeOutcome::retrying;
}

ResumeOutcome RunStore::answer_flow(const std::string& id, const std::string& feedback,
                                    Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = runs_.find(id);
  if (it == runs_.end()) return ResumeOutcome::not_found;
  if (!crew_.flow) return ResumeOutcome::not_flow;
  Run& r = it->second;
  ++r.revision;
  View v = view(r, now);
  if (v.state != State::paused || !v.current) return ResumeOutcome::not_paused;
  std::size_t task = *v.current;
  add_stream_events(r, v, r.stream_backlog);
  record_answer(r, task, feedback);
  r.approved[task] = true;
  start_phase(r, task + 1, now);
  return task + 1 == crew_.tasks.size() ? ResumeOutcome::completed : ResumeOutcome::resumed;
}

void RunStore::set_flow_hitl(FlowHitl cfg) {
  std::lock_guard lock(mu_);
  flow_hitl_ = std::move(cfg);
}

void RunStore::start_phase(Run& r, std::size_t task, Clock::time_point now) const {
  r.first_phase = false;
  r.resumed = true;
  r.phase_start = now;
  r.notified_pause = false;
  r.phase_task = task;
  r.notified_tasks = task;
  r.streamed_started = r.streamed_done = task;
}

void RunStore::record_answer(Run& r, std::size_t task, const std::string& feedback) const {
  r.answers[task] = feedback;
  if (r.inputs.is_object() && r.inputs.contains("human_feedback")) return;  // inputs win
  r.values = r.inputs;
  r.values["human_feedback"] = feedback;
}

std::string RunStore::task_output(const Run& r, std::size_t task) const {
  std::string out = render_template(crew_.tasks[task].output, values(r));
  if (!r.feedback[task].empty())
    out += "\n\nRevised (attempt " + std::to_string(r.attempts[task] + 1) +
           ") with human feedback: " + r.feedback[task];
  if (!r.answers[task].empty()) out += "\n\nHuman feedback: " + r.answers[task];
  return out;
}

json RunStore::usage(const View& v) const {
  std::int64_t p = 0, c = 0;
  for (std::size_t i = 0; i < v.completed && i < crew_.tasks.size(); ++i) {
    p += crew_.tasks[i].prompt_tokens;
    c += crew_.tasks[i].completion_tokens;
  }
  return {{"total_tokens", p + c}, {"prompt_tokens", p}, {"completion_tokens", c},
          {"successful_requests", v.completed}};
}

json RunStore::result_json(const Run& r) const {
  if (!crew_.result_json || crew_.result_is_json_string) return nullptr;
  return render_json(*crew_.result_json, values(r));
}

json RunStore::result_string(const Run& r) const {
  if (crew_.result_is_json_string && crew_.result_json)
    return dump_json(render_json(*crew_.result_json, values(r)));
  return render_template(crew_.result, values(r));
}

void RunStore::add_task_hooks(const Run& r, std::size_t from, std::size_t to,
                              std::vector<Outgoing>& out) const {
  for (std::size_t i = from; i < to; ++i) {
    const auto& t = crew_.tasks[i];
    std::string output = task_output(r, i);
    if (!r.hooks.step.empty()) {
      json step = {{"prompt", t.description}, {"thought", "Working on " + t.name},
                   {"tool", nullptr}, {"tool_input", nullptr}, {"result", output},
                   {"kickoff_id", r.id}, {"meta", r.meta}};
      out.push_back({r.hooks.step, dump_json(step), {}});
    }
    if (!r.hooks.task.empty()) {
      json task = {{"description", render_template(t.description, r.inputs)},
                   {"name", t.name}, {"expected_output", t.expected_output},
                   {"summary", output.substr(0, 80)}, {"agent", t.agent}, {"output", output},
                   {"output_json", t.output_json ? render_json(*t.output_json, r.inputs) : json()},
                   {"kickoff_id", r.id}, {"meta", r.meta}};
      out.push_back({r.hooks.task, dump_json(task), {}});
    }
  }
}

std::optional<Clock::time_point> RunStore::due_webhooks(const std::string& id, Clock::time_point now,
                                                        std::vector<Outgoing>& out) {
  std::lock_guard lock(mu_);
  auto it = runs_.find(id);
  if (it == runs_.end()) return std::nullopt;
  Run& r = it->second;
  ++r.revision;
  View v = view(r, now);
  if (v.state == State::revoked) return std::nullopt;  // a stopped run sends nothing more
  std::move(r.stream_backlog.begin(), r.stream_backlog.end(), std::back_inserter(out));
  r.stream_backlog.clear();
  add_stream_events(r, v, out);
  std::size_t done = v.completed;
  if (done > r.notified_tasks) add_task_hooks(r, r.notified_tasks, done, out);
  r.notified_tasks = std::max(r.notified_tasks, done);
  if (v.state == State::paused && !r.notified_pause && r.hooks.human.is_object()) {
    r.notified_pause = true;
    const std::string task = task_id(r, *v.current);
    std::string output = task_output(r, *v.current);
    auto unix_now = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    Outgoing o =
        crew_.flow ? flow_request(flow_hitl_, r.hooks.human, r, crew_.name, task, output, unix_now)
                   : crew_hitl_request(r.hooks.human, r, task, output);
    if (!o.url.empty()) out.push_back(std::move(o));
  }
  if (is_terminal(v.state) && !r.notified_end) {
    r.notified_end = true;
    if (!r.hooks.crew.empty() && !r.fail_at_start) {
      auto u = usage(v);
      json body = {{"kickoff_id", r.id},
                   {"state", state_name(v.state)},
                   {"result", v.state == State::success ? result_string(r) : json(r.fail_message)},
                   {"result_json", v.state == State::success ? result_json(r) : json()},
                   {"token_usage", {{"total_tokens", u["total_tokens"]},
                                    {"prompt_tokens", u["prompt_tokens"]},
                                    {"completion_tokens", u["completion_tokens"]}}},
                   {"meta", r.meta}};
      out.push_back({r.hooks.crew, dump_json(body), {}});
    }
  }
  return v.next_change;
}

Clock::time_point RunStore::task_start(const Run& r, std::size_t task) const {
  double mark = r.first_phase ? crew_.pending_seconds + crew_.started_seconds : 0.0;
  for (std::size_t i = r.phase_task; i < task && i < crew_.tasks.size(); ++i)
    mark += crew_.tasks[i].duration;
  return at(r.phase_start, mark, scale_);
}

namespace {

// The streaming events of one run, made in order. Every event is made, sent or not, so that ids
// and timestamps do not depend on the config. Timestamps strictly increase within a run (a
// millisecond apart at least), so sorting by timestamp recovers the order even when the time
// scale packs several events into one ms.
class StreamEvents {
 public:
  StreamEvents(Run& r, std::uint64_t seed) : r_(r), seed_(seed) {}

  void emit(const char* type, Clock::time_point when, json data) {
    auto wall = r_.created_wall +
                std::chrono::duration_cast<std::chrono::system_clock::duration>(when - r_.created);
    std::int64_t ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch()).count();
    ms = std::max(ms, r_.stream_last_ms + 1);
    r_.stream_last_ms = ms;
    std::uint64_t k = mix64(mix64(seed_ + 0x57e4) ^ mix64(r_.seq)) + 2 * r_.stream_count++;
    events_.push_back({{"id", uuid_from(mix64(k), mix64(k + 1))},
                       {"execution_id", r_.id},
                       {"timestamp", iso_millis(ms)},
                       {"type", type},
                       {"data", std::move(data)}});
  }
  std::vector<json> take() { return std::move(events_); }

 private:
  Run& r_;
  std::uint64_t seed_;
  std::vector<json> events_;
};

// The events the streaming config asks for (all when it names none), as POSTs to its URL: one
// per event when realtime, else one batch.
void deliver_stream(const json& cfg, std::vector<json> events, std::vector<Outgoing>& out) {
  if (events.empty() || !cfg.is_object()) return;
  std::vector<json> wanted;
  const json* only = cfg.contains("events") && cfg["events"].is_array() && !cfg["events"].empty()
                         ? &cfg["events"]
                         : nullptr;
  for (auto& e : events)
    if (!only || std::find(only->begin(), only->end(), e["type"]) != only->end())
      wanted.push_back(std::move(e));
  if (wanted.empty()) return;
  Outgoing o{cfg.value("url", std::string()), {}, {}};  // read_hooks checked: a string
  if (auto auth = cfg.find("authentication"); auth != cfg.end()) add_auth_header(*auth, o.headers);
  auto body = [](json list) {
    return dump_json({{"events", std::move(list)}});
  };
  auto realtime = cfg.find("realtime");
  if (realtime != cfg.end() && realtime->is_boolean() && realtime->get<bool>()) {
    for (auto& e : wanted) {
      Outgoing one = o;
      one.body = body(json::array({std::move(e)}));
      out.push_back(std::move(one));
    }
  } else {
    o.body = body(json(std::move(wanted)));
    out.push_back(std::move(o));
  }
}

}  // namespace

// The run's events not streamed yet: its start, each task's start and end, its end; then sent.
void RunStore::add_stream_events(Run& r, const View& v, std::vector<Outgoing>& out) const {
  if (v.state == State::pending) return;
  const bool flow = crew_.flow;
  const char* name_key = flow ? "flow_name" : "crew_name";
  StreamEvents events(r, seed_);
  if (!r.streamed_start) {
    r.streamed_start = true;
    events.emit(flow ? "flow_started" : "crew_kickoff_started",
                at(r.created, crew_.pending_seconds, scale_),
                {{name_key, crew_.name}, {"inputs", r.inputs}});
  }
  const bool failed = v.state == State::failed && v.current;
  const std::size_t started = v.current ? *v.current + 1 : v.completed;
  const std::size_t ended = failed ? *v.current + 1 : v.completed;
  for (std::size_t i = r.streamed_done; i < started; ++i) {
    const auto& t = crew_.tasks[i];
    json base = flow ? json{{"flow_name", crew_.name}, {"method_name", t.name}}
                     : json{{"task_name", t.name}, {"agent_role", t.agent}};
    auto start = task_start(r, i);
    if (i >= r.streamed_started)
      events.emit(flow ? "method_execution_started" : "task_started", start, base);
    if (i >= ended) continue;
    auto end = at(start, t.duration, scale_);
    json data = base;
    if (failed && i == *v.current) {
      data["error"] = r.fail_message;
      events.emit(flow ? "method_execution_failed" : "task_failed", end, std::move(data));
    } else {
      data[flow ? "result" : "output"] = task_output(r, i);
      events.emit(flow ? "method_execution_finished" : "task_completed", end, std::move(data));
    }
  }
  r.streamed_started = std::max(r.streamed_started, started);
  r.streamed_done = std::max(r.streamed_done, ended);
  if (is_terminal(v.state) && !r.streamed_end) {
    r.streamed_end = true;
    // crewAI has no flow_failed: a failing flow ends with method_execution_failed.
    if (v.state == State::success)
      events.emit(flow ? "flow_finished" : "crew_kickoff_completed", v.updated_at,
                  flow ? json{{name_key, crew_.name}, {"result", result_string(r)}}
                       : json{{name_key, crew_.name},
                              {"output", result_string(r)},
                              {"total_tokens", usage(v)["total_tokens"]}});
    else if (!flow)
      events.emit("crew_kickoff_failed", v.updated_at,
                  {{name_key, crew_.name}, {"error", r.fail_message}});
  }
  deliver_stream(r.hooks.streaming, events.take(), out);
}

json RunStore::by_state(Clock::time_point now, std::size_t& live) const {
  json out = json::object();
  live = 0;
  std::lock_guard lock(mu_);
  for (const auto& [id, r] : runs_) {
    State s = view(r, now).state;
    const bool handed_over = !r.continued_as.empty();
    auto& slot = out[handed_over ? "RESUMED" : state_name(s)];
    slot = slot.is_null() ? 1 : slot.get<std::int64_t>() + 1;
    if (!is_terminal(s) && !handed_over) ++live;
  }
  return out;
}

}  // namespace crewai::sim::detail
