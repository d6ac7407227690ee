// Pending<T> and its shared state on their own: the then() path and the blocking get() path, with
// the result completed from another thread as the engine does.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>

#include "crewai/pending.hpp"
#include "crewai/types.hpp"

namespace crewai {
namespace {

using State = detail::PendingState<RunResult>;

RunResult finished(const std::string& id) {
  RunResult r;
  r.kickoff_id = id;
  r.state = RunState::success;
  return r;
}

// A wait's state lives for the whole run, one per item in flight: it must not reserve room for a
// result that the then() path hands straight to its continuation.
TEST(PendingStateTest, HoldsNoResultInline) {
  EXPECT_LT(sizeof(State), sizeof(RunResult));
}

// then() attached before, during or after the engine's complete(): the continuation runs exactly
// once, with the result, and the state keeps no copy of it. Either order is correct.
TEST(PendingStateTest, ThenDeliversExactlyOnceWhateverTheOrder) {
  for (int round = 0; round < 200; ++round) {
    auto state = std::make_shared<State>();
    Pending<RunResult> p(state);
    std::atomic<int> calls{0};
    std::string got;
    std::thread engine([state, round] {
      state->complete(finished("run-" + std::to_string(round)));
    });
    p.then([&](Result<RunResult> r) {
      ASSERT_TRUE(r);
      got = r->kickoff_id;
      calls.fetch_add(1);
    });
    engine.join();
    EXPECT_EQ(calls.load(), 1) << "round " << round;
    EXPECT_EQ(got, "run-" + std::to_string(round));
    std::lock_guard lock(state->mu);
    EXPECT_FALSE(state->then) << "round " << round;
  }
}

TEST(PendingStateTest, ThenAttachedFirstKeepsNoValueAfterCompletion) {
  auto state = std::make_shared<State>();
  Pending<RunResult> p(state);
  int calls = 0;
  p.then([&](Result<RunResult> r) {
    EXPECT_TRUE(r);
    ++calls;
  });
  std::thread engine([state] { state->complete(finished("a")); });
  engine.join();
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(p.ready());  // handed to the continuation, not stored
  std::lock_guard lock(state->mu);
  EXPECT_EQ(state->value, nullptr);
}

TEST(PendingStateTest, GetWaitsForAResultCompletedOnAnotherThread) {
  auto state = std::make_shared<State>();
  Pending<RunResult> p(state);
  EXPECT_FALSE(p.ready());
  std::thread engine([state] { state->complete(finished("b")); });
  auto r = p.get();
  engine.join();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kickoff_id, "b");
  EXPECT_EQ(r->state, RunState::success);
}

TEST(PendingStateTest, ReadyThenGetReturnsTheStoredResult) {
  auto state = std::make_shared<State>();
  Pending<RunResult> p(state);
  state->complete(make_error(ErrorCode::deadline_exceeded, "too long"));
  EXPECT_TRUE(p.ready());
  auto r = p.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::deadline_exceeded);
}

TEST(PendingStateTest, GetOnTheEngineThreadRefusesInsteadOfWaiting) {
  auto state = std::make_shared<State>();
  state->engine = std::this_thread::get_id();
  Pending<RunResult> p(state);
  auto r = p.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::internal);
  EXPECT_FALSE(state->start());  // not started yet: abandoned, so never sent
}

}  // namespace
}  // namespace crewai
