// `crewctl batch`: inputs file -> Batch (journal, stop rules) -> results file, progress, summary.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "batch/batch_factory.hpp"
#include "batch/input_reader.hpp"
#include "batch/journal.hpp"
#include "batch/output_writer.hpp"
#include "batch_files.hpp"
#include "commands.hpp"
#include "connection.hpp"
#include "listen.hpp"
#include "malloc_arenas.hpp"
#include "crewai/batch.hpp"
#include "output.hpp"
#include "shared_journal.hpp"
#include "signals.hpp"
#include "protocol/json_util.hpp"

namespace crewctl {
namespace {

using crewai::ErrorCode;
using crewai::make_error;
using crewai::Result;

int fail(const crewai::Error& e, bool json) {
  print_error(e, json);
  return exit_code_for(e);
}

// Runs on the batch's observer thread: records to the results file, snapshots to the progress line.
class Printer : public crewai::BatchObserver {
 public:
  Printer(Progress& progress, bool to_stdout) : progress_(progress), to_stdout_(to_stdout) {}
  // Before run(): the results file is opened only once the batch was accepted.
  void attach(crewai::batch::OutputWriter& writer) { writer_ = &writer; }

  // The line the batch made for its journal too: the record is not serialised again.
  bool on_record_line(const crewai::ItemRecord& r, const std::string& line) override {
    if (to_stdout_) progress_.clear_line();
    if (auto ok = writer_->write(r, line); !ok) {
      if (!write_error_) write_error_ = ok.error();
      return false;
    }
    return true;
  }
  // The results file is buffered: each snapshot (every 0.5 s) hands its lines to the file, so that
  // `<output>.partial` shows progress.
  void on_snapshot(const crewai::BatchSnapshot& s) override {
    if (writer_ != nullptr) {
      if (auto ok = writer_->flush(); !ok && !write_error_) write_error_ = ok.error();
    }
    in_flight_ = s.in_flight;
    progress_.update(s);
  }
  std::size_t in_flight() const { return in_flight_.load(); }
  const std::optional<crewai::Error>& write_error() const { return write_error_; }

