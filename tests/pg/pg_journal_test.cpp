// The PostgreSQL journal against a throwaway cluster: schema version, identity, claims and leases,
// takeover after a worker dies, a lost lease refusing the intent, the password never shown, and a
// server restart under a queued intent; the inbox (answers per pause, answered pauses claimed).
#include <algorithm>
#include <chrono>
#include <future>

#include "batch/pg_journal.hpp"
#include "cli/process.hpp"
#include "pg/pg_test_support.hpp"

namespace crewai::test {
namespace {

using namespace std::chrono_literals;
using batch::BatchIdentity;
using batch::Claim;
using batch::PgJournalOptions;

std::vector<BatchItem> make_items(std::size_t n) {
  std::vector<BatchItem> items(n);
  for (std::size_t i = 0; i < n; ++i) {
    items[i].index = i;
    items[i].inputs = {{"topic", "t" + std::to_string(i)}};
  }
  return items;
}

BatchIdentity identity_of(const std::vector<BatchItem>& items, std::string url = "http://sim.test") {
  return {std::move(url), batch::hash_items(items), items.size(), ""};
}

Result<Claim> claim(batch::Journal& j, std::size_t max) {
  std::promise<Result<Claim>> p;
  j.claim(max, [&](Result<Claim> r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

Result<void> intent(batch::Journal& j, std::size_t index, int attempt, const std::string& request_id) {
  std::promise<Result<void>> p;
  j.record_intent(index, attempt, request_id, [&](Result<void> r) { p.set_value(r); });
  return p.get_future().get();
}

// Claims until `n` items came (leases of a dead worker expire meanwhile), sorted by index.
std::vector<batch::JournalItem> claim_all(batch::Journal& j, std::size_t n) {
  std::vector<batch::JournalItem> got;
  (void)wait_until([&] {
    auto c = claim(j, n);
    if (c) got.insert(got.end(), c->items.begin(), c->items.end());
    return got.size() >= n;
  }, 10s);
  std::sort(got.begin(), got.end(), [](const auto& x, const auto& y) { return x.index < y.index; });
  return got;
}

class PgJournalTest : public PgTest {
 protected:
  std::unique_ptr<batch::PgJournal> open(PgJournalOptions o = {}) {
    auto j = batch::open_pg_journal(uri(), std::move(o));
    EXPECT_TRUE(j) << (j ? "" : j.error().message);
    return j ? std::move(*j) : nullptr;
  }
};

TEST_F(PgJournalTest, CreatesThenJoinsTheBatchByDeploymentAndInputs) {
  auto items = make_items(5);
  auto a = open();
  auto b = open();
  auto ida = a->create_or_join(identity_of(items), items);
  ASSERT_TRUE(ida) << ida.error().message;
  auto idb = b->create_or_join(identity_of(items), items);
  ASSERT_TRUE(idb) << idb.error().message;
  EXPECT_EQ(ida->batch_id, idb->batch_id);
  EXPECT_EQ(ida->item_count, 5u);
  // Joining by id returns the same items (so the hash, and the bind, match).
  auto c = open();
  auto joined = c->join(ida->batch_id);
  ASSERT_TRUE(joined) << joined.error().message;
  EXPECT_EQ(batch::hash_items(*joined), batch::hash_items(items));
  EXPECT_TRUE(c->bind(identity_of(*joined)));
  // Other inputs are another batch.
  auto other = make_items(6);
  auto ido = open()->create_or_join(identity_of(other), other);
  ASSERT_TRUE(ido);
  EXPECT_NE(ido->batch_id, ida->batch_id);
}

TEST_F(PgJournalTest, IdentityMismatchIsAClearError) {
  auto items = make_items(3);
  auto j = open();
  auto id = j->create_or_join(identity_of(items), items);
  ASSERT_TRUE(id);
  auto url = j->bind(identity_of(items, "http://other.test"));
  ASSERT_FALSE(url);
  EXPECT_EQ(url.error().code, ErrorCode::failed_precondition);
  EXPECT_NE(url.error().message.find("http://other.test"), std::string::npos) << url.error().message;
  auto more = make_items(4);
  auto inputs = j->bind(identity_of(more));
  ASSERT_FALSE(inputs);
  EXPECT_NE(inputs.error().message.find("other inputs"), std::string::npos) << inputs.error().message;
  auto missing = open()->join("0123456789abcdef");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("no batch 0123456789abcdef"), std::string::npos);
}

TEST_F(PgJournalTest, SchemaOfAnotherVersionIsRefused) {
  ASSERT_TRUE(open());
  ASSERT_TRUE(cluster().exec(db_, "UPDATE crewctl_journal_schema SET version = 99"));
  auto j = batch::open_pg_journal(uri());
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().code, ErrorCode::failed_precondition);
  EXPECT_NE(j.error().message.find("schema version 99"), std::string::npos) << j.error().message;
}

// Issue 14 point 4: the inbox on the shared journal. One answer intent per pause across processes;
// a forgotten one may be sent again; an answered pause is claimed with its answer, and the answer's
// run's end replaces the pause.
TEST_F(PgJournalTest, AnswerIntentsWinOncePerPauseAndAnsweredPausesAreClaimed) {
  auto items = make_items(3);
  auto a = open();
  auto id = a->create_or_join(identity_of(items), items);
  ASSERT_TRUE(id) << id.error().message;
  ASSERT_TRUE(claim(*a, 3));
  ItemRecord paused;
  paused.index = 1;
  paused.outcome = Outcome::paused;
  paused.kickoff_id = "k1";
  paused.finished_at = 1764490000.123456789;  // kept exactly: it names the pause
  a->record_final(paused);
  ASSERT_TRUE(a->flush());

  auto b = open();
  ASSERT_TRUE(b->attach(id->batch_id));
  auto inbox = b->inbox();
  ASSERT_TRUE(inbox) << inbox.error().message;
  ASSERT_EQ(inbox->size(), 1u);
  EXPECT_FALSE(inbox->front().answer);
  batch::InboxAnswer answer{1, "k1", *inbox->front().record.finished_at, "ok", true, 1764490001.5, {}, "", ""};
  ASSERT_TRUE(a->record_answer_intent(answer));
  auto second = b->record_answer_intent(answer);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::failed_precondition);

  auto c = open();
  ASSERT_TRUE(c->join(id->batch_id));
  auto none = claim(*c, 3);  // item 2 is a's, item 1's answer has no outcome yet
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->items.empty());
  ASSERT_TRUE(b->forget_answer(answer));
  ASSERT_TRUE(b->record_answer_intent(answer));  // forgotten: it may be sent again
  answer.answered_at = 1764490002.0;
  answer.kickoff_id = "k2";
  ASSERT_TRUE(b->record_answer(answer));
  inbox = b->inbox();
  ASSERT_TRUE(inbox && inbox->size() == 1u && inbox->front().answer);
  EXPECT_EQ(inbox->front().answer->kickoff_id, "k2");

