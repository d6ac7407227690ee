// The SQLite batch journal: identity binding, durability before `done`, crash survival, errors,
// group commit.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "batch/journal.hpp"

namespace crewai::batch {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "journal_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = (dir_ / "batch.journal").string();
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, ec);
    fs::remove_all(dir_, ec);
  }

  std::unique_ptr<Journal> open_bound(const BatchIdentity& id) {
    auto j = open_sqlite_journal(path_);
    EXPECT_TRUE(j) << j.error().message;
    if (!j) return nullptr;
    auto b = (*j)->bind(id);
    EXPECT_TRUE(b) << b.error().message;
    return std::move(*j);
  }

  // Every byte of the journal's files, for "does it contain X" checks.
  std::string all_bytes() const {
    std::string out;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      std::ifstream f(entry.path(), std::ios::binary);
      out += std::string(std::istreambuf_iterator<char>(f), {});
    }
    return out;
  }

  fs::path dir_;
  std::string path_;
  BatchIdentity id_{"https://crew.example.com", std::string(64, 'a'), 3, "b1"};
};

ItemRecord sample_record(std::size_t index) {
  ItemRecord r;
  r.index = index;
  r.id = "item-" + std::to_string(index);
  r.outcome = Outcome::paused;
  r.request_id = "b1-" + std::to_string(index);
  r.kickoff_id = "k2";
  r.kickoff_ids = {"k1", "k2"};
  r.attempts = 2;
  r.result = "partial";
  r.result_json = Json{{"a", 1}};
  r.error = "waiting for a human";
  r.run_state = "PAUSED";
  r.pause_task_id = "t1";
  r.pause_task_output = "draft";
  r.started_at = 1700000000.5;
  r.finished_at = 1700000010.25;
  r.duration_seconds = 9.75;
  return r;
}

// Runs `body` in a child process; returns its exit code (or 128 + signal).
int in_child(const std::function<int()>& body) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST_F(JournalTest, BindsNewThenAcceptsSameIdentity) {
  ASSERT_NE(open_bound(id_), nullptr);
  auto again = open_bound(id_);
  ASSERT_NE(again, nullptr);
  auto stored = again->identity();
  ASSERT_TRUE(stored && stored->has_value());
  EXPECT_EQ((*stored)->deployment_url, id_.deployment_url);
  EXPECT_EQ((*stored)->inputs_hash, id_.inputs_hash);
  EXPECT_EQ((*stored)->item_count, 3u);
  EXPECT_EQ((*stored)->batch_id, "b1");
  BatchIdentity no_batch_id = id_;
  no_batch_id.batch_id.clear();
  EXPECT_TRUE(again->bind(no_batch_id));
}

TEST_F(JournalTest, RebindToOtherDeploymentNamesBothUrls) {
  ASSERT_NE(open_bound(id_), nullptr);
  auto j = open_sqlite_journal(path_);
  ASSERT_TRUE(j);
  BatchIdentity other = id_;
  other.deployment_url = "https://other.example.com";
  auto r = (*j)->bind(other);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::failed_precondition);
  EXPECT_EQ(r.error().message, "journal " + path_ +
                                   " belongs to deployment https://crew.example.com, not "
                                   "https://other.example.com");
}

TEST_F(JournalTest, RebindWithOtherInputsNamesTheInputs) {
  ASSERT_NE(open_bound(id_), nullptr);
  auto j = open_sqlite_journal(path_);
  ASSERT_TRUE(j);
  BatchIdentity other = id_;
  other.inputs_hash = std::string(64, 'b');
  auto r = (*j)->bind(other);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "journal " + path_ +
                                   " was written for other inputs (hash aaaaaaaaaaaa.. vs bbbbbbbbbbbb..)");
  other = id_;
  other.batch_id = "b2";
  r = (*j)->bind(other);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("batch id b1, not b2"));
}

TEST_F(JournalTest, StoresNoCredentialsFromTheUrl) {
  BatchIdentity id = id_;
  id.deployment_url = "https://alice:s3cr3tpw@Crew.Example.com/v1/?token=tok-123456&x=1#frag";
  auto j = open_bound(id);
  ASSERT_NE(j, nullptr);
  auto stored = j->identity();
  ASSERT_TRUE(stored && stored->has_value());
  EXPECT_EQ((*stored)->deployment_url, "https://crew.example.com/v1");
  ASSERT_TRUE(j->flush());
  j.reset();
  const std::string bytes = all_bytes();
  EXPECT_EQ(bytes.find("s3cr3tpw"), std::string::npos);
  EXPECT_EQ(bytes.find("tok-123456"), std::string::npos);
  EXPECT_EQ(bytes.find("alice"), std::string::npos);
  EXPECT_EQ(journal_safe_url("https://h/p?page=2"), "https://h/p?page=2");
  EXPECT_EQ(journal_safe_url("https://h/p?api_key=zz"), "https://h/p");
}

