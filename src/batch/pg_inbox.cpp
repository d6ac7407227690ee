// The inbox on the PostgreSQL journal: paused final records (crewctl_items) left-joined to their
// answers (crewctl_answers, one row per pause). Each call is one autocommitted statement on the
// caller's thread, durable before it returns; the primary key makes an answer's intent win once,
// whichever worker or process races for it. A worker claims a paused item once its pause is
// answered (kClaimable) and follows the answer's run (claim_answered, then follow_answered).
#include <charconv>
#include <cstdlib>

#include "batch/pg_journal_impl.hpp"
#include "crewai/batch.hpp"

namespace crewai::batch::pgj {
namespace {

const std::string kAnswerJoin = "LEFT JOIN crewctl_answers a ON " + kPauseKey + " ";
constexpr const char* kAnswerColumns =
    "a.paused_kickoff_id, a.paused_at, a.feedback, a.approve, a.sent_at, a.answered_at, a.kickoff_id, a.status";

double number(const PGresult* r, int row, int col) { return std::strtod(PQgetvalue(r, row, col), nullptr); }

// Columns from `first` on are kAnswerColumns; none when the pause has no answer.
std::optional<InboxAnswer> answer_at(const PGresult* r, int row, int first, std::size_t idx) {
  if (PQgetisnull(r, row, first)) return std::nullopt;
  InboxAnswer a;
  a.index = idx;
  a.paused_kickoff_id = pg::text(r, row, first);
  a.paused_at = number(r, row, first + 1);
  a.feedback = pg::text(r, row, first + 2);
  a.approve = pg::text(r, row, first + 3) == "t";
  a.sent_at = number(r, row, first + 4);
  if (!PQgetisnull(r, row, first + 5)) a.answered_at = number(r, row, first + 5);
  a.kickoff_id = pg::opt_text(r, row, first + 6).value_or("");
  a.status = pg::opt_text(r, row, first + 7).value_or("");
  return a;
}

}  // namespace

std::string float8(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest text that reads back exactly
  return ec == std::errc() ? std::string(buf, end) : "0";
}

Result<std::vector<InboxEntry>> PgJournalImpl::inbox() {
  std::lock_guard db(db_mu_);
  if (!identity_) return make_error(ErrorCode::internal, "journal " + path() + ": inbox() before attach()");
  std::vector<InboxEntry> out;
  auto body = [&]() -> Result<void> {
    out.clear();
    auto r = session_.exec(std::string("SELECT i.idx, i.record, ") + kAnswerColumns + " FROM crewctl_items i " +
                               kAnswerJoin + "WHERE i.batch_id = $1 AND i.outcome = 'paused' ORDER BY i.idx",
                           {identity_->batch_id});
    if (!r) return tl::unexpected(r.error());
    for (int row = 0; row < PQntuples(r->get()); ++row) {
      const auto idx = static_cast<std::size_t>(pg::integer(r->get(), row, 0));
      auto record = crewai::record_from_json(Json::parse(pg::text(r->get(), row, 1), nullptr, false));
      if (!record) {
        return tl::unexpected(session_.error(ErrorCode::protocol, "the record of item " + std::to_string(idx) + " is corrupt", ""));
      }
      out.push_back({std::move(*record), answer_at(r->get(), row, 2, idx)});
    }
    return {};
  };
  if (auto r = with_reconnect(body); !r) return tl::unexpected(r.error());
  return out;
}

Result<void> PgJournalImpl::record_answer_intent(const InboxAnswer& a) {
  std::lock_guard db(db_mu_);
  if (!identity_) return make_error(ErrorCode::internal, "journal " + path() + ": answer before attach()");
  if (!session_.connected()) {
    if (auto c = session_.connect(); !c) return c;
  }
  // Not repeated over a lost connection: a repeat of a committed insert would read as "answered".
  auto r = session_.exec(
      "INSERT INTO crewctl_answers(batch_id, idx, paused_kickoff_id, paused_at, feedback, approve, sent_at) "
      "VALUES($1, $2::bigint, $3, $4::float8, $5, $6::boolean, $7::float8) ON CONFLICT DO NOTHING",
      {identity_->batch_id, std::to_string(a.index), a.paused_kickoff_id, float8(a.paused_at), a.feedback,
       std::string(a.approve ? "true" : "false"), float8(a.sent_at)});
  if (!r) return tl::unexpected(r.error());
  if (std::string(PQcmdTuples(r->get())) != "1") {
    return make_error(ErrorCode::failed_precondition,
                      "item " + std::to_string(a.index) + " (run " + a.paused_kickoff_id + ") has already been answered");
  }
  return {};
}

Result<void> PgJournalImpl::record_answer(const InboxAnswer& a) {
  std::lock_guard db(db_mu_);
  if (!identity_) return make_error(ErrorCode::internal, "journal " + path() + ": answer before attach()");
  return with_reconnect([&]() -> Result<void> {
    auto r = session_.exec(
        "UPDATE crewctl_answers SET answered_at = $5::float8, kickoff_id = $6, status = $7 "
        "WHERE batch_id = $1 AND idx = $2::bigint AND paused_kickoff_id = $3 AND paused_at = $4::float8",
        {identity_->batch_id, std::to_string(a.index), a.paused_kickoff_id, float8(a.paused_at),
         float8(a.answered_at.value_or(0)), a.kickoff_id, a.status});
    return r ? Result<void>() : tl::unexpected(r.error());
  });
}

Result<void> PgJournalImpl::forget_answer(const InboxAnswer& a) {
  std::lock_guard db(db_mu_);
  if (!identity_) return make_error(ErrorCode::internal, "journal " + path() + ": answer before attach()");
  return with_reconnect([&]() -> Result<void> {
    auto r = session_.exec(
        "DELETE FROM crewctl_answers WHERE batch_id = $1 AND idx = $2::bigint AND paused_kickoff_id = $3 "
        "AND paused_at = $4::float8 AND answered_at IS NULL",
        {identity_->batch_id, std::to_string(a.index), a.paused_kickoff_id, float8(a.paused_at)});
    return r ? Result<void>() : tl::unexpected(r.error());
  });
}

// Writer thread, inside the claim's transaction: the answers to the paused items just claimed.
Result<void> PgJournalImpl::claim_answered(Claim& claim, std::map<std::size_t, JournalItem>& items) {
  std::string array = "{";
  for (const auto& [idx, item] : items) {
    if (item.final_record) array += (array.size() > 1 ? "," : "") + std::to_string(idx);
  }
  array += "}";
  auto r = session_.exec(std::string("SELECT i.idx, ") + kAnswerColumns + " FROM crewctl_items i " + kAnswerJoin +
                             "WHERE i.batch_id = $1 AND i.idx = ANY($2::bigint[]) AND a.answered_at IS NOT NULL",
                         {identity_->batch_id, array});
  if (!r) return tl::unexpected(r.error());
  for (int row = 0; row < PQntuples(r->get()); ++row) {
    const auto idx = static_cast<std::size_t>(pg::integer(r->get(), row, 0));
    auto answer = answer_at(r->get(), row, 1, idx);
    if (answer && items[idx].final_record) claim.answered.push_back({*items[idx].final_record, std::move(answer)});
  }
  return {};
}

}  // namespace crewai::batch::pgj
