// bench/status_read_bench.cpp — the SDK's own work per request of a batch, one piece at a time:
// reading a run's final status body, peeking at a RUNNING one, and writing a kickoff body. These
// were the largest items of crewctl's own code in the engine thread's profile (callgrind, issue
// 13): the final read alone ~60 K instructions per item. Google Benchmark; prints ns per call,
// asserts nothing. Run: build/release/bench/status_read_bench [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <string>

#include "protocol/json_util.hpp"
#include "protocol/requests.hpp"
#include "protocol/status.hpp"

namespace {

// A research-crew run's last answer, as `crewctl serve` sends it (examples/crews/research.json).
constexpr const char* kFinalBody =
    R"({"events":[{"task":null,"type":"crew_kickoff_started"},{"task":"research_task","type":"task_started"},)"
    R"({"task":"research_task","type":"task_completed"},{"task":"analysis_task","type":"task_started"},)"
    R"({"task":"analysis_task","type":"task_completed"},{"task":"reporting_task","type":"task_started"},)"
    R"({"task":"reporting_task","type":"task_completed"},{"task":null,"type":"crew_kickoff_completed"}],)"
    R"("events_by_type":{"crew_kickoff_completed":1,"crew_kickoff_started":1,"task_completed":3,"task_started":3},)"
    R"("events_count":8,"execution_origin":"api","flow_id":null,)"
    R"("last_event":{"task":null,"type":"crew_kickoff_completed"},"last_executed_task":"reporting_task",)"
    R"("last_step":null,"progress":{"completed":3,"current":null,"current_agent":null,"duration_seconds":0.0615,)"
    R"("remaining":0,"started_at":"2026-12-01T18:44:41.671Z","total":3,"unit":"task",)"
    R"("updated_at":"2026-12-01T18:44:41.732Z"},)"
    R"("result":"# x in 2026\n\nAdoption, consolidation and cost shape x this year.",)"
    R"("result_json":{"sections":["adoption","consolidation","cost"],"title":"x in 2026"},)"
    R"("source":"application","state":"SUCCESS","status":null,)"
    R"("triggered_by":{"id":"crewai-sim","type":"service_account"},)"
    R"("usage_metrics":{"completion_tokens":2360,"prompt_tokens":7350,"successful_requests":3,"total_tokens":9710}})";

// The same run halfway.
constexpr const char* kRunningBody =
    R"({"events":[{"task":null,"type":"crew_kickoff_started"},{"task":"research_task","type":"task_started"},)"
    R"({"task":"research_task","type":"task_completed"},{"task":"analysis_task","type":"task_started"}],)"
    R"("events_by_type":{"crew_kickoff_started":1,"task_completed":1,"task_started":2},)"
    R"("events_count":4,"execution_origin":"api","flow_id":null,)"
    R"("last_event":{"task":"analysis_task","type":"task_started"},"last_executed_task":"research_task",)"
    R"("last_step":null,"progress":{"completed":1,"current":"analysis_task","current_agent":"Research Analyst",)"
    R"("duration_seconds":0.021,"remaining":2,"started_at":"2026-12-01T18:44:41.671Z","total":3,"unit":"task",)"
    R"("updated_at":"2026-12-01T18:44:41.692Z"},"result":null,"result_json":null,)"
    R"("source":"application","state":"RUNNING","status":"Task is Running",)"
    R"("triggered_by":{"id":"crewai-sim","type":"service_account"},"usage_metrics":null})";

const std::string kKickoffId = "3b65e0cc-0f74-4686-a4cf-d4c3d050798c";

// What a batch does with a run's last answer: every field read, no raw DOM kept.
void FinalStatus(benchmark::State& state) {
  for (auto _ : state) {
    auto r =
        crewai::protocol::parse_status(kFinalBody, kKickoffId, crewai::protocol::RawBody::drop);
    if (!r || r->state != crewai::RunState::success)
      state.SkipWithError("final body not read as SUCCESS");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(FinalStatus);

// What the SDK's own callers get (RawBody::keep): the whole body as a DOM besides.
void FinalStatusKeepRaw(benchmark::State& state) {
  for (auto _ : state) {
    auto r = crewai::protocol::parse_status(kFinalBody, kKickoffId);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(FinalStatusKeepRaw);

// Every poll of a run going on.
void RunningPeek(benchmark::State& state) {
  for (auto _ : state) {
    auto s = crewai::protocol::peek_running_state(kRunningBody);
    if (s != crewai::RunState::running) state.SkipWithError("running body not peeked as RUNNING");
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(RunningPeek);

// A wait's poll (read_poll, one scan): a run's last answer, and an answer while it runs. Before
// read_poll a poll peeked (RunningPeek's scan) and then, for the last answer, scanned again
// (FinalStatus): compare Poll/Final with the two added up.
void Poll(benchmark::State& state, const char* body, crewai::RunState want) {
  for (auto _ : state) {
    auto r = crewai::protocol::read_poll(body, kKickoffId, crewai::protocol::RawBody::drop);
    if (!r || r->state != want) state.SkipWithError("body not read in its state");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK_CAPTURE(Poll, Final, kFinalBody, crewai::RunState::success);
BENCHMARK_CAPTURE(Poll, Running, kRunningBody, crewai::RunState::running);

// The peek's scan of a run's last answer: what a poll spent before its final read, until read_poll.
void PeekFinal(benchmark::State& state) {
  for (auto _ : state) {
    auto s = crewai::protocol::peek_running_state(kFinalBody);
    if (s) state.SkipWithError("final body peeked as running");
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(PeekFinal);

// One kickoff's body, as crewctl batch sends it (inputs and a requestId).
void KickoffBody(benchmark::State& state) {
  crewai::KickoffRequest req;
  req.inputs = {{"topic", "topic 79"}, {"current_year", "2026"}};
  req.meta = {{"requestId", "c90245f4417c8622-79"}};
  for (auto _ : state) {
    auto text = crewai::protocol::dump_json_checked(crewai::protocol::kickoff_body(req, false));
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(KickoffBody);

}  // namespace

BENCHMARK_MAIN();
