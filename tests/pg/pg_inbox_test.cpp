// Issue 14 point 4: the inbox of paused items on the shared (PostgreSQL) journal, in the live and amp
// dialects. A batch of the approval crew pauses every item; `crewctl inbox answer --journal URI --all
// --approve` answers each exactly once (a second run answers none); two `crewctl batch --journal URI
// --resume` workers claim the answered pauses and follow the answers' runs to their end: every item
// succeeds with exactly one resume and one kickoff each (the simulator's counters), and the
// database password appears in no output.
#include <set>

#include "cli/cli_fixture.hpp"
#include "support/pg_cluster.hpp"

namespace crewai::test {
namespace {

class PgInbox : public CliTest, public ::testing::WithParamInterface<sim::Dialect> {
 protected:
  static void SetUpTestSuite() {
    if (!cluster_) cluster_ = std::make_unique<PgCluster>();
  }
  static void TearDownTestSuite() { cluster_.reset(); }
  void SetUp() override {
    CliTest::SetUp();
    if (!cluster_->skip_reason().empty()) GTEST_SKIP() << "PostgreSQL tests skipped: " << cluster_->skip_reason();
    static int n = 0;
    db_ = "inbox" + std::to_string(++n);
    ASSERT_TRUE(cluster_->create_database(db_));
  }

  bool live() const { return GetParam() == sim::Dialect::live; }
  // Successful resumes the simulator took (live: runs continued under a new id; amp: answers).
  std::int64_t resumes(const Json& stats) const {
    return live() ? stats["resumes"].value("continued", 0) : count_requests(stats, "POST /resume", "200");
  }
  std::string rows(std::size_t n) {
    std::string text;
    for (std::size_t i = 0; i < n; ++i) {
      text += R"({"id": "row-)" + std::to_string(i) + R"(", "inputs": {"topic": "t)" + std::to_string(i) + "\"}}\n";
    }
    return write("rows.jsonl", text);
  }
  std::string q(const std::string& sql) const { return cluster_->query(db_, sql); }
  void expect_no_password(const ProcResult& r) const {
    EXPECT_EQ((r.out + r.err).find(PgCluster::kPassword), std::string::npos) << r.err;
  }

  std::string db_;
  inline static std::unique_ptr<PgCluster> cluster_;
};

TEST_P(PgInbox, PausesAnsweredFromTheInboxAreFollowedByTheWorkersWithOneResumeEach) {
  constexpr std::size_t kItems = 20;
  SimFixture sim("approval", [](sim::ServerOptions& o) {
    o.dialect = GetParam();
    o.time_scale = 0.001;
  });
  const auto in = rows(kItems);
  const std::string uri = cluster_->uri(db_);
  auto first = crewctl(conn(sim, {"batch", in, "--journal", uri, "-o", path("first.jsonl"), "--listen",
                                  "127.0.0.1:0", "--concurrency", "8", "--poll-interval", "0.05"}));
  ASSERT_EQ(first.exit_code, 3) << first.err;  // every item paused
  expect_no_password(first);
  EXPECT_EQ(q("SELECT count(*) FROM crewctl_items WHERE outcome = 'paused'"), std::to_string(kItems));

  auto list = crewctl({"inbox", "list", "--journal", uri, "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  expect_no_password(list);
  const Json inbox = Json::parse(list.out, nullptr, false)["inbox"];
  ASSERT_EQ(inbox.size(), kItems) << list.out.substr(0, 500);
  for (const auto& e : inbox) EXPECT_EQ(e.value("answer", ""), "open") << e.dump();
  auto show = crewctl({"inbox", "show", "--journal", uri, "7"});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("Draft post about t7"), std::string::npos) << show.out;
  auto wrong = crewctl({"inbox", "list", "--journal", uri, "--batch", "0123456789abcdef"});
  EXPECT_EQ(wrong.exit_code, 2) << wrong.err;
  EXPECT_NE(wrong.err.find("no batch 0123456789abcdef"), std::string::npos) << wrong.err;
  expect_no_password(wrong);

  auto answer = crewctl(conn(sim, {"inbox", "answer", "--journal", uri, "--all", "--feedback", "ok", "--approve"}));
  ASSERT_EQ(answer.exit_code, 0) << answer.err;
  expect_no_password(answer);
  auto again = crewctl(conn(sim, {"inbox", "answer", "--journal", uri, "--all", "--feedback", "ok", "--approve"}));
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("0 answered, " + std::to_string(kItems) + " already answered"), std::string::npos)
      << again.err;
  EXPECT_EQ(resumes(sim.stats()), static_cast<std::int64_t>(kItems));
  EXPECT_EQ(q("SELECT count(*) FROM crewctl_answers WHERE answered_at IS NOT NULL"), std::to_string(kItems));

  // Two workers resume the batch at once: each answered pause is claimed and followed by one.
  std::vector<std::unique_ptr<Child>> workers;
  for (int w = 0; w < 2; ++w) {
    workers.push_back(spawn(conn(sim, {"batch", in, "--journal", uri, "--resume", "-o",
                                       path("rest." + std::to_string(w) + ".jsonl"), "--poll-interval", "0.05"})));
  }
  std::size_t succeeded = 0;
  std::set<std::size_t> seen;
  for (std::size_t w = 0; w < workers.size(); ++w) {
    EXPECT_EQ(workers[w]->wait(60s), 0) << "worker " << w;
    for (const auto& r : json_lines(read_file(path("rest." + std::to_string(w) + ".jsonl")))) {
      EXPECT_TRUE(seen.insert(r.value("index", kItems)).second) << "followed twice: " << r.dump();
      succeeded += r.value("state", "") == "succeeded";
    }
  }
  EXPECT_EQ(succeeded, kItems);
  EXPECT_EQ(q("SELECT count(*) FROM crewctl_items WHERE outcome = 'succeeded'"), std::to_string(kItems));
  auto empty = crewctl({"inbox", "list", "--journal", uri, "--json"});
  EXPECT_EQ(Json::parse(empty.out, nullptr, false)["inbox"].size(), 0u) << empty.out;

  const Json stats = sim.stats();
  EXPECT_EQ(resumes(stats), static_cast<std::int64_t>(kItems));
  if (live()) {
    EXPECT_EQ(stats["resumes"].value("unmatched", 0), 0);
  }
  EXPECT_EQ(stats["kickoffs"].value("total", 0), static_cast<std::int64_t>(kItems));
  for (const auto& [id, k] : stats["kickoffs"]["by_request_id"].items()) EXPECT_EQ(k, 1) << id;
}

INSTANTIATE_TEST_SUITE_P(Dialects, PgInbox, ::testing::Values(sim::Dialect::live, sim::Dialect::amp),
                         [](const auto& info) { return std::string(sim::dialect_name(info.param)); });

}  // namespace
}  // namespace crewai::test
