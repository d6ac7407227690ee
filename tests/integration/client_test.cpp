// crewai::Client against the in-process simulator: every call, dialect, error, retry rule, pause,
// deadline, cancellation, and 1,000 runs in flight. Conditions, not sleeps.
#include "crewai/client.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "crewai/sim/server.hpp"

namespace crewai {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const char* kToken = "test-token-7f3a";

json research_crew() {
  return json::parse(R"J({
    "name": "research", "inputs": ["topic", "current_year"],
    "pending_seconds": 1, "started_seconds": 1,
    "tasks": [
      {"name": "research", "agent": "Researcher", "duration": 10, "output": "notes on {topic}"},
      {"name": "write", "agent": "Writer", "duration": 10, "output": "report on {topic} ({current_year})"}
    ],
    "result": "Final report on {topic} for {current_year}",
    "failures": [{"when": {"input": "topic", "matches": "^fail"}, "message": "LLM quota exceeded"}]
  })J");
}

json approval_crew() {
  return json::parse(R"J({
    "name": "approval", "inputs": ["topic"],
    "tasks": [
      {"name": "draft", "agent": "Writer", "duration": 5, "output": "draft about {topic}",
       "human_input": true},
      {"name": "publish", "agent": "Editor", "duration": 5, "output": "published {topic}"}
    ],
    "result": "published {topic}"
  })J");
}

struct Sim {
  std::unique_ptr<sim::Server> server;
  explicit Sim(json crew, double time_scale = 0.001,
               std::function<void(sim::ServerOptions&)> tweak = nullptr) {
    sim::ServerOptions o;
    o.crew = sim::parse_crew(crew).value();
    o.tokens = {kToken};
    o.time_scale = time_scale;
    o.seed = 42;
    o.dialect = sim::Dialect::amp;  // these tests read the documented answers
    if (tweak) tweak(o);
    auto s = sim::Server::start(std::move(o));
    if (!s) throw std::runtime_error(s.error());
    server = std::move(*s);
  }
  json stats() const { return server->stats(); }
  std::int64_t kickoffs() const { return stats()["kickoffs"]["total"].get<std::int64_t>(); }
};

ClientOptions fast_options(const std::string& base_url) {
  ClientOptions o;
  o.base_url = base_url + "/";  // the trailing slash is trimmed
  o.token = kToken;
  o.poll.initial = 5ms;
  o.poll.growth = 1.2;
  o.poll.cap = 20ms;
  o.poll.deadline = 20s;
  o.poll.not_found_grace = 0ms;
  o.retry.backoff.initial = 5ms;
  o.retry.backoff.max = 50ms;
  o.retry.max_retry_after = 50ms;  // the simulator's Retry-After: 1 is clamped to keep tests quick
  o.random_seed = 7;
  return o;
}

Client make_client(const Sim& sim, std::function<void(ClientOptions&)> tweak = nullptr) {
  auto o = fast_options(sim.server->base_url());
  if (tweak) tweak(o);
  return Client::create(std::move(o)).value();
}

KickoffRequest topic(const std::string& t) {
  KickoffRequest r;
  r.inputs = {{"topic", t}, {"current_year", 2026}};
  return r;
}

TEST(ClientOptionsTest, RejectsBadUrlAndMissingToken) {
  ClientOptions o;
  o.base_url = "ftp://x";
  o.token = "t";
  auto c = Client::create(o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::invalid_argument);
  o.base_url = "http://127.0.0.1:1";
  o.token = "";
  EXPECT_FALSE(Client::create(o));
}

