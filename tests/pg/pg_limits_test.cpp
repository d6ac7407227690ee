// Limits across the workers of one shared batch: --rate holds for the whole batch, an error limit
// reached by one worker stops every worker at its next kickoff, and a Ctrl-C (request_stop) on one
// worker stops only that worker. Kickoffs are counted by the simulator; time is the test's own
// clock, and every bound is one that holds however slowly this machine runs.
#include <future>
#include <thread>

#include "cli/process.hpp"
#include "pg/pg_batch_support.hpp"

namespace crewai::test {
namespace {

using PgLimitsTest = PgBatchTest;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Two workers with --rate 20: together they kick off at most 20 a second plus the bucket's burst
// (each worker's share is 10/s with a burst of 10; 2 × 20 is allowed). A worker that rebuilt its
// bucket on every claim got a fresh burst with each claim and ran at many times the rate.
TEST_F(PgLimitsTest, RateHoldsForTheWholeBatchAcrossWorkers) {
  constexpr double kRate = 20;
  constexpr int kWanted = 60;  // 3 s at the batch's rate
  SimFixture sim(write_crew(crew_json(10)));  // 20 ms runs: the rate, not the runs, is the limit
  auto items = topics(2000);
  Client c1 = make_client(sim), c2 = make_client(sim);
  BatchOptions o;
  o.max_concurrent = 8;
  o.kickoffs_per_second = kRate;
  // Both workers are registered before either runs, so both take their share from the first claim.
  auto w1 = worker(c1, items, o);
  auto w2 = worker(c2, items, o);
  ASSERT_TRUE(w1 && w2);
  const auto t0 = std::chrono::steady_clock::now();
  Result<BatchReport> r1, r2;
  std::thread t1([&] { r1 = w1->run(); });
  std::thread t2([&] { r2 = w2->run(); });
  const bool reached = wait_until([&] { return kickoffs(sim) >= kWanted; }, 120s);
  const auto kicked = kickoffs(sim);
  const double elapsed = seconds_since(t0);  // read after the count: the bound only grows
  w1->request_stop(false);
  w2->request_stop(false);
  t1.join();
  t2.join();
  ASSERT_TRUE(reached) << kickoffs(sim) << " kickoffs";
  EXPECT_LE(static_cast<double>(kicked), kRate * elapsed + 2 * kRate)
      << kicked << " kickoffs in " << elapsed << " s at --rate " << kRate;
  ASSERT_TRUE(r1 && r2);
  EXPECT_TRUE(r1->stopped && r2->stopped);
  expect_no_duplicate_kickoffs(sim);
}

// A stop recorded for the batch refuses every later intent, whoever asks: a worker that holds
// claimed items learns of the stop at its next kickoff, and writes nothing for it.
TEST_F(PgLimitsTest, AStoppedBatchRefusesEveryLaterIntent) {
  auto items = topics(4);
  for (std::size_t i = 0; i < items.size(); ++i) items[i].index = i;
  auto j = batch::open_pg_journal(uri()).value();
  batch::BatchIdentity id{"http://127.0.0.1:1", batch::hash_items(items), items.size(), ""};
  ASSERT_TRUE(j->create_or_join(id, items));
  std::promise<Result<batch::Claim>> claimed;
  j->claim(4, [&](Result<batch::Claim> c) { claimed.set_value(std::move(c)); });
  auto claim = claimed.get_future().get();
  ASSERT_TRUE(claim) << claim.error().message;
  ASSERT_EQ(claim->items.size(), 4u);
  auto intent = [&](std::size_t i) {
    std::promise<Result<void>> p;
    j->record_intent(i, 1, "req-" + std::to_string(i), [&](Result<void> r) { p.set_value(r); });
    return p.get_future().get();
  };
  ASSERT_TRUE(intent(0));
  {
    auto other = batch::open_pg_journal(uri()).value();
    const auto batches = other->list_batches().value();
    ASSERT_TRUE(other->attach(batches.front().batch_id));
    other->stop_batch("max errors reached across workers (3)");
    ASSERT_TRUE(other->flush());
  }
  auto refused = intent(1);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::cancelled);
  EXPECT_EQ(refused.error().message, "max errors reached across workers (3)");
  EXPECT_EQ(cluster().query(db_, "SELECT count(*) FROM crewctl_attempts"), "1");
  EXPECT_TRUE(j->flush());  // a refused intent is not a failed write
}

// A stop stays in the database until it is lifted; then a worker that joins finishes the batch.
TEST_F(PgLimitsTest, ALiftedStopLetsAJoiningWorkerFinishTheBatch) {
  SimFixture sim(write_crew(crew_json(10)));
  auto items = topics(12);
  Client c1 = make_client(sim), c2 = make_client(sim), c3 = make_client(sim);
  BatchOptions o;
  o.max_concurrent = 4;
  auto stop_from_outside = [&](bool lift) {
    auto j = batch::open_pg_journal(uri()).value();
    ASSERT_TRUE(j->attach(j->list_batches().value().front().batch_id));
    if (lift) {
      ASSERT_TRUE(j->clear_stop());
    } else {
      j->stop_batch("by hand");
      ASSERT_TRUE(j->flush());
    }
  };
  auto first = worker(c1, items, o);
  ASSERT_TRUE(first);
  stop_from_outside(false);
  auto r1 = first->run();
  ASSERT_TRUE(r1);
  EXPECT_TRUE(r1->stopped);
  EXPECT_EQ(kickoffs(sim), 0);
  auto second = worker(c2, items, o);  // still stopped: joins and kicks off nothing
  ASSERT_TRUE(second);
  ASSERT_TRUE(second->run());
  EXPECT_EQ(kickoffs(sim), 0);
  stop_from_outside(true);
  EXPECT_EQ(cluster().query(db_, "SELECT stop_reason IS NULL FROM crewctl_batches"), "t");
  auto third = worker(c3, items, o);
  ASSERT_TRUE(third);
  auto r3 = third->run();
  ASSERT_TRUE(r3);
  EXPECT_FALSE(r3->stopped) << r3->stop_reason;
  EXPECT_EQ(kickoffs(sim), 12);
  EXPECT_EQ(cluster().query(db_, "SELECT count(*) FROM crewctl_items WHERE outcome = 'succeeded'"), "12");
  expect_no_duplicate_kickoffs(sim);
}

// A worker's own records reach --max-errors while it holds every item left (it claims no more):
// the rule stops the batch in the journal, not only this worker.
TEST_F(PgLimitsTest, AWorkersOwnErrorLimitIsRecordedForTheBatch) {
  SimFixture sim(write_crew(crew_json(10)));
  Client c1 = make_client(sim);
  BatchOptions o;
  o.max_concurrent = 8;  // claims all 6 items at once
  o.max_errors = 2;
  auto w1 = worker(c1, topics(6, "fail-"), o);
  ASSERT_TRUE(w1);
  auto r1 = w1->run();
  ASSERT_TRUE(r1);
  EXPECT_TRUE(r1->stopped);
  EXPECT_NE(cluster().query(db_, "SELECT stop_reason FROM crewctl_batches").find("max errors"), std::string::npos);
}

// Worker A stops on --max-errors; worker B has no limit of its own, so only the batch-wide stop
// can stop it. Once the stop is in the journal, no new intent is written: what still goes out is
// at most what each worker had already launched (its --concurrency).
TEST_F(PgLimitsTest, AnErrorLimitStopsEveryWorkerPromptly) {
  constexpr int kItems = 400;
  constexpr int kConcurrency = 4;
  SimFixture sim(write_crew(crew_json(100)));  // 0.2 s runs: B alone would need 20 s for them all
  auto items = topics(kItems, "fail-");
  Client c1 = make_client(sim), c2 = make_client(sim);
  BatchOptions o;
  o.max_concurrent = kConcurrency;
  BatchOptions limited = o;
  limited.max_errors = 6;
  auto a = worker(c1, items, limited);
  auto b = worker(c2, items, o);
  ASSERT_TRUE(a && b);
  Result<BatchReport> ra, rb;
  std::thread ta([&] { ra = a->run(); });
  std::thread tb([&] { rb = b->run(); });
  const bool recorded = wait_until(
      [&] { return !cluster().query(db_, "SELECT stop_reason FROM crewctl_batches").empty(); }, 60s);
  const auto at_stop = kickoffs(sim);
  ta.join();
  a.reset();  // A's process ends: its claimed items go back (else B would wait for their lease)
  tb.join();
  ASSERT_TRUE(recorded) << "no stop recorded; " << kickoffs(sim) << " kickoffs";
  EXPECT_LE(kickoffs(sim) - at_stop, 2 * kConcurrency) << at_stop << " kickoffs when the stop was recorded";
  EXPECT_LT(kickoffs(sim), kItems);
  ASSERT_TRUE(ra && rb);
  EXPECT_TRUE(ra->stopped);
  EXPECT_NE(ra->stop_reason.find("max errors"), std::string::npos) << ra->stop_reason;
  EXPECT_TRUE(rb->stopped);
  EXPECT_NE(rb->stop_reason.find("stopped for every worker (max errors"), std::string::npos) << rb->stop_reason;
  expect_no_duplicate_kickoffs(sim);
}

// request_stop (Ctrl-C) on one worker stops that worker only: the batch is not stopped, the items
// the stopped worker claimed but did not start go back to the others at once (not when its lease
// expires), and the other worker finishes every item, each kicked off once.
TEST_F(PgLimitsTest, CtrlCOnOneWorkerStopsOnlyThatWorker) {
  constexpr int kItems = 80;
  SimFixture sim(write_crew(crew_json(50)));  // 0.1 s runs
  auto items = topics(kItems);
  Client c1 = make_client(sim), c2 = make_client(sim);
  BatchOptions o;
  o.max_concurrent = 4;
  batch::PgJournalOptions named;
  named.worker_id = "w1";
  auto w1 = worker(c1, items, o, named);
  auto w2 = worker(c2, items, o);
  ASSERT_TRUE(w1 && w2);
  Result<BatchReport> r1, r2;
  std::thread t1([&] { r1 = w1->run(); });
  std::thread t2([&] { r2 = w2->run(); });
  ASSERT_TRUE(wait_until([&] { return kickoffs(sim) >= 8; }, 60s));
  w1->request_stop(false);
  t1.join();
  // Its runs in flight are recorded; what it held besides is no longer its own, though its
  // journal is still open (heartbeating) until the process ends.
  EXPECT_EQ(cluster().query(db_, "SELECT count(*) FROM crewctl_items WHERE lease_owner = 'w1'"), "0");
  t2.join();
  w1.reset();
  ASSERT_TRUE(r1 && r2);
  EXPECT_TRUE(r1->stopped);
  EXPECT_EQ(r1->stop_reason, "stop requested");
  EXPECT_FALSE(r2->stopped) << r2->stop_reason;
  EXPECT_EQ(cluster().query(db_, "SELECT stop_reason FROM crewctl_batches"), "");
  auto known = journal_items();
  ASSERT_EQ(known.size(), static_cast<std::size_t>(kItems));
  for (const auto& j : known) {
    ASSERT_TRUE(j.final_record) << "item " << j.index;
    EXPECT_EQ(j.final_record->outcome, Outcome::succeeded) << "item " << j.index << ": " << j.final_record->error;
  }
  EXPECT_EQ(kickoffs(sim), kItems);
  expect_no_duplicate_kickoffs(sim);
}

}  // namespace
}  // namespace crewai::test
