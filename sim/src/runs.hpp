// runs.hpp — the runs of one simulated deployment. A run's state is computed lazily from timestamps
// on each read (no timer per run), so 10,000 live runs cost 10,000 small records.
// Thread-safe: every member locks the store's mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "crewai/sim/crew.hpp"
#include "run.hpp"

namespace crewai::sim::detail {

struct NewRun {
  json inputs, meta;
  Webhooks hooks;
  std::string request_id;  // meta.requestId, or empty
  double stuck_rate = 0.0;
  std::string restore_from;  // flows: restoreFromStateId, or empty
};

enum class StopOutcome { stopped, terminal, not_found };

enum class ResumeOutcome { resumed, retrying, completed, not_found, not_paused, not_flow };

class RunStore {
 public:
  // `live`: the live dialect's run semantics (a waiting crew reads NOT FOUND, HITL task ids are
  // UUIDs, /resume continues under a new id).
  RunStore(Crew crew, double time_scale, std::uint64_t seed, bool live = false);

  const Crew& crew() const { return crew_; }
  double time_scale() const { return scale_; }

  // Creates a run; returns its id and whether it was made stuck.
  std::pair<std::string, bool> create(NewRun r, Clock::time_point now);
  // Status object of a run in the given dialect's vocabulary, or nullopt for an unknown id.
  std::optional<std::pair<Run, View>> snapshot(const std::string& id, Clock::time_point now) const;
  // Calls fn(run, view at `now`) under the store's lock, without copying the run; false for an
  // unknown id. `fn` must not call back into the store's locking members.
  template <class Fn>
  bool visit(const std::string& id, Clock::time_point now, Fn&& fn) const {
    std::lock_guard lock(mu_);
    auto it = runs_.find(id);
    if (it == runs_.end()) return false;
    fn(it->second, view(it->second, now));
    return true;
  }
  ResumeOutcome resume(const std::string& id, bool approve, const std::string& feedback,
                       Webhooks hooks, Clock::time_point now);
  // The flow callback: the paused step is answered with `feedback` (shown in its output and as
  // {human_feedback} in later templates) and the flow goes on. Webhooks are kept.
  ResumeOutcome answer_flow(const std::string& id, const std::string& feedback,
                            Clock::time_point now);
  void set_flow_hitl(FlowHitl cfg);

  // Live /resume (live_runs.cpp): the crew run `id`, paused on the task whose id is `task_id`, goes
  // on as a new run with its own kickoff id (returned) and only `hooks`; `id` keeps reading NOT
  // FOUND. nullopt when `id` is no crew run paused on that task, or was resumed already.
  std::optional<std::string> continue_run(const std::string& id, const std::string& task_id,
                                          bool approve, const std::string& feedback,
                                          Webhooks hooks, Clock::time_point now);
  std::string unused_id();  // a fresh kickoff id that names no run
  // POST /stop/{id}: a run that is not terminal is REVOKED from `now` (no more webhooks). `state`
  // receives the state name of a terminal run.
  StopOutcome stop(const std::string& id, Clock::time_point now, std::string& state);
  // Whether a run in view `v` reads NOT FOUND (live: a crew waiting for human input).
  bool hidden(const View& v) const { return live_ && !crew_.flow && v.state == State::paused; }
  // The id of a task in a run as the HITL callback names it: the task's name, or (live) a UUID.
  std::string task_id(const Run& r, std::size_t task) const;
  // Webhooks due for `id` since the last call; returns when to call again (nullopt: nothing more).
  std::optional<Clock::time_point> due_webhooks(const std::string& id, Clock::time_point now,
                                                std::vector<Outgoing>& out);
  json by_state(Clock::time_point now, std::size_t& live) const;

  View view(const Run& r, Clock::time_point now) const;  // REVOKED once stopped
  std::string task_output(const Run& r, std::size_t task) const;
  json usage(const View& v) const;
  json result_string(const Run& r) const;  // the `result` value of a finished run
  json result_json(const Run& r) const;    // `result_json`, or null

 private:
  void add_task_hooks(const Run& r, std::size_t from, std::size_t to, std::vector<Outgoing>& out) const;
  // Streaming events (crewAI event-bus types) that happened up to `v`, as POSTs to
  // r.hooks.streaming.
  void add_stream_events(Run& r, const View& v, std::vector<Outgoing>& out) const;
  Clock::time_point task_start(const Run& r, std::size_t task) const;  // in the current phase
  // A resumed run's next phase starts now at `task`.
  void start_phase(Run& r, std::size_t task, Clock::time_point now) const;
  void record_answer(Run& r, std::size_t task, const std::string& feedback) const;
  const json& values(const Run& r) const { return r.values.is_null() ? r.inputs : r.values; }
  View timeline(const Run& r, Clock::time_point now) const;  // the scripted course, no stop
  // A new flow run's state (flow_state.cpp): the restored run's or the defaults, then `r.inputs`
  // (typed as the script declares; a mismatch fails the run at its start). mu_ held.
  void init_flow_state(Run& r, const std::string& restore_from) const;

  Crew crew_;
  double scale_;
  std::uint64_t seed_;
  bool live_;
  mutable std::mutex mu_;
  FlowHitl flow_hitl_;
  std::unordered_map<std::string, Run> runs_;
  std::uint64_t next_seq_ = 0;
};

std::uint64_t mix64(std::uint64_t x);           // splitmix64 finaliser
std::uint64_t hash_text(const std::string& s);  // FNV-1a
double unit_draw(std::uint64_t& state);         // uniform [0, 1) from a splitmix64 stream
std::string uuid_from(std::uint64_t a, std::uint64_t b);

}  // namespace crewai::sim::detail
