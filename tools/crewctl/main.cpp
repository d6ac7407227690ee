// crewctl: the command line for deployed crews (and the simulator as `crewctl serve`).
#include <iostream>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "completion.hpp"
#include "crewai/sim/cli.hpp"
#include "crewai/version.hpp"
#include "embedded_sim.hpp"
#include "inbox.hpp"
#include "output.hpp"
#include "validate.hpp"

namespace crewctl {
namespace {

constexpr const char* kMainFooter = R"(Examples:
  crewctl batch examples/inputs/topics.jsonl --sim examples/crews/research.json
  export CREWAI_BASE_URL=https://my-crew.crewai.com; crewctl inputs --token-file ~/.crewai-token
  crewctl kickoff -i topic="AI agents" -i current_year=2026 --wait
  crewctl batch rows.jsonl -o results.jsonl --ordered --concurrency 32 --rate 5

Configuration: flags > environment (CREWAI_BASE_URL, CREWAI_TOKEN, CREWAI_MAX_CONCURRENT,
CREWAI_TIMEOUT, CREWAI_POLL_INTERVAL, CREWAI_MAX_RETRIES, CREWAI_KIND) > profile in ~/.config/crewctl/config.toml.

Exit codes:
  0    everything succeeded
  1    some run failed (FAILED or REVOKED)
  2    usage error or invalid input (bad flag, unreadable file, invalid batch line)
  3    some run is paused, waiting for human input
  4    a deadline passed while runs were still going
  5    call errors: authentication, network, server errors, ambiguous kickoffs
  130  interrupted (Ctrl-C)
When several apply, the first of 130, 5, 4, 3, 1, 2 wins.
See docs/cli.md for every option.)";

void add_common(CLI::App* cmd, GlobalFlags& g, bool sim) {
  auto* grp = "Connection and output";
  cmd->add_option("--url", g.url, "Deployment URL (else CREWAI_BASE_URL, else the profile)")->group(grp);
  cmd->add_option("--token", g.token, "Bearer token (discouraged: visible in shell history and ps)")
      ->group(grp);
  cmd->add_option("--token-file", g.token_file, "Read the bearer token from this file")->group(grp);
  cmd->add_flag("--token-stdin", g.token_stdin, "Read the bearer token from the first line of stdin")
      ->group(grp);
  cmd->add_option("--profile", g.profile, "Profile in the config file (default: \"default\")")->group(grp);
  cmd->add_option("--config", g.config_path, "Config file (default: ~/.config/crewctl/config.toml)")
      ->group(grp);
  cmd->add_option("--timeout", g.timeout_seconds, "Per-request timeout, seconds, first request included (at most 3600)")->group(grp);
  cmd->add_option("--max-retries", g.max_retries, "Retries per request (0-100)")->group(grp);
  cmd->add_flag("--json", g.json, "Machine-readable JSON on stdout")->group(grp);
  cmd->add_flag("-v,--verbose", g.verbose, "Trace every request on stderr (never the token)")->group(grp);
  cmd->add_flag("-q,--quiet", g.quiet, "No progress or summary on stderr")->group(grp);
  if (sim) {
    cmd->add_option("--sim", g.sim_crew, "Run against an embedded simulator with this crew (JSON)")
        ->group(grp)
        ->check(CLI::ExistingFile);
    cmd->add_option("--sim-time-scale", g.sim_time_scale,
                    "Real seconds per crew second for --sim (default 0.01)")
        ->group(grp)
        ->check(CLI::PositiveNumber);
    cmd->add_option("--sim-dialect", g.sim_dialect,
                    std::string("Protocol dialect of --sim: amp | live | celery-legacy | seed (default ") +
                        crewai::sim::dialect_name(crewai::sim::kDefaultDialect) + ")")
        ->group(grp)
        ->check(CLI::IsMember({"amp", "live", "celery-legacy", "seed"}));
  }
}

void add_kind(CLI::App* cmd, GlobalFlags& g) {
  cmd->add_option("--kind", g.kind,
                  "crew (default) or flow: flows get typed input values and no /inputs "
                  "enforcement (else CREWAI_KIND, else the profile's kind)")
      ->check(CLI::IsMember({"crew", "flow"}));
}

void add_follow(CLI::App* cmd, GlobalFlags& g, FollowArgs& f) {
  cmd->add_option("--poll-interval", g.poll_interval_seconds,
                  "Seconds between status polls, 0.01-3600 (default: 1s growing to 15s)");
  cmd->add_option("--deadline", f.deadline,
                  "Stop following after this long: 90, 90s, 5m, 2h, up to 30d (exit 4)");
}

void add_listen(CLI::App* cmd, ListenArgs& l) {
  auto* grp = "Webhook receiver";
  cmd->add_option("--listen", l.listen,
                  "Receive the deployment's webhooks in this process on HOST:PORT (port 0: any free "
                  "one; the address is printed on stderr): waits end when a webhook comes, pauses "
                  "arrive with their task id")
      ->group(grp);
  cmd->add_option("--public-url", l.public_url,
                  "The URL at which the deployment reaches --listen (a tunnel or ingress; default "
                  "http://<listen address>)")
      ->group(grp);
  cmd->add_option("--flow-secret-file", l.flow_secret_file,
                  "Check flow feedback requests against this HMAC secret (else $CREWAI_FLOW_SECRET)")
      ->group(grp);
  cmd->add_option("--events-out", l.events_out,
                  "With --listen: stream the run's events and write each once, in order per run, "
                  "to FILE (JSONL)")
      ->group(grp);
}

void add_webhooks(CLI::App* cmd, WebhookArgs& w) {
  cmd->add_option("--task-webhook-url", w.task_url, "Called after each task");
  cmd->add_option("--step-webhook-url", w.step_url, "Called after each agent step");
  cmd->add_option("--crew-webhook-url", w.crew_url, "Called when the crew finishes");
}

void add_run_hooks(CLI::App* cmd, RunHookArgs& h) {
  cmd->add_option("--human-input-webhook", h.human_webhook, "Where the crew asks for human input");
  cmd->add_option("--human-input-bearer", h.human_bearer, "Bearer token for that webhook");
  cmd->add_option("--human-input-basic", h.human_basic, "USER:PASS for that webhook");
  cmd->add_option("--events-webhook", h.events_webhook,
                  "Stream the run's events (crew_kickoff_*, task_*, ...) to this URL");
  cmd->add_option("--events", h.events, "Only these event types (comma-separated or repeated)")
      ->delimiter(',');
  cmd->add_flag("--events-realtime", h.events_realtime, "One POST per event instead of batches");
  cmd->add_option("--events-bearer", h.events_bearer, "Bearer token for --events-webhook");
}

void add_batch_options(CLI::App* cmd, BatchArgs& b, GlobalFlags& g) {
  cmd->add_option("FILE", b.input, "Inputs: JSONL, CSV with a header row, or - for stdin (not with --join)");
  cmd->add_option("--format", b.format, "Input format: auto | jsonl | csv")->capture_default_str();
  cmd->add_option("-o,--output", b.output, "Results file (JSONL), - for stdout")->capture_default_str();
  cmd->add_flag("--ordered", b.ordered, "Write results in input order");
  cmd->add_option("--summary-json", b.summary_json, "Also write the summary as JSON to this file");
  cmd->add_option("--concurrency", b.concurrency, "Runs in flight at most (default 16)");
  cmd->add_option("--rate", b.rate, "Kickoffs per second at most (default unlimited)");
  cmd->add_option("--max-errors", b.max_errors, "Stop new kickoffs after this many errors/failures");
  cmd->add_option("--max-error-rate", b.max_error_rate, "Stop when errors/finished exceeds this (0-1)");
  cmd->add_option("--deadline", b.deadline, "Per-item deadline for following a run: 90s, 5m, 2h");
  cmd->add_option("--poll-interval", g.poll_interval_seconds, "Seconds between status polls");
  cmd->add_option("--retry-failed", b.retry_failed, "Kick off runs that ended FAILED again, N times");
  cmd->add_option("--journal", b.journal,
                  "Journal: a file (default: <output>.journal, or ./crewctl-<hash>.journal), or "
                  "postgresql://... shared by workers on several machines");
  cmd->add_flag("--resume", b.resume, "Continue the batch recorded in the journal (none there: exit 2)");
  cmd->add_flag("--resume-or-start", b.resume_or_start,
                "Continue the batch if its journal exists, else start it (for scripts that rerun)");
  cmd->add_flag("--rerun-ambiguous", b.rerun_ambiguous,
                "With --resume: kick off again items whose kickoff outcome is unknown");
  cmd->add_flag("--join", b.join,
                "Work on a batch of a shared journal (--journal postgresql://...) from its id (--batch); "
                "no FILE: the items are in the journal");
  cmd->add_option("--batch", b.batch_id, "The batch id to --join (crewctl journal status lists them)");
  cmd->add_option("--lease", b.lease_seconds,
                  "Shared journal: seconds before a silent worker's items go to the others (default 30)");
  cmd->add_flag("--no-journal", b.no_journal, "Keep no journal (an interrupted batch cannot resume)");
  cmd->add_option("--journal-sync", b.journal_sync,
                  "full (default): fsync each journal commit, so not even a power loss can make a "
                  "resume pay for a run twice; normal: survives a crash of crewctl only")
      ->check(CLI::IsMember({"full", "normal"}));
  cmd->add_option("--journal-commit-interval", b.journal_commit_interval_ms,
                  "Milliseconds (default 40): under load, commit kickoff intents to the journal at most "
                  "this often, so that many share one commit and fsync (each kickoff may wait this much "
                  "longer); 0: commit each as soon as the journal is free")
      ->check(CLI::Range(0, 60'000));
  cmd->add_flag("--dry-run", b.dry_run, "Validate every line and the inputs against /inputs; run nothing");
  cmd->add_flag("--cancel-on-stop", b.cancel_on_stop,
                "When the batch stops (Ctrl-C, --max-errors, --max-error-rate), cancel the runs in "
                "flight (POST /stop; recorded cancelled) instead of following them");
}

void add_journal(CLI::App& app, CLI::App*& journal, CLI::App*& status, CLI::App*& exp, CLI::App*& stop,
                 JournalArgs& j, GlobalFlags& g) {
  journal = app.add_subcommand("journal", "Look at a batch's journal (file or postgresql://...), export it, stop it");
  journal->require_subcommand(1);
  journal->footer(R"(Examples:
  crewctl journal status --journal results.jsonl.journal
  crewctl journal status --journal postgresql://crewctl@db/crewctl
  crewctl journal export --journal postgresql://crewctl@db/crewctl --batch 3f9c0a5e12d4b7a8 -o all.jsonl
  crewctl journal stop --journal postgresql://crewctl@db/crewctl --batch 3f9c0a5e12d4b7a8)");
  status = journal->add_subcommand("status", "Progress, outcomes, workers and leases, ETA");
  exp = journal->add_subcommand("export", "Every item's final record in input order (the JSONL of batch -o)");
  stop = journal->add_subcommand("stop", "Stop the batch on every worker (shared journal): no new kickoffs");
  for (CLI::App* cmd : {status, exp, stop}) {
    cmd->add_option("--journal", j.journal, "The journal: a file or postgresql://...")->required();
    cmd->add_option("--batch", j.batch_id, "The batch (shared journal holding several)");
    cmd->add_flag("--json", g.json, "Machine-readable output");
  }
  exp->add_option("-o,--output", j.output, "Where to write (JSONL), - for stdout")->capture_default_str();
  stop->add_option("--reason", j.reason, "Why (shown by every worker and by status)");
  stop->add_flag("--clear", j.clear_stop,
                 "Lift the stop instead: workers that join or --resume afterwards claim the items left")
      ->excludes("--reason");
}

struct Commands {
  GlobalFlags g;
  FollowArgs follow;
  KickoffArgs kick;
  ResumeArgs resume;
  BatchArgs batch;
  CancelArgs cancel;
  InboxArgs inbox;
  JournalArgs journal;
  CLI::App *jrn = nullptr, *jrn_status = nullptr, *jrn_export = nullptr, *jrn_stop = nullptr;
  std::string id;
  crewai::sim::CliOptions serve;
  CLI::App *inputs = nullptr, *kickoff = nullptr, *status = nullptr, *wait = nullptr,
           *res = nullptr, *bat = nullptr, *srv = nullptr, *can = nullptr;
  CLI::App *inbox_list = nullptr, *inbox_show = nullptr, *inbox_answer = nullptr;
};

void add_kickoff(CLI::App& app, Commands& c) {
  auto* k = c.kickoff = app.add_subcommand("kickoff", "Start a run (POST /kickoff); --wait follows it");
  k->footer(R"(Examples:
  crewctl kickoff -i topic="AI agents" -i current_year=2026
  crewctl kickoff --inputs @inputs.json --meta '{"team":"ops"}' --wait --deadline 10m --json
  crewctl kickoff -i topic=cats --human-input-webhook https://hooks.example.com/hitl \
      --human-input-bearer "$HITL_TOKEN"
  crewctl kickoff -i topic=cats --events-webhook https://hooks.example.com/events \
      --events task_completed,crew_kickoff_completed --events-bearer "$EVENTS_TOKEN"
  crewctl kickoff --sim examples/crews/research.json -i topic=x -i current_year=2026 --wait)");
  add_common(k, c.g, true);
  k->add_option("-i,--input", c.kick.pairs, "An input as key=value (repeatable)");
  k->add_option("--inputs", c.kick.inputs, "All inputs as a JSON object, or @file");
  k->add_option("--meta", c.kick.meta, "Metadata as a JSON object, or @file");
  add_webhooks(k, c.kick.hooks);
  add_run_hooks(k, c.kick.run_hooks);
  add_kind(k, c.g);
  k->add_option("--restore-from-state-id", c.kick.restore_from_state_id,
                "Flows: start from this persisted state");
  k->add_flag("--wait", c.kick.wait, "Follow the run to the end and print its result");
  add_follow(k, c.g, c.kick.follow);
  add_listen(k, c.kick.follow.listen);
}

void add_status_wait(CLI::App& app, Commands& c) {
  c.status = app.add_subcommand("status", "Read a run's state once (GET /status/ID)");
  c.status->footer("Examples:\n  crewctl status 3f1c...\n  crewctl status 3f1c... --json | jq .state");
  add_common(c.status, c.g, false);
  c.status->add_option("ID", c.id, "Kickoff id")->required();

  c.wait = app.add_subcommand("wait", "Follow a run until it ends or pauses");
  c.wait->footer(
      "Examples:\n  crewctl wait 3f1c... --deadline 30m\n  crewctl wait 3f1c... --json --poll-interval 5");
  add_common(c.wait, c.g, false);
  c.wait->add_option("ID", c.id, "Kickoff id")->required();
  add_follow(c.wait, c.g, c.follow);
  add_listen(c.wait, c.follow.listen);
}

void add_resume(CLI::App& app, Commands& c) {
  auto* r = c.res = app.add_subcommand(
      "resume", "Answer a run paused for human input (POST /resume, or a flow's callback URL)");
  r->footer(R"(Examples:
  crewctl resume 3f1c... --task draft_task --feedback "Looks good" --approve
  crewctl resume 3f1c... --task draft_task --feedback "More detail" --reject --wait --json
  crewctl resume 3f1c... --callback-url "$CALLBACK_URL" --feedback "Approved" --wait   # a flow
Webhook URLs are not carried over by the service: pass them again to keep receiving events
(--task/--step/--crew-webhook-url, --human-input-webhook for the next pause, --events-webhook).
A live deployment answers a new kickoff id: it is printed, and --wait follows it.
--callback-url must name the run ID (its flow id) in its path or query.
A flow's callback URL comes from its feedback request (webhook); it must be on the deployment's
origin (scheme, host, port), because the token goes with it.)");
  add_common(r, c.g, false);
  r->add_option("ID", c.resume.kickoff_id, "Kickoff id of the paused run")->required();
  r->add_option("--task", c.resume.task, "The paused task's id (crews)");
  r->add_option("--feedback", c.resume.feedback, "Human feedback text")->required();
  r->add_option("--callback-url", c.resume.callback_url,
                "Flows: answer at this callback URL (from the flow's feedback request)");
  r->add_option("--source", c.resume.source, "Flows: the answer's source (default: api)");
  auto* approve = r->add_flag("--approve", c.resume.approve, "Approve the task output");
  auto* reject = r->add_flag("--reject", c.resume.reject, "Reject it (the task runs again)");
  approve->excludes(reject);
  add_webhooks(r, c.resume.hooks);
  add_run_hooks(r, c.resume.run_hooks);
  r->add_flag("--wait", c.resume.wait,
              "Follow the run after resuming (under the new kickoff id when the service gives one)");
  add_follow(r, c.g, c.resume.follow);
  add_listen(r, c.resume.follow.listen);
}

void add_cancel(CLI::App& app, Commands& c) {
  c.can = app.add_subcommand("cancel", "Stop runs (POST /stop/ID); --wait until they read REVOKED");
  c.can->footer(R"(Examples:
  crewctl cancel 3f1c...
  crewctl cancel 3f1c... 9a2b... --wait --json
A run that had already ended is reported with its state (not an error). Exit codes: 0 every run
was stopped or had already ended; 4 --deadline passed before a stopped run read REVOKED; 5 a call
error, an unknown run, or a deployment that cannot cancel runs (no /stop route).)");
  add_common(c.can, c.g, false);
  c.can->add_option("ID", c.cancel.kickoff_ids, "Kickoff ids of the runs to stop")->required();
  c.can->add_flag("--wait", c.cancel.wait, "Follow each stopped run until it reads REVOKED");
  add_follow(c.can, c.g, c.cancel.follow);
}

void add_batch(CLI::App& app, Commands& c) {
  c.bat = app.add_subcommand("batch", "Run every line of an inputs file; results as JSONL");
  c.bat->footer(R"(Examples:
  crewctl batch topics.jsonl --sim examples/crews/research.json
  crewctl batch rows.csv -o results.jsonl --ordered --concurrency 32 --rate 5 --max-error-rate 0.2
  crewctl batch rows.jsonl -o results.jsonl --resume       # after Ctrl-C or a crash
  crewctl batch rows.jsonl --dry-run                       # validate only, spends nothing
  cat rows.jsonl | crewctl batch - --no-journal > results.jsonl   # summary on stderr)");
  add_common(c.bat, c.g, true);
  add_batch_options(c.bat, c.batch, c.g);
  add_kind(c.bat, c.g);
  add_listen(c.bat, c.batch.listen);
  c.bat->add_option("--events", c.batch.events,
                    "With --listen: stream these event types (comma-separated; \"all\" for every one)")
      ->delimiter(',')
      ->group("Webhook receiver");
}

void add_inbox(CLI::App& app, Commands& c) {
  auto* in = app.add_subcommand("inbox", "The paused items of a batch journal: list, show, answer");
  in->require_subcommand(1);
  in->footer(R"(Examples:
  crewctl batch rows.jsonl -o results.jsonl --listen 0.0.0.0:8080 --public-url https://hooks.example.com
  crewctl inbox list --journal results.jsonl.journal
  crewctl inbox show --journal results.jsonl.journal 7
  crewctl inbox answer --journal results.jsonl.journal --all --feedback "Looks good" --approve
  crewctl batch rows.jsonl -o results.jsonl --resume      # follows the answered runs to their end
  crewctl inbox answer --journal postgresql://crewctl@db/batches --all --feedback ok --approve
  crewctl batch rows.jsonl --journal postgresql://crewctl@db/batches --resume   # any worker follows them
See docs/cli.md, "Human in the loop".)");
  c.inbox_list = in->add_subcommand("list", "Paused items: index, id, kickoff id, task id, output excerpt, age");
  c.inbox_list->add_option("--journal", c.inbox.journal, "The batch's journal: a file, or a postgresql:// URI")->required();
  c.inbox_list->add_option("--batch", c.inbox.batch_id, "The batch (a shared journal holding several)");
  c.inbox_list->add_flag("--json", c.g.json, "One JSON object {\"inbox\": [...]} on stdout");
  c.inbox_show = in->add_subcommand("show", "One paused item with its whole output");
  c.inbox_show->add_option("--journal", c.inbox.journal, "The batch's journal: a file, or a postgresql:// URI")->required();
  c.inbox_show->add_option("--batch", c.inbox.batch_id, "The batch (a shared journal holding several)");
  c.inbox_show->add_option("INDEX", c.inbox.indexes, "The item's index")->required()->expected(1);
  c.inbox_show->add_flag("--json", c.g.json, "JSON on stdout");
  auto* ans = c.inbox_answer = in->add_subcommand(
      "answer", "Answer paused items (crews: POST /resume; flows: their callback), each at most once");
  ans->footer(R"(Each answer is recorded in the journal before it is sent and after: run it again (or after
a crash) and answered items are skipped. An answer whose outcome is unknown (the process died while
it was out) is checked with GET /status; when the deployment cannot tell (a live crew reads NOT
FOUND), it is not sent again unless --resend. Exit codes: 0 all answered; 5 some failed or unknown;
130 interrupted (after the item in hand).
--feedback-file lines: {"index": 3, "feedback": "...", "approve": false} or {"id": "row-7", ...}.)");
  add_common(ans, c.g, false);
  ans->add_option("--journal", c.inbox.journal, "The batch's journal: a file, or a postgresql:// URI")->required();
  ans->add_option("--batch", c.inbox.batch_id, "The batch (a shared journal holding several)");
  ans->add_option("INDEX", c.inbox.indexes, "Indexes of the items to answer");
  ans->add_flag("--all", c.inbox.all, "Answer every paused item");
  ans->add_option("--feedback", c.inbox.feedback, "Feedback text (for every item not in --feedback-file)");
  ans->add_option("--feedback-file", c.inbox.feedback_file, "Per-item feedback: JSONL keyed by index or id");
  auto* approve = ans->add_flag("--approve", c.inbox.approve, "Approve the task output");
  auto* reject = ans->add_flag("--reject", c.inbox.reject, "Reject it (the task runs again)");
  approve->excludes(reject);
  ans->add_flag("--resend", c.inbox.resend, "Send again answers whose outcome is unknown");
  add_kind(ans, c.g);
}

// The numbers CLI11 read for one command, checked by the rules the environment and profiles use
// (validate.hpp). --timeout, --poll-interval and --max-retries are checked with the settings.
crewai::Result<void> check_flags(const Commands& c) {
  std::vector<crewai::Result<double>> checks;
  auto deadline = [&checks](const std::string& text) {
    if (text.empty()) return;
    auto d = parse_deadline(text, "--deadline");
    checks.push_back(d ? crewai::Result<double>(0.0) : tl::unexpected(d.error()));
  };
  if (c.g.sim_time_scale) {
    checks.push_back(check_number(Num::sim_time_scale, *c.g.sim_time_scale, "--sim-time-scale"));
  }
  const BatchArgs& b = c.batch;
  if (*c.bat) {
    if (b.concurrency) checks.push_back(check_number(Num::concurrency, *b.concurrency, "--concurrency"));
    if (b.rate) checks.push_back(check_number(Num::rate, *b.rate, "--rate"));
    if (b.max_errors) {
      checks.push_back(
          check_number(Num::max_errors, static_cast<double>(*b.max_errors), "--max-errors"));
    }
    if (b.max_error_rate) {
      checks.push_back(check_number(Num::max_error_rate, *b.max_error_rate, "--max-error-rate"));
    }
    checks.push_back(check_number(Num::retry_failed, b.retry_failed, "--retry-failed"));
    deadline(b.deadline);
  }
  if (*c.kickoff) deadline(c.kick.follow.deadline);
  if (*c.wait) deadline(c.follow.deadline);
  if (*c.res) deadline(c.resume.follow.deadline);
  for (auto& r : checks) {
    if (!r) return tl::unexpected(r.error());
  }
  return {};
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"crewctl: run deployed CrewAI crews from the command line", "crewctl"};
  app.footer(kMainFooter);
  app.require_subcommand(1);
  app.set_version_flag("--version", "crewctl " + std::string(crewai::version()));
  Commands c;
  // The connection options are taken before the subcommand too (crewctl --token-file F kickoff
  // ...), the habit of git, gh and kubectl; both places fill the same flags.
  add_common(&app, c.g, false);
  c.inputs = app.add_subcommand("inputs", "List the inputs the crew requires (GET /inputs)");
  c.inputs->footer("Examples:\n  crewctl inputs --json\n  crewctl inputs --sim examples/crews/research.json");
  add_common(c.inputs, c.g, true);
  add_kickoff(app, c);
  add_status_wait(app, c);
  add_resume(app, c);
  add_batch(app, c);
  add_cancel(app, c);
  add_inbox(app, c);
  add_journal(app, c.jrn, c.jrn_status, c.jrn_export, c.jrn_stop, c.journal, c.g);
  c.srv = app.add_subcommand("serve", "Run the AMP simulator (same options as crewai-sim)");
  crewai::sim::add_cli_options(*c.srv, c.serve);
  std::string shell;
  auto* completion = add_completion(app, shell);  // last: it walks the commands above

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  c.g.listening = (*c.kickoff && !c.kick.follow.listen.listen.empty()) ||
                  (*c.wait && !c.follow.listen.listen.empty()) ||
                  (*c.res && !c.resume.follow.listen.listen.empty()) ||
                  (*c.bat && !c.batch.listen.listen.empty());
  const GlobalFlags& g = c.g;
  if (auto ok = check_flags(c); !ok) {
    print_error(ok.error(), g.json);
    return kExitUsage;
  }
  if (*c.inputs) return cmd_inputs(g);
  if (*c.kickoff) return cmd_kickoff(g, c.kick);
  if (*c.status) return cmd_status(g, c.id);
  if (*c.wait) return cmd_wait(g, c.id, c.follow);
  if (*c.res) return cmd_resume(g, c.resume);
  if (*c.bat) return cmd_batch(g, c.batch);
  if (*c.can) return cmd_cancel(g, c.cancel);
  if (*c.inbox_list) return cmd_inbox_list(g, c.inbox);
  if (*c.inbox_show) return cmd_inbox_show(g, c.inbox);
  if (*c.inbox_answer) return cmd_inbox_answer(g, c.inbox);
  if (*c.jrn_status) return cmd_journal_status(g, c.journal);
  if (*c.jrn_export) return cmd_journal_export(g, c.journal);
  if (*c.jrn_stop) return cmd_journal_stop(g, c.journal);
  if (*c.srv) return crewai::sim::run_cli(c.serve);
  if (*completion) return cmd_completion(app, shell);
  return kExitUsage;
}

}  // namespace crewctl

int main(int argc, char** argv) { return crewctl::run(argc, argv); }