TEST(ClientOptionsTest, FromEnvNamesTheMissingVariable) {
  ::unsetenv("CREWAI_BASE_URL");
  ::unsetenv("CREWAI_DEPLOYMENT_URL");
  auto o = ClientOptions::from_env();
  ASSERT_FALSE(o);
  EXPECT_NE(o.error().message.find("CREWAI_BASE_URL"), std::string::npos);
  ::setenv("CREWAI_DEPLOYMENT_URL", "https://x.crewai.com/", 1);
  ::setenv("CREWAI_DEPLOYMENT_TOKEN", "secret-value", 1);
  ::setenv("CREWAI_MAX_RETRIES", "3", 1);
  ::setenv("CREWAI_POLL_INTERVAL", "2.5", 1);
  o = ClientOptions::from_env();
  ASSERT_TRUE(o) << o.error().to_string();
  EXPECT_EQ(o->token, "secret-value");
  EXPECT_EQ(o->retry.max_attempts, 4);
  EXPECT_EQ(o->poll.initial, 2500ms);
  ::setenv("CREWAI_TIMEOUT", "soon", 1);
  o = ClientOptions::from_env();
  ASSERT_FALSE(o);
  EXPECT_NE(o.error().message.find("CREWAI_TIMEOUT"), std::string::npos);
  EXPECT_EQ(o.error().message.find("secret-value"), std::string::npos);
  for (auto v : {"CREWAI_DEPLOYMENT_URL", "CREWAI_DEPLOYMENT_TOKEN", "CREWAI_MAX_RETRIES",
                 "CREWAI_POLL_INTERVAL", "CREWAI_TIMEOUT"}) {
    ::unsetenv(v);
  }
}

TEST(ClientTest, InputsListsTheCrewsNames) {
  Sim sim(research_crew());
  auto c = make_client(sim);
  auto names = c.inputs();
  ASSERT_TRUE(names) << names.error().to_string();
  EXPECT_EQ(*names, (std::vector<std::string>{"topic", "current_year"}));
}

TEST(ClientTest, RunSucceedsWithResultAndTimings) {
  Sim sim(research_crew());
  auto c = make_client(sim);
  auto r = c.run(topic("robots"));
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(r->is_success());
  EXPECT_EQ(r->state, RunState::success);
  EXPECT_FALSE(r->kickoff_id.empty());
  ASSERT_TRUE(r->result);
  EXPECT_EQ(*r->result, "Final report on robots for 2026");
  EXPECT_EQ(r->inputs["topic"], "robots");
  ASSERT_TRUE(r->started_at && r->finished_at && r->duration_seconds);
  EXPECT_GE(*r->duration_seconds, 0.0);
  EXPECT_EQ(sim.kickoffs(), 1);
}

TEST(ClientTest, FailedRunIsAResultNotAnError) {
  Sim sim(research_crew());
  auto c = make_client(sim);
  auto r = c.run(topic("fail: everything"));
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->state, RunState::failed);
  EXPECT_FALSE(r->is_success());
  EXPECT_NE(r->message.find("LLM quota exceeded"), std::string::npos) << r->message;
}

TEST(ClientTest, MissingInputsFailBeforeAnythingIsSpent) {
  Sim sim(research_crew());
  auto c = make_client(sim);
  KickoffRequest req;
  req.inputs = {{"topic", "x"}};
  auto r = c.run(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::invalid_input);
  EXPECT_EQ(r.error().missing_inputs, std::vector<std::string>{"current_year"});
  EXPECT_EQ(sim.kickoffs(), 0);
  // kickoff alone reaches the server and gets its 422.
  auto k = c.kickoff(req);
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, ErrorCode::invalid_input);
  EXPECT_EQ(k.error().http_status, 422);
  EXPECT_EQ(k.error().missing_inputs, std::vector<std::string>{"current_year"});
}

TEST(ClientTest, InputsThatAreNotUtf8AreRefusedBeforeSending) {
  Sim sim(research_crew());
  auto c = make_client(sim);
  KickoffRequest req;
  req.inputs = {{"topic", "caf\xE9"}, {"current_year", "2026"}};  // Latin-1, not UTF-8
  auto k = c.kickoff(req);
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, ErrorCode::invalid_argument);
  EXPECT_THAT(k.error().message,
              ::testing::HasSubstr("kickoff body contains a string that is not valid UTF-8"));
  auto r = c.run(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
  ResumeRequest resume;
  resume.execution_id = "x";
  resume.human_feedback = "\xC3";
  EXPECT_EQ(c.resume(resume).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(sim.kickoffs(), 0);
}

TEST(ClientTest, WrongTokenIsUnauthenticatedAndNeverEchoed) {
  Sim sim(research_crew());
  auto c = make_client(sim, [](ClientOptions& o) { o.token = "wrong-token-xyz"; });
  auto r = c.inputs();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::unauthenticated);
  EXPECT_EQ(r.error().http_status, 401);
  EXPECT_EQ(r.error().to_string().find("wrong-token-xyz"), std::string::npos);
}

