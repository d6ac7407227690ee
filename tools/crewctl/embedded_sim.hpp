// crewctl/embedded_sim.hpp — `--sim CREW.json`: the simulator in this process on 127.0.0.1:0 with a
// random token, so that a command runs without any deployment. The token is never printed.
#pragma once

#include <memory>
#include <string>

#include "crewai/error.hpp"
#include "crewai/sim/server.hpp"

namespace crewctl {

// Default real seconds per crew second under --sim: the research crew (125 crew seconds) runs in
// about 1.25 s, so `make demo` (100 topics) shows progress for a few seconds and ends well within
// a minute.
inline constexpr double kDefaultSimTimeScale = 0.01;

struct EmbeddedSim {
  std::unique_ptr<crewai::sim::Server> server;
  std::string base_url;
  std::string token;
};

// `dialect`: a --dialect name of the simulator; empty: its default (crewai::sim::kDefaultDialect).
crewai::Result<EmbeddedSim> start_embedded_sim(const std::string& crew_path, double time_scale,
                                               const std::string& dialect = {});

}  // namespace crewctl
