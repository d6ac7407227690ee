// Building the Client: settings, the embedded simulator, the verbose trace.
#include "connection.hpp"

#include <cstdio>

#include <fmt/format.h>

#include "output.hpp"

namespace crewctl {
namespace {

// Runs on the client's engine thread: one short write to stderr, no token (RequestEvent has none).
void trace_request(const crewai::RequestEvent& e) {
  std::string line = fmt::format("crewctl: {} {} -> ", e.method, e.path);
  line += e.http_status ? fmt::format("{}", e.http_status) : "transport error: " + e.transport_error;
  line += fmt::format(" in {} (attempt {})", format_seconds(e.seconds), e.attempt);
  if (e.retry_in) line += fmt::format(", retry in {}", format_seconds(e.retry_in->count() / 1000.0));
  line += "\n";
  std::fputs(line.c_str(), stderr);
}

}  // namespace

crewai::Result<std::unique_ptr<Connection>> connect(const GlobalFlags& flags) {
  bool use_sim = !flags.sim_crew.empty();
  if (use_sim && !flags.url.empty()) {
    // Silently preferring one would send the runs somewhere the user did not mean.
    return crewai::make_error(crewai::ErrorCode::invalid_argument,
                              "--sim runs an embedded simulator and --url names a deployment: "
                              "give only one");
  }
  auto settings = resolve_settings(flags, !use_sim);
  if (!settings) return tl::unexpected(settings.error());
  auto conn = std::make_unique<Connection>();
  conn->settings = std::move(*settings);
  if (use_sim) {
    auto sim = start_embedded_sim(flags.sim_crew, flags.sim_time_scale.value_or(kDefaultSimTimeScale),
                                  flags.sim_dialect);
    if (!sim) return tl::unexpected(sim.error());
    conn->settings.base_url = sim->base_url;
    conn->settings.token = sim->token;
    conn->sim = std::move(*sim);
  }
  crewai::ClientOptions opts = client_options(conn->settings);
  if (use_sim && !conn->settings.poll_interval_seconds) {
    // Simulated runs are short: poll them often so that the demo does not idle between polls.
    opts.poll.initial = crewai::Millis(200);
    opts.poll.cap = crewai::Millis(1000);
  }
  if (flags.listening && !conn->settings.poll_interval_seconds) {
    // With --listen a webhook ends each wait; polling is the fallback (a lost webhook), so it can be
    // slow: fewer requests per run.
    opts.poll.initial = use_sim ? crewai::Millis(2'000) : crewai::Millis(10'000);
    opts.poll.cap = use_sim ? crewai::Millis(10'000) : crewai::Millis(60'000);
  }
  if (flags.verbose) opts.trace = trace_request;
  auto client = crewai::Client::create(std::move(opts));
  if (!client) return tl::unexpected(client.error());
  conn->client = std::make_unique<crewai::Client>(std::move(*client));
  return conn;
}

}  // namespace crewctl
