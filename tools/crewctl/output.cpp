// Printing runs, errors, the batch progress line and the summary; mapping outcomes to exit codes.
#include "output.hpp"
#include "protocol/json_util.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>

#include <fmt/format.h>
#include <unistd.h>

namespace crewctl {
namespace {

using crewai::ErrorCode;
using crewai::Json;
using crewai::Outcome;
using crewai::RunState;

double unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// "2026-01-02T03:04:05.678Z" (or +HH:MM / -HH:MM, or no zone: UTC) as Unix seconds.
std::optional<double> iso_to_unix(const std::string& text) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  double seconds = static_cast<double>(::timegm(&tm));
  const char* rest = text.c_str() + consumed;
  if (*rest == '.') {
    char* end = nullptr;
    seconds += std::strtod(rest, &end);
    rest = end;
  }
  int hh = 0, mm = 0;
  if ((*rest == '+' || *rest == '-') && std::sscanf(rest + 1, "%2d:%2d", &hh, &mm) == 2) {
    seconds -= (*rest == '+' ? 1 : -1) * (hh * 3600.0 + mm * 60.0);
  }
  return seconds;
}

// timings: the client's own observations when it has them (kickoff --wait), else what the service
// reported (progress.started_at / duration_seconds), so that status and wait show them too.
Json timings_to_json(const crewai::RunResult& r) {
  std::optional<double> start, finish, duration = r.duration_seconds;
  if (r.started_at) start = unix_seconds(*r.started_at);
  if (r.finished_at) finish = unix_seconds(*r.finished_at);
  if (r.progress) {
    if (!start && r.progress->started_at) start = iso_to_unix(*r.progress->started_at);
    if (!duration) duration = r.progress->duration_seconds;
  }
  if (!finish && r.is_terminal() && start && duration) finish = *start + *duration;
  auto opt = [](const std::optional<double>& v) { return v ? Json(*v) : Json(); };
  return {{"started_at", opt(start)}, {"finished_at", opt(finish)}, {"duration_seconds", opt(duration)}};
}

Json progress_to_json(const crewai::Progress& p) {
  Json j = Json::object();
  auto opt = [&j](const char* k, const auto& v) { j[k] = v ? Json(*v) : Json(); };
  j["unit"] = p.unit;
  opt("completed", p.completed);
  opt("total", p.total);
  opt("remaining", p.remaining);
  opt("current", p.current);
  opt("current_agent", p.current_agent);
  return j;
}

std::optional<double> percentile(std::vector<double> v, double q) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

std::string paint(const std::string& text, const char* code, bool color) {
  return color ? fmt::format("\x1b[{}m{}\x1b[0m", code, text) : text;
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_./:=") == std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// How to answer a pause, in the form its kind takes: a flow answers at its callback URL, a crew
// through /resume with the task id (which a live crew only sends to its human-input webhook).
void print_pause_hint(const crewai::RunResult& r, const std::string& callback_url) {
  if (!r.flow_id && callback_url.empty()) {
    std::cout << "paused on:  " << r.pause_task_id.value_or("? (the task id arrives on the human-input webhook)")
              << "\n";
  }
  if (r.pause_task_output) std::cout << "output:\n" << *r.pause_task_output << "\n";
  std::cout << "answer it:  " << resume_command(r, callback_url)
            << (r.flow_id || !callback_url.empty()
                    ? (callback_url.empty() ? "   (URL: from the flow's feedback request)" : "")
                    : "   (or --reject)")
            << "\n";
}

}  // namespace

int exit_code_for(const crewai::Error& e) {
  switch (e.code) {
    case ErrorCode::invalid_argument:
    case ErrorCode::invalid_input:
    case ErrorCode::schema_violation:
      return kExitUsage;
    case ErrorCode::deadline_exceeded: return kExitTimeout;
    case ErrorCode::cancelled: return kExitInterrupted;
    default: return kExitCallError;
  }
}

int exit_code_for(const crewai::RunResult& r) {
  switch (r.state) {
    case RunState::success: return kExitOk;
    case RunState::paused: return kExitPaused;
    case RunState::failed:
    case RunState::revoked: return kExitFailed;
    case RunState::not_found: return kExitCallError;
    default: return kExitTimeout;  // still going
  }
}

Json run_to_json(const crewai::RunResult& r) {
  Json j = Json::object();
  j["state"] = std::string(crewai::to_string(r.state));
  j["raw_state"] = r.raw_state;
  j["kickoff_id"] = r.kickoff_id;
  if (r.resumed_from) j["resumed_from"] = *r.resumed_from;
  j["message"] = r.message;
  j["result"] = r.result ? Json(*r.result) : Json();
  j["result_json"] = r.result_json;
  j["progress"] = r.progress ? progress_to_json(*r.progress) : Json();
  if (r.is_paused()) {
    j["pause"] = {{"task_id", r.pause_task_id ? Json(*r.pause_task_id) : Json()},
                  {"task_output", r.pause_task_output ? Json(*r.pause_task_output) : Json()},
                  {"flow_id", r.flow_id ? Json(*r.flow_id) : Json()}};
  }
  if (!r.warnings.empty()) j["warnings"] = r.warnings;
  j["usage_metrics"] = r.usage_metrics;
  j["timings"] = timings_to_json(r);
  return j;
}

Json error_to_json(const crewai::Error& e) {
  Json j = {{"code", std::string(crewai::to_string(e.code))},
            {"message", e.message},
            {"http_status", e.http_status},
            {"exit_code", exit_code_for(e)}};
  if (!e.kickoff_id.empty()) j["kickoff_id"] = e.kickoff_id;
  if (!e.missing_inputs.empty()) j["missing_inputs"] = e.missing_inputs;
  return j;
}

void print_json(const Json& j) {
  std::cout << crewai::protocol::dump_json(j) << std::endl;
}

std::string resume_command(const crewai::RunResult& r, const std::string& callback_url) {
  if (r.flow_id || !callback_url.empty()) {
    return "crewctl resume " + r.kickoff_id + " --callback-url " +
           (callback_url.empty() ? std::string("URL") : shell_quote(callback_url)) +
           " --feedback TEXT";
  }
  return "crewctl resume " + r.kickoff_id + " --task " + shell_quote(r.pause_task_id.value_or("TASK_ID")) +
         " --feedback TEXT --approve";
}

void print_run(const crewai::RunResult& r, bool json, const std::string& callback_url) {
  if (json) {
    crewai::Json j = run_to_json(r);
    if (r.is_paused()) {
      if (!callback_url.empty()) j["pause"]["callback_url"] = callback_url;
      j["pause"]["answer_with"] = resume_command(r, callback_url);
    }
    return print_json(j);
  }
  std::cout << "kickoff_id: " << r.kickoff_id << "\n";
  if (r.resumed_from) std::cout << "resumed from: " << *r.resumed_from << "\n";
  std::cout << "state:      " << crewai::to_string(r.state);
  if (!r.raw_state.empty() && r.raw_state != crewai::to_string(r.state)) {
    std::cout << " (" << r.raw_state << ")";
  }
  std::cout << "\n";
  if (r.progress && r.progress->completed) {
    std::cout << "progress:   " << *r.progress->completed;
    if (r.progress->total) std::cout << "/" << *r.progress->total;
    std::cout << " " << (r.progress->unit.empty() ? "steps" : r.progress->unit + "s");
    if (r.progress->current) std::cout << " (now: " << *r.progress->current << ")";
    std::cout << "\n";
  }
  if (!r.message.empty()) std::cout << "message:    " << r.message << "\n";
  if (r.duration_seconds) std::cout << "duration:   " << format_seconds(*r.duration_seconds) << "\n";
  if (r.is_paused()) print_pause_hint(r, callback_url);
  if (r.result) std::cout << "result:\n" << *r.result << "\n";
  std::cout.flush();
}

void print_error(const crewai::Error& e, bool json) {
  std::cerr << "crewctl: " << e.to_string() << "\n";
  if (!e.missing_inputs.empty()) {
    std::cerr << "crewctl: missing inputs:";
    for (const auto& m : e.missing_inputs) std::cerr << " " << m;
    std::cerr << "\n";
  }
  if (json) print_json({{"error", error_to_json(e)}});
}

bool colors_enabled(std::FILE* stream) {
  const char* no_color = std::getenv("NO_COLOR");
  return ::isatty(::fileno(stream)) && !(no_color && *no_color);
}

std::string format_seconds(double s) {
  if (s < 1) return fmt::format("{}ms", static_cast<long>(std::lround(s * 1000)));
  if (s < 60) return fmt::format("{:.1f}s", s);
  auto total = static_cast<long>(std::lround(s));
  if (total < 3600) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}h{:02}m", total / 3600, (total % 3600) / 60);
}

