// Reliability on the shared journal: 3 `crewctl batch` worker processes on one PostgreSQL batch
// against the simulator with faults on; workers SIGKILLed at random (seeded) moments and started
// again with --join, the database restarted once mid-batch. Every item ends with exactly one final
// record, no meta.requestId is kicked off twice (the simulator's counters), nothing is lost, and the
// database password appears in no output.
//
// CREWAI_PG_ITEMS overrides the item count (default 5,000; fewer for a quick local run).
#include <algorithm>
#include <csignal>
#include <random>

#include "cli/cli_fixture.hpp"
#include "reliability/accounting.hpp"
#include "crewai/sim/faults.hpp"
#include "support/pg_cluster.hpp"

namespace crewai::test {
namespace {

sim::FaultConfig faults(const nlohmann::json& j) {
  auto f = sim::parse_faults(j);
  if (!f) throw std::runtime_error(f.error());
  return *f;
}

std::size_t item_count() {
  if (const char* env = std::getenv("CREWAI_PG_ITEMS"); env && *env) return std::strtoul(env, nullptr, 10);
  return 5000;
}

class PgWorkersTest : public CliTest {
 protected:
  static void SetUpTestSuite() { cluster_ = std::make_unique<PgCluster>(); }
  static void TearDownTestSuite() { cluster_.reset(); }
  void SetUp() override {
    CliTest::SetUp();
    if (!cluster_->skip_reason().empty()) GTEST_SKIP() << "PostgreSQL tests skipped: " << cluster_->skip_reason();
    static int n = 0;
    db_ = "w" + std::to_string(++n);
    ASSERT_TRUE(cluster_->create_database(db_));
  }
  std::string db_;

  std::vector<std::string> worker_args(const SimFixture& sim, int n, const std::string& tail_first,
                                       const std::string& batch_id) const {
    std::vector<std::string> args = {"batch"};
    if (batch_id.empty()) {
      args.push_back(tail_first);
    } else {
      args.insert(args.end(), {"--join", "--batch", batch_id});
    }
    // Odd workers take the password from the URI, even ones from PGPASSWORD (env below).
    args.insert(args.end(), {"--journal", n % 2 ? cluster_->uri(db_) : cluster_->uri_without_password(db_),
                             "-o", path("out." + std::to_string(n) + ".jsonl"), "--concurrency", "16",
                             "--poll-interval", "0.05", "--lease", "2", "-q"});
    return conn(sim, args);
  }
  std::map<std::string, std::string> worker_env() const { return {{"PGPASSWORD", PgCluster::kPassword}}; }

  std::size_t finished() const {
    return std::strtoul(cluster_->query(db_, "SELECT count(*) FROM crewctl_items WHERE record IS NOT NULL").c_str(),
                        nullptr, 10);
  }

