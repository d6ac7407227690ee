// Batch: public surface, preflight, journal restore, stop rules and snapshots (the loop: run_loop.cpp).
#include "crewai/batch.hpp"

#include <algorithm>

#include "batch/batch_factory.hpp"
#include "batch/output_writer.hpp"
#include "batch/scheduler.hpp"
#include "batch/unix_time.hpp"
#include "protocol/requests.hpp"

namespace crewai {

Batch::Impl::Impl(Client& c, std::vector<BatchItem> it, BatchOptions o, BatchObserver* obs)
    : client(c),
      clock(clock_or_steady(c.options().clock)),
      items(std::move(it)),
      opt(std::move(o)),
      observer(obs,
               [this] {
                 observer_refused = true;
                 wake_turns();
               },
               clock),
      kick_bucket(opt.kickoffs_per_second, std::max(1.0, opt.kickoffs_per_second)),
      adaptive(std::max(1, opt.max_concurrent), std::clamp(opt.min_concurrent, 1,
                                                           std::max(1, opt.max_concurrent))),
      breaker(std::max(1, opt.breaker_threshold), opt.breaker_cooldown) {
  slots.resize(items.size());
  records.resize(items.size());
  sink->impl = this;
}

// Notifies under the lock: once the loop sees the last event it may return and the Batch be
// destroyed, so the posting thread must be done with `cv` before the loop can take `mu`.
// With turns on the engine, a queued turn keeps the batch from ending (turns.cpp): posting it after
// `mu` is released is safe.
void Batch::Impl::post(std::function<void()> fn) {
  {
    std::lock_guard lock(mu);
    events.push_back(std::move(fn));
    if (!engine) {
      if (watch) watch->busy();
      cv.notify_one();
      return;
    }
    if (!queue_turn_locked()) return;
  }
  engine->post([this] { turn(); });
}

void Batch::Impl::request_stop(bool force) {
  ++stop_requests;
  if (force) force_requested = true;
  any_stop.request_stop();
  wake_turns();
}

std::string Batch::Impl::request_id(std::size_t i, int attempt) const {
  std::string id = batch_id + "-" + std::to_string(i);
  if (attempt > 1) id += "-a" + std::to_string(attempt);
  return id;
}

ItemRecord Batch::Impl::base_record(std::size_t i) const {
  ItemRecord r;
  r.index = items[i].index;
  r.id = items[i].id;
  r.request_id = slots[i].request_id;
  r.kickoff_ids = slots[i].kickoff_ids;
  if (!r.kickoff_ids.empty()) r.kickoff_id = r.kickoff_ids.back();
  r.attempts = slots[i].attempts;
  r.started_at = slots[i].started_at;
  return r;
}

// Items whose inputs lack names /inputs requires are `invalid` before anything is spent.
Result<void> Batch::Impl::preflight() {
  std::vector<std::string> required;
  if (opt.check_inputs) {
    auto names = client.inputs(any_stop.get_token());  // spends nothing: any stop ends it
    if (!names) {
      Error e = names.error();
      e.message = e.code == ErrorCode::cancelled
                      ? "interrupted while reading the deployment's inputs; nothing was kicked off"
                      : "cannot read the deployment's inputs: " + e.message;
      return tl::unexpected(std::move(e));
    }
    required = std::move(*names);
  }
  const bool flow = client.options().kind == DeploymentKind::flow;
  std::vector<std::string> unknown;
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::string reason = items[i].invalid_reason;
    if (reason.empty() && !items[i].inputs.is_object()) reason = "inputs must be a JSON object";
    if (reason.empty() && flow) {
      reason = protocol::flow_inputs_problem(items[i].inputs);
      if (opt.check_inputs) {
        for (auto& name : protocol::unknown_inputs(required, items[i].inputs)) {
          if (std::find(unknown.begin(), unknown.end(), name) == unknown.end()) unknown.push_back(name);
        }
      }
    } else if (reason.empty() && !required.empty()) {
      auto missing = protocol::missing_inputs(required, items[i].inputs);
      if (!missing.empty()) {
        reason = "missing inputs:";
        for (const auto& m : missing) reason += " " + m;
      }
    }
    if (!reason.empty()) {
      ItemRecord r = base_record(i);
      r.outcome = Outcome::invalid;
      r.error = reason;
      finish(i, std::move(r), false);
    }
  }
  if (!unknown.empty()) {
    std::string names;
    for (const auto& n : unknown) names += (names.empty() ? "" : ", ") + n;
    warnings.push_back("inputs not in the flow's state (GET /inputs): " + names +
                       "; they are sent, and the flow may ignore them");
  }
  return {};
}

