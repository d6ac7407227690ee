// crewai/sim/server.hpp — a local AMP deployment: HTTP server on Boost.Beast coroutines that speaks
// the AMP protocol (AMP-API.md) for one crew script, with dialects, fault injection and accounting.
//
// Threading: start() binds and runs `threads` I/O threads (default one); every public member is safe to
// call from any other thread. stop() is idempotent, joins the threads and must not be called from a
// handler running on them. Runs live in memory and disappear with the server.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include "crewai/sim/options.hpp"

namespace crewai::sim {

class Server {
 public:
  static tl::expected<std::unique_ptr<Server>, std::string> start(ServerOptions opts);

  std::string host() const;
  std::uint16_t port() const;
  std::string base_url() const;  // "http://127.0.0.1:PORT"

  nlohmann::json stats() const;  // the body of GET /_sim/stats
  void reset_stats();            // POST /_sim/reset
  void set_faults(FaultConfig f);
  void stop();
  ~Server();

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace crewai::sim
