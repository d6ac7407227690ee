// `crewctl journal status`: what a journal tells about its batch, on either backend.
#include "batch/pg_journal_impl.hpp"
#include "batch/unix_time.hpp"
#include "crewai/batch.hpp"

namespace crewai::batch {
namespace {

constexpr double kRateWindow = 60.0;  // seconds of finishes the rate is taken over

void fill_eta(JournalStatus& s, std::size_t recent) {
  if (recent == 0) return;
  s.rate_per_second = static_cast<double>(recent) / kRateWindow;
  const std::size_t left = s.identity.item_count > s.finished ? s.identity.item_count - s.finished : 0;
  s.eta_seconds = static_cast<double>(left) / *s.rate_per_second;
}

}  // namespace

Result<JournalStatus> basic_status(Journal& journal) {
  auto id = journal.identity();
  if (!id) return tl::unexpected(id.error());
  if (!*id) return make_error(ErrorCode::invalid_argument, "journal " + journal.path() + " holds no batch yet");
  auto items = journal.load();
  if (!items) return tl::unexpected(items.error());
  JournalStatus s;
  s.identity = **id;
  const double now = unix_now();
  std::size_t recent = 0;
  for (const auto& item : *items) {
    if (item.final_record) {
      ++s.finished;
      ++s.outcomes[std::string(to_string(item.final_record->outcome))];
      if (item.final_record->finished_at && now - *item.final_record->finished_at <= kRateWindow) ++recent;
    } else if (item.intent_without_id) {
      ++s.ambiguous_pending;
    } else if (!item.kickoff_ids.empty()) {
      ++s.following;
    }
  }
  fill_eta(s, recent);
  return s;
}

namespace pgj {

Result<JournalStatus> PgJournalImpl::status() {
  auto base = basic_status(*this);
  if (!base) return base;
  JournalStatus s = std::move(*base);
  std::lock_guard db(db_mu_);
  const std::string& batch = identity_->batch_id;
  auto b = session_.exec(
      "SELECT (SELECT stop_reason FROM crewctl_batches WHERE batch_id = $1), count(*) FILTER (WHERE "
      "record IS NULL AND lease_until > now()) FROM crewctl_items WHERE batch_id = $1",
      {batch});
  if (!b) return tl::unexpected(b.error());
  s.stop_reason = pg::opt_text(b->get(), 0, 0);
  s.leased = static_cast<std::size_t>(pg::integer(b->get(), 0, 1));
  auto w = session_.exec(
      "SELECT w.worker_id, w.host, w.pid, extract(epoch FROM now() - w.seen_at), w.left_at IS NOT NULL, "
      "(SELECT count(*) FROM crewctl_items i WHERE i.batch_id = $1 AND i.finished_by = w.worker_id), "
      "(SELECT count(*) FROM crewctl_items i WHERE i.batch_id = $1 AND i.lease_owner = w.worker_id "
      "AND i.record IS NULL AND i.lease_until > now()) "
      "FROM crewctl_workers w WHERE w.batch_id = $1 ORDER BY w.started_at",
      {batch});
  if (!w) return tl::unexpected(w.error());
  for (int r = 0; r < PQntuples(w->get()); ++r) {
    WorkerStatus ws;
    ws.worker_id = pg::text(w->get(), r, 0);
    ws.host = pg::text(w->get(), r, 1);
    ws.pid = pg::integer(w->get(), r, 2);
    ws.seen_seconds_ago = std::strtod(pg::text(w->get(), r, 3).c_str(), nullptr);
    ws.left = pg::text(w->get(), r, 4) == "t";
    ws.finished = static_cast<std::size_t>(pg::integer(w->get(), r, 5));
    ws.leased = static_cast<std::size_t>(pg::integer(w->get(), r, 6));
    s.workers.push_back(std::move(ws));
  }
  return s;
}

}  // namespace pgj
}  // namespace crewai::batch
