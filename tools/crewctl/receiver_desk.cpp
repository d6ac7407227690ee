// The receiver's socket-free core: which requests get in, and what an accepted webhook does.
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdlib>

#include "protocol/json_util.hpp"
#include "receiver.hpp"

namespace crewctl {
namespace {

using crewai::ErrorCode;
using crewai::make_error;

constexpr std::string_view kKinds[] = {"task", "crew", "step", "human", "events"};

// Streamed events after which the run's state is worth reading at once.
bool ends_run(const std::string& type) {
  return type == "crew_kickoff_completed" || type == "crew_kickoff_failed" || type == "flow_finished" ||
         type == "method_execution_failed";
}

bool same_secret(std::string_view given, const std::string& secret) {
  return given.size() == secret.size() && CRYPTO_memcmp(given.data(), secret.data(), secret.size()) == 0;
}

std::string header(const WebhookDesk::Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() &&
        std::equal(k.begin(), k.end(), name.begin(),
                   [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) ==
                                               std::tolower(static_cast<unsigned char>(b)); }))
      return v;
  }
  return {};
}

// The last two segments of the path: the secret and the kind. A prefix (a tunnel's or an
// ingress's path in --public-url) is allowed before them.
std::pair<std::string_view, std::string_view> secret_and_kind(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  auto last = path.rfind('/');
  if (last == std::string_view::npos) return {};
  std::string_view kind = path.substr(last + 1);
  path = path.substr(0, last);
  auto before = path.rfind('/');
  if (before == std::string_view::npos) return {};
  return {path.substr(before + 1), kind};
}

}  // namespace

std::string random_secret() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

crewai::Result<std::pair<std::string, std::uint16_t>> parse_listen(const std::string& text) {
  auto colon = text.rfind(':');
  auto bad = [&text](const std::string& why) {
    return make_error(ErrorCode::invalid_argument,
                      "--listen expects HOST:PORT (e.g. 127.0.0.1:0 or 0.0.0.0:8080), got \"" + text +
                          "\": " + why);
  };
  if (colon == std::string::npos) return bad("no port");
  std::string host = text.substr(0, colon), port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "127.0.0.1";
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    return bad("the port must be a number 0-65535");
  unsigned long n = std::stoul(port);
  if (n > 65535) return bad("the port must be a number 0-65535");
  return std::pair<std::string, std::uint16_t>(host, static_cast<std::uint16_t>(n));
}

WebhookDesk::WebhookDesk(std::string secret, std::string bearer, std::string flow_secret,
                         crewai::Client* client, std::chrono::seconds flow_max_age,
                         std::function<std::int64_t()> unix_now)
    : secret_(std::move(secret)), bearer_(std::move(bearer)), flow_secret_(std::move(flow_secret)),
      client_(client), flow_max_age_(flow_max_age), unix_now_(std::move(unix_now)) {}

std::string WebhookDesk::url(const std::string& public_url, const std::string& kind) const {
  std::string base = public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/" + secret_ + "/" + kind;
}

WebhookDesk::Answer WebhookDesk::refuse(int status, const std::string& reason, std::string detail) {
  count_rejection(reason);
  return {status, crewai::Json{{"detail", std::move(detail)}}.dump()};
}

void WebhookDesk::count_rejection(const std::string& reason) {
  std::lock_guard lock(mu_);
  ++rejected_[reason];
}

WebhookDesk::Answer WebhookDesk::handle(std::string_view method, std::string_view target,
                                        const Headers& headers, std::string_view body) {
  auto [secret, kind] = secret_and_kind(target);
  bool known = std::find(std::begin(kKinds), std::end(kKinds), kind) != std::end(kKinds);
  // One answer for a wrong secret and an unknown path: nothing tells a prober which part was wrong.
  if (!known || !same_secret(secret, secret_)) return refuse(404, "not_found", "Not Found");
  if (method != "POST") return refuse(405, "bad_request", "Method Not Allowed");
  if (kind == "events") {
    std::string auth = header(headers, "Authorization");
    if (!same_secret(auth, "Bearer " + bearer_)) return refuse(401, "unauthorized", "Unauthorized");
  }
  return accept(std::string(kind), body, headers);
}

WebhookDesk::Answer WebhookDesk::accept(const std::string& kind, std::string_view body,
                                        const Headers& headers) {
  if (kind == "human") return human_input(body, headers);
  if (kind == "events") {
    auto events = crewai::read_stream_events(body);
    if (!events) return refuse(400, "bad_request", "not a streaming delivery");
    bool wake = std::any_of(events->begin(), events->end(), [](const auto& e) { return ends_run(e.type); });
    if (wake && client_) client_->on_webhook(body);
    std::lock_guard lock(mu_);
    std::map<std::string, std::vector<crewai::StreamEvent>> by_run;
    for (auto& e : *events) by_run[e.execution_id].push_back(std::move(e));
    for (auto& [run, list] : by_run) crewai::merge_events(events_[run], std::move(list));
    ++accepted_["events"];
    cv_.notify_all();  // await_run_ends
    return {200, R"({"ok":true})"};
  } else {
    bool readable = kind == "task"   ? crewai::read_task_webhook(body).has_value()
                    : kind == "crew" ? crewai::read_crew_webhook(body).has_value()
                                     : crewai::protocol::parse_json(std::string(body)).has_value();
    if (!readable) return refuse(400, "bad_request", "not a " + kind + " webhook");
    std::lock_guard lock(mu_);
    ++accepted_[kind];
  }
  // A crew webhook says the run succeeded; a task webhook that a task ended, maybe the last one
  // (so a lost crew webhook still ends the wait at once): either makes the run's wait poll at once,
  // one poll each. Step webhooks come too often to be worth a poll.
  if ((kind == "crew" || kind == "task") && client_) client_->on_webhook(body);
  return {200, R"({"ok":true})"};
}

