// Security checks: the token never reaches stdout, stderr, output files, the journal or traces; TLS
// is verified by default (a self-signed local HTTPS endpoint is refused unless its certificate is the
// CA bundle); the simulator refuses requests without the token on every path, /_sim/* included.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>

#include "cli/cli_fixture.hpp"
#include "crewai/client.hpp"
#include "integration/sim_http.hpp"
#include "support/raw_http_server.hpp"
#include "transport/engine.hpp"

namespace crewai::test {
namespace {

constexpr const char* kToken = "tok-Zq8VfX3mW9-secret-4417";
constexpr const char* kWrongToken = "tok-Wrong-Kp2RtY-4418";
constexpr const char* kHitlSecret = "hitl-Secret-Bn5Gh-4419";

class TokenTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    write("token.txt", std::string(kToken) + "\n");
  }

  // Fails the test when a secret appears in this run's output or in any file crewctl wrote.
  void expect_clean(const ProcResult& r, const std::string& what) {
    for (const char* secret : {kToken, kWrongToken, kHitlSecret}) {
      EXPECT_EQ(r.out.find(secret), std::string::npos) << what << ": stdout\n" << r.out;
      EXPECT_EQ(r.err.find(secret), std::string::npos) << what << ": stderr\n" << r.err;
      for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_)) {
        if (!entry.is_regular_file()) continue;
        auto name = entry.path().filename().string();
        if (name == "token.txt" || name.ends_with(".stdin")) continue;  // our own inputs
        EXPECT_EQ(read_file(entry.path()).find(secret), std::string::npos)
            << what << ": " << entry.path();
      }
    }
  }

  std::vector<std::string> with_url(const SimFixture& sim, std::vector<std::string> args) const {
    args.insert(args.end(), {"--url", sim.base_url()});
    return args;
  }
};

std::string topics(int n) {
  std::string text;
  for (int i = 0; i < n; ++i) {
    text += R"({"topic": "t)" + std::to_string(i) + R"(", "current_year": "2026"})" "\n";
  }
  return text;
}

TEST_F(TokenTest, TheTokenIsNeverWrittenAnywhere) {
  SimFixture sim("research", [](sim::ServerOptions& o) { o.tokens = {kToken}; });
  const std::vector<std::string> flag = {"--token", kToken};
  const std::vector<std::string> file = {"--token-file", path("token.txt")};
  auto args = [&](std::vector<std::string> a, const std::vector<std::string>& how) {
    a.insert(a.end(), how.begin(), how.end());
    return with_url(sim, a);
  };
  auto in = write("in.jsonl", topics(5));

  auto r = crewctl(args({"inputs", "--verbose"}, flag));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  expect_clean(r, "inputs --verbose");
  expect_clean(crewctl(args({"inputs", "--json", "--verbose"}, file)), "inputs --json");
  expect_clean(crewctl(with_url(sim, {"inputs", "--verbose"}), {{"CREWAI_TOKEN", kToken}}), "env token");
  expect_clean(crewctl(with_url(sim, {"inputs", "--token-stdin", "--json"}), {}, std::string(kToken) + "\n"),
               "token on stdin");

  r = crewctl(args({"kickoff", "-i", "topic=x", "-i", "current_year=2026", "--wait", "--verbose",
                    "--json", "--poll-interval", "0.02", "--human-input-webhook",
                    "http://127.0.0.1:9/hitl", "--human-input-bearer", kHitlSecret},
                   flag));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  expect_clean(r, "kickoff --wait");
  auto id = Json::parse(r.out, nullptr, false).value("kickoff_id", std::string());
  ASSERT_FALSE(id.empty()) << r.out;
  expect_clean(crewctl(args({"status", id, "--verbose", "--json"}, flag)), "status");
  expect_clean(crewctl(args({"wait", id, "--verbose"}, file)), "wait");

  r = crewctl(args({"batch", in, "-o", path("out.jsonl"), "--journal", path("b.journal"), "--verbose",
                    "--json", "--summary-json", path("summary.json"), "--poll-interval", "0.02"},
                   flag));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(std::filesystem::exists(path("b.journal")));
  expect_clean(r, "batch");  // scans out.jsonl, summary.json and the journal's bytes (+ -wal/-shm)

  // Refused or failing calls: the 401, a batch refused by the deployment, an unreachable URL.
  r = crewctl(with_url(sim, {"inputs", "--verbose", "--json", "--token", kWrongToken}));
  EXPECT_EQ(r.exit_code, 5);
  expect_clean(r, "401");
  r = crewctl(with_url(sim, {"batch", in, "-o", path("out401.jsonl"), "--journal", path("j401"),
                             "--verbose", "--token", kWrongToken}));
  EXPECT_NE(r.exit_code, 0);
  expect_clean(r, "batch 401");
  r = crewctl({"inputs", "--url", "http://127.0.0.1:9", "--token", kToken, "--verbose", "--json",
               "--max-retries", "0"});
  EXPECT_EQ(r.exit_code, 5);
  expect_clean(r, "unreachable");
}

