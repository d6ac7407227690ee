// The PostgreSQL journal on the caller's thread: schema, creating and joining a batch, load, status.
#include <unistd.h>

#include <array>
#include <map>

#include "batch/pg_journal_impl.hpp"
#include "batch/unix_time.hpp"
#include "crewai/batch.hpp"
#include "transport/thread_name.hpp"

namespace crewai::batch {
namespace pgj {
namespace {

// Serialises schema creation between workers that start at the same moment.
constexpr const char* kSchemaLock = "SELECT pg_advisory_xact_lock(7236011720261130)";

constexpr const char* kSchema = R"sql(
CREATE TABLE crewctl_journal_schema(version integer NOT NULL);
CREATE TABLE crewctl_batches(
  batch_id text PRIMARY KEY, deployment_url text NOT NULL, inputs_hash text NOT NULL,
  item_count bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), stop_reason text,
  UNIQUE(deployment_url, inputs_hash));
CREATE TABLE crewctl_items(
  batch_id text NOT NULL REFERENCES crewctl_batches ON DELETE CASCADE, idx bigint NOT NULL,
  item text NOT NULL, lease_owner text, lease_until timestamptz, claims integer NOT NULL DEFAULT 0,
  record text, outcome text, finished_at double precision, finished_by text,
  PRIMARY KEY(batch_id, idx));
CREATE INDEX crewctl_items_open ON crewctl_items(batch_id, idx) WHERE record IS NULL;
CREATE TABLE crewctl_attempts(
  batch_id text NOT NULL, idx bigint NOT NULL, attempt integer NOT NULL,
  request_id text NOT NULL DEFAULT '', kickoff_id text, intent_at timestamptz,
  kickoff_at timestamptz, worker text, PRIMARY KEY(batch_id, idx, attempt));
CREATE TABLE crewctl_workers(
  batch_id text NOT NULL, worker_id text NOT NULL, host text, pid bigint,
  started_at timestamptz NOT NULL DEFAULT now(), seen_at timestamptz NOT NULL DEFAULT now(),
  left_at timestamptz, PRIMARY KEY(batch_id, worker_id));
INSERT INTO crewctl_journal_schema VALUES (1);
)sql";

// Version 2 adds the inbox (pg_inbox.cpp): one answer per pause, keyed by the pause. A version 1
// database gets it in place (nothing else changed); a crewctl that reads version 1 then refuses it.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE crewctl_answers(
  batch_id text NOT NULL REFERENCES crewctl_batches ON DELETE CASCADE, idx bigint NOT NULL,
  paused_kickoff_id text NOT NULL, paused_at double precision NOT NULL,
  feedback text NOT NULL, approve boolean NOT NULL, sent_at double precision NOT NULL,
  answered_at double precision, kickoff_id text, status text,
  PRIMARY KEY(batch_id, idx, paused_kickoff_id, paused_at));
CREATE INDEX crewctl_items_paused ON crewctl_items(batch_id, idx) WHERE outcome = 'paused';
INSERT INTO crewctl_journal_schema VALUES (2);
)sql";

constexpr std::size_t kInsertChunk = 1000;

std::string host_name() {
  std::array<char, 256> buf{};
  if (gethostname(buf.data(), buf.size() - 1) != 0) return "host";
  return buf.data();
}

Json item_json(const BatchItem& item) {
  return Json{{"id", item.id}, {"inputs", item.inputs}, {"meta", item.meta}, {"invalid_reason", item.invalid_reason}};
}

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

Error identity_error(const std::string& message) {
  Error e;
  e.code = ErrorCode::failed_precondition;
  e.message = message;
  return e;
}

}  // namespace

void add_attempt(JournalItem& item, std::string request_id, std::optional<std::string> kickoff_id,
                 bool has_intent) {
  if (!request_id.empty()) item.request_id = std::move(request_id);
  if (has_intent) ++item.attempts;
  item.intent_without_id = has_intent && !kickoff_id;
  if (kickoff_id) item.kickoff_ids.push_back(std::move(*kickoff_id));
}

PgJournalImpl::PgJournalImpl(std::string conninfo, PgJournalOptions options)
    : options_(std::move(options)), session_(std::move(conninfo)) {
  worker_id_ = options_.worker_id;
  if (worker_id_.empty()) worker_id_ = host_name() + "-" + std::to_string(::getpid()) + "-" + new_batch_id().substr(0, 4);
}