// Reopened batch: finished items are restored, items with a kickoff id are followed again (no
// new kickoff), items with an intent and no id are ambiguous unless asked to re-run them.
Result<void> Batch::Impl::restore() {
  auto known = journal->load();
  if (!known) return tl::unexpected(known.error());
  auto answered = answered_pauses();
  if (!answered) return tl::unexpected(answered.error());
  std::vector<const ItemRecord*> earlier(items.size(), nullptr);
  for (const auto& r : opt.earlier_records) {
    if (r.index < items.size() && r.outcome == Outcome::succeeded) earlier[r.index] = &r;
  }
  for (auto& j : *known) restore_item(j, earlier, *answered);
  return {};
}

// One item as the journal knows it (a reopened batch, or a shared journal's claim).
void Batch::Impl::restore_item(const batch::JournalItem& j, const std::vector<const ItemRecord*>& earlier,
                               const std::vector<batch::InboxEntry>& answered) {
  if (j.index >= items.size()) return;
  std::size_t i = j.index;
  if (slots[i].phase == Phase::done) return;  // invalid now: recorded by preflight
  Slot& s = slots[i];
  s.attempts = j.attempts;
  s.kickoff_ids = j.kickoff_ids;
  s.request_id = j.request_id;
  if (restore_earlier(j, earlier)) return;
  if (follow_answered(i, j, answered)) return;
  bool rerun = opt.rerun_ambiguous &&
               ((j.final_record && j.final_record->outcome == Outcome::ambiguous) ||
                (!j.final_record && j.intent_without_id));
  if (j.final_record && !rerun) {
    ++restored;
    finish(i, *j.final_record, false);
  } else if (rerun) {
    return;  // stays queued: a new attempt with a new request id
  } else if (j.intent_without_id) {
    ItemRecord r = base_record(i);
    r.outcome = Outcome::ambiguous;
    r.error = "a kickoff (request " + j.request_id +
              ") was sent before the previous process stopped and its answer is unknown; "
              "it was not sent again (resume with --rerun-ambiguous to retry)";
    finish(i, std::move(r));
  } else if (!j.kickoff_ids.empty()) {
    s.phase = Phase::running;
    ++in_flight;
    start_wait(i, j.kickoff_ids.back(), clock->now());
  }
}

// A succeeded record found outside the journal, for an item whose journal lacks one: taken (and
// journalled) when it names the item's journalled attempt, so that a full journal disk neither
// downgrades it to `ambiguous` nor gets it paid for again.
bool Batch::Impl::restore_earlier(const batch::JournalItem& j,
                                  const std::vector<const ItemRecord*>& earlier) {
  if (j.final_record && j.final_record->outcome == Outcome::succeeded) return false;
  const ItemRecord* r = earlier[j.index];
  if (r == nullptr) return false;
  bool same_attempt = !r->request_id.empty() && r->request_id == j.request_id;
  bool known_run = !r->kickoff_id.empty() &&
                   std::find(j.kickoff_ids.begin(), j.kickoff_ids.end(), r->kickoff_id) != j.kickoff_ids.end();
  if (!same_attempt && !known_run) return false;
  ++restored;
  finish(j.index, *r);
  return true;
}

void Batch::Impl::journal_failed(const Error& e) {
  if (!journal_error) journal_error = e;
}

void Batch::Impl::stop_new_work(const std::string& reason) {
  if (!stopping) {
    stopping = true;
    stop_reason = reason;
    drain_until = clock->now() + opt.drain_deadline;
  }
  std::vector<std::size_t> unstarted;
  while (!queue.empty()) {
    std::size_t i = queue.front();
    queue.pop_front();
    if (slots[i].phase != Phase::queued) continue;
    unstarted.push_back(i);
    ItemRecord r = base_record(i);
    r.outcome = Outcome::skipped;
    r.error = "not kicked off: the batch stopped (" + stop_reason +
              "); resume the batch (crewctl batch ... --resume) to run it";
    finish(i, std::move(r), false);
  }
  // A shared batch's other workers may go on (a Ctrl-C stops only this one): they get these now.
  if (shared) journal->release(unstarted);
  if (opt.cancel_on_stop) cancel_in_flight();
}

