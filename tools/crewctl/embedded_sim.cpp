#include "embedded_sim.hpp"

#include <random>

namespace crewctl {

crewai::Result<EmbeddedSim> start_embedded_sim(const std::string& crew_path, double time_scale,
                                               const std::string& dialect) {
  auto crew = crewai::sim::load_crew(crew_path);
  if (!crew) {
    return crewai::make_error(crewai::ErrorCode::invalid_argument,
                              "--sim " + crew_path + ": " + crew.error());
  }
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token = "sim-";
  for (int i = 0; i < 32; ++i) token += kHex[rd() % 16];

  crewai::sim::ServerOptions opts;
  opts.crew = std::move(*crew);
  opts.host = "127.0.0.1";
  opts.port = 0;
  opts.tokens = {token};
  opts.time_scale = time_scale;
  opts.seed = rd();
  if (!dialect.empty()) {
    auto parsed = crewai::sim::parse_dialect(dialect);
    if (!parsed)
      return crewai::make_error(crewai::ErrorCode::invalid_argument, "--sim-dialect: " + parsed.error());
    opts.dialect = *parsed;
  }
  auto server = crewai::sim::Server::start(std::move(opts));
  if (!server) {
    return crewai::make_error(crewai::ErrorCode::unavailable,
                              "cannot start the embedded simulator: " + server.error());
  }
  EmbeddedSim sim;
  sim.base_url = (*server)->base_url();
  sim.server = std::move(*server);
  sim.token = std::move(token);
  return sim;
}

}  // namespace crewctl