 private:
  crewai::batch::OutputWriter* writer_ = nullptr;
  Progress& progress_;
  bool to_stdout_;
  std::atomic<std::size_t> in_flight_{0};
  std::optional<crewai::Error> write_error_;
};

Result<crewai::batch::InputFormat> input_format(const std::string& f) {
  if (f == "auto") return crewai::batch::InputFormat::automatic;
  if (f == "jsonl") return crewai::batch::InputFormat::jsonl;
  if (f == "csv") return crewai::batch::InputFormat::csv;
  return make_error(ErrorCode::invalid_argument, "--format must be auto, jsonl or csv");
}

// The journal path, or empty for none (see docs/cli.md "Resume").
std::string journal_path(const GlobalFlags& g, const BatchArgs& a,
                         const std::vector<crewai::BatchItem>& items) {
  if (a.no_journal || a.dry_run) return {};
  if (!a.journal.empty()) return a.journal;
  if (!g.sim_crew.empty()) return {};  // the embedded simulator's runs end with the process
  if (a.output != "-") return a.output + ".journal";
  return "./crewctl-" + crewai::batch::hash_items(items).substr(0, 12) + ".journal";
}

Result<crewai::BatchOptions> batch_options(const BatchArgs& a, const Settings& s) {
  crewai::BatchOptions o;
  if (auto c = a.concurrency ? a.concurrency : s.max_concurrent) {
    if (*c < 1) return make_error(ErrorCode::invalid_argument, "--concurrency must be at least 1");
    o.max_concurrent = *c;
  }
  if (auto r = a.rate ? a.rate : s.rate) {
    if (!(*r > 0))
      return make_error(ErrorCode::invalid_argument,
                        "--rate must be above 0 (kickoffs per second)");
    o.kickoffs_per_second = *r;
  }
  if (a.max_error_rate && !(*a.max_error_rate >= 0 && *a.max_error_rate <= 1)) {
    return make_error(ErrorCode::invalid_argument, "--max-error-rate must be between 0 and 1");
  }
  if (a.retry_failed < 0)
    return make_error(ErrorCode::invalid_argument, "--retry-failed must be 0 or more");
  if (a.rerun_ambiguous && !a.resume && !a.resume_or_start && !is_shared_journal(a.journal)) {
    return make_error(
        ErrorCode::invalid_argument,
        "--rerun-ambiguous only applies with --resume (a new batch has no ambiguous items)");
  }
  o.max_errors = a.max_errors;
  o.max_error_rate = a.max_error_rate;
  o.retry_failed = a.retry_failed;
  o.dry_run = a.dry_run;
  o.rerun_ambiguous = a.rerun_ambiguous;
  o.cancel_on_stop = a.cancel_on_stop;
  o.cancel_on_force = true;  // a second Ctrl-C cancels the runs in flight before leaving
  if (!a.deadline.empty()) {
    auto d = parse_duration(a.deadline);
    if (!d) {
      return make_error(ErrorCode::invalid_argument,
                        "--deadline: expected a duration like 90, 90s, 5m or 2h, got \"" + a.deadline + "\"");
    }
    o.item_deadline = *d;
  }
  return o;
}

void write_summary_file(const std::string& path, const crewai::Json& j) {
  std::ofstream out(path, std::ios::trunc);
  out << crewai::protocol::dump_json(j, 2) << "\n";
  if (!out) std::cerr << "crewctl: cannot write the summary to " << path << "\n";
}

struct Prepared {
  std::vector<crewai::BatchItem> items;
  std::string journal;  // as it may be shown (a shared journal's URI without its password)
  std::unique_ptr<crewai::batch::Journal> opened;  // locked and open; null without a journal
  crewai::batch::PgJournal* shared = nullptr;      // `opened`, when it is the shared journal
  bool resuming = false;                           // the journal was there
  std::optional<bool> journal_fsync;  // a journal file: each commit fsynced (--journal-sync full)
};

// A shared journal: opened here; a new batch is created or joined once the deployment is known
// (bind_shared), a --join takes its items from the journal.
Result<void> open_shared(const BatchArgs& a, Prepared& p) {
  auto j = open_shared_journal(a.journal, a);
  if (!j) return tl::unexpected(j.error());
  p.shared = j->get();
  p.journal = (*j)->path();
  p.opened = std::move(*j);
  if (!a.join) return {};
  auto items = p.shared->join(a.batch_id);
  if (!items) return tl::unexpected(items.error());
  p.items = std::move(*items);
  return {};
}

Result<void> bind_shared(const BatchArgs& a, Prepared& p, const std::string& deployment_url) {
  if (a.join) return {};
  for (std::size_t i = 0; i < p.items.size(); ++i) p.items[i].index = i;
  crewai::batch::BatchIdentity wanted{deployment_url, crewai::batch::hash_items(p.items), p.items.size(),
                                      a.batch_id};
  auto id = p.shared->create_or_join(wanted, p.items);
  if (!id) {
    crewai::Error e = id.error();
    if (e.code == ErrorCode::failed_precondition) e.code = ErrorCode::invalid_argument;
    return tl::unexpected(std::move(e));
  }
  return {};
}

// One process at a time: the lock comes first, so that a journal another process works on is refused
// (naming it) before this one looks at the journal, sends anything or touches any output.
Result<void> open_journal(const BatchArgs& a, Prepared& p) {
  auto lock = crewai::batch::JournalLock::acquire(p.journal);
  if (!lock) {
    crewai::Error e = lock.error();
    e.code = ErrorCode::invalid_argument;
    return tl::unexpected(std::move(e));
  }
  const bool exists = std::filesystem::exists(p.journal);
  if (!exists && a.resume && !a.resume_or_start) {
    return make_error(ErrorCode::invalid_argument,
                      "--resume: there is no journal at " + p.journal + " to resume (check -o/--journal: "
                      "they must name the files of the first run). To start the batch when it has no "
                      "journal yet, use --resume-or-start");
  }
  if (exists && !a.resume && !a.resume_or_start) {
    return make_error(ErrorCode::invalid_argument,
                      "journal " + p.journal + " exists from an earlier run of this batch. Add --resume "
                      "to continue it (finished items are not run again), or delete it (or pass "
                      "--journal elsewhere) to start over");
  }
  crewai::batch::SqliteJournalOptions options;
  options.survive_power_loss = a.journal_sync != "normal";
  if (a.journal_commit_interval_ms) {
    options.group_commit.min_interval = std::chrono::milliseconds(*a.journal_commit_interval_ms);
  }
  auto j = crewai::batch::open_sqlite_journal(std::move(*lock), options);
  if (!j) return tl::unexpected(j.error());
  p.journal_fsync = (*j)->stats().fsync_per_commit;
  p.opened = std::move(*j);
  p.resuming = exists;
  return {};
}

Result<Prepared> prepare(const GlobalFlags& g, const BatchArgs& a) {
  if (auto ok = check_shared_flags(a); !ok) return tl::unexpected(ok.error());
  if (a.join) {
    Prepared p;
    if (auto ok = open_shared(a, p); !ok) return tl::unexpected(ok.error());
    return p;
  }
  if (a.input == "-" && g.token_stdin) {
    return make_error(ErrorCode::invalid_argument, "--token-stdin cannot be used with input from stdin");
  }
  auto fmt = input_format(a.format);
  if (!fmt) return tl::unexpected(fmt.error());
  crewai::batch::ReaderOptions ro;
  ro.format = *fmt;
  auto kind = resolve_kind(g);
  if (!kind) return tl::unexpected(kind.error());
  ro.typed_csv_cells = *kind == crewai::DeploymentKind::flow;
  auto items = crewai::batch::read_items(a.input, ro);
  if (!items) {
    crewai::Error e = items.error();
    e.code = ErrorCode::invalid_argument;
    return tl::unexpected(std::move(e));
  }
  Prepared p;
  p.items = std::move(*items);
  if (is_shared_journal(a.journal)) {
    if (auto ok = open_shared(a, p); !ok) return tl::unexpected(ok.error());
    return p;
  }
  p.journal = journal_path(g, a, p.items);
  if ((a.resume || a.resume_or_start) && a.no_journal) {
    return make_error(ErrorCode::invalid_argument,
                      std::string(a.resume ? "--resume" : "--resume-or-start") +
                          " needs a journal; drop --no-journal");
  }
  if (auto ok = check_batch_paths(a, p.journal); !ok) return tl::unexpected(ok.error());
  if (!p.journal.empty()) {
    if (auto ok = open_journal(a, p); !ok) return tl::unexpected(ok.error());
  }
  return p;
}

// The summary (stderr, --summary-json, --json), how to resume, and the exit code.
int report_batch(const GlobalFlags& g, const BatchArgs& a, const crewai::BatchReport& report,
                 bool interrupted, const std::optional<crewai::Error>& write_error,
                 const Prepared& prepared) {
  const std::string& journal = prepared.journal;
  Summary summary = summarize(report, interrupted);
  int code = exit_code_for(summary);
  if (write_error) {
    print_error(*write_error, false);
    if (code != kExitInterrupted) code = kExitCallError;
  }
  if (report.journal_error) {
    print_error(*report.journal_error, false);
    std::cerr << "crewctl: the journal could not be written: the batch stopped kicking off. Records it "
                 "lacks are in the results" << (a.output == "-" ? "" : " file " + a.output)
              << (a.output == "-" ? " above (a resume cannot read them back from stdout)"
                                  : ", where --resume takes them from")
              << "\n";
    if (code != kExitInterrupted) code = kExitCallError;
  }
  crewai::Json sj = summary_to_json(summary, code);
  sj["output"] = a.output;
  sj["journal"] = journal.empty() ? crewai::Json() : crewai::Json(journal);
  if (prepared.journal_fsync) sj["journal_sync"] = *prepared.journal_fsync ? "full" : "normal";
  for (const auto& w : report.warnings) std::cerr << "crewctl: warning: " << w << "\n";
  if (!report.warnings.empty()) sj["warnings"] = report.warnings;
  if (!a.summary_json.empty()) write_summary_file(a.summary_json, sj);
  if (!g.quiet) std::cerr << summary_text(summary, colors_enabled(stderr));
  if (g.json) print_json({{"summary", sj}});
  if (!interrupted) return code;
  if (journal.empty()) {
    std::cerr << "crewctl: interrupted. There is no journal ("
              << (g.sim_crew.empty() ? "--no-journal" : "--sim") << "), so a rerun starts over\n";
  } else if (is_shared_journal(a.journal)) {
    std::cerr << "crewctl: interrupted. This worker stopped; the others go on. To work on the batch "
                 "again, start a worker (the same command, or --join --batch ID; journal: " << journal << ")\n";
  } else {
    std::cerr << "crewctl: interrupted. To resume, run the same command again with --resume "
                 "(journal: " << journal << "); finished items are not run again\n";
  }
  return code;
}

}  // namespace

int cmd_batch(const GlobalFlags& g, const BatchArgs& a) {
  crewctl::one_malloc_arena();  // before connect() and the batch start their threads
  if (auto ok = check_listen_flags(a.listen, nullptr, nullptr); !ok) return fail(ok.error(), g.json);
  if (!a.events.empty() && a.listen.listen.empty()) {
    return fail(make_error(ErrorCode::invalid_argument, "--events needs --listen HOST:PORT").value(), g.json);
  }
  auto prepared = prepare(g, a);
  if (!prepared) return fail(prepared.error(), g.json);
  auto conn = connect(g);
  if (!conn) return fail(conn.error(), g.json);
  auto opts = batch_options(a, (*conn)->settings);
  if (!opts) return fail(opts.error(), g.json);
  auto rx = start_listening(a.listen, a.events, false, (*conn)->client.get(), g.quiet);
  if (!rx) return fail(rx.error(), g.json);
  opts->webhooks = rx->get();
  if (prepared->shared) {
    if (auto ok = bind_shared(a, *prepared, (*conn)->client->options().base_url); !ok) {
      return fail(ok.error(), g.json);
    }
  }
  opts->journal_path = prepared->journal;
  if (prepared->resuming && a.output != "-") opts->earlier_records = earlier_records(a.output);
  std::size_t total = prepared->items.size();

  Progress progress(g.quiet);
  Printer printer(progress, a.output == "-");
  auto batch = crewai::batch::BatchFactory::create(*(*conn)->client, std::move(prepared->items), *opts,
                                                   std::move(prepared->opened), &printer);
  if (!batch) {
    crewai::Error e = batch.error();
    if (e.code == ErrorCode::failed_precondition) e.code = ErrorCode::invalid_argument;
    return fail(e, g.json);
  }
  // Everything that can refuse the run has been checked by now but the token, which run() checks
  // first: until finish(), results go to a .partial file, so an earlier results file stays intact.
  auto writer = crewai::batch::OutputWriter::open(a.output, a.ordered, total,
                                                  crewai::batch::OutputWriter::Mode::replace);
  if (!writer) return fail(writer.error(), g.json);
  printer.attach(**writer);

  InterruptWatcher watcher([&](int n) {
    if (n == 1) {
      std::cerr << "\ncrewctl: stopping: no new kickoffs; " << (a.cancel_on_stop ? "cancelling" : "following")
                << " the " << printer.in_flight() << " runs in flight"
                << (a.cancel_on_stop ? "" : " to the end") << " (Ctrl-C again to cancel them and leave now)\n";
      (*batch)->request_stop(false);
    } else {
      std::cerr << "\ncrewctl: cancelling the runs in flight (POST /stop) and leaving; any not "
                   "confirmed at once stay resumable\n";
      (*batch)->request_stop(true);
    }
  });
  auto report = (*batch)->run();
  int interrupts = watcher.count();
  progress.finish();
  if (!report) {
    (*writer)->discard();
    return fail(report.error(), g.json);
  }
  auto finished = (*writer)->finish();
  if (*rx) {
    std::map<std::string, std::pair<std::size_t, std::string>> runs;
    for (const auto& r : report->records) {
      for (const auto& id : r.kickoff_ids) runs[id] = {r.index, r.id};
    }
    finish_listening(**rx, a.listen, runs, g.quiet);
  }
  std::optional<crewai::Error> write_error = printer.write_error();
  if (!write_error && !finished) write_error = finished.error();
  return report_batch(g, a, *report, interrupts > 0, write_error, *prepared);
}

}  // namespace crewctl
