// crewctl's webhook receiver (issue 12 points 2 and 4): forged webhooks (no secret, wrong secret,
// wrong bearer, bad HMAC, oversized, slowloris, garbage) are refused, counted and never acted on,
// while the deployment's own webhooks get through; a batch given the receiver records every pause
// with the task id of its human-input webhook (live: while /status reads NOT FOUND) and a flow's
// with its callback URL. Threaded (the receiver's I/O thread, the client's, the batch's): TSan.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

#include "crewai/batch.hpp"
#include "receiver.hpp"
#include "sim/src/hooks.hpp"
#include "support/sim_fixture.hpp"

namespace crewai::test {
namespace {

using crewctl::Receiver;
using crewctl::ReceiverOptions;
using namespace std::chrono_literals;

int connect_to(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{10, 0};  // a safety net: every read below ends by the server's answer or close
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// One request on its own connection (Connection: close); the whole answer.
std::string round_trip(std::uint16_t port, const std::string& raw) {
  int fd = connect_to(port);
  if (fd < 0) return {};
  ::send(fd, raw.data(), raw.size(), MSG_NOSIGNAL);
  std::string out = read_all(fd);
  ::close(fd);
  return out;
}

std::string post(const std::string& target, const std::string& body,
                 const std::vector<std::string>& headers = {}) {
  std::string r = "POST " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n";
  for (const auto& h : headers) r += h + "\r\n";
  return r + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

int status_of(const std::string& answer) {
  return answer.size() > 12 ? std::atoi(answer.substr(9, 3).c_str()) : 0;
}

std::string path_of(const std::string& url) { return url.substr(url.find('/', std::string("http://").size())); }

std::uint16_t port_of(const Receiver& rx) {
  auto a = rx.address();
  return static_cast<std::uint16_t>(std::stoi(a.substr(a.rfind(':') + 1)));
}

TEST(Receiver, ForgedWebhooksAreRefusedCountedAndNeverActedOn) {
  ReceiverOptions o;
  o.listen = "127.0.0.1:0";
  o.flow_secret = "flow-secret";
  o.max_body_bytes = 4096;
  o.request_timeout = 300ms;
  o.stream_events = true;
  o.unix_now = [] { return std::int64_t{1796000000}; };
  auto rx = Receiver::start(o, nullptr);
  ASSERT_TRUE(rx) << rx.error().message;
  KickoffRequest urls;
  (*rx)->decorate(urls);
  const std::string human = path_of(urls.human_input_webhook->url), events = path_of(urls.webhooks->url);
  const std::string secret = human.substr(1, human.rfind('/') - 1);
  ASSERT_EQ(secret.size(), 64u);
  EXPECT_EQ((*rx)->address().find(secret), std::string::npos);
  const std::uint16_t port = port_of(**rx);
  const std::string pause = R"({"kickoff_id":"k1","task_id":"t1","task_output":"out"})";

  // A slowloris holds a connection open with half a request the whole time.
  int slow = connect_to(port);
  ASSERT_GE(slow, 0);
  std::string partial = "POST " + human + " HTTP/1.1\r\nHost: x\r\n";
  ::send(slow, partial.data(), partial.size(), MSG_NOSIGNAL);

  EXPECT_EQ(status_of(round_trip(port, post("/human", pause))), 404);
  EXPECT_EQ(status_of(round_trip(port, post("/" + std::string(64, 'a') + "/human", pause))), 404);
  std::string wrong = secret;
  wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
  EXPECT_EQ(status_of(round_trip(port, post("/" + wrong + "/human", pause))), 404);
  const std::string event = R"({"events":[{"id":"e1","execution_id":"k1","timestamp":"1","type":"task_started","data":{}}]})";
  EXPECT_EQ(status_of(round_trip(port, post(events, event))), 401);
  EXPECT_EQ(status_of(round_trip(port, post(events, event, {"Authorization: Bearer " + secret}))), 401);
  const std::string flow = R"({"event":"new_request","request":{"execution_id":"k2","method":"review","output":"x"},"callback_url":"http://d/flows/k2/feedback"})";
  EXPECT_EQ(status_of(round_trip(port, post(human, flow, {"X-Timestamp: 1", "X-Signature: sha256=" + std::string(64, '0')}))), 401);
  EXPECT_EQ(status_of(round_trip(port, post(human, flow))), 401);  // unsigned, and a secret is set
  EXPECT_EQ(status_of(round_trip(port, post(path_of(urls.task_webhook_url), std::string(8192, ' ')))), 413);
  round_trip(port, "GARBAGE\r\n\r\n");

  // The deployment's own requests still get in while the slowloris waits.
  auto deadline = std::chrono::steady_clock::now();
  EXPECT_FALSE((*rx)->desk().await_pause("k1", deadline)) << "a forged webhook was acted on";
  EXPECT_FALSE((*rx)->desk().await_pause("k2", deadline)) << "a forged webhook was acted on";
  EXPECT_TRUE((*rx)->desk().events().empty());
  EXPECT_EQ(status_of(round_trip(port, post(human, pause))), 200);
  const std::string ts = "1796000100";
  const std::string sig = crewai::sim::detail::hmac_sha256_hex("flow-secret", ts + "." + flow);
  const std::string old = "1795990000";  // a replay of a well-signed request, hours later
  const std::string old_sig = crewai::sim::detail::hmac_sha256_hex("flow-secret", old + "." + flow);
  EXPECT_EQ(status_of(round_trip(port, post(human, flow, {"X-Timestamp: " + old, "X-Signature: sha256=" + old_sig}))), 401);
  EXPECT_EQ(status_of(round_trip(port, post(human, flow, {"X-Timestamp: " + ts, "X-Signature: sha256=" + sig}))), 200);
  EXPECT_EQ(status_of(round_trip(port, post(events, event, {"Authorization: Bearer " + (*rx)->desk().bearer()}))), 200);
  // Deliveries repeat: the same event twice is kept once.
  EXPECT_EQ(status_of(round_trip(port, post(events, event, {"Authorization: Bearer " + (*rx)->desk().bearer()}))), 200);
  EXPECT_EQ((*rx)->desk().events()["k1"].size(), 1u);
  auto k1 = (*rx)->desk().await_pause("k1", std::chrono::steady_clock::now());
  ASSERT_TRUE(k1);
  EXPECT_EQ(k1->task_id, "t1");
  auto k2 = (*rx)->desk().await_pause("k2", std::chrono::steady_clock::now());
  ASSERT_TRUE(k2);
  EXPECT_EQ(k2->callback_url, "http://d/flows/k2/feedback");

  EXPECT_EQ(read_all(slow), "") << "the slowloris got an answer";  // closed by the request timeout
  ::close(slow);
  // The timeout closes the socket before its handler counts it: wait for the count.
  const auto until = std::chrono::steady_clock::now() + 5s;
  while ((*rx)->desk().counts()["rejected"].value("timeout", 0) == 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::yield();
  }
  const Json counts = (*rx)->desk().counts();
  EXPECT_EQ(counts["rejected"].value("not_found", 0), 3) << counts.dump();
  EXPECT_EQ(counts["rejected"].value("unauthorized", 0), 5) << counts.dump();
  EXPECT_EQ(counts["rejected"].value("too_large", 0), 1) << counts.dump();
  EXPECT_EQ(counts["rejected"].value("timeout", 0), 1) << counts.dump();
  EXPECT_EQ(counts["rejected"].value("malformed", 0), 1) << counts.dump();
  EXPECT_EQ(counts["accepted"], (Json{{"human", 1}, {"flow", 1}, {"events", 2}})) << counts.dump();
}

TEST(WebhookDesk, UrlsUnderAPublicPathPrefixGetInAndNothingElseDoes) {
  crewctl::WebhookDesk desk(crewctl::random_secret(), crewctl::random_secret(), "", nullptr);
  const std::string url = desk.url("https://hooks.example.com/tunnel/", "human");
  ASSERT_EQ(url.rfind("https://hooks.example.com/tunnel/", 0), 0u) << url;
  const std::string target = url.substr(std::string("https://hooks.example.com").size());
  const std::string pause = R"({"kickoff_id":"k","task_id":"t","task_output":"o"})";
  EXPECT_EQ(desk.handle("GET", target, {}, "").status, 405);
  EXPECT_EQ(desk.handle("POST", target + "?x=1", {}, pause).status, 200);
  EXPECT_EQ(desk.handle("POST", target.substr(0, target.rfind('/')) + "/unknown", {}, pause).status, 404);
  EXPECT_EQ(desk.handle("POST", "/tunnel/human", {}, pause).status, 404);
  EXPECT_EQ(desk.handle("POST", target, {}, "not json").status, 400);
  EXPECT_NE(crewctl::random_secret(), crewctl::random_secret());
  EXPECT_FALSE(crewctl::parse_listen("8080"));
  EXPECT_FALSE(crewctl::parse_listen("127.0.0.1:70000"));
  EXPECT_EQ(crewctl::parse_listen("[::1]:0")->first, "::1");
  EXPECT_EQ(crewctl::parse_listen(":9")->first, "127.0.0.1");
}

class ReceiverBatch : public ::testing::TestWithParam<sim::Dialect> {};

TEST_P(ReceiverBatch, PausesHeardOnTheWebhookAreRecordedWithTheirTaskIds) {
  SimFixture sim("approval", [](sim::ServerOptions& o) {
    o.dialect = GetParam();
    o.time_scale = 0.001;
  });
  ClientOptions co;
  co.base_url = sim.base_url();
  co.token = kSimToken;
  co.poll.initial = Millis(5'000);  // the webhooks end the waits, not the polls
  auto client = Client::create(co);
  ASSERT_TRUE(client);
  ReceiverOptions o;
  o.listen = "127.0.0.1:0";
  auto rx = Receiver::start(o, &*client);
  ASSERT_TRUE(rx) << rx.error().message;
  std::vector<BatchItem> items(20);
  for (std::size_t i = 0; i < items.size(); ++i) items[i].inputs = {{"topic", "t" + std::to_string(i)}};
  BatchOptions bo;
  bo.webhooks = rx->get();
  bo.max_concurrent = 20;
  auto batch = Batch::create(*client, std::move(items), bo);
  ASSERT_TRUE(batch);
  auto report = (*batch)->run();
  ASSERT_TRUE(report);
  for (const auto& r : report->records) {
    EXPECT_EQ(r.outcome, Outcome::paused) << r.error;
    ASSERT_TRUE(r.pause_task_id) << r.index;
    EXPECT_EQ(r.pause_task_output.value_or(""), "Draft post about t" + std::to_string(r.index) +
                                                    ": t" + std::to_string(r.index) + " is changing how teams work.");
  }
  const Json stats = sim.stats();
  EXPECT_EQ(stats["kickoffs"].value("total", 0), 20);
  EXPECT_LE(stats["requests"]["GET /status"].value("200", 0), 20 * 2) << "the webhook, not polling, ended the waits";
}

INSTANTIATE_TEST_SUITE_P(Dialects, ReceiverBatch, ::testing::Values(sim::Dialect::live, sim::Dialect::amp),
                         [](const auto& info) { return std::string(sim::dialect_name(info.param)); });

}  // namespace
}  // namespace crewai::test