TEST(TokenTrace, TracesAndErrorsNeverCarryTheToken) {
  SimFixture sim("research", [](sim::ServerOptions& o) { o.tokens = {kToken}; });
  std::vector<RequestEvent> events;
  std::mutex mu;
  auto make = [&](const std::string& token) {
    ClientOptions o;
    o.base_url = sim.base_url();
    o.token = token;
    o.poll.initial = std::chrono::milliseconds(5);
    o.trace = [&](const RequestEvent& e) {
      std::lock_guard lock(mu);
      events.push_back(e);
    };
    return Client::create(o).value();
  };
  std::vector<std::string> texts;
  {
    auto c = make(kToken);
    KickoffRequest req;
    req.inputs = {{"topic", "x"}, {"current_year", "2026"}};
    req.human_input_webhook = HumanInputWebhook{"http://127.0.0.1:9/h", HumanInputWebhook::Auth::bearer,
                                                kHitlSecret, "", ""};
    auto r = c.run(req);
    ASSERT_TRUE(r) << r.error().to_string();
    texts.push_back(r->raw.dump());
    auto missing = c.status("no-such-run");
    ASSERT_FALSE(missing);
    texts.push_back(missing.error().to_string());
  }
  {
    auto c = make(kWrongToken);
    auto r = c.inputs();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::unauthenticated);
    texts.push_back(r.error().to_string());
  }
  ASSERT_FALSE(events.empty());
  for (const auto& e : events) {
    texts.push_back(e.method + " " + e.path + " " + std::to_string(e.http_status) + " " + e.transport_error);
  }
  for (const auto& t : texts) {
    for (const char* secret : {kToken, kWrongToken, kHitlSecret}) {
      EXPECT_EQ(t.find(secret), std::string::npos) << t;
    }
  }
}

// --- TLS: a self-signed local HTTPS endpoint ---------------------------------------------------

bool accepts(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

class TlsTest : public CliTest {
 protected:
  // openssl s_server with a certificate made now for 127.0.0.1; retried on another port when the
  // chosen one was taken in the meantime.
  void start_server() {
    std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                      "-addext subjectAltName=IP:127.0.0.1 -keyout '" + path("key.pem") + "' -out '" +
                      path("cert.pem") + "' >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "the openssl CLI is needed (scripts/bootstrap installs it)";
    for (int attempt = 0; attempt < 5 && !server_; ++attempt) {
      port_ = unused_loopback_port();
      server_ = std::make_unique<Child>(
          std::vector<std::string>{"/usr/bin/openssl", "s_server", "-accept",
                                   "127.0.0.1:" + std::to_string(port_), "-cert", path("cert.pem"),
                                   "-key", path("key.pem"), "-www", "-quiet"},
          env_, "", path("tls.out"), path("tls.err"));
      if (!wait_until([&] { return accepts(port_); }, std::chrono::seconds(10))) server_.reset();
    }
    ASSERT_TRUE(server_) << read_file(path("tls.err"));
  }
  void TearDown() override {
    if (server_) {
      server_->signal(SIGTERM);
      server_->wait(std::chrono::seconds(10));
    }
    CliTest::TearDown();
  }
  Result<std::vector<std::string>> inputs(const std::string& ca_bundle) {
    ClientOptions o;
    o.base_url = "https://127.0.0.1:" + std::to_string(port_);
    o.token = kToken;
    o.ca_bundle = ca_bundle;
    o.retry = RetryPolicy::none();
    return Client::create(o).value().inputs();
  }
  std::unique_ptr<Child> server_;
  std::uint16_t port_ = 0;
};

TEST_F(TlsTest, SelfSignedEndpointIsRefusedUnlessItsCertificateIsTheCaBundle) {
  start_server();
  auto refused = inputs("");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::unavailable) << refused.error().to_string();
  auto msg = refused.error().to_string();
  EXPECT_TRUE(msg.find("certificate") != std::string::npos || msg.find("SSL") != std::string::npos) << msg;

  // With the certificate as the CA bundle the handshake succeeds: s_server's HTML status page is
  // then not an /inputs answer (a protocol error), but no TLS error.
  auto trusted = inputs(path("cert.pem"));
  if (!trusted) {
    auto m = trusted.error().to_string();
    EXPECT_NE(trusted.error().code, ErrorCode::unavailable) << m;
    EXPECT_EQ(m.find("certificate"), std::string::npos) << m;
  }

  auto cli = crewctl({"inputs", "--url", "https://127.0.0.1:" + std::to_string(port_), "--token", kToken,
                      "--max-retries", "0"});
  EXPECT_EQ(cli.exit_code, 5) << cli.err;
  EXPECT_NE(cli.err.find("certificate"), std::string::npos) << cli.err;
}