std::size_t Batch::Impl::own_errors() const {
  return counts[static_cast<int>(Outcome::failed)] + counts[static_cast<int>(Outcome::error)] +
         counts[static_cast<int>(Outcome::ambiguous)] + counts[static_cast<int>(Outcome::timeout)];
}

std::size_t Batch::Impl::own_judged() const {
  return done - counts[static_cast<int>(Outcome::invalid)] - counts[static_cast<int>(Outcome::skipped)] - restored;
}

// On a shared journal the rules count the batch's records (as of the last claim) plus this
// worker's own since, and a rule that fires stops the batch for every worker at once: the others
// are refused their next intent (pg_journal.cpp), they do not wait for their next claim.
void Batch::Impl::check_stop_rules() {
  if (stopping) return;
  std::size_t errors = own_errors();
  std::size_t judged = own_judged();
  std::string across;
  if (shared) {
    errors = batch_errors + (errors - own_errors_at_claim);
    judged = batch_judged + (judged - own_judged_at_claim);
    across = " across workers";
  }
  std::string reason;
  if (opt.max_errors && errors >= *opt.max_errors) {
    reason = "max errors reached" + across + " (" + std::to_string(errors) + ")";
  } else if (opt.max_error_rate && judged >= opt.min_sample && judged > 0 &&
             static_cast<double>(errors) / static_cast<double>(judged) > *opt.max_error_rate) {
    reason = "error rate " + std::to_string(errors) + "/" + std::to_string(judged) + across + " over the maximum";
  }
  if (reason.empty()) return;
  if (shared) journal->stop_batch(reason);
  stop_new_work(reason);
}

// Overload answers (429/5xx) count against concurrency only when they are a storm: at least
// kStormShare of the requests of the last window (a second, stretched until it holds kMinSample
// requests, so a handful of answers never decides). A steady trickle is the retry policy's
// business (it waits, honouring Retry-After); halving on it would pin the limit to the floor.
void Batch::Impl::feed_adaptive(Steady::time_point now) {
  constexpr double kStormShare = 0.2;
  constexpr std::uint64_t kMinSample = 50;
  constexpr auto kWindow = std::chrono::seconds(1);
  if (now - window_start < kWindow) return;
  auto s = client.stats();
  std::uint64_t overloads = s.http_429 + s.http_5xx;
  std::uint64_t requests = s.requests;
  std::uint64_t new_overloads = overloads - seen_overloads;
  std::uint64_t new_requests = requests - seen_requests;
  if (new_requests < kMinSample) return;
  if (static_cast<double>(new_overloads) >= kStormShare * static_cast<double>(new_requests)) {
    for (std::uint64_t i = 0; i < new_overloads; ++i) adaptive.on_overload(now);
  } else {
    adaptive.on_ok(now);
  }
  seen_overloads = overloads;
  seen_requests = requests;
  window_start = now;
}

BatchSnapshot Batch::Impl::snapshot(Steady::time_point now) const {
  BatchSnapshot s;
  s.total = items.size();
  s.done = done;
  s.in_flight = in_flight;
  s.succeeded = counts[0];
  s.failed = counts[1];
  s.paused = counts[2];
  s.timeout = counts[3];
  s.ambiguous = counts[4];
  s.invalid = counts[5];
  s.error = counts[6];
  s.skipped = counts[7];
  s.cancelled = counts[static_cast<int>(Outcome::cancelled)];
  s.restored = restored;
  auto cs = client.stats();
  s.retries = cs.retries - baseline.retries;
  s.http_429 = cs.http_429 - baseline.http_429;
  s.http_5xx = cs.http_5xx - baseline.http_5xx;
  s.connections = cs.connections - baseline.connections;
  s.concurrency = opt.adaptive ? std::min(adaptive.limit(), opt.max_concurrent) : opt.max_concurrent;
  s.circuit_open = breaker.state() != policy::CircuitBreaker::State::closed;
  s.stopping = stopping;
  s.elapsed_seconds = std::chrono::duration<double>(now - started).count();
  constexpr double kWindow = 30.0;
  std::size_t recent = 0;
  for (auto it = recent_finishes.rbegin(); it != recent_finishes.rend(); ++it) {
    if (std::chrono::duration<double>(now - *it).count() > kWindow) break;
    ++recent;
  }
  double span = std::min(kWindow, s.elapsed_seconds);
  if (span > 0.5 && recent > 0) s.rate_per_second = static_cast<double>(recent) / span;
  if (s.rate_per_second > 0 && s.total > s.done) {
    s.eta_seconds = static_cast<double>(s.total - s.done) / s.rate_per_second;
  }
  return s;
}