  auto got = claim(*c, 3);
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_EQ(got->items.size(), 1u);
  EXPECT_EQ(got->items[0].index, 1u);
  ASSERT_TRUE(got->items[0].final_record);
  ASSERT_EQ(got->answered.size(), 1u);
  EXPECT_EQ(got->answered[0].answer->kickoff_id, "k2");
  ItemRecord done = paused;
  done.outcome = Outcome::succeeded;
  done.kickoff_id = "k2";
  c->record_final(done);
  ASSERT_TRUE(c->flush());
  inbox = b->inbox();
  ASSERT_TRUE(inbox);
  EXPECT_TRUE(inbox->empty());
  EXPECT_EQ(cluster().query(db_, "SELECT outcome FROM crewctl_items WHERE idx = 1"), "succeeded");
}

TEST_F(PgJournalTest, SchemaVersionOneGetsTheInboxInPlace) {
  ASSERT_TRUE(open());
  ASSERT_TRUE(cluster().exec(db_, "DROP TABLE crewctl_answers; DROP INDEX crewctl_items_paused; "
                                  "DELETE FROM crewctl_journal_schema WHERE version = 2"));
  ASSERT_TRUE(open());
  EXPECT_EQ(cluster().query(db_, "SELECT max(version) FROM crewctl_journal_schema"), "2");
  EXPECT_EQ(cluster().query(db_, "SELECT to_regclass('crewctl_answers') IS NOT NULL"), "t");
}

TEST_F(PgJournalTest, ClaimsAreExclusiveAndCountWhatIsOpen) {
  auto items = make_items(10);
  auto a = open();
  auto b = open();
  ASSERT_TRUE(a->create_or_join(identity_of(items), items));
  ASSERT_TRUE(b->create_or_join(identity_of(items), items));
  auto ca = claim(*a, 4);
  auto cb = claim(*b, 4);
  ASSERT_TRUE(ca && cb);
  ASSERT_EQ(ca->items.size(), 4u);
  ASSERT_EQ(cb->items.size(), 4u);
  for (const auto& x : ca->items) {
    for (const auto& y : cb->items) EXPECT_NE(x.index, y.index);
  }
  EXPECT_EQ(cb->open, 6u);  // 2 unclaimed + a's 4
  EXPECT_EQ(cb->workers, 2u);
  auto rest = claim(*a, 10);
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->items.size(), 2u);
  EXPECT_EQ(rest->open, 4u);  // b's
  auto none = claim(*b, 10);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->items.empty());
}