TEST_F(JournalTest, IntentIsDurableBeforeDoneRuns) {
  auto j = open_bound(id_);
  ASSERT_NE(j, nullptr);
  std::promise<std::string> seen;
  j->record_intent(2, 1, "b1-2", [&](Result<void> r) {
    if (!r) {
      seen.set_value("error: " + r.error().message);
      return;
    }
    SqliteJournalOptions reader;
    reader.reader = true;  // another connection, beside the holder, while the batch goes on
    auto other = open_sqlite_journal(path_, reader);
    if (!other) {
      seen.set_value("open: " + other.error().message);
      return;
    }
    auto items = (*other)->load();
    if (!items || items->size() != 1) {
      seen.set_value("load failed");
      return;
    }
    const JournalItem& it = items->front();
    seen.set_value(std::to_string(it.index) + " " + it.request_id + " " + std::to_string(it.attempts) +
                   " " + (it.intent_without_id ? "no-id" : "id"));
  });
  auto f = seen.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_EQ(f.get(), "2 b1-2 1 no-id");
}

TEST_F(JournalTest, KickoffIdsAndFinalsSurviveReopen) {
  {
    auto j = open_bound(id_);
    ASSERT_NE(j, nullptr);
    j->record_intent(0, 1, "b1-0", nullptr);
    j->record_kickoff(0, 1, "k0");
    j->record_intent(1, 1, "b1-1", nullptr);
    j->record_kickoff(1, 1, "k1");
    j->record_intent(1, 2, "b1-1", nullptr);
    j->record_kickoff(1, 2, "k2");
    j->record_final(sample_record(1));
    j->record_intent(2, 1, "b1-2", nullptr);
    ASSERT_TRUE(j->flush());
  }
  auto j = open_bound(id_);
  ASSERT_NE(j, nullptr);
  auto items = j->load();
  ASSERT_TRUE(items) << items.error().message;
  ASSERT_EQ(items->size(), 3u);
  const auto& a = (*items)[0];
  EXPECT_EQ(a.attempts, 1);
  EXPECT_EQ(a.kickoff_ids, std::vector<std::string>{"k0"});
  EXPECT_FALSE(a.intent_without_id);
  EXPECT_FALSE(a.final_record);
  const auto& b = (*items)[1];
  EXPECT_EQ(b.attempts, 2);
  EXPECT_EQ(b.kickoff_ids, (std::vector<std::string>{"k1", "k2"}));
  ASSERT_TRUE(b.final_record);
  const ItemRecord want = sample_record(1);
  EXPECT_EQ(b.final_record->id, want.id);
  EXPECT_EQ(b.final_record->outcome, Outcome::paused);
  EXPECT_EQ(b.final_record->kickoff_ids, want.kickoff_ids);
  EXPECT_EQ(b.final_record->result, want.result);
  EXPECT_EQ(b.final_record->result_json, want.result_json);
  EXPECT_EQ(b.final_record->pause_task_id, want.pause_task_id);
  EXPECT_EQ(b.final_record->pause_task_output, want.pause_task_output);
  EXPECT_EQ(b.final_record->duration_seconds, want.duration_seconds);
  const auto& c = (*items)[2];
  EXPECT_EQ(c.request_id, "b1-2");
  EXPECT_TRUE(c.intent_without_id);
  EXPECT_TRUE(c.kickoff_ids.empty());
}

// A kickoff stopped before it left: its intent goes, so that a resume runs the item instead of
// calling it ambiguous. An attempt whose kickoff id is known keeps its row.
TEST_F(JournalTest, AWithdrawnIntentIsGoneUnlessItsKickoffIdCame) {
  {
    auto j = open_bound(id_);
    ASSERT_NE(j, nullptr);
    j->record_intent(0, 1, "b1-0", nullptr);
    j->withdraw_intent(0, 1);
    j->record_intent(1, 1, "b1-1", nullptr);
    j->record_kickoff(1, 1, "k1");
    j->withdraw_intent(1, 1);
    j->record_intent(2, 1, "b1-2", nullptr);
    j->record_kickoff(2, 1, "k2");
    j->record_intent(2, 2, "b1-2-a2", nullptr);
    j->withdraw_intent(2, 2);
    ASSERT_TRUE(j->flush());
  }
  auto j = open_bound(id_);
  ASSERT_NE(j, nullptr);
  auto items = j->load();
  ASSERT_TRUE(items) << items.error().message;
  ASSERT_EQ(items->size(), 2u);  // item 0 has no row left: it is as if never tried
  EXPECT_EQ((*items)[0].index, 1u);
  EXPECT_EQ((*items)[0].kickoff_ids, std::vector<std::string>{"k1"});
  EXPECT_FALSE((*items)[0].intent_without_id);
  EXPECT_EQ((*items)[1].index, 2u);
  EXPECT_EQ((*items)[1].attempts, 1);
  EXPECT_EQ((*items)[1].kickoff_ids, std::vector<std::string>{"k2"});
  EXPECT_FALSE((*items)[1].intent_without_id);
}