PgJournalImpl::~PgJournalImpl() {
  if (!writer_.joinable()) return;
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  work_cv_.notify_one();
  writer_.join();
}

Result<void> PgJournalImpl::open() {
  std::lock_guard db(db_mu_);
  if (auto r = session_.connect(); !r) return r;
  if (auto r = ensure_schema(); !r) return r;
  writer_ = std::thread([this] {
    transport::name_this_thread("crewai-journal");
    writer_loop();
  });
  return {};
}

Result<void> PgJournalImpl::in_transaction(const std::function<Result<void>()>& body) {
  if (auto r = session_.exec("BEGIN"); !r) return tl::unexpected(r.error());
  auto result = body();
  if (result) {
    if (auto c = session_.exec("COMMIT"); !c) result = tl::unexpected(c.error());
  }
  if (!result && !session_.lost()) (void)session_.exec("ROLLBACK");
  return result;
}

Result<void> PgJournalImpl::with_reconnect(const std::function<Result<void>()>& fn) {
  constexpr int kTries = 3;
  Result<void> r;
  for (int i = 0; i < kTries; ++i) {
    if (!session_.connected()) {
      if (auto c = session_.connect(); !c) return c;
    }
    r = fn();
    if (r || !session_.lost()) return r;
  }
  return r;
}

Result<void> PgJournalImpl::ensure_schema() {
  return in_transaction([&]() -> Result<void> {
    if (auto r = session_.exec(kSchemaLock); !r) return tl::unexpected(r.error());
    auto exists = session_.exec("SELECT to_regclass('crewctl_journal_schema') IS NOT NULL");
    if (!exists) return tl::unexpected(exists.error());
    if (pg::text(exists->get(), 0, 0) != "t") {
      if (auto r = session_.exec_script(kSchema); !r) return r;
      return session_.exec_script(kSchemaV2);
    }
    auto v = session_.exec("SELECT max(version) FROM crewctl_journal_schema");
    if (!v) return tl::unexpected(v.error());
    const long long version = pg::integer(v->get(), 0, 0);
    if (version == 1) return session_.exec_script(kSchemaV2);
    if (version != kSchemaVersion) {
      return tl::unexpected(session_.error(
          ErrorCode::failed_precondition,
          "the database holds a crewctl journal of schema version " + std::to_string(version) +
              "; this crewctl reads version " + std::to_string(kSchemaVersion) +
              " (use the crewctl that wrote it, or another database)",
          ""));
    }
    return {};
  });
}

Result<void> PgJournalImpl::register_worker() {
  auto r = session_.exec(
      "INSERT INTO crewctl_workers(batch_id, worker_id, host, pid) VALUES($1, $2, $3, $4::bigint) "
      "ON CONFLICT (batch_id, worker_id) DO UPDATE SET seen_at = now(), left_at = NULL",
      {identity_->batch_id, worker_id_, host_name(), std::to_string(::getpid())});
  return r ? Result<void>() : tl::unexpected(r.error());
}

Result<BatchIdentity> PgJournalImpl::read_identity(const std::string& batch_id) {
  auto r = session_.exec(
      "SELECT deployment_url, inputs_hash, item_count FROM crewctl_batches WHERE batch_id = $1", {batch_id});
  if (!r) return tl::unexpected(r.error());
  if (PQntuples(r->get()) == 0) {
    return tl::unexpected(session_.error(ErrorCode::invalid_argument,
                                         "no batch " + batch_id + " (crewctl journal status lists them)", ""));
  }
  BatchIdentity id;
  id.deployment_url = pg::text(r->get(), 0, 0);
  id.inputs_hash = pg::text(r->get(), 0, 1);
  id.item_count = static_cast<std::size_t>(pg::integer(r->get(), 0, 2));
  id.batch_id = batch_id;
  return id;
}