// A crew's human-input request, or a flow's signed new_request (both come to the human URL).
WebhookDesk::Answer WebhookDesk::human_input(std::string_view body, const Headers& headers) {
  auto parsed = crewai::protocol::parse_json(std::string(body));
  if (!parsed || !parsed->is_object()) return refuse(400, "bad_request", "not a JSON object");
  crewai::PauseNotice n;
  if (parsed->value("event", std::string()) == "new_request") {
    auto req = crewai::read_flow_request(body, headers, flow_secret_);
    if (!req && req.error().code == ErrorCode::unauthenticated)
      return refuse(401, "unauthorized", "bad signature");
    if (!req || req->execution_id.empty()) return refuse(400, "bad_request", "not a flow request");
    if (!flow_secret_.empty()) {
      // The signature covers the timestamp; its age is ours to judge: an old one is a replay.
      auto now = unix_now_ ? unix_now_()
                           : std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch()).count();
      auto ts = crewai::protocol::parse_json(header(headers, "X-Timestamp"));
      if (!ts || !ts->is_number_integer() || std::llabs(now - ts->get<std::int64_t>()) > flow_max_age_.count())
        return refuse(401, "unauthorized", "stale or missing timestamp");
    }
    n.kickoff_id = req->execution_id;
    n.task_id = req->method;
    n.task_output = req->output;
    n.callback_url = req->callback_url;
    std::lock_guard lock(mu_);
    ++accepted_["flow"];
  } else {
    auto req = crewai::read_human_input(body);
    if (!req) return refuse(400, "bad_request", "not a human-input request");
    n.kickoff_id = req->kickoff_id;
    n.task_id = req->task_id;
    n.task_output = req->task_output;
    std::lock_guard lock(mu_);
    ++accepted_["human"];
  }
  paused(std::move(n));
  if (client_) client_->on_webhook(body);
  return {200, R"({"ok":true})"};
}

void WebhookDesk::paused(crewai::PauseNotice n) {
  std::function<void(crewai::PauseNotice)> notify;
  {
    std::lock_guard lock(mu_);
    pauses_[n.kickoff_id] = n;
    if (auto it = watchers_.find(n.kickoff_id); it != watchers_.end()) {
      notify = std::move(it->second);
      watchers_.erase(it);
    }
  }
  cv_.notify_all();
  if (notify) notify(std::move(n));
}

void WebhookDesk::watch(const std::string& kickoff_id, std::function<void(crewai::PauseNotice)> cb) {
  std::optional<crewai::PauseNotice> known;
  {
    std::lock_guard lock(mu_);
    if (auto it = pauses_.find(kickoff_id); it != pauses_.end()) {
      known = it->second;
    } else {
      watchers_[kickoff_id] = std::move(cb);
    }
  }
  if (known) cb(std::move(*known));
}

void WebhookDesk::unwatch(const std::string& kickoff_id) {
  std::lock_guard lock(mu_);
  watchers_.erase(kickoff_id);
}

std::optional<crewai::PauseNotice> WebhookDesk::await_pause(const std::string& kickoff_id,
                                                            std::chrono::steady_clock::time_point until) {
  std::unique_lock lock(mu_);
  cv_.wait_until(lock, until, [&] { return pauses_.count(kickoff_id) > 0; });
  auto it = pauses_.find(kickoff_id);
  if (it == pauses_.end()) return std::nullopt;
  return it->second;
}

void WebhookDesk::await_run_ends(const std::vector<std::string>& runs,
                                 std::chrono::steady_clock::time_point until) {
  std::unique_lock lock(mu_);
  cv_.wait_until(lock, until, [&] {
    return std::all_of(runs.begin(), runs.end(), [&](const std::string& run) {
      auto it = events_.find(run);
      return it != events_.end() &&
             std::any_of(it->second.begin(), it->second.end(), [](const auto& e) { return ends_run(e.type); });
    });
  });
}

std::map<std::string, std::vector<crewai::StreamEvent>> WebhookDesk::events() const {
  std::lock_guard lock(mu_);
  return events_;
}

crewai::Json WebhookDesk::counts() const {
  std::lock_guard lock(mu_);
  return {{"accepted", accepted_}, {"rejected", rejected_}};
}

}  // namespace crewctl
