// crewai-sim: a local CrewAI AMP deployment for tests and demos.
#include <CLI/CLI.hpp>

#include "crewai/sim/cli.hpp"

int main(int argc, char** argv) {
  CLI::App app{"crewai-sim: a local CrewAI AMP deployment (simulator)"};
  crewai::sim::CliOptions opts;
  crewai::sim::add_cli_options(app, opts);
  CLI11_PARSE(app, argc, argv);
  return crewai::sim::run_cli(opts);
}
