// run.hpp — one simulated run as data: its record, the view of it at an instant, the webhooks it
// calls and the requests it sends. The store (runs.hpp) owns runs; the payload builders (hooks.hpp,
// status.hpp) read them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "text.hpp"

namespace crewai::sim::detail {

using Clock = std::chrono::steady_clock;
enum class State { pending, started, running, paused, success, failed, revoked };
const char* state_name(State s);  // "PENDING", ...
bool is_terminal(State s);

struct Webhooks {
  std::string task, step, crew;
  json human;      // humanInputWebhook object, or null
  json streaming;  // `webhooks` object (event streaming), or null
};

struct Outgoing {
  std::string url;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct View {
  State state = State::pending;
  std::size_t completed = 0;
  std::optional<std::size_t> current;      // running or paused task
  std::optional<Clock::time_point> started_at;
  Clock::time_point updated_at;
  std::optional<Clock::time_point> next_change;  // when this view stops being true

  bool operator==(const View&) const = default;
};

// A run's status body as last rendered (status.cpp), kept while the run and its view stay the same.
struct StatusMemo {
  std::uint64_t revision = 0;  // Run::revision it was rendered at
  std::optional<View> view;    // the view it shows; nullopt: none rendered yet
  std::string head, tail;      // the body, or with `timed` its text before and after the elapsed seconds
  bool timed = false;
  bool reusable = true;        // false: render the whole body on each request
};

struct Run {
  std::string id;
  std::uint64_t seq = 0;
  std::uint64_t revision = 0;  // bumped by every change to the run (RunStore), so memos see it
  mutable StatusMemo status_memo;
  json inputs, meta;
  Webhooks hooks;
  Clock::time_point created, phase_start;
  std::chrono::system_clock::time_point created_wall;
  std::size_t phase_task = 0;
  bool first_phase = true;
  bool resumed = false;
  std::optional<std::size_t> fail_task;
  bool fail_at_start = false;  // a flow whose inputs do not fit its state: FAILED before any step
  std::string fail_message;
  std::optional<Clock::time_point> revoked_at;  // POST /stop: REVOKED from then on
  bool continued = false;      // live /resume: this run is the resumed work of another run
  std::string continued_as;    // live /resume: the run that took this (paused) run's work over
  bool stuck = false;
  std::vector<int> attempts;
  std::vector<std::string> feedback;
  std::vector<bool> approved;
  std::vector<std::string> answers;  // flows: the feedback each human_input step was answered with
  json values;  // template values once a flow step was answered: inputs + human_feedback; else null
  std::size_t notified_tasks = 0;
  bool notified_pause = false, notified_end = false;
  // Event streaming: what has been emitted, so that each event goes out once. Events are made (ids,
  // timestamps) even when nobody listens, so filtering or a missing config never changes them.
  bool streamed_start = false, streamed_end = false;
  std::size_t streamed_started = 0, streamed_done = 0;  // tasks whose start / end event was made
  std::uint64_t stream_count = 0;                       // events made so far (their ids)
  std::int64_t stream_last_ms = 0;                      // the last event's timestamp
  std::vector<Outgoing> stream_backlog;  // made by /resume with the config in force before it
};


// Where flow callbacks point and how flow requests are signed (hooks.hpp).
struct FlowHitl {
  std::string base_url;  // the server's own "http://HOST:PORT"
  std::string secret;    // empty: the request goes out without X-Signature
};

}  // namespace crewai::sim::detail
