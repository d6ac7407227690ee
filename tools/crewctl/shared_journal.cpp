// crewctl: the shared (PostgreSQL) journal's flags and opening.
#include "shared_journal.hpp"

namespace crewctl {

using crewai::ErrorCode;
using crewai::make_error;

bool is_shared_journal(const std::string& journal) { return crewai::batch::is_postgres_uri(journal); }

crewai::Result<std::unique_ptr<crewai::batch::PgJournal>> open_shared_journal(const std::string& uri,
                                                                               const BatchArgs& a) {
  crewai::batch::PgJournalOptions o;
  if (a.lease_seconds) {
    if (!(*a.lease_seconds >= 1 && *a.lease_seconds <= 3600)) {
      return make_error(ErrorCode::invalid_argument, "--lease must be between 1 and 3600 seconds");
    }
    o.lease = std::chrono::milliseconds(static_cast<long long>(*a.lease_seconds * 1000));
  }
  auto j = crewai::batch::open_pg_journal(uri, o);
  if (!j) {
    crewai::Error e = j.error();
    if (e.code == ErrorCode::failed_precondition) e.code = ErrorCode::invalid_argument;
    return tl::unexpected(std::move(e));
  }
  return j;
}

crewai::Result<std::unique_ptr<crewai::batch::PgJournal>> open_shared_batch(const std::string& uri,
                                                                            const std::string& batch_id) {
  auto j = open_shared_journal(uri, BatchArgs{});
  if (!j) return tl::unexpected(j.error());
  std::string batch = batch_id;
  if (batch.empty()) {
    auto all = (*j)->list_batches();
    if (!all) return tl::unexpected(all.error());
    if (all->empty()) return make_error(ErrorCode::invalid_argument, "journal " + (*j)->path() + " holds no batch");
    if (all->size() > 1) {
      std::string ids;
      for (const auto& b : *all) ids += "\n  " + b.batch_id + "  " + std::to_string(b.item_count) + " items  " + b.deployment_url;
      return make_error(ErrorCode::invalid_argument,
                        "journal " + (*j)->path() + " holds " + std::to_string(all->size()) +
                            " batches: name one with --batch" + ids);
    }
    batch = all->front().batch_id;
  }
  if (auto id = (*j)->attach(batch); !id) return tl::unexpected(id.error());
  return j;
}

crewai::Result<void> check_shared_flags(const BatchArgs& a) {
  const bool shared = is_shared_journal(a.journal);
  if (!a.journal_sync.empty() && shared) {
    return make_error(ErrorCode::invalid_argument,
                      "--journal-sync applies to a journal file: a PostgreSQL journal's commits are as "
                      "durable as its server makes them (synchronous_commit)");
  }
  if (!a.journal_sync.empty() && a.no_journal) {
    return make_error(ErrorCode::invalid_argument, "--journal-sync: there is no journal (--no-journal)");
  }
  if (a.journal_commit_interval_ms && shared) {
    return make_error(ErrorCode::invalid_argument,
                      "--journal-commit-interval applies to a journal file: a PostgreSQL journal groups "
                      "the intents queued while it commits, with no pacing");
  }
  if (a.journal_commit_interval_ms && a.no_journal) {
    return make_error(ErrorCode::invalid_argument, "--journal-commit-interval: there is no journal (--no-journal)");
  }
  if (a.join) {
    if (!shared) {
      return make_error(ErrorCode::invalid_argument,
                        "--join needs a shared journal: --journal postgresql://... (the batch's items are there)");
    }
    if (a.batch_id.empty()) {
      return make_error(ErrorCode::invalid_argument,
                        "--join needs --batch ID (crewctl journal status --journal ... lists the batches)");
    }
    if (a.ordered) {
      return make_error(ErrorCode::invalid_argument,
                        "--ordered: a worker writes only the records it finishes; crewctl journal export "
                        "writes the whole batch in input order");
    }
    if (!a.input.empty()) {
      return make_error(ErrorCode::invalid_argument,
                        "--join reads the items from the journal: drop FILE (" + a.input + ")");
    }
    return {};
  }
  if (a.input.empty()) {
    return make_error(ErrorCode::invalid_argument,
                      "batch: FILE is required (the inputs; or --join --batch ID with a shared journal)");
  }
  if (!a.batch_id.empty() && !shared) {
    return make_error(ErrorCode::invalid_argument, "--batch only applies to a shared journal (postgresql://...)");
  }
  if (shared && (a.no_journal || a.dry_run)) {
    return make_error(ErrorCode::invalid_argument,
                      std::string(a.no_journal ? "--no-journal" : "--dry-run") + " cannot be used with a shared journal");
  }
  if (shared && a.ordered) {
    return make_error(ErrorCode::invalid_argument,
                      "--ordered: a worker of a shared journal writes only the records it finishes; "
                      "crewctl journal export writes the whole batch in input order");
  }
  if (a.lease_seconds && !shared) {
    return make_error(ErrorCode::invalid_argument, "--lease only applies to a shared journal (postgresql://...)");
  }
  return {};
}

}  // namespace crewctl
