// crewai/sim/options.hpp — what a simulated deployment is: its crew, dialect, tokens, time scale,
// faults. Plain values; the server (server.hpp) and its socket-free core take them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "crewai/sim/crew.hpp"
#include "crewai/sim/faults.hpp"

namespace crewai::sim {

// amp: the documented API (AMP-API.md). live: what live deployments answered (its section "Live
// behaviour"): FastAPI bodies, NOT FOUND while a crew waits, camelCase /resume with a new kickoff id.
enum class Dialect { amp, celery_legacy, seed, live };
enum class ErrorStyle { docs, fastapi };  // {"error","message"} | {"detail": ...}

// The dialect of a simulator that was not told one: ServerOptions, `crewai-sim`/`crewctl serve`
// --dialect and crewctl's embedded --sim all start from this one constant.
inline constexpr Dialect kDefaultDialect = Dialect::live;

constexpr const char* dialect_name(Dialect d) {
  switch (d) {
    case Dialect::amp: return "amp";
    case Dialect::celery_legacy: return "celery-legacy";
    case Dialect::seed: return "seed";
    case Dialect::live: return "live";
  }
  return "amp";
}

struct ServerOptions {
  Crew crew;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;                 // 0 = ephemeral; read it back with Server::port()
  std::vector<std::string> tokens;        // accepted bearer tokens; empty = no auth check
  Dialect dialect = kDefaultDialect;
  ErrorStyle errors = ErrorStyle::docs;   // docs by default: 422 carries details.missing_inputs;
                                          // the live dialect always answers FastAPI bodies
  double time_scale = 1.0;                // real seconds per crew second (0.001: a minute in 60 ms)
  std::uint64_t seed = 0;
  FaultConfig faults;
  std::size_t max_body_bytes = 1 << 20;   // larger request bodies answer 413
  bool reversed_status_path = false;      // also serve GET /{id}/status in amp/celery-legacy
  // Serve POST /stop/{id} (amp and live only). Off, or in another dialect: /stop/... answers the
  // route 404 {"detail": "Not Found"}, as a deployment that cannot cancel runs does.
  bool stop_route = true;
  int threads = 1;
  // Signs a flow's human-feedback request (X-Signature, HMAC-SHA256 of "<X-Timestamp>.<body>").
  // Empty: the request goes out unsigned. Never logged, echoed or counted.
  std::string flow_webhook_secret;
  // The time runs advance by (null: the steady clock). A test that runs its client in virtual time
  // hands in the same clock's now(), so that runs take virtual time too. Injected latency still
  // waits in real time.
  std::function<std::chrono::steady_clock::time_point()> now;
};

tl::expected<Dialect, std::string> parse_dialect(const std::string& s);  // amp|celery-legacy|seed|live
tl::expected<ErrorStyle, std::string> parse_error_style(const std::string& s);  // docs|fastapi

}  // namespace crewai::sim
