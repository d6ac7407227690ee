#include "crewai/sim/cli.hpp"

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <string_view>

#include <pthread.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>

#include "crewai/sim/server.hpp"
#include "text.hpp"

namespace crewai::sim {
namespace {

constexpr const char* kExamples = R"(Examples:
  crewai-sim --crew examples/crews/research.json --token dev --time-scale 0.001
  crewai-sim --crew examples/crews/approval.json --port 8080 --token-file tokens.txt
  crewai-sim --crew examples/crews/flow.json --dialect celery-legacy --errors fastapi
  crewai-sim --crew examples/crews/approval.json --dialect live --no-stop-route
  crewai-sim --crew examples/crews/research.json --seed 7 \
      --fault status:503=0.1,retry-after=1,latency=5-50 --fault kickoff:drop=0.05 \
      --fault run:stuck=0.01 --fault cold-start:requests=3,status=503
The first stdout line is "listening on HOST:PORT". SIGINT/SIGTERM stop the server cleanly.
Without --token/--token-file, $CREWAI_TOKEN is used, else a random token is generated and printed
once on stderr. Without --flow-secret, $CREWAI_FLOW_SECRET signs flow feedback requests, else they
go out unsigned.)";

std::string random_token() {
  std::random_device rd;
  static const char* kHex = "0123456789abcdef";
  std::string t = "sim-";
  for (int i = 0; i < 32; ++i) t += kHex[rd() % 16];
  return t;
}

void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

tl::expected<std::vector<std::string>, std::string> collect_tokens(const CliOptions& o) {
  std::vector<std::string> tokens = o.tokens;
  if (!o.token_file.empty()) {
    std::ifstream in(o.token_file);
    if (!in) return tl::unexpected<std::string>("cannot read token file " + o.token_file);
    for (std::string line; std::getline(in, line);) {
      const std::string_view token = detail::trim(line);
      if (!token.empty() && token[0] != '#') tokens.emplace_back(token);
    }
  }
  if (tokens.empty()) {
    if (const char* env = std::getenv("CREWAI_TOKEN"); env && *env) {
      tokens.emplace_back(env);
    } else {
      tokens.push_back(random_token());
      std::cerr << "crewai-sim: no token given; generated bearer token: " << tokens.back() << "\n";
    }
  }
  return tokens;
}

tl::expected<ServerOptions, std::string> build_options(const CliOptions& o) {
  ServerOptions s;
  auto crew = load_crew(o.crew);
  if (!crew) return tl::unexpected(crew.error());
  s.crew = std::move(*crew);
  nlohmann::json faults = nlohmann::json::object();
  if (!o.faults_file.empty()) {
    std::ifstream in(o.faults_file);
    if (!in) return tl::unexpected<std::string>("cannot open faults file " + o.faults_file);
    faults = nlohmann::json::parse(in, nullptr, false);
    if (faults.is_discarded()) return tl::unexpected<std::string>(o.faults_file + ": not valid JSON");
  }
  for (const auto& flag : o.fault_flags)
    if (auto ok = merge_fault_flag(flag, faults); !ok) return tl::unexpected(ok.error());
  auto parsed = parse_faults(faults);
  if (!parsed) return tl::unexpected("faults: " + parsed.error());
  s.faults = std::move(*parsed);
  auto dialect = parse_dialect(o.dialect);
  if (!dialect) return tl::unexpected(dialect.error());
  auto errors = parse_error_style(o.errors);
  if (!errors) return tl::unexpected(errors.error());
  auto tokens = collect_tokens(o);
  if (!tokens) return tl::unexpected(tokens.error());
  s.dialect = *dialect;
  s.errors = *errors;
  s.tokens = std::move(*tokens);
  s.host = o.host;
  s.port = o.port;
  s.time_scale = o.time_scale;
  s.seed = o.seed;
  s.max_body_bytes = o.max_body;
  s.reversed_status_path = o.compat_reversed_status;
  s.stop_route = !o.no_stop_route;
  s.threads = o.threads;
  s.flow_webhook_secret = o.flow_secret;
  if (s.flow_webhook_secret.empty())
    if (const char* env = std::getenv("CREWAI_FLOW_SECRET"); env) s.flow_webhook_secret = env;
  return s;
}

}  // namespace

void add_cli_options(CLI::App& app, CliOptions& o) {
  app.footer(kExamples);
  app.add_option("--crew", o.crew, "Crew script (JSON, see docs/simulator.md)")->required();
  app.add_option("--port", o.port, "TCP port; 0 picks a free one")->capture_default_str();
  app.add_option("--host", o.host, "Address to listen on")->capture_default_str();
  app.add_option("--token", o.tokens, "Accepted bearer token (repeatable)");
  app.add_option("--token-file", o.token_file, "File with accepted tokens, one per line");
  app.add_option("--dialect", o.dialect,
                 "Protocol dialect: amp (the docs) | live (as live deployments answer) | "
                 "celery-legacy | seed")
      ->capture_default_str()
      ->check(CLI::IsMember({"amp", "live", "celery-legacy", "seed"}));
  app.add_option("--errors", o.errors, "Error body style: docs | fastapi")
      ->capture_default_str()
      ->check(CLI::IsMember({"docs", "fastapi"}));
  app.add_option("--time-scale", o.time_scale, "Real seconds per crew second (0.001: 1 min in 60 ms)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", o.seed, "Seed for outcomes and faults")->capture_default_str();
  app.add_option("--faults", o.faults_file, "Fault configuration (JSON)");
  app.add_option("--fault", o.fault_flags,
                 "Inline fault, repeatable: SECTION:KEY=VALUE,... (see examples)");
  app.add_option("--max-body", o.max_body, "Largest accepted request body in bytes")
      ->capture_default_str();
  app.add_flag("--compat-reversed-status", o.compat_reversed_status,
               "Also serve GET /{id}/status (amp, celery-legacy)");
  app.add_flag("--no-stop-route", o.no_stop_route,
               "Serve no POST /stop/{id}: it answers the route 404 {\"detail\": \"Not Found\"}, "
               "as a deployment that cannot cancel runs does");
  app.add_option("--threads", o.threads, "I/O threads")->capture_default_str()->check(CLI::Range(1, 64));
  app.add_option("--flow-secret", o.flow_secret,
                 "HMAC secret signing flow feedback requests (X-Signature); never printed");
}

int run_cli(const CliOptions& o) {
  auto opts = build_options(o);
  if (!opts) {
    std::cerr << "crewai-sim: " << opts.error() << "\n";
    return 2;
  }
  raise_fd_limit();
  // Block the stop signals before any thread starts so that only sigwait below receives them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  auto server = Server::start(std::move(*opts));
  if (!server) {
    std::cerr << "crewai-sim: " << server.error() << "\n";
    return 1;
  }
  std::cout << "listening on " << (*server)->host() << ":" << (*server)->port() << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  (*server)->stop();
  std::cerr << "crewai-sim: stopped\n";
  return 0;
}

}  // namespace crewai::sim
