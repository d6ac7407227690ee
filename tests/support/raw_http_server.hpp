// tests/support/raw_http_server.hpp — a tiny scripted HTTP/1.1 server for transport tests.
//
// Listens on 127.0.0.1:0; one thread per connection (keep-alive, Content-Length bodies only).
// The handler runs on the connection's thread and decides the answer: a status/headers/body, a
// `hold` (the answer waits until release() or destruction — no sleeps), or a `reset` (the
// connection is closed without answering, after the whole request was read). Each request says
// which connection it came on and its place there, so a handler can script a kept-alive connection
// that dies on its second request. Counts requests and connections. The destructor
// releases held answers, closes every socket and joins every thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace crewai::test {

// A loopback port nothing listens on: bound to port 0, read, closed. A connect to it is refused
// (unless another process takes it meanwhile, which nothing on a test machine is expected to do);
// a server started on it gets a port the tests chose.
std::uint16_t unused_loopback_port();

struct RawRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::size_t connection = 0;     // 1-based, in accept order
  std::size_t on_connection = 0;  // 1 for the first request on its connection, 2 for the next...

  // The first header named `name` (case-insensitive), or "" when absent.
  std::string header(std::string_view name) const;
};

struct RawResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool hold = false;   // answer only after release() (or close without answering at teardown)
  bool reset = false;  // close the connection without answering
};

class RawHttpServer {
 public:
  using Handler = std::function<RawResponse(const RawRequest&)>;

  explicit RawHttpServer(Handler handler);
  ~RawHttpServer();
  RawHttpServer(const RawHttpServer&) = delete;
  RawHttpServer& operator=(const RawHttpServer&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::string url(std::string_view path = "/") const;

  // Lets every held answer (now and later) go out.
  void release();

  std::size_t requests() const;
  std::size_t connections() const;             // accepted so far
  std::size_t max_open_connections() const;    // most open at once
  std::vector<RawRequest> received() const;    // every request, in arrival order

  // Waits until at least `n` requests have arrived; false when `timeout` passes first.
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;

 private:
  void accept_loop();
  void serve(int fd, std::size_t connection);
  bool wait_release();  // true when released, false when stopping

  Handler handler_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread acceptor_;

  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  bool released_ = false;
  bool stopping_ = false;
  std::vector<int> open_fds_;
  std::vector<std::thread> workers_;
  std::vector<RawRequest> received_;
  std::size_t connections_ = 0;
  std::size_t max_open_ = 0;
};

}  // namespace crewai::test
