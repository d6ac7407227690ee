// A stopped batch cancels its runs in flight (issue 9 point 4): with cancel_on_stop a stop sends
// POST /stop for each run and records it `cancelled`; a forced stop does with cancel_on_force,
// within cancel_grace; the journal keeps the cancelled records (a resume does not follow them again).
// Asserts on the simulator's counters (stops, kickoffs), in the live and amp dialects.
#include <thread>

#include "integration/batch_support.hpp"

namespace crewai::test {
namespace {

class BatchCancel : public ::testing::TestWithParam<sim::Dialect> {
 protected:
  // Runs of ~22 s: only a cancel ends them within a test.
  SimFixture sim{"research", [](sim::ServerOptions& o) {
                   o.dialect = GetParam();
                   o.time_scale = 1.0;
                 }};

  // Runs the batch on a thread; `stop` is called once every run has been polled (is in flight).
  BatchReport run_and_stop(std::vector<BatchItem> items, BatchOptions o,
                           const std::function<void(Batch&)>& stop) {
    auto c = make_client(sim);
    auto batch = Batch::create(c, std::move(items), std::move(o)).value();
    std::optional<Result<BatchReport>> report;
    std::thread t([&] { report = batch->run(); });
    auto polled = [this] {
      auto req = sim.stats()["requests"];
      std::int64_t n = 0;
      if (req.contains("GET /status"))
        for (const auto& [code, count] : req["GET /status"].items()) n += count.get<std::int64_t>();
      return n;
    };
    auto until = std::chrono::steady_clock::now() + 20s;
    while (polled() < 3 && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    stop(*batch);
    t.join();
    EXPECT_TRUE(report && *report);
    return report && *report ? std::move(**report) : BatchReport{};
  }

  std::int64_t stopped() const { return sim.stats()["stops"].value("stopped", 0); }
};

TEST_P(BatchCancel, CancelOnStopRecordsCancelled) {
  TempDir dir;
  BatchOptions o;
  o.cancel_on_stop = true;
  o.max_concurrent = 3;
  o.journal_path = dir.file("j.db");
  auto items = topics(3);
  auto report = run_and_stop(items, o, [](Batch& b) { b.request_stop(false); });
  auto t = tally(report);
  EXPECT_EQ(t[Outcome::cancelled], 3) << to_json(report.records[0]).dump();
  EXPECT_EQ(stopped(), 3);
  EXPECT_EQ(report.final_snapshot.cancelled, 3u);
  EXPECT_FALSE(report.records[0].kickoff_id.empty());

  // The journal holds them as final: a resumed batch restores them and sends nothing.
  auto c = make_client(sim);
  auto again = run(c, items, o);
  EXPECT_EQ(tally(again)[Outcome::cancelled], 3);
  EXPECT_EQ(again.final_snapshot.restored, 3u);
  EXPECT_EQ(kickoffs(sim), 3);
}

TEST_P(BatchCancel, ASecondStopCancelsWithCancelOnForce) {
  BatchOptions o;
  o.cancel_on_force = true;
  o.max_concurrent = 3;
  auto start = std::chrono::steady_clock::now();
  auto report = run_and_stop(topics(3), o, [](Batch& b) {
    b.request_stop(false);
    b.request_stop(false);  // the second request is a forced stop
  });
  EXPECT_EQ(tally(report)[Outcome::cancelled], 3) << to_json(report.records[0]).dump();
  EXPECT_EQ(stopped(), 3);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 15s);  // not the runs' 22 s
}

INSTANTIATE_TEST_SUITE_P(Dialects, BatchCancel, ::testing::Values(sim::Dialect::live, sim::Dialect::amp),
                         [](const auto& info) { return std::string(sim::dialect_name(info.param)); });

}  // namespace
}  // namespace crewai::test
