// The run semantics that only the live dialect has (continuing a resumed crew under a new kickoff
// id, UUID task ids), and POST /stop, which amp serves too.
#include "runs.hpp"

namespace crewai::sim::detail {

std::string RunStore::task_id(const Run& r, std::size_t task) const {
  if (!live_ || crew_.flow) return crew_.tasks[task].name;
  std::uint64_t k = mix64(mix64(seed_ + 0x7a5c) ^ mix64(r.seq)) + 2 * task;
  return uuid_from(mix64(k), mix64(k + 1));
}

std::string RunStore::unused_id() {
  std::lock_guard lock(mu_);
  // Consuming a sequence number keeps this id distinct from every kickoff id, past and future.
  std::uint64_t idrng = mix64(seed_ + 0x51ed) ^ mix64(next_seq_++);
  return uuid_from(mix64(idrng), mix64(idrng + 1));
}

std::optional<std::string> RunStore::continue_run(const std::string& id,
                                                  const std::string& task_id_text, bool approve,
                                                  const std::string& feedback, Webhooks hooks,
                                                  Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = runs_.find(id);
  if (it == runs_.end() || crew_.flow) return std::nullopt;
  Run& old = it->second;
  ++old.revision;
  View v = view(old, now);
  if (v.state != State::paused || !v.current || !old.continued_as.empty()) return std::nullopt;
  const std::size_t task = *v.current;
  if (task_id(old, task) != task_id_text) return std::nullopt;
  // Events up to the pause that the pump has not sent yet still go out under the old id.
  add_stream_events(old, v, old.stream_backlog);

  Run r = old;  // the inputs, outcome draws, answers and attempts so far
  ++r.revision;  // another id: not the body memoised for `old`
  r.seq = next_seq_++;
  std::uint64_t idrng = mix64(seed_ + 0x51ed) ^ mix64(r.seq);
  r.id = uuid_from(mix64(idrng), mix64(idrng + 1));
  old.continued_as = r.id;
  r.hooks = std::move(hooks);  // nothing carries over from the kickoff
  r.created = now;
  r.created_wall = std::chrono::system_clock::now();
  r.continued = true;
  r.stream_backlog.clear();
  r.stream_count = 0;
  r.notified_end = false;
  r.streamed_end = false;
  if (approve) {
    r.approved[task] = true;
    start_phase(r, task + 1, now);
  } else {
    r.feedback[task] = feedback;
    ++r.attempts[task];
    start_phase(r, task, now);
  }
  std::string new_id = r.id;
  runs_.emplace(new_id, std::move(r));
  return new_id;
}

StopOutcome RunStore::stop(const std::string& id, Clock::time_point now, std::string& state) {
  std::lock_guard lock(mu_);
  auto it = runs_.find(id);
  if (it == runs_.end()) return StopOutcome::not_found;
  Run& r = it->second;
  ++r.revision;
  View v = view(r, now);
  if (hidden(v)) return StopOutcome::not_found;  // it reads NOT FOUND: nothing to stop there
  if (is_terminal(v.state)) {
    state = state_name(v.state);
    return StopOutcome::terminal;
  }
  r.revoked_at = now;
  return StopOutcome::stopped;
}

}  // namespace crewai::sim::detail