Result<BatchIdentity> PgJournalImpl::create_or_join(const BatchIdentity& wanted,
                                                    const std::vector<BatchItem>& items) {
  std::lock_guard db(db_mu_);
  const std::string url = journal_safe_url(wanted.deployment_url);
  std::string batch_id;
  auto body = [&]() -> Result<void> {
    if (auto r = session_.exec("SELECT pg_advisory_xact_lock(hashtext($1))", {url + " " + wanted.inputs_hash}); !r) {
      return tl::unexpected(r.error());
    }
    auto found = session_.exec("SELECT batch_id FROM crewctl_batches WHERE deployment_url = $1 AND inputs_hash = $2",
                               {url, wanted.inputs_hash});
    if (!found) return tl::unexpected(found.error());
    if (PQntuples(found->get()) > 0) {
      batch_id = pg::text(found->get(), 0, 0);
      return {};
    }
    batch_id = wanted.batch_id.empty() ? new_batch_id() : wanted.batch_id;
    auto ins = session_.exec(
        "INSERT INTO crewctl_batches(batch_id, deployment_url, inputs_hash, item_count) VALUES($1, $2, $3, $4::bigint)",
        {batch_id, url, wanted.inputs_hash, std::to_string(items.size())});
    if (!ins) return tl::unexpected(ins.error());
    // Each item's JSON text travels as a string of a JSON array, so that it is stored byte for byte.
    for (std::size_t first = 0; first < items.size(); first += kInsertChunk) {
      Json chunk = Json::array();
      for (std::size_t i = first; i < std::min(items.size(), first + kInsertChunk); ++i) {
        chunk.push_back(dump(item_json(items[i])));
      }
      auto r = session_.exec(
          "INSERT INTO crewctl_items(batch_id, idx, item) SELECT $1, $2::bigint + o - 1, v "
          "FROM jsonb_array_elements_text($3::jsonb) WITH ORDINALITY AS e(v, o)",
          {batch_id, std::to_string(first), dump(chunk)});
      if (!r) return tl::unexpected(r.error());
    }
    return {};
  };
  if (auto r = with_reconnect([&] { return in_transaction(body); }); !r) return tl::unexpected(r.error());
  if (!wanted.batch_id.empty() && wanted.batch_id != batch_id) {
    return tl::unexpected(identity_error("journal " + path() + ": these inputs belong to batch " + batch_id +
                                         ", not " + wanted.batch_id));
  }
  auto id = read_identity(batch_id);
  if (!id) return tl::unexpected(id.error());
  identity_ = *id;
  if (auto r = register_worker(); !r) return tl::unexpected(r.error());
  return *id;
}

Result<std::vector<BatchItem>> PgJournalImpl::join(const std::string& batch_id) {
  std::lock_guard db(db_mu_);
  auto id = read_identity(batch_id);
  if (!id) return tl::unexpected(id.error());
  auto r = session_.exec("SELECT idx, item FROM crewctl_items WHERE batch_id = $1 ORDER BY idx", {batch_id});
  if (!r) return tl::unexpected(r.error());
  std::vector<BatchItem> items;
  items.reserve(static_cast<std::size_t>(PQntuples(r->get())));
  for (int row = 0; row < PQntuples(r->get()); ++row) {
    auto j = Json::parse(pg::text(r->get(), row, 1), nullptr, false);
    if (!j.is_object()) {
      return tl::unexpected(session_.error(ErrorCode::protocol,
                                           "item " + pg::text(r->get(), row, 0) + " of batch " + batch_id + " is corrupt", ""));
    }
    BatchItem item;
    item.index = static_cast<std::size_t>(pg::integer(r->get(), row, 0));
    item.id = j.value("id", std::string());
    item.inputs = j.value("inputs", Json::object());
    item.meta = j.value("meta", Json());
    item.invalid_reason = j.value("invalid_reason", std::string());
    items.push_back(std::move(item));
  }
  identity_ = *id;
  if (auto reg = register_worker(); !reg) return tl::unexpected(reg.error());
  return items;
}

Result<BatchIdentity> PgJournalImpl::attach(const std::string& batch_id) {
  std::lock_guard db(db_mu_);
  auto id = read_identity(batch_id);
  if (id) identity_ = *id;
  return id;
}

Result<std::vector<BatchIdentity>> PgJournalImpl::list_batches() {
  std::lock_guard db(db_mu_);
  auto r = session_.exec(
      "SELECT batch_id, deployment_url, inputs_hash, item_count FROM crewctl_batches ORDER BY created_at");
  if (!r) return tl::unexpected(r.error());
  std::vector<BatchIdentity> out;
  for (int row = 0; row < PQntuples(r->get()); ++row) {
    out.push_back({pg::text(r->get(), row, 1), pg::text(r->get(), row, 2),
                   static_cast<std::size_t>(pg::integer(r->get(), row, 3)), pg::text(r->get(), row, 0)});
  }
  return out;
}

