// crewctl/commands.hpp — one function per command; each returns the process exit code.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config.hpp"

namespace crewctl {

// --listen and its companions (listen.cpp): a webhook receiver in this process.
struct ListenArgs {
  std::string listen;            // HOST:PORT; empty: no receiver
  std::string public_url;        // what the deployment reaches; empty: http://<listen address>
  std::string flow_secret_file;  // HMAC secret of flow feedback requests (else $CREWAI_FLOW_SECRET)
  std::string events_out;        // --events-out FILE: streamed events as JSONL
};

struct FollowArgs {
  std::string deadline;  // DURATION; empty: the client's default (6 h)
  ListenArgs listen;     // kickoff --wait, wait, resume --wait
};

struct WebhookArgs {
  std::string task_url, step_url, crew_url;
};

// The human-input and event-streaming webhooks: given at kickoff, and again at resume (the service
// carries nothing over to the resumed run).
struct RunHookArgs {
  std::string human_webhook, human_bearer, human_basic;
  std::string events_webhook, events_bearer;  // streaming `webhooks`
  std::vector<std::string> events;            // event types to stream (empty: all)
  bool events_realtime = false;
};

struct KickoffArgs {
  std::vector<std::string> pairs;  // -i key=value
  std::string inputs;              // --inputs JSON | @file
  std::string meta;                // --meta JSON
  WebhookArgs hooks;
  RunHookArgs run_hooks;
  std::string restore_from_state_id;
  bool wait = false;
  FollowArgs follow;
};

struct ResumeArgs {
  std::string kickoff_id, task, feedback;
  bool approve = false, reject = false;
  std::string callback_url, source;  // flows: answer at the flow's callback URL instead
  WebhookArgs hooks;
  RunHookArgs run_hooks;
  bool wait = false;
  FollowArgs follow;
};

struct BatchArgs {
  std::string input;                 // FILE or "-"
  std::string format = "auto";       // auto | jsonl | csv
  std::string output = "-";
  bool ordered = false;
  std::string summary_json;
  std::optional<int> concurrency;
  std::optional<double> rate;
  std::optional<std::size_t> max_errors;
  std::optional<double> max_error_rate;
  std::string deadline;
  int retry_failed = 0;
  std::string journal;
  std::string journal_sync;  // --journal-sync full|normal; empty: full (SQLite journals only)
  std::optional<int> journal_commit_interval_ms;  // --journal-commit-interval (SQLite journals only)
  bool no_journal = false, resume = false, rerun_ambiguous = false, dry_run = false;
  bool resume_or_start = false;  // resume when the journal exists, else start (--resume alone refuses)
  bool cancel_on_stop = false;  // a stop cancels the runs in flight (POST /stop)
  ListenArgs listen;
  std::vector<std::string> events;  // with --listen: stream these event types (empty: none)
  // Shared journal (postgresql://...): join a batch by id without FILE; lease of claimed items.
  bool join = false;
  std::string batch_id;
  std::optional<double> lease_seconds;
};

// `crewctl journal status|export|stop` (commands_journal.cpp).
struct JournalArgs {
  std::string journal, batch_id, output = "-", reason;
  bool clear_stop = false;  // journal stop --clear
};
int cmd_journal_status(const GlobalFlags& g, const JournalArgs& a);
int cmd_journal_export(const GlobalFlags& g, const JournalArgs& a);
int cmd_journal_stop(const GlobalFlags& g, const JournalArgs& a);

int cmd_inputs(const GlobalFlags& g);
int cmd_kickoff(const GlobalFlags& g, const KickoffArgs& a);
int cmd_status(const GlobalFlags& g, const std::string& kickoff_id);
int cmd_wait(const GlobalFlags& g, const std::string& kickoff_id, const FollowArgs& a);
int cmd_resume(const GlobalFlags& g, const ResumeArgs& a);
int cmd_batch(const GlobalFlags& g, const BatchArgs& a);

struct CancelArgs {
  std::vector<std::string> kickoff_ids;
  bool wait = false;  // follow each stopped run until it reads REVOKED
  FollowArgs follow;
};
int cmd_cancel(const GlobalFlags& g, const CancelArgs& a);

// --human-input-* and --events-* into a request's human_input_webhook / webhooks (both optional);
// an auth or event flag without its URL is an invalid_argument error naming the flags.
crewai::Result<void> apply_run_hooks(const RunHookArgs& a,
                                     std::optional<crewai::HumanInputWebhook>& human,
                                     std::optional<crewai::StreamingWebhooks>& streaming);

}  // namespace crewctl