// A worker that dies keeps its leases until they expire; then another takes its items over as the
// journal knows them: the intent without an id (ambiguous), the kickoff id (to follow), untouched.
TEST_F(PgJournalTest, ExpiredLeasesGoToAnotherWorkerWithWhatIsKnown) {
  auto items = make_items(3);
  PgJournalOptions dying;
  dying.lease = 300ms;
  dying.release_on_close = false;
  auto a = open(dying);
  ASSERT_TRUE(a->create_or_join(identity_of(items), items));
  ASSERT_TRUE(claim(*a, 3));
  ASSERT_TRUE(intent(*a, 0, 1, "b-0"));
  ASSERT_TRUE(intent(*a, 1, 1, "b-1"));
  a->record_kickoff(1, 1, "kick-1");
  ASSERT_TRUE(a->flush());
  a.reset();  // dies: no heartbeat any more, no release

  auto b = open();
  ASSERT_TRUE(b->create_or_join(identity_of(items), items));
  // The intents renewed the leases of items 0 and 1: item 2 may come first.
  const auto got = claim_all(*b, 3);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_TRUE(got[0].intent_without_id);
  EXPECT_EQ(got[0].request_id, "b-0");
  EXPECT_FALSE(got[1].intent_without_id);
  EXPECT_EQ(got[1].kickoff_ids, std::vector<std::string>{"kick-1"});
  EXPECT_EQ(got[2].attempts, 0);
  EXPECT_TRUE(got[2].kickoff_ids.empty());
}

// A kickoff that never left (stopped, or refused before it reached the app) takes its intent back:
// the worker the item goes to next runs it instead of calling it ambiguous. Only the worker's own
// attempt without a kickoff id goes.
TEST_F(PgJournalTest, AWithdrawnIntentIsGoneForTheNextWorker) {
  auto items = make_items(2);
  PgJournalOptions dying;
  dying.lease = 300ms;
  dying.release_on_close = false;
  auto a = open(dying);
  ASSERT_TRUE(a->create_or_join(identity_of(items), items));
  ASSERT_TRUE(claim(*a, 2));
  ASSERT_TRUE(intent(*a, 0, 1, "b-0"));
  a->withdraw_intent(0, 1);
  ASSERT_TRUE(intent(*a, 1, 1, "b-1"));
  a->record_kickoff(1, 1, "kick-1");
  a->withdraw_intent(1, 1);  // too late: the kickoff id is known
  ASSERT_TRUE(a->flush());
  a.reset();

  auto b = open();
  ASSERT_TRUE(b->create_or_join(identity_of(items), items));
  const auto got = claim_all(*b, 2);  // once a's leases expire
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].attempts, 0);
  EXPECT_FALSE(got[0].intent_without_id);
  EXPECT_EQ(got[1].kickoff_ids, std::vector<std::string>{"kick-1"});
}

