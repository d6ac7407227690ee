// sim_fixture.hpp — the simulator in-process for a test: 127.0.0.1, port 0, token "test-token".
// Stops (and joins its threads) on destruction.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "crewai/sim/server.hpp"

namespace crewai::test {

inline constexpr const char* kSimToken = "test-token";

// examples/crews/<name>.json of this source tree.
inline std::string crew_path(const std::string& name) {
  std::filesystem::path root;
  if (const char* env = std::getenv("CREWAI_SOURCE_DIR"); env && *env) root = env;
  else root = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
  return (root / "examples" / "crews" / (name + ".json")).string();
}

// Requests the simulator answered on `endpoint` (e.g. "GET /status"), with HTTP `code` or any.
inline std::int64_t count_requests(const nlohmann::json& stats, const std::string& endpoint,
                                   const std::string& code = "") {
  std::int64_t n = 0;
  const nlohmann::json by_code = stats["requests"].value(endpoint, nlohmann::json::object());  // kept: items() would dangle
  for (const auto& [c, v] : by_code.items()) {
    if (code.empty() || c == code) n += v.get<std::int64_t>();
  }
  return n;
}

class SimFixture {
 public:
  // `crew` is a name under examples/crews ("research") or a path to a crew file. `tweak` may change
  // any option before the server starts (dialect, faults, time scale...). Default time scale: 0.001.
  explicit SimFixture(const std::string& crew,
                      const std::function<void(sim::ServerOptions&)>& tweak = {}) {
    std::string path = crew.find('/') == std::string::npos ? crew_path(crew) : crew;
    auto loaded = sim::load_crew(path);
    if (!loaded) throw std::runtime_error("SimFixture: " + loaded.error());
    sim::ServerOptions opts;
    opts.crew = std::move(*loaded);
    opts.tokens = {kSimToken};
    opts.time_scale = 0.001;
    // The documented API unless a test asks for another dialect (`o.dialect = Dialect::live`), so
    // that moving the simulator's default does not change what these tests assert.
    opts.dialect = sim::Dialect::amp;
    if (tweak) tweak(opts);
    auto server = sim::Server::start(std::move(opts));
    if (!server) throw std::runtime_error("SimFixture: " + server.error());
    server_ = std::move(*server);
  }

  std::string base_url() const { return server_->base_url(); }
  std::uint16_t port() const { return server_->port(); }
  nlohmann::json stats() const { return server_->stats(); }
  sim::Server& server() { return *server_; }

 private:
  std::unique_ptr<sim::Server> server_;
};

}  // namespace crewai::test