Result<void> PgJournalImpl::bind(const BatchIdentity& id) {
  std::lock_guard db(db_mu_);
  if (!identity_) {
    return make_error(ErrorCode::internal, "journal " + path() + ": bind() before create_or_join() or join()");
  }
  const std::string url = journal_safe_url(id.deployment_url);
  const BatchIdentity& s = *identity_;
  const std::string batch = "journal " + path() + ": batch " + s.batch_id;
  if (s.deployment_url != url) {
    return tl::unexpected(identity_error(batch + " belongs to deployment " + s.deployment_url + ", not " + url));
  }
  if (s.inputs_hash != id.inputs_hash || s.item_count != id.item_count) {
    return tl::unexpected(identity_error(batch + " was created for other inputs (hash " + s.inputs_hash.substr(0, 12) +
                                         ".. vs " + id.inputs_hash.substr(0, 12) + "..)"));
  }
  if (!id.batch_id.empty() && id.batch_id != s.batch_id) {
    return tl::unexpected(identity_error(batch + " is not batch " + id.batch_id));
  }
  return {};
}

Result<void> PgJournalImpl::clear_stop() {
  std::lock_guard db(db_mu_);
  if (!identity_) return make_error(ErrorCode::internal, "journal " + path() + ": clear_stop() before attach()");
  return with_reconnect([&]() -> Result<void> {
    auto r = session_.exec("UPDATE crewctl_batches SET stop_reason = NULL WHERE batch_id = $1", {identity_->batch_id});
    return r ? Result<void>() : tl::unexpected(r.error());
  });
}

Result<std::optional<BatchIdentity>> PgJournalImpl::identity() {
  std::lock_guard db(db_mu_);
  return identity_;
}

Result<std::vector<JournalItem>> PgJournalImpl::load() {
  std::lock_guard db(db_mu_);
  if (!identity_) return std::vector<JournalItem>();
  std::map<std::size_t, JournalItem> items;
  auto body = [&]() -> Result<void> {
    items.clear();
    auto att = session_.exec(
        "SELECT idx, attempt, request_id, kickoff_id, intent_at IS NOT NULL FROM crewctl_attempts "
        "WHERE batch_id = $1 ORDER BY idx, attempt",
        {identity_->batch_id});
    if (!att) return tl::unexpected(att.error());
    for (int r = 0; r < PQntuples(att->get()); ++r) {
      auto idx = static_cast<std::size_t>(pg::integer(att->get(), r, 0));
      items[idx].index = idx;
      add_attempt(items[idx], pg::text(att->get(), r, 2), pg::opt_text(att->get(), r, 3),
                  pg::text(att->get(), r, 4) == "t");
    }
    auto rec = session_.exec("SELECT idx, record FROM crewctl_items WHERE batch_id = $1 AND record IS NOT NULL ORDER BY idx",
                             {identity_->batch_id});
    if (!rec) return tl::unexpected(rec.error());
    for (int r = 0; r < PQntuples(rec->get()); ++r) {
      auto idx = static_cast<std::size_t>(pg::integer(rec->get(), r, 0));
      auto record = crewai::record_from_json(Json::parse(pg::text(rec->get(), r, 1), nullptr, false));
      if (!record) {
        return tl::unexpected(session_.error(ErrorCode::protocol, "the record of item " + std::to_string(idx) + " is corrupt", ""));
      }
      items[idx].index = idx;
      items[idx].final_record = std::move(*record);
    }
    return {};
  };
  if (auto r = with_reconnect([&] { return in_transaction(body); }); !r) return tl::unexpected(r.error());
  std::vector<JournalItem> out;
  out.reserve(items.size());
  for (auto& [idx, item] : items) out.push_back(std::move(item));
  return out;
}

}  // namespace pgj

bool is_postgres_uri(const std::string& journal) { return pg::is_uri(journal); }

Result<std::unique_ptr<PgJournal>> open_pg_journal(const std::string& conninfo, PgJournalOptions options) {
  auto j = std::make_unique<pgj::PgJournalImpl>(conninfo, std::move(options));
  if (auto r = j->open(); !r) return tl::unexpected(r.error());
  return std::unique_ptr<PgJournal>(std::move(j));
}

}  // namespace crewai::batch
