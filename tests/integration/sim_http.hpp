// sim_http.hpp — a tiny blocking HTTP/1.1 client for simulator tests. One keep-alive connection,
// reopened when the server closes it. Every call is bounded by a timeout; not thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace crewai::test {

struct HttpResponse {
  int status = 0;                             // 0 when no answer came (see `reset`, `error`)
  std::map<std::string, std::string> headers; // lower-case names
  std::string body;
  bool reset = false;   // the connection was closed or reset before an answer arrived
  std::string error;    // transport error text, empty on success
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class HttpClient {
 public:
  explicit HttpClient(const std::string& base_url,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~HttpClient();
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;

  void set_header(const std::string& name, const std::string& value);  // sent with every request
  void clear_header(const std::string& name);
  void set_token(const std::string& token) { set_header("Authorization", "Bearer " + token); }

  HttpResponse get(const std::string& target) { return request("GET", target, {}); }
  HttpResponse post(const std::string& target, const std::string& body) {
    return request("POST", target, body);
  }
  HttpResponse post(const std::string& target, const nlohmann::json& body) {
    return request("POST", target, body.dump());
  }
  HttpResponse request(const std::string& method, const std::string& target, const std::string& body);
  // Sends raw bytes on a fresh connection and reads one answer (for malformed-HTTP tests).
  HttpResponse raw(const std::string& bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crewai::test

namespace crewai::test {

// Receives webhook POSTs on 127.0.0.1:0 (one thread, answers 200) and records them.
class WebhookReceiver {
 public:
  struct Hit {
    std::string target, authorization;
    nlohmann::json body;
    std::string raw;                             // the body's bytes as received
    std::map<std::string, std::string> headers;  // lower-case names
    std::string header(const std::string& lower_name) const {
      auto it = headers.find(lower_name);
      return it == headers.end() ? std::string() : it->second;
    }
  };
  WebhookReceiver();
  ~WebhookReceiver();
  std::string url(const std::string& path) const;  // "http://127.0.0.1:PORT" + path
  // Waits until at least `n` hits arrived on `path` (or the deadline passes); returns those hits.
  std::vector<Hit> wait_for(const std::string& path, std::size_t n,
                            std::chrono::milliseconds deadline = std::chrono::seconds(10));
  // Waits until `done` holds for the hits on `path` ("" = every path) or the deadline passes;
  // returns those hits, in arrival order.
  std::vector<Hit> wait_until(const std::string& path,
                              const std::function<bool(const std::vector<Hit>&)>& done,
                              std::chrono::milliseconds deadline = std::chrono::seconds(10));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crewai::test