  inline static std::unique_ptr<PgCluster> cluster_;
};

TEST_F(PgWorkersTest, ThreeWorkersSigkilledAndADatabaseRestartLoseNothingAndPayNothingTwice) {
  const std::size_t kItems = item_count();
  constexpr int kWorkers = 3;
  constexpr int kKills = 12;
  SimFixture sim("research", [](sim::ServerOptions& o) {
    o.time_scale = 0.002;
    o.seed = 14;
    o.faults = faults(nlohmann::json::parse(R"({
      "status": {"errors": {"503": 0.05, "429": 0.02}, "reset": 0.01},
      "kickoff": {"drop_response": 0.005}})"));
  });
  auto in = write("in.jsonl", topics_jsonl(kItems));
  std::mt19937 rng(20261130);
  std::vector<std::size_t> moments;
  std::uniform_int_distribution<std::size_t> pick(kItems / 20, kItems * 8 / 10);
  for (int i = 0; i < kKills; ++i) moments.push_back(pick(rng));
  std::sort(moments.begin(), moments.end());
  const std::size_t restart_at = kItems / 2;

  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<Child>> workers;
  std::vector<std::string> errs;
  auto start = [&](int n, const std::string& batch_id) {
    auto child = spawn(worker_args(sim, n, in, batch_id), worker_env());
    errs.push_back(last_err_);
    return child;
  };
  workers.push_back(start(1, ""));  // creates the batch
  ASSERT_TRUE(wait_until([&] { return !cluster_->query(db_, "SELECT batch_id FROM crewctl_batches").empty(); }, 60s))
      << read_file(errs.back());
  const std::string batch_id = cluster_->query(db_, "SELECT batch_id FROM crewctl_batches");
  for (int n = 2; n <= kWorkers; ++n) workers.push_back(start(n, n == 2 ? "" : batch_id));  // by file, by id

  bool restarted = false;
  std::uniform_int_distribution<int> victim(0, kWorkers - 1);
  for (std::size_t moment : moments) {
    ASSERT_TRUE(wait_until([&] { return finished() >= moment; }, 240s)) << "stuck at " << finished();
    if (!restarted && moment >= restart_at) {
      ASSERT_TRUE(cluster_->restart());
      restarted = true;
    }
    const int v = victim(rng);
    std::printf("kill worker %d at %.1fs, %zu finished\n", v + 1, seconds_since(t0), finished());
    workers[v]->signal(SIGKILL);
    EXPECT_EQ(workers[v]->wait(30s), 128 + SIGKILL);
    workers[v] = start(v + 1, batch_id);
  }
  if (!restarted) {
    ASSERT_TRUE(cluster_->restart());
  }
  std::printf("last kill done at %.1fs\n", seconds_since(t0));
  for (auto& w : workers) {
    const int code = w->wait(300s);
    EXPECT_TRUE(code == 0 || code == 5) << code;  // 5: some items ended ambiguous / error
  }

  auto exported = crewctl({"journal", "export", "--journal", cluster_->uri(db_), "-o", path("all.jsonl")});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  auto status = crewctl({"journal", "status", "--journal", cluster_->uri(db_)});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  auto records = json_lines(read_file(path("all.jsonl")));
  auto a = Accounting::of(kItems, records, {sim.stats()});
  print_figure(a.figure("pg-workers workers=3 kills=" + std::to_string(kKills) + " pg_restarts=1", seconds_since(t0)));
  EXPECT_EQ(records.size(), kItems);
  EXPECT_EQ(a.lost, 0u) << a.first_problems();
  EXPECT_EQ(a.duplicates, 0u) << a.first_problems();
  EXPECT_LE(a.sim_kickoffs, static_cast<std::int64_t>(kItems));
  // Each kill leaves the intents of its runs in flight without kickoff ids: ambiguous, never re-run.
  EXPECT_GT(a.count("succeeded"), kItems / 2);
  for (const auto& err : errs) {
    EXPECT_EQ(read_file(err).find(PgCluster::kPassword), std::string::npos) << read_file(err);
  }
  EXPECT_EQ(status.out.find(PgCluster::kPassword), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("postgresql://postgres@"), std::string::npos) << status.out;
}

TEST_F(PgWorkersTest, CliRefusesWhatCannotWorkWithClearErrors) {
  SimFixture sim("research");
  auto in = write("in.jsonl", topics_jsonl(5));
  const std::string wrong = "postgresql://postgres:Wr0ng-Secret-77@/" + db_ + "?host=" + cluster_->socket_dir();
  auto bad = crewctl(conn(sim, {"batch", in, "--journal", wrong}));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_EQ(bad.err.find("Wr0ng-Secret-77"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("postgresql://postgres@"), std::string::npos) << bad.err;
  auto no_batch = crewctl(conn(sim, {"batch", "--join", "--journal", cluster_->uri(db_)}));
  EXPECT_EQ(no_batch.exit_code, 2);
  EXPECT_NE(no_batch.err.find("--batch"), std::string::npos) << no_batch.err;
  auto unknown = crewctl(conn(sim, {"batch", "--join", "--batch", "0123456789abcdef", "--journal", cluster_->uri(db_)}));
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no batch 0123456789abcdef"), std::string::npos) << unknown.err;
  // The batch's deployment is part of its identity: a worker pointed elsewhere is refused.
  auto made = crewctl(conn(sim, {"batch", in, "--journal", cluster_->uri(db_), "-q"}));
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string batch_id = cluster_->query(db_, "SELECT batch_id FROM crewctl_batches");
  SimFixture other("research");
  auto elsewhere = crewctl(conn(other, {"batch", "--join", "--batch", batch_id, "--journal", cluster_->uri(db_)}));
  EXPECT_EQ(elsewhere.exit_code, 2);
  EXPECT_NE(elsewhere.err.find("belongs to deployment"), std::string::npos) << elsewhere.err;
  EXPECT_EQ(elsewhere.err.find(PgCluster::kPassword), std::string::npos) << elsewhere.err;
  EXPECT_EQ(other.stats()["kickoffs"]["total"], 0);
}

}  // namespace
}  // namespace crewai::test
