// The simulator's core pieces without a server: the accept drain, the status-body memo, reason
// phrases, trim. The clock is the test's (Api::handle takes `now`).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

#include "accept.hpp"
#include "protocol/status.hpp"
#include "support/status_reading.hpp"
#include "api.hpp"
#include "text.hpp"
#include "wire.hpp"

namespace crewai::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// Connections the kernel has queued on a listening socket, not yet accepted (Linux reports the
// accept queue's length in tcpi_unacked for a listener).
unsigned queued(tcp::acceptor& a) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (getsockopt(a.native_handle(), IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return 0;
  return info.tcpi_unacked;
}

TEST(SimAccept, OneCallTakesEveryQueuedConnection) {
  net::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::address_v4::loopback(), 0));
  acceptor.non_blocking(true);
  constexpr unsigned kClients = 40;
  std::vector<tcp::socket> clients;
  for (unsigned i = 0; i < kClients; ++i) {
    clients.emplace_back(ioc);
    clients.back().connect(acceptor.local_endpoint());
  }
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (queued(acceptor) < kClients && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  ASSERT_EQ(queued(acceptor), kClients);
  std::vector<tcp::socket> taken;
  const auto n = sim::detail::accept_queued(
      acceptor, [&ioc] { return tcp::socket(ioc); },
      [&taken](tcp::socket s) { taken.push_back(std::move(s)); });
  EXPECT_EQ(n, kClients);
  EXPECT_EQ(taken.size(), kClients);
  EXPECT_EQ(queued(acceptor), 0u);
  EXPECT_EQ(sim::detail::accept_queued(
                acceptor, [&ioc] { return tcp::socket(ioc); }, [](tcp::socket) {}),
            0u);  // an empty queue: back at once, nothing taken
}