Summary summarize(const crewai::BatchReport& report, bool interrupted) {
  Summary s;
  s.total = report.records.size();
  std::vector<double> durations;
  for (const auto& r : report.records) {
    ++s.counts[static_cast<int>(r.outcome)];
    if (r.duration_seconds && r.outcome != Outcome::invalid && r.outcome != Outcome::skipped) {
      durations.push_back(*r.duration_seconds);
    }
  }
  s.p50 = percentile(durations, 0.50);
  s.p90 = percentile(durations, 0.90);
  s.p99 = percentile(durations, 0.99);
  const auto& snap = report.final_snapshot;
  s.elapsed_seconds = snap.elapsed_seconds;
  s.retries = snap.retries;
  s.http_429 = snap.http_429;
  s.http_5xx = snap.http_5xx;
  s.connections = snap.connections;
  s.restored = snap.restored;
  s.stopped = report.stopped;
  s.stop_reason = report.stop_reason;
  s.interrupted = interrupted;
  return s;
}

int exit_code_for(const Summary& s) {
  auto n = [&s](Outcome o) { return s.counts[static_cast<int>(o)]; };
  if (s.interrupted) return kExitInterrupted;
  if (n(Outcome::error) + n(Outcome::ambiguous) > 0) return kExitCallError;
  if (n(Outcome::timeout) > 0) return kExitTimeout;
  if (n(Outcome::paused) > 0) return kExitPaused;
  if (n(Outcome::failed) + n(Outcome::cancelled) > 0) return kExitFailed;
  if (n(Outcome::invalid) > 0) return kExitUsage;
  return kExitOk;
}

