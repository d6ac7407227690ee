// crewctl/output.hpp — what crewctl prints: runs and errors (JSON or text), exit codes, the batch
// progress line and summary.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "crewai/batch.hpp"
#include "crewai/client.hpp"

namespace crewctl {

// Exit codes (see `crewctl --help` and docs/cli.md). When several apply to one command the first
// in this order wins: interrupted > call_error > timeout > paused > failed > invalid.
enum Exit : int {
  kExitOk = 0,
  kExitFailed = 1,
  kExitUsage = 2,
  kExitPaused = 3,
  kExitTimeout = 4,
  kExitCallError = 5,
  kExitInterrupted = 130,
};

// The exit code for an error of a single call.
int exit_code_for(const crewai::Error& e);
// The exit code for a run that was followed to a stop (success, failed, paused, ...).
int exit_code_for(const crewai::RunResult& r);

// Machine form of a run: state, raw_state, kickoff_id, message, result, result_json, progress,
// pause, usage_metrics, timings.
crewai::Json run_to_json(const crewai::RunResult& r);
crewai::Json error_to_json(const crewai::Error& e);

// Prints a run: one JSON object on stdout (json), else readable text on stdout. A paused run also
// shows the crewctl command that answers it (`callback_url`: a paused flow's, from its webhook).
void print_run(const crewai::RunResult& r, bool json, const std::string& callback_url = {});
// The command that answers a pause: `crewctl resume ID --task TASK --feedback TEXT --approve` for a
// crew, `crewctl resume ID --callback-url URL --feedback TEXT` for a flow. Placeholders
// (TASK_ID, URL) where the pause's details are unknown.
std::string resume_command(const crewai::RunResult& r, const std::string& callback_url);
// Prints an error: "crewctl: <message>" on stderr, and with json an {"error": {...}} object on stdout.
void print_error(const crewai::Error& e, bool json);
void print_json(const crewai::Json& j);  // one line on stdout

bool colors_enabled(std::FILE* stream);  // a terminal, and NO_COLOR unset

// Per-outcome counts and duration percentiles of a finished batch.
struct Summary {
  std::size_t total = 0;
  std::size_t counts[crewai::kOutcomeCount] = {};  // by crewai::Outcome
  std::optional<double> p50, p90, p99;
  double elapsed_seconds = 0;
  std::uint64_t retries = 0, http_429 = 0, http_5xx = 0;
  std::uint64_t connections = 0;  // new connections opened (a warm pool keeps this low)
  std::size_t restored = 0;
  bool stopped = false, interrupted = false;
  std::string stop_reason;
};

Summary summarize(const crewai::BatchReport& report, bool interrupted);
int exit_code_for(const Summary& s);
crewai::Json summary_to_json(const Summary& s, int exit_code);
std::string summary_text(const Summary& s, bool color);

// Progress drawn from batch snapshots on stderr: one redrawn line on a terminal, a plain line every
// `plain_every` seconds otherwise, nothing when quiet. Called from the batch observer thread only.
class Progress {
 public:
  Progress(bool quiet, double plain_every = 5.0);
  void update(const crewai::BatchSnapshot& s);
  void clear_line();  // before other output on a terminal
  void finish();      // ends the redrawn line with a newline
  bool tty() const noexcept { return tty_; }

 private:
  bool quiet_, tty_, color_;
  double plain_every_;
  double last_plain_ = -1e9;
  bool drawn_ = false;
  bool printed_complete_ = false;
};

std::string format_seconds(double s);  // "850ms", "12.3s", "4m05s", "1h02m"

}  // namespace crewctl