TEST_F(PgJournalTest, IntentIsRefusedOnceTheLeaseWentToAnotherWorker) {
  auto items = make_items(1);
  PgJournalOptions long_lease;  // no heartbeat during the test: it would renew the lease taken below
  long_lease.lease = 60s;
  long_lease.release_on_close = false;
  auto a = open(long_lease);
  ASSERT_TRUE(a->create_or_join(identity_of(items), items));
  ASSERT_TRUE(claim(*a, 1));
  // Expire a's lease as a silent minute would.
  ASSERT_TRUE(cluster().exec(db_, "UPDATE crewctl_items SET lease_until = now() - interval '1 s'"));
  auto b = open();
  ASSERT_TRUE(b->create_or_join(identity_of(items), items));
  auto cb = claim(*b, 1);
  ASSERT_TRUE(cb);
  ASSERT_EQ(cb->items.size(), 1u);
  auto lost = intent(*a, 0, 1, "x-0");
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code, ErrorCode::failed_precondition);
  EXPECT_TRUE(intent(*b, 0, 1, "x-0"));
  EXPECT_EQ(cluster().query(db_, "SELECT worker FROM crewctl_attempts WHERE idx = 0").empty(), false);
}

TEST_F(PgJournalTest, PasswordIsNeverShown) {
  const std::string wrong = "postgresql://postgres:Wr0ng-Secret-99@/" + db_ + "?host=" + cluster().socket_dir();
  auto j = batch::open_pg_journal(wrong);
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().message.find("Wr0ng-Secret-99"), std::string::npos) << j.error().message;
  EXPECT_NE(j.error().message.find("postgresql://postgres@"), std::string::npos) << j.error().message;
  auto good = open();
  ASSERT_TRUE(good);
  EXPECT_EQ(good->path().find(PgCluster::kPassword), std::string::npos) << good->path();
  auto kv = batch::open_pg_journal("host=" + cluster().socket_dir() + " dbname=" + db_ +
                                   " user=postgres password=Wr0ng-Secret-99");
  ASSERT_FALSE(kv);
  EXPECT_EQ(kv.error().message.find("Wr0ng-Secret-99"), std::string::npos) << kv.error().message;
}

// The server restarts under a queued intent: the intent waits (its kickoff would wait with it),
// then is written once the writer has reconnected; nothing is lost.
TEST_F(PgJournalTest, RestartedServerDelaysTheIntentThenTakesIt) {
  auto items = make_items(2);
  auto j = open();
  ASSERT_TRUE(j->create_or_join(identity_of(items), items));
  ASSERT_TRUE(claim(*j, 2));
  ASSERT_TRUE(cluster().stop());
  std::promise<Result<void>> p;
  auto f = p.get_future();
  j->record_intent(0, 1, "r-0", [&](Result<void> r) { p.set_value(r); });
  EXPECT_EQ(f.wait_for(200ms), std::future_status::timeout);  // no durable intent, no go-ahead
  ASSERT_TRUE(cluster().start());
  ASSERT_EQ(f.wait_for(30s), std::future_status::ready);
  EXPECT_TRUE(f.get());
  j->record_kickoff(0, 1, "k-0");
  ASSERT_TRUE(j->flush());
  EXPECT_EQ(cluster().query(db_, "SELECT kickoff_id FROM crewctl_attempts WHERE idx = 0"), "k-0");
}

}  // namespace
}  // namespace crewai::test