TEST_F(JournalTest, ProcessKilledMidBatchLeavesIntentsWithoutIds) {
  constexpr std::size_t kKillAfter = 300;
  const int rc = in_child([&] {
    auto j = open_sqlite_journal(path_);
    if (!j || !(*j)->bind(id_)) return 1;
    Journal* journal = j->get();
    for (std::size_t i = 0; i < 1000; ++i) {
      journal->record_intent(i, 1, "b1-" + std::to_string(i), [journal, i](Result<void> r) {
        if (!r) ::_exit(2);
        if (i % 2 == 0) journal->record_kickoff(i, 1, "k" + std::to_string(i));
        if (i == kKillAfter) ::kill(::getpid(), SIGKILL);
      });
    }
    (void)journal->flush();
    return 3;  // not reached: killed from a callback
  });
  ASSERT_EQ(rc, 128 + SIGKILL);
  auto j = open_bound(id_);
  ASSERT_NE(j, nullptr);
  auto items = j->load();
  ASSERT_TRUE(items) << items.error().message;
  ASSERT_GE(items->size(), kKillAfter + 1);
  for (std::size_t i = 0; i <= kKillAfter; ++i) {
    const JournalItem& it = (*items)[i];
    ASSERT_EQ(it.index, i);
    EXPECT_EQ(it.attempts, 1);
    EXPECT_EQ(it.request_id, "b1-" + std::to_string(i));
    // Odd items never got an id; even ones might have been killed before their kickoff was written.
    if (i % 2 == 1) {
      EXPECT_TRUE(it.intent_without_id);
    } else if (!it.intent_without_id) {
      EXPECT_EQ(it.kickoff_ids, std::vector<std::string>{"k" + std::to_string(i)});
    }
  }
}

TEST_F(JournalTest, OneHolderAtATimeWhateverThePathsSpelling) {
  auto j = open_sqlite_journal(path_);
  ASSERT_TRUE(j) << j.error().message;
  fs::create_directory(dir_ / "sub");
  fs::create_symlink(path_, dir_ / "link.journal");
  for (const std::string& other :
       {path_, (dir_ / "sub" / ".." / "batch.journal").string(), (dir_ / "link.journal").string()}) {
    auto refused = open_sqlite_journal(other);
    ASSERT_FALSE(refused) << other;
    EXPECT_EQ(refused.error().code, ErrorCode::failed_precondition);
    EXPECT_THAT(refused.error().message, HasSubstr("in use by pid " + std::to_string(::getpid())));
    EXPECT_THAT(refused.error().message, HasSubstr("(this process)"));
  }
  j->reset();
  EXPECT_FALSE(fs::exists(path_ + ".lock"));  // released and removed
  auto again = open_sqlite_journal((dir_ / "link.journal").string());
  EXPECT_TRUE(again) << again.error().message;
}

TEST_F(JournalTest, HolderKilledBySigkillReleasesTheJournalAtOnce) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    auto j = open_sqlite_journal(path_);
    char c = j && (*j)->bind(id_) ? 'y' : 'n';
    if (::write(ready[1], &c, 1) != 1) ::_exit(1);
    for (;;) ::pause();
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  auto refused = open_sqlite_journal(path_);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("in use by pid " + std::to_string(pid) + " on host "));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  auto j = open_bound(id_);
  EXPECT_NE(j, nullptr);
}

TEST_F(JournalTest, MissingDirectoryIsAClearError) {
  auto j = open_sqlite_journal((dir_ / "no-such-dir" / "j.db").string());
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().code, ErrorCode::invalid_argument);
  EXPECT_THAT(j.error().message, HasSubstr("no-such-dir does not exist"));
}

TEST_F(JournalTest, FileThatIsNotSqliteIsAClearError) {
  {
    std::ofstream f(path_);
    for (int i = 0; i < 100; ++i) f << "this is a results file, not a database\n";
  }
  auto j = open_sqlite_journal(path_);
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().message, "journal " + path_ + " is not a SQLite database");
}

