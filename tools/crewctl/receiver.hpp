// crewctl/receiver.hpp — `--listen`: a webhook receiver in the crewctl process.
//
// The deployment POSTs task, crew, step, human-input and streaming webhooks to URLs under
// `public_url`. Every URL carries a per-process secret in its path (task, crew and human-input
// webhooks carry no auth on the live service); streaming deliveries must also carry a generated
// bearer; flow feedback requests are HMAC-checked when a flow secret is configured. Anything else
// is refused (404 / 401 / 413 / 400) and counted, never acted on. Both secrets come from the
// CSPRNG in this process and never appear in output, logs, the journal or the command line.
//
// What an accepted webhook does: it wakes the waits of the runs it names (Client::on_webhook; the
// result still comes from GET /status), and a human-input request records the run's pause (task id
// and output, or a flow's callback URL) for watch()/await_pause(). Streamed events are kept,
// deduped and ordered per run, for --events-out.
//
// Threading: the HTTP server runs on its own thread; every public member is thread-safe.
// Destroy the Receiver before the Client it was given.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crewai/batch.hpp"
#include "crewai/client.hpp"
#include "crewai/webhooks.hpp"

namespace crewctl {

struct ReceiverOptions {
  std::string listen;       // HOST:PORT; port 0 picks a free one
  std::string public_url;   // what the deployment reaches; empty: http://<bound address>
  std::string flow_secret;  // checks flow feedback requests (X-Signature); empty: not checked
  // A signed flow request whose X-Timestamp is further than this from now is refused (a replay).
  std::chrono::seconds flow_max_age{300};
  std::function<std::int64_t()> unix_now;  // the clock of that check; empty: the system clock
  std::size_t max_body_bytes = 1u << 20;
  std::chrono::milliseconds request_timeout{10'000};  // a whole request must arrive within this
  std::size_t max_connections = 256;
  // Also ask for event streaming (the kickoff's `webhooks`) of these types (empty: all).
  bool stream_events = false;
  std::vector<std::string> event_types;
  bool events_realtime = false;
  bool quiet = false;  // -q: crewctl prints nothing about the receiver on stderr
};

// The socket-free core: routing, authentication, counting, pauses and events.
class WebhookDesk {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;
  struct Answer {
    int status = 200;
    std::string body;
  };

  // `secret` is the path secret, `bearer` the streaming token; `client` may be null (tests).
  WebhookDesk(std::string secret, std::string bearer, std::string flow_secret, crewai::Client* client,
              std::chrono::seconds flow_max_age = std::chrono::seconds(300),
              std::function<std::int64_t()> unix_now = {});

  // One request as received; `target` is the raw request target (path and query).
  Answer handle(std::string_view method, std::string_view target, const Headers& headers,
                std::string_view body);
  // Refusals the server decides before a request is whole: "too_large", "timeout", "malformed",
  // "busy" (over the connection cap).
  void count_rejection(const std::string& reason);

  // The URL of a webhook kind ("task", "crew", "step", "human", "events") under `public_url`.
  std::string url(const std::string& public_url, const std::string& kind) const;
  const std::string& bearer() const { return bearer_; }

  void watch(const std::string& kickoff_id, std::function<void(crewai::PauseNotice)> paused);
  void unwatch(const std::string& kickoff_id);
  std::optional<crewai::PauseNotice> await_pause(const std::string& kickoff_id,
                                                 std::chrono::steady_clock::time_point until);
  // Streamed events per execution id, deduped and in event order.
  std::map<std::string, std::vector<crewai::StreamEvent>> events() const;
  // Waits until each of `runs` has streamed its run-ending event, or `until`: deliveries come on the
  // deployment's schedule, so the last events may arrive after GET /status reads the run's end.
  void await_run_ends(const std::vector<std::string>& runs, std::chrono::steady_clock::time_point until);
  // {"accepted": {"task": n, ...}, "rejected": {"not_found": n, "unauthorized": n, ...}}
  crewai::Json counts() const;

 private:
  Answer accept(const std::string& kind, std::string_view body, const Headers& headers);
  Answer human_input(std::string_view body, const Headers& headers);
  Answer refuse(int status, const std::string& reason, std::string detail);
  void paused(crewai::PauseNotice n);

  const std::string secret_, bearer_, flow_secret_;
  crewai::Client* client_;
  const std::chrono::seconds flow_max_age_;
  const std::function<std::int64_t()> unix_now_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::uint64_t> accepted_, rejected_;
  std::map<std::string, crewai::PauseNotice> pauses_;  // by kickoff id
  std::map<std::string, std::function<void(crewai::PauseNotice)>> watchers_;
  std::map<std::string, std::vector<crewai::StreamEvent>> events_;
};

class Receiver final : public crewai::BatchWebhooks {
 public:
  // Binds and starts serving; errors name --listen / --public-url.
  static crewai::Result<std::unique_ptr<Receiver>> start(ReceiverOptions options, crewai::Client* client);
  ~Receiver() override;
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  std::string address() const;  // the bound HOST:PORT (no secret)
  bool quiet() const { return options_.quiet; }
  WebhookDesk& desk() { return *desk_; }

  void decorate(crewai::KickoffRequest& req) override;
  // The same URLs for a resume: the service carries none over from the kickoff.
  void decorate(crewai::ResumeRequest& req);
  void watch(const std::string& kickoff_id, std::function<void(crewai::PauseNotice)> paused) override {
    desk_->watch(kickoff_id, std::move(paused));
  }
  void unwatch(const std::string& kickoff_id) override { desk_->unwatch(kickoff_id); }

  struct Server;  // receiver_server.cpp

 private:
  Receiver() = default;
  std::unique_ptr<WebhookDesk> desk_;
  std::unique_ptr<Server> server_;
  ReceiverOptions options_;  // public_url filled in once bound
};

// 32 random bytes from the CSPRNG (OpenSSL RAND_bytes), as 64 lowercase hex digits.
std::string random_secret();

// "HOST:PORT" -> host and port; errors name --listen.
crewai::Result<std::pair<std::string, std::uint16_t>> parse_listen(const std::string& text);

}  // namespace crewctl
