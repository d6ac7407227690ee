// typed_output: a crew's result as a C++ struct, checked against a JSON Schema first.
//   CREWAI_BASE_URL=... CREWAI_TOKEN=... typed_output "why is the sky blue"
// The crew takes one input, `question`, and answers {"answer", "confidence", "sources"}; to try it
// locally: crewctl serve --crew examples/crews/qa.json --token dev --port 8000, then
//   CREWAI_BASE_URL=http://127.0.0.1:8000 CREWAI_TOKEN=dev typed_output "why is the sky blue"
// Works with results in result_json, in a JSON string (flows), or in a ```json block of text.
#include <iostream>

#include <crewai/client.hpp>

struct Answer {
  std::string answer;
  double confidence = 0;
  std::vector<std::string> sources;
};

void from_json(const crewai::Json& j, Answer& a) {
  j.at("answer").get_to(a.answer);
  a.confidence = j.value("confidence", 0.0);
  a.sources = j.value("sources", std::vector<std::string>{});
}

int main(int argc, char** argv) {
  auto options = crewai::ClientOptions::from_env();
  if (!options) return std::cerr << options.error().message << "\n", 2;
  auto client = crewai::Client::create(*options);
  if (!client) return std::cerr << client.error().to_string() << "\n", 2;

  crewai::KickoffRequest req;
  req.inputs = {{"question", argc > 1 ? argv[1] : "why is the sky blue"}};
  auto run = client->run(req);
  if (!run) return std::cerr << run.error().to_string() << "\n", 5;
  if (!run->is_success()) return std::cerr << "run ended " << run->raw_state << "\n", 1;

  const crewai::Json schema = crewai::Json::parse(R"({
    "type": "object", "required": ["answer"],
    "properties": {"answer": {"type": "string"}, "confidence": {"type": "number", "minimum": 0}}
  })");
  if (auto checked = run->validated(schema); !checked) {
    std::cerr << checked.error().message << "\n";
    for (const auto& v : checked.error().violations) std::cerr << "  " << v << "\n";
    return 1;
  }
  auto answer = run->as<Answer>();
  if (!answer) return std::cerr << answer.error().to_string() << "\n", 1;
  std::cout << answer->answer << " (confidence " << answer->confidence << ")\n";
  return 0;
}
