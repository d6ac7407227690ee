// crewctl/connection.hpp — a Client for one command: settings resolved (flags > env > profile),
// optionally pointed at an embedded simulator (--sim), with --verbose request tracing on stderr.
#pragma once

#include <memory>
#include <optional>

#include "config.hpp"
#include "crewai/client.hpp"
#include "embedded_sim.hpp"

namespace crewctl {

struct Connection {
  Settings settings;
  std::optional<EmbeddedSim> sim;  // declared before the client: destroyed after it
  std::unique_ptr<crewai::Client> client;
};

// Errors are printed by the caller (print_error) and mapped with exit_code_for.
crewai::Result<std::unique_ptr<Connection>> connect(const GlobalFlags& flags);

}  // namespace crewctl