// The simulator's socket-free core with a one-task crew, on the test's clock.
class Core {
 public:
  explicit Core(const json& crew, sim::Dialect dialect = sim::Dialect::amp,
                const json& faults = json::object()) {
    auto parsed = sim::parse_crew(crew);
    if (!parsed) throw std::runtime_error(parsed.error());
    sim::ServerOptions o;
    o.crew = std::move(*parsed);
    o.dialect = dialect;
    o.time_scale = 1.0;
    auto f = sim::parse_faults(faults);
    if (!f) throw std::runtime_error(f.error());
    o.faults = std::move(*f);
    api_ = std::make_unique<sim::detail::Api>(o);
  }
  sim::detail::Response call(const std::string& method, const std::string& target,
                             const std::string& body = {}) {
    return api_->handle({method, target, "", body}, now_);
  }
  std::string kickoff(const json& inputs) {
    auto r = call("POST", "/kickoff", json{{"inputs", inputs}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body).value("kickoff_id", "");
  }
  json status(const std::string& id) {
    auto r = call("GET", "/status/" + id);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  }
  json bodies() const { return api_->stats(now_)["status_bodies"]; }
  void advance(std::chrono::milliseconds d) { now_ += d; }

 private:
  std::unique_ptr<sim::detail::Api> api_;
  sim::detail::Clock::time_point now_ = sim::detail::Clock::time_point{} + 1h;
};

json one_task_crew(double duration, bool human_input, const std::string& output) {
  return {{"name", "memo_crew"},
          {"inputs", {"topic"}},
          {"pending_seconds", 1},
          {"started_seconds", 1},
          {"tasks",
           {{{"name", "draft"},
             {"agent", "Writer"},
             {"duration", duration},
             {"output", output},
             {"human_input", human_input}}}},
          {"result", "Done: {topic}"}};
}

json without_elapsed(json status) {
  EXPECT_TRUE(status["progress"]["duration_seconds"].is_number()) << status.dump();
  status["progress"].erase("duration_seconds");
  return status;
}

TEST(SimStatusMemo, AnUnchangedRunIsRenderedOnceAndOnlyItsElapsedTimeMoves) {
  Core core(one_task_crew(100, false, "Draft about {topic}"));
  const auto id = core.kickoff({{"topic", "memo"}});
  core.advance(3s);  // RUNNING draft
  const json first = core.status(id);
  EXPECT_EQ(first["state"], "RUNNING");
  for (int i = 0; i < 4; ++i) {
    core.advance(1s);
    EXPECT_EQ(without_elapsed(core.status(id)), without_elapsed(first));
  }
  EXPECT_EQ(core.bodies(), (json{{"rendered", 1}, {"reused", 4}}));
  core.advance(200s);  // SUCCESS: another view, rendered again, then reused whole
  const json done = core.status(id);
  EXPECT_EQ(done["state"], "SUCCESS");
  EXPECT_EQ(core.status(id), done);
  EXPECT_EQ(core.bodies(), (json{{"rendered", 2}, {"reused", 5}}));
}

// A reject at the very instant of the pause, on a task that takes no time, leaves the view as it
// was (PAUSED again on the same task, same timestamps): only the run's revision tells the memo that
// the output changed.
TEST(SimStatusMemo, ARunChangedWithoutAnotherViewIsRenderedAgain) {
  Core core(one_task_crew(0, true, "Draft about {topic}"));
  const auto id = core.kickoff({{"topic", "memo"}});
  core.advance(2s);
  const json paused = core.status(id);
  ASSERT_EQ(paused["state"], "PAUSED") << paused.dump();
  auto r = core.call("POST", "/resume",
                     json{{"execution_id", id}, {"is_approve", false}, {"human_feedback", "shorter"}}
                         .dump());
  ASSERT_EQ(r.status, 200) << r.body;
  const json again = core.status(id);
  ASSERT_EQ(again["state"], "PAUSED") << again.dump();
  EXPECT_NE(again["result"].get<std::string>().find("with human feedback: shorter"),
            std::string::npos)
      << again.dump();
  EXPECT_EQ(core.bodies()["rendered"], 2);
}

// The polls' fast path (protocol::peek_running_state) against every dialect the simulator speaks,
// over a whole run whose texts carry the state word: while the run goes on it reads the state the
// full parse reads; at the end it steps aside. The read that keeps no body (RawBody::drop) reads
// every body as the full parse does.
TEST(SimStatusPeek, EveryDialectAgreesWithTheFullParse) {
  for (auto dialect : {sim::Dialect::amp, sim::Dialect::celery_legacy, sim::Dialect::seed,
                       sim::Dialect::live}) {
    SCOPED_TRACE(sim::dialect_name(dialect));
    Core core(one_task_crew(3, false, R"(Draft {"state": "RUNNING"} about {topic})"), dialect);
    const auto id = core.kickoff({{"topic", "\"state\":\"PENDING\""}});
    int going = 0;
    bool ended = false;
    for (int step = 0; step < 12 && !ended; ++step) {
      auto r = core.call("GET", "/status/" + id);
      ASSERT_EQ(r.status, 200) << r.body;
      auto full = protocol::parse_status(r.body, id);
      ASSERT_TRUE(full) << full.error().message << " in " << r.body;
      EXPECT_EQ(test_support::reading(full),
                test_support::reading(protocol::parse_status(r.body, id, protocol::RawBody::drop)))
          << r.body;
      auto peeked = protocol::peek_running_state(r.body);
      if (peeked) {
        EXPECT_EQ(*peeked, full->state) << r.body;
        ++going;
      } else {
        EXPECT_TRUE(stops_polling(full->state)) << r.body;
        ended = true;
      }
      core.advance(1s);
    }
    EXPECT_TRUE(ended);
    EXPECT_GE(going, 3);  // pending, started, running at least once each
  }
}

// The elapsed-time marker inside the memo is found by its text; a client string equal to it must
// come back as the client sent it, never with a number spliced in.
TEST(SimStatusMemo, AClientStringEqualToTheMarkerComesBackVerbatim) {
  Core core(one_task_crew(10, true, "{topic}"));
  const std::string marker = "\x01" "elapsed\x01";
  const auto id = core.kickoff({{"topic", marker}});
  core.advance(15s);  // PAUSED, its output the topic: in progress, so its elapsed time shows
  for (int i = 0; i < 2; ++i) {
    const json s = core.status(id);
    ASSERT_EQ(s["state"], "PAUSED") << s.dump();
    EXPECT_EQ(s["result"], marker);
    EXPECT_EQ(s["last_executed_task"]["output"], marker);
    EXPECT_TRUE(s["progress"]["duration_seconds"].is_number()) << s.dump();
  }
  EXPECT_EQ(core.bodies()["reused"], 0);
  // The celery dialect shows no elapsed time: its body is kept whole, the client's string as sent.
  Core celery(one_task_crew(10, true, "{topic}"), sim::Dialect::celery_legacy);
  const auto cid = celery.kickoff({{"topic", marker}});
  celery.advance(15s);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(celery.status(cid)["result"], marker);
  EXPECT_EQ(celery.bodies(), (json{{"rendered", 1}, {"reused", 1}}));
}

TEST(SimReason, ErrorBodiesNameBeastsReasonPhrase) {
  const json faults = {{"status", {{"errors", {{"409", 1.0}}}}}};
  Core core(one_task_crew(10, false, "x"), sim::Dialect::amp, faults);
  auto conflict = core.call("GET", "/status/any");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(json::parse(conflict.body),
            (json{{"error", "Conflict"}, {"message", "Conflict (injected)"}}));
  Core odd(one_task_crew(10, false, "x"), sim::Dialect::amp,
           {{"status", {{"errors", {{"555", 1.0}}}}}});
  EXPECT_EQ(json::parse(odd.call("GET", "/status/any").body)["error"], "Error");  // Beast has none
  EXPECT_EQ(json::parse(core.call("GET", "/nowhere").body)["error"], "Not Found");
}

// The answer's bytes are written out by hand for speed; they must stay exactly Beast's.
TEST(SimWire, BytesAreWhatBeastsSerializerWrites) {
  using sim::detail::Response;
  Response plain;
  plain.body = R"({"state":"RUNNING"})";
  Response refused;
  refused.status = 405;
  refused.body = R"({"detail":"Method Not Allowed"})";
  refused.headers = {{"Allow", "POST"}, {"Retry-After", "2"}};
  Response odd;
  odd.status = 555;
  odd.content_type = "text/plain";
  const std::vector<std::tuple<Response, unsigned, bool>> cases = {
      {plain, 11, true}, {plain, 11, false}, {plain, 10, true}, {refused, 11, true}, {odd, 11, false}};
  for (const auto& [response, version, keep] : cases) {
    auto message = sim::detail::to_message(Response(response), version, keep);
    std::ostringstream beast;
    beast << message;
    EXPECT_EQ(sim::detail::wire_bytes(message), beast.str());
  }
}

TEST(SimText, TrimAndDump) {
  EXPECT_EQ(sim::detail::trim(" \t token \r\n"), "token");
  EXPECT_EQ(sim::detail::trim(" \r\n"), "");
  EXPECT_EQ(sim::detail::dump_json({{"b", 1}, {"a", std::string("\xff")}}),
            "{\"a\":\"\xEF\xBF\xBD\",\"b\":1}");  // sorted, compact, invalid UTF-8 replaced
}

}  // namespace
}  // namespace crewai::test
