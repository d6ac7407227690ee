// crewai/sim/cli.hpp — the simulator's command line, shared by `crewai-sim` and `crewctl serve`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crewai/sim/server.hpp"

namespace CLI {
class App;
}

namespace crewai::sim {

struct CliOptions {
  std::string crew;
  std::uint16_t port = 0;
  std::string host = "127.0.0.1";
  std::vector<std::string> tokens;
  std::string token_file;
  std::string dialect = dialect_name(kDefaultDialect);
  std::string errors = "docs";
  double time_scale = 1.0;
  std::uint64_t seed = 0;
  std::string faults_file;
  std::vector<std::string> fault_flags;
  std::size_t max_body = 1 << 20;
  bool compat_reversed_status = false;
  bool no_stop_route = false;
  int threads = 1;
  std::string flow_secret;  // signs flow human-feedback requests; never printed
};

// Registers every option on `app` (flags are stored into `opts`, which must outlive parsing).
void add_cli_options(CLI::App& app, CliOptions& opts);

// Loads crew and faults, starts the server, prints "listening on HOST:PORT" as the first stdout
// line, blocks until SIGINT or SIGTERM, stops cleanly. Returns the process exit code (2 on bad
// options). Token: --token/--token-file, else $CREWAI_TOKEN, else a random token printed once on
// stderr. Flow request secret: --flow-secret, else $CREWAI_FLOW_SECRET, else unsigned requests.
int run_cli(const CliOptions& opts);

}  // namespace crewai::sim
