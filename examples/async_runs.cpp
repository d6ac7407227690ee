// async_runs: several runs at once from one Client, without a thread per run.
//   CREWAI_BASE_URL=... CREWAI_TOKEN=... async_runs robots oceans volcanoes
// Each *_async call returns a crewai::Pending: get() waits on the caller's thread, then(cb) runs
// `cb` on the engine thread (keep callbacks short).
#include <atomic>
#include <iostream>
#include <vector>

#include <crewai/client.hpp>

int main(int argc, char** argv) {
  auto options = crewai::ClientOptions::from_env();
  if (!options) return std::cerr << options.error().message << "\n", 2;
  auto client = crewai::Client::create(*options);
  if (!client) return std::cerr << client.error().to_string() << "\n", 2;

  std::vector<std::string> topics(argv + 1, argv + argc);
  if (topics.empty()) topics = {"AI agents", "robotics", "climate"};
  std::vector<crewai::Pending<crewai::RunResult>> runs;
  std::atomic<int> kicked{0};
  for (const auto& topic : topics) {
    crewai::KickoffRequest req;
    req.inputs = {{"topic", topic}, {"current_year", "2026"}};
    req.meta = {{"requestId", "async-example-" + topic}};
    runs.push_back(client->run_async(req));
  }
  // then(): runs on the engine thread when the answer arrives.
  client->inputs_async().then([&](crewai::Result<std::vector<std::string>> names) {
    if (names) kicked = static_cast<int>(names->size());
  });

  int failures = 0;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    auto r = runs[i].get();
    if (!r) {
      ++failures;
      std::cout << topics[i] << ": " << r.error().to_string() << "\n";
      continue;
    }
    std::cout << topics[i] << ": " << crewai::to_string(r->state) << " in "
              << r->duration_seconds.value_or(0) << " s: " << r->result.value_or("") << "\n";
    if (!r->is_success()) ++failures;
  }
  std::cout << "the crew takes " << kicked.load() << " inputs\n";
  return failures == 0 ? 0 : 1;
}
