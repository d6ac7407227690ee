// quickstart: run a deployed crew once and print its result as JSON.
//   CREWAI_BASE_URL=https://my-crew.crewai.com CREWAI_TOKEN=... quickstart topic=robots current_year=2026
// (the inputs of examples/crews/research.json; `crewctl inputs` lists your crew's)
// Exit codes: 0 success, 1 run failed, 2 bad input or usage, 3 paused, 4 deadline passed, 5 call error.
#include <iostream>

#include <crewai/client.hpp>

int main(int argc, char** argv) {
  auto options = crewai::ClientOptions::from_env();
  if (!options) return std::cerr << options.error().message << "\n", 2;
  crewai::KickoffRequest req;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto eq = arg.find('=');
    if (eq == std::string::npos) {
      return std::cerr << "usage: quickstart key=value... (e.g. topic=robots current_year=2026)\n", 2;
    }
    req.inputs[arg.substr(0, eq)] = arg.substr(eq + 1);
  }
  auto client = crewai::Client::create(*options);
  if (!client) return std::cerr << client.error().to_string() << "\n", 2;
  auto run = client->run(req);  // checks /inputs, kicks off, polls with backoff under a deadline
  if (!run) {
    std::cerr << run.error().to_string() << "\n";
    auto code = run.error().code;
    if (code == crewai::ErrorCode::invalid_input) return 2;
    return code == crewai::ErrorCode::deadline_exceeded ? 4 : 5;
  }
  crewai::Json out = {{"kickoff_id", run->kickoff_id}, {"state", crewai::to_string(run->state)},
                      {"result", run->result.value_or("")}, {"result_json", run->result_json}};
  std::cout << out.dump(2) << "\n";
  if (run->is_paused()) return 3;
  return run->is_success() ? 0 : 1;
}