void Batch::Impl::finish(std::size_t i, ItemRecord rec, bool final_in_journal) {
  if (slots[i].phase == Phase::done) return;
  if (slots[i].phase == Phase::running || slots[i].phase == Phase::starting) --in_flight;
  slots[i].phase = Phase::done;
  slots[i].pause.reset();  // its record is made: a finished item holds no webhook state
  if (!rec.finished_at) rec.finished_at = batch::unix_now();
  if (rec.started_at && !rec.duration_seconds) {
    rec.duration_seconds = *rec.finished_at - *rec.started_at;
  }
  ++done;
  ++counts[static_cast<int>(rec.outcome)];
  recent_finishes.push_back(clock->now());
  if (recent_finishes.size() > 4096) recent_finishes.pop_front();
  // One serialisation for the journal and the results file (the observer's on_record_line).
  const bool to_journal = journal && final_in_journal;
  std::string line = to_journal || observer.active() ? batch::results_line(rec) : std::string();
  if (to_journal) journal->record_final_line(rec, line);
  observer.record(rec, std::move(line));
  records[i] = std::move(rec);
  check_stop_rules();
}

Result<std::unique_ptr<Batch>> Batch::create(Client& client, std::vector<BatchItem> items,
                                             BatchOptions options, BatchObserver* observer) {
  std::unique_ptr<batch::Journal> journal;
  if (!options.journal_path.empty() && !options.dry_run) {
    batch::SqliteJournalOptions jo;
    jo.survive_power_loss = options.journal_survive_power_loss;
    if (options.journal_commit_interval) jo.group_commit.min_interval = *options.journal_commit_interval;
    auto j = batch::open_sqlite_journal(options.journal_path, jo);
    if (!j) return tl::unexpected(j.error());
    journal = std::move(*j);
  }
  return batch::BatchFactory::create(client, std::move(items), std::move(options), std::move(journal),
                                     observer);
}

Result<std::unique_ptr<Batch>> batch::BatchFactory::create(Client& client, std::vector<BatchItem> items,
                                                           BatchOptions options,
                                                           std::unique_ptr<Journal> journal,
                                                           BatchObserver* observer) {
  for (std::size_t i = 0; i < items.size(); ++i) items[i].index = i;
  std::string hash = batch::hash_items(items);
  std::string batch_id = options.batch_id;
  if (journal && !options.dry_run) {
    auto stored = journal->identity();
    if (!stored) return tl::unexpected(stored.error());
    if (batch_id.empty() && *stored) batch_id = (*stored)->batch_id;
    if (batch_id.empty()) batch_id = batch::new_batch_id();
    batch::BatchIdentity id{client.options().base_url, hash, items.size(), batch_id};
    if (auto ok = journal->bind(id); !ok) return tl::unexpected(ok.error());
  } else {
    journal.reset();
  }
  if (batch_id.empty()) batch_id = batch::new_batch_id();
  auto impl = std::make_unique<Batch::Impl>(client, std::move(items), std::move(options), observer);
  impl->journal = std::move(journal);
  impl->batch_id = batch_id;
  return std::unique_ptr<Batch>(new Batch(std::move(impl)));
}

Batch::Batch(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Batch::~Batch() = default;
Result<BatchReport> Batch::run() { return impl_->run(); }
void Batch::request_stop(bool force) { impl_->request_stop(force); }

}  // namespace crewai