TEST(ClientTest, UnknownIdIsNotFoundAfterTheGrace) {
  Sim sim(research_crew());
  auto c = make_client(sim, [](ClientOptions& o) { o.poll.not_found_grace = 100ms; });
  auto s = c.status("00000000-0000-0000-0000-000000000000");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::not_found);
  auto t0 = std::chrono::steady_clock::now();
  auto w = c.wait("00000000-0000-0000-0000-000000000000");
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::not_found);
  EXPECT_EQ(w.error().kickoff_id, "00000000-0000-0000-0000-000000000000");
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 100ms);  // it polled through the grace
}

TEST(ClientTest, CeleryLegacyDialect) {
  Sim sim(research_crew(), 0.001, [](sim::ServerOptions& o) { o.dialect = sim::Dialect::celery_legacy; });
  auto c = make_client(sim);
  auto ok = c.run(topic("a"));
  ASSERT_TRUE(ok) << ok.error().to_string();
  EXPECT_EQ(ok->state, RunState::success);
  auto bad = c.run(topic("fail now"));
  ASSERT_TRUE(bad) << bad.error().to_string();
  EXPECT_EQ(bad->state, RunState::failed);
  EXPECT_EQ(bad->raw_state, "FAILURE");
  auto nf = c.wait("no-such-run");
  ASSERT_FALSE(nf);
  EXPECT_EQ(nf.error().code, ErrorCode::not_found);
}

TEST(ClientTest, SeedDialectOnTheReversedPath) {
  Sim sim(research_crew(), 0.001, [](sim::ServerOptions& o) { o.dialect = sim::Dialect::seed; });
  auto c = make_client(sim, [](ClientOptions& o) { o.status_path = "/{id}/status"; });
  auto ok = c.run(topic("seeds"));
  ASSERT_TRUE(ok) << ok.error().to_string();
  EXPECT_EQ(ok->state, RunState::success);
  ASSERT_TRUE(ok->result);
  EXPECT_NE(ok->result->find("seeds"), std::string::npos);
  auto bad = c.run(topic("fail"));
  ASSERT_TRUE(bad) << bad.error().to_string();
  EXPECT_EQ(bad->state, RunState::failed);
}

TEST(ClientTest, FlowResultIsDecodedJson) {
  auto crew = json::parse(R"J({"name": "flow", "kind": "flow", "inputs": ["q"],
    "tasks": [{"name": "step", "duration": 2, "output": "thinking about {q}"}],
    "result_json": {"answer": "{q}", "score": 3}})J");
  Sim sim(crew);
  auto c = make_client(sim);
  KickoffRequest req;
  req.inputs = {{"q", "why"}};
  auto r = c.run(req);
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_TRUE(r->result_json.is_object()) << r->result_json.dump();
  EXPECT_EQ(r->result_json["answer"], "why");
  auto j = r->json();
  ASSERT_TRUE(j);
  EXPECT_EQ((*j)["score"], 3);
}

TEST(ClientTest, StatusRetriesRideThrough503And429WithoutASecondKickoff) {
  Sim sim(research_crew(), 0.001, [](sim::ServerOptions& o) {
    json f = {{"status", {{"errors", {{"503", 0.3}, {"429", 0.1}}}, {"retry_after", 1},
                          {"reset", 0.05}}}};
    o.faults = sim::parse_faults(f).value();
  });
  auto c = make_client(sim, [](ClientOptions& o) { o.retry.max_attempts = 12; });
  for (int i = 0; i < 5; ++i) {
    auto r = c.run(topic("t" + std::to_string(i)));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_TRUE(r->is_success());
  }
  EXPECT_EQ(sim.kickoffs(), 5);
  EXPECT_GT(c.stats().retries, 0u);
}

TEST(ClientTest, KickoffRetriedOnlyWhenTheAppProvablyRefused) {
  Sim sim(research_crew(), 0.001, [](sim::ServerOptions& o) {
    json f = {{"kickoff", {{"errors", {{"503", 0.5}}}, {"retry_after", 1}}}};
    o.faults = sim::parse_faults(f).value();
  });
  auto c = make_client(sim, [](ClientOptions& o) { o.retry.max_attempts = 20; });
  for (int i = 0; i < 4; ++i) {
    auto id = c.kickoff(topic("k" + std::to_string(i)));
    ASSERT_TRUE(id) << id.error().to_string();
  }
  EXPECT_EQ(sim.kickoffs(), 4);
}

