// The SQLite journal's inbox (journal.hpp): paused records listed with the answer to that very
// pause; an answer intent is taken once per pause (the second is refused, writing nothing);
// answers survive reopening; forget_answer only drops an answer whose outcome is unknown.
#include <filesystem>

#include <gtest/gtest.h>

#include "batch/journal.hpp"
#include "support/temp_dir.hpp"

namespace crewai::batch {
namespace {

namespace fs = std::filesystem;

class JournalInbox : public ::testing::Test {
 protected:
  std::unique_ptr<Journal> open() {
    auto j = open_sqlite_journal(path_);
    EXPECT_TRUE(j) << j.error().message;
    auto b = (*j)->bind({"http://sim", "hash", 3, "b1"});
    EXPECT_TRUE(b) << b.error().message;
    return std::move(*j);
  }
  static ItemRecord paused(std::size_t index, const std::string& id, double at) {
    ItemRecord r;
    r.index = index;
    r.outcome = Outcome::paused;
    r.kickoff_id = id;
    r.kickoff_ids = {id};
    r.pause_task_id = "task-" + id;
    r.pause_task_output = "draft " + id;
    r.finished_at = at;
    return r;
  }
  static InboxAnswer answer_to(const ItemRecord& r) {
    InboxAnswer a;
    a.index = r.index;
    a.paused_kickoff_id = r.kickoff_id;
    a.paused_at = *r.finished_at;
    a.feedback = "ok";
    a.sent_at = 1.0;
    return a;
  }
  test::TempDir dir_;
  std::string path_ = dir_.file("batch.journal");
};

TEST_F(JournalInbox, AnAnswerIsTakenOncePerPauseAndSurvivesReopening) {
  const ItemRecord p0 = paused(0, "k0", 100.5), p2 = paused(2, "k2", 101.25);
  {
    auto j = open();
    ItemRecord done;
    done.index = 1;
    done.outcome = Outcome::succeeded;
    j->record_final(p0);
    j->record_final(done);
    j->record_final(p2);
    ASSERT_TRUE(j->flush());
    auto inbox = j->inbox();
    ASSERT_TRUE(inbox) << inbox.error().message;
    ASSERT_EQ(inbox->size(), 2u);
    EXPECT_EQ((*inbox)[0].record.pause_task_id, "task-k0");
    EXPECT_FALSE((*inbox)[0].answer);

    InboxAnswer a = answer_to(p0);
    ASSERT_TRUE(j->record_answer_intent(a));
    auto again = j->record_answer_intent(a);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::failed_precondition);
    a.answered_at = 2.0;
    a.kickoff_id = "k0-next";
    ASSERT_TRUE(j->record_answer(a));
    EXPECT_TRUE(j->forget_answer(a));  // answered: stays

    InboxAnswer unknown = answer_to(p2);
    ASSERT_TRUE(j->record_answer_intent(unknown));
  }
  auto j = open();
  auto inbox = j->inbox();
  ASSERT_TRUE(inbox) << inbox.error().message;
  ASSERT_EQ(inbox->size(), 2u);
  ASSERT_TRUE((*inbox)[0].answer);
  EXPECT_EQ((*inbox)[0].answer->kickoff_id, "k0-next");
  ASSERT_TRUE((*inbox)[1].answer);
  EXPECT_FALSE((*inbox)[1].answer->answered_at);  // sent, outcome unknown
  ASSERT_TRUE(j->forget_answer(answer_to(p2)));
  EXPECT_FALSE((*j->inbox())[1].answer);
  EXPECT_TRUE(j->record_answer_intent(answer_to(p2)));  // may be sent again now

  // The same item paused again later (another pause): a new, unanswered entry.
  j->record_final(paused(0, "k0-next", 200.0));
  ASSERT_TRUE(j->flush());
  EXPECT_FALSE((*j->inbox())[0].answer);
}

}  // namespace
}  // namespace crewai::batch