TEST_F(JournalTest, ReadOnlyDirectoryOrFileIsAClearError) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores permission bits";
  ASSERT_NE(open_bound(id_), nullptr);
  fs::permissions(path_, fs::perms::owner_read);
  auto j = open_sqlite_journal(path_);
  EXPECT_TRUE(!j || !(*j)->bind(id_));
  fs::permissions(path_, fs::perms::owner_read | fs::perms::owner_write);
  fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
  auto k = open_sqlite_journal((dir_ / "new.journal").string());
  EXPECT_TRUE(!k || !(*k)->bind(id_));
}

// A full disk, simulated with a file-size limit in a child process (works as root, too).
TEST_F(JournalTest, DiskFullAtFirstWriteFailsBind) {
  const int rc = in_child([&] {
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit lim{0, 0};
    if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) return 10;
    auto j = open_sqlite_journal(path_);
    if (!j) return 0;  // failing at open is fine, too
    auto b = (*j)->bind(id_);
    if (b) return 1;
    return b.error().message.rfind("journal " + path_ + ":", 0) == 0 ? 0 : 2;
  });
  EXPECT_EQ(rc, 0);
}

TEST_F(JournalTest, LaterWriteFailureReachesEveryDoneAndFlush) {
  const int rc = in_child([&] {
    ::signal(SIGXFSZ, SIG_IGN);
    auto j = open_sqlite_journal(path_);
    if (!j || !(*j)->bind(id_)) return 1;
    rlimit lim{256 * 1024, 256 * 1024};
    if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) return 10;
    std::atomic<int> failed{0};
    const std::string big(2000, 'r');
    for (std::size_t i = 0; i < 2000; ++i) {
      (*j)->record_intent(i, 1, big, [&](Result<void> r) { failed += r ? 0 : 1; });
    }
    if ((*j)->flush()) return 2;
    const int before = failed.load();
    if (before == 0) return 3;
    std::promise<bool> later;
    (*j)->record_intent(5000, 1, "x", [&](Result<void> r) { later.set_value(!r); });
    if (!later.get_future().get()) return 4;
    return (*j)->flush() ? 5 : 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST_F(JournalTest, WritesBeforeBindFail) {
  auto j = open_sqlite_journal(path_);
  ASSERT_TRUE(j);
  auto items = (*j)->load();
  ASSERT_TRUE(items);
  EXPECT_TRUE(items->empty());
  std::promise<bool> failed;
  (*j)->record_intent(0, 1, "r", [&](Result<void> r) { failed.set_value(!r); });
  EXPECT_TRUE(failed.get_future().get());
}

TEST_F(JournalTest, GroupCommitsManyIntentsCallingEachDoneOnce) {
  auto j = open_bound(id_);
  ASSERT_NE(j, nullptr);
  constexpr std::size_t kItems = 10'000;
  std::vector<std::atomic<int>> calls(kItems);
  std::atomic<int> errors{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> producers;
  for (std::size_t t = 0; t < 4; ++t) {
    producers.emplace_back([&, t] {
      for (std::size_t i = t; i < kItems; i += 4) {
        j->record_intent(i, 1, "b1-" + std::to_string(i), [&, i](Result<void> r) {
          if (!r) ++errors;
          ++calls[i];
        });
      }
    });
  }
  for (auto& p : producers) p.join();
  ASSERT_TRUE(j->flush());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "[ info ] " << kItems << " intents in " << secs << " s (" << kItems / secs << "/s)\n";
  EXPECT_EQ(errors.load(), 0);
  for (std::size_t i = 0; i < kItems; ++i) ASSERT_EQ(calls[i].load(), 1) << i;
  auto items = j->load();
  ASSERT_TRUE(items);
  EXPECT_EQ(items->size(), kItems);
}

TEST(HashItems, CoversEveryItemAndItsOrder) {
  std::vector<BatchItem> a(2);
  a[0].index = 0;
  a[0].inputs = Json{{"topic", "x"}};
  a[1].index = 1;
  a[1].inputs = Json{{"topic", "y"}};
  const std::string h = hash_items(a);
  EXPECT_EQ(h.size(), 64u);
  EXPECT_EQ(h, hash_items(a));
  auto b = a;
  b[1].inputs["topic"] = "z";
  EXPECT_NE(h, hash_items(b));
  auto c = a;
  c[1].meta = Json{{"m", 1}};
  EXPECT_NE(h, hash_items(c));
  auto d = a;
  std::swap(d[0].inputs, d[1].inputs);
  EXPECT_NE(h, hash_items(d));
  EXPECT_NE(hash_items({}), hash_items(a));
}

}  // namespace
}  // namespace crewai::batch