TEST(ClientTest, DroppedKickoffAnswerIsAmbiguousAndNotRetried) {
  Sim sim(research_crew(), 0.001, [](sim::ServerOptions& o) {
    json f = {{"kickoff", {{"drop_response", 1.0}}}};
    o.faults = sim::parse_faults(f).value();
  });
  auto c = make_client(sim);
  auto id = c.kickoff(topic("lost"));
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().code, ErrorCode::ambiguous);
  EXPECT_FALSE(id.error().retry_safe);
  EXPECT_EQ(sim.kickoffs(), 1);  // the run exists; the client did not start a second one
}

TEST(ClientTest, Kickoff500IsAmbiguous) {
  Sim sim(research_crew(), 0.001, [](sim::ServerOptions& o) {
    json f = {{"kickoff", {{"errors", {{"500", 1.0}}}}}};
    o.faults = sim::parse_faults(f).value();
  });
  auto c = make_client(sim);
  auto id = c.kickoff(topic("x"));
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().code, ErrorCode::ambiguous);
  EXPECT_EQ(id.error().http_status, 500);
}

TEST(ClientTest, ConnectFailureIsUnavailableAndSafeToRetry) {
  ClientOptions o = fast_options("http://127.0.0.1:1");
  o.retry.max_attempts = 2;
  auto c = Client::create(o).value();
  auto id = c.kickoff(topic("x"));
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().code, ErrorCode::unavailable);
  EXPECT_TRUE(id.error().retry_safe);
}

TEST(ClientTest, DeadlineKeepsTheKickoffId) {
  auto crew = research_crew();
  crew["tasks"][0]["duration"] = 100000;
  Sim sim(crew, 1.0);
  auto c = make_client(sim);
  auto id = c.kickoff(topic("slow"));
  ASSERT_TRUE(id) << id.error().to_string();
  WaitOptions w;
  w.deadline = 150ms;
  auto r = c.wait(*id, w);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::deadline_exceeded);
  EXPECT_EQ(r.error().kickoff_id, *id);
}

TEST(ClientTest, StuckRunEndsAtTheDeadline) {
  Sim sim(research_crew(), 0.001, [](sim::ServerOptions& o) {
    o.faults = sim::parse_faults(json{{"stuck", 1.0}}).value();
  });
  auto c = make_client(sim, [](ClientOptions& o) { o.poll.deadline = 200ms; });
  auto r = c.run(topic("stuck"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::deadline_exceeded);
  EXPECT_FALSE(r.error().kickoff_id.empty());
}

TEST(ClientTest, PauseThenApproveAndReject) {
  Sim sim(approval_crew());
  auto c = make_client(sim);
  KickoffRequest req;
  req.inputs = {{"topic", "cats"}};
  auto r = c.run(req);
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_EQ(r->state, RunState::paused);
  ASSERT_TRUE(r->pause_task_id);
  ASSERT_TRUE(r->pause_task_output);
  EXPECT_NE(r->pause_task_output->find("draft about cats"), std::string::npos);

  ResumeRequest no;
  no.execution_id = r->kickoff_id;
  no.task_id = *r->pause_task_id;
  no.human_feedback = "more detail";
  no.is_approve = false;
  auto ack = c.resume(no);
  ASSERT_TRUE(ack) << ack.error().to_string();
  auto again = c.wait(r->kickoff_id);
  ASSERT_TRUE(again) << again.error().to_string();
  ASSERT_EQ(again->state, RunState::paused);
  ASSERT_TRUE(again->pause_task_output);
  EXPECT_NE(again->pause_task_output->find("more detail"), std::string::npos);

  ResumeRequest yes = no;
  yes.is_approve = true;
  yes.human_feedback = "ok";
  ASSERT_TRUE(c.resume(yes));
  auto done = c.wait(r->kickoff_id);
  ASSERT_TRUE(done) << done.error().to_string();
  EXPECT_EQ(done->state, RunState::success);

  auto not_paused = c.resume(yes);
  ASSERT_FALSE(not_paused);
  EXPECT_EQ(not_paused.error().code, ErrorCode::failed_precondition);
  ResumeRequest unknown = yes;
  unknown.execution_id = "nope";
  auto nf = c.resume(unknown);
  ASSERT_FALSE(nf);
  EXPECT_EQ(nf.error().code, ErrorCode::not_found);
}

TEST(ClientTest, ThousandRunsInFlightFromOneClient) {
  Sim sim(research_crew(), 0.002);
  auto c = make_client(sim, [](ClientOptions& o) { o.max_host_connections = 16; });
  constexpr int kRuns = 1000;
  std::atomic<int> ok{0}, done{0};
  std::promise<void> all;
  for (int i = 0; i < kRuns; ++i) {
    auto req = topic("t" + std::to_string(i));
    c.kickoff_async(req).then([&](Result<std::string> id) {
      if (!id) {
        if (++done == kRuns) all.set_value();
        return;
      }
      c.wait_async(*id).then([&](Result<RunResult> r) {
        if (r && r->is_success()) ++ok;
        if (++done == kRuns) all.set_value();
      });
    });
  }
  ASSERT_EQ(all.get_future().wait_for(60s), std::future_status::ready);
  EXPECT_EQ(ok.load(), kRuns);
  EXPECT_EQ(sim.kickoffs(), kRuns);
}

TEST(ClientTest, StopTokenCancelsAWait) {
  auto crew = research_crew();
  crew["tasks"][0]["duration"] = 100000;
  Sim sim(crew, 1.0);
  auto c = make_client(sim);
  auto id = c.kickoff(topic("slow")).value();
  std::stop_source stop;
  WaitOptions w;
  w.stop = stop.get_token();
  auto f = c.wait_async(id, w).future();
  EXPECT_EQ(f.wait_for(50ms), std::future_status::timeout);
  stop.request_stop();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  auto r = f.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::cancelled);
  EXPECT_EQ(r.error().kickoff_id, id);
}