// The engine keeps its easy handles between requests (issue 13, point 2); the HTTP version is the
// one option that depends on the URL's scheme (1.1 for plain http, curl's default for https), so
// one handle going http -> https -> http must work every time.
TEST_F(TlsTest, OneEngineHandleGoesFromPlainHttpToHttpsAndBack) {
  start_server();
  WebhookReceiver plain;
  transport::EngineOptions options;
  options.max_host_connections = 1;  // one transfer at a time: one easy handle
  options.ca_bundle = path("cert.pem");
  transport::Engine engine(options);
  auto fetch = [&engine](std::string method, std::string url) {
    transport::Request req;
    req.method = std::move(method);
    req.url = std::move(url);
    req.headers = {"Content-Type: application/json"};
    req.body = req.method == "POST" ? "{}" : "";
    auto done = std::make_shared<std::promise<transport::Response>>();
    auto answer = done->get_future();
    engine.submit(std::move(req), [done](transport::Response r) { done->set_value(std::move(r)); });
    EXPECT_EQ(answer.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    return answer.get();
  };
  const auto first = fetch("POST", plain.url("/first"));
  EXPECT_EQ(first.failure, transport::Failure::none) << first.error;
  const auto tls = fetch("GET", "https://127.0.0.1:" + std::to_string(port_) + "/");
  EXPECT_EQ(tls.failure, transport::Failure::none) << tls.error;
  EXPECT_EQ(tls.status, 200);
  const auto again = fetch("POST", plain.url("/again"));
  EXPECT_EQ(again.failure, transport::Failure::none) << again.error;
  EXPECT_EQ(plain.wait_for("/again", 1).size(), 1u);
}

// --- the simulator's authentication ---------------------------------------------------------------

TEST(SimAuth, EveryPathRefusesRequestsWithoutTheToken) {
  SimFixture sim("approval");
  HttpClient good(sim.base_url());
  good.set_token(kSimToken);
  auto kicked = good.post("/kickoff", Json{{"inputs", {{"topic", "x"}}}});
  ASSERT_EQ(kicked.status, 200) << kicked.body;
  std::string id = kicked.json()["kickoff_id"];
  auto before = sim.stats();

  struct Call {
    std::string method, target, body;
  };
  const std::vector<Call> calls = {
      {"GET", "/", ""},
      {"GET", "/inputs", ""},
      {"POST", "/kickoff", R"({"inputs": {"topic": "y"}})"},
      {"GET", "/status/" + id, ""},
      {"GET", "/" + id + "/status", ""},
      {"POST", "/resume", R"({"execution_id": ")" + id + R"(", "task_id": "t", "human_feedback": "ok", "is_approve": true})"},
      {"GET", "/_sim/stats", ""},
      {"POST", "/_sim/reset", ""},
      {"POST", "/_sim/faults", R"({"all": {"errors": {"503": 1.0}}})"},
      {"GET", "/no/such/path", ""},
      {"DELETE", "/kickoff", ""},
  };
  const std::vector<std::string> credentials = {
      "",  // no Authorization header
      "Bearer ",
      "Bearer wrong-token",
      std::string("Bearer ") + kSimToken + "x",
      std::string("Bearer ") + std::string(kSimToken).substr(1),
      std::string("Basic ") + "dGVzdC10b2tlbjp0ZXN0LXRva2Vu",
      kSimToken,  // the token without the scheme
  };
  int refused = 0;
  for (const auto& cred : credentials) {
    HttpClient bad(sim.base_url());
    if (!cred.empty()) bad.set_header("Authorization", cred);
    for (const auto& c : calls) {
      auto r = bad.request(c.method, c.target, c.body);
      EXPECT_EQ(r.status, 401) << c.method << " " << c.target << " with '" << cred << "': " << r.body;
      EXPECT_EQ(r.body.find(kSimToken), std::string::npos) << r.body;
      refused += r.status == 401;
    }
  }
  // Nothing happened: no run, no reset, no fault took effect.
  auto after = sim.stats();
  EXPECT_EQ(after["kickoffs"], before["kickoffs"]);
  EXPECT_EQ(good.get("/inputs").status, 200);
  auto counted = after["requests"].dump();
  EXPECT_GE(after["requests"]["POST /kickoff"].value("200", 0), 1) << counted;
  std::printf("security: sim-auth refused=%d of %zu\n", refused, calls.size() * credentials.size());
}

}  // namespace
}  // namespace crewai::test