Json summary_to_json(const Summary& s, int exit_code) {
  Json counts = Json::object();
  for (int i = 0; i < crewai::kOutcomeCount; ++i) counts[std::string(crewai::to_string(static_cast<Outcome>(i)))] = s.counts[i];
  auto opt = [](const std::optional<double>& v) { return v ? Json(*v) : Json(); };
  return {{"total", s.total},
          {"counts", counts},
          {"duration_seconds", {{"p50", opt(s.p50)}, {"p90", opt(s.p90)}, {"p99", opt(s.p99)}}},
          {"elapsed_seconds", s.elapsed_seconds},
          {"retries", s.retries},
          {"http_429", s.http_429},
          {"http_5xx", s.http_5xx},
          {"connections_opened", s.connections},
          {"restored", s.restored},
          {"stopped", s.stopped},
          {"stop_reason", s.stop_reason},
          {"interrupted", s.interrupted},
          {"exit_code", exit_code}};
}

std::string summary_text(const Summary& s, bool color) {
  static const char* kColors[crewai::kOutcomeCount] = {"32", "31", "33", "35", "35",
                                                         "31", "31", "2",  "33"};
  std::string counts;
  for (int i = 0; i < crewai::kOutcomeCount; ++i) {
    if (s.counts[i] == 0) continue;
    if (!counts.empty()) counts += ", ";
    counts += paint(fmt::format("{} {}", s.counts[i], crewai::to_string(static_cast<Outcome>(i))),
                    kColors[i], color);
  }
  if (counts.empty()) counts = "nothing to do";
  std::string out = fmt::format("summary: {} items in {}: {}\n", s.total,
                                format_seconds(s.elapsed_seconds), counts);
  if (s.p50) {
    out += fmt::format("durations: p50 {}  p90 {}  p99 {}\n", format_seconds(*s.p50),
                       format_seconds(*s.p90), format_seconds(*s.p99));
  }
  out += fmt::format("retries: {}  HTTP 429: {}  HTTP 5xx: {}  connections opened: {}", s.retries,
                     s.http_429, s.http_5xx, s.connections);
  if (s.restored > 0) out += fmt::format("  restored from the journal: {}", s.restored);
  out += "\n";
  if (s.stopped && !s.stop_reason.empty()) out += "stopped early: " + s.stop_reason + "\n";
  return out;
}

Progress::Progress(bool quiet, double plain_every)
    : quiet_(quiet),
      tty_(::isatty(STDERR_FILENO) != 0),
      color_(colors_enabled(stderr)),
      plain_every_(plain_every) {}

void Progress::update(const crewai::BatchSnapshot& s) {
  if (quiet_) return;
  // timeout and ambiguous are not failures: their runs may still succeed (resume follows them).
  std::size_t ok = s.succeeded, bad = s.failed + s.error + s.invalid;
  std::string eta = s.eta_seconds ? format_seconds(*s.eta_seconds) : "--";
  std::string rate = fmt::format("{:.1f}/s", s.rate_per_second);
  if (tty_) {
    constexpr int kWidth = 24;
    int filled = s.total ? static_cast<int>(kWidth * s.done / s.total) : kWidth;
    std::string bar = std::string(static_cast<std::size_t>(filled), '#') +
                      std::string(static_cast<std::size_t>(kWidth - filled), '-');
    std::string line = fmt::format(
        "\r[{}] {}/{}  {}  {}  {}  {}  {} | {} in flight | {} | ETA {}{}\x1b[K", bar, s.done,
        s.total, paint(fmt::format("ok {}", ok), "32", color_),
        paint(fmt::format("failed {}", bad), "31", color_),
        paint(fmt::format("timeout {}", s.timeout), "35", color_),
        paint(fmt::format("ambiguous {}", s.ambiguous), "35", color_),
        paint(fmt::format("paused {}", s.paused), "33", color_), s.in_flight, rate, eta,
        s.stopping ? " (stopping)" : "");
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    drawn_ = true;
    return;
  }
  bool complete = s.done >= s.total;
  if (complete ? printed_complete_ : s.elapsed_seconds - last_plain_ < plain_every_) return;
  printed_complete_ = complete;
  last_plain_ = s.elapsed_seconds;
  std::string line = fmt::format(
      "progress: {}/{} done (ok {}, failed {}, timeout {}, ambiguous {}, paused {}), {} in flight, "
      "{}, ETA {}{}\n",
      s.done, s.total, ok, bad, s.timeout, s.ambiguous, s.paused, s.in_flight, rate, eta,
      s.stopping ? " (stopping)" : "");
  std::fputs(line.c_str(), stderr);
}

void Progress::clear_line() {
  if (tty_ && drawn_ && !quiet_) std::fputs("\r\x1b[K", stderr);
}

void Progress::finish() {
  if (tty_ && drawn_ && !quiet_) std::fputs("\n", stderr);
  drawn_ = false;
}

}  // namespace crewctl