TEST(ClientTest, DestroyingTheClientCancelsEverything) {
  auto crew = research_crew();
  crew["tasks"][0]["duration"] = 100000;
  Sim sim(crew, 1.0);
  std::vector<std::future<Result<RunResult>>> waits;
  std::atomic<int> callbacks{0};
  {
    auto c = make_client(sim);
    auto id = c.kickoff(topic("slow")).value();
    for (int i = 0; i < 10; ++i) waits.push_back(c.wait_async(id).future());
    c.wait_async(id).then([&](Result<RunResult> r) {
      if (!r && r.error().code == ErrorCode::cancelled) ++callbacks;
    });
  }
  for (auto& f : waits) {
    ASSERT_EQ(f.wait_for(0s), std::future_status::ready);
    auto r = f.get();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::cancelled);
  }
  EXPECT_EQ(callbacks.load(), 1);
}

TEST(ClientTest, SyncCallFromACallbackIsRefusedNotDeadlocked) {
  Sim sim(research_crew());
  auto c = make_client(sim);
  std::promise<ErrorCode> code;
  c.inputs_async().then([&](Result<std::vector<std::string>>) {
    auto inner = c.inputs();
    code.set_value(inner ? ErrorCode::internal : inner.error().code);
  });
  auto f = code.get_future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(f.get(), ErrorCode::internal);
}

TEST(ClientTest, TraceSeesEveryAttemptAndNoToken) {
  Sim sim(research_crew(), 0.001, [](sim::ServerOptions& o) {
    json f = {{"status", {{"errors", {{"503", 0.5}}}, {"retry_after", 1}}}};
    o.faults = sim::parse_faults(f).value();
  });
  std::mutex mu;
  std::vector<RequestEvent> events;
  auto c = make_client(sim, [&](ClientOptions& o) {
    o.retry.max_attempts = 20;
    o.trace = [&](const RequestEvent& e) {
      std::lock_guard lock(mu);
      events.push_back(e);
    };
  });
  ASSERT_TRUE(c.run(topic("traced")));
  std::lock_guard lock(mu);
  bool saw_retry = false;
  for (const auto& e : events) {
    EXPECT_EQ(e.path.find(kToken), std::string::npos);
    if (e.retry_in) saw_retry = true;
  }
  EXPECT_TRUE(saw_retry);
  EXPECT_EQ(events.front().path, "/inputs");
}

}  // namespace
}  // namespace crewai
