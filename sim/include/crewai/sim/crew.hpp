// crewai/sim/crew.hpp — a crew script for the simulator: inputs, timed tasks, result templates,
// failure rules. Plain values; parse once, then share read-only between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

namespace crewai::sim {

struct TaskScript {
  std::string name;
  std::string agent;
  std::string description;
  std::string expected_output;
  double duration = 1.0;                   // crew seconds, before the server's time scale
  std::string output;                      // template with {input} placeholders
  std::optional<nlohmann::json> output_json;  // template: string values are substituted
  bool human_input = false;                // run pauses after this task until /resume approves
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
};

// When a run fails. `always`, a per-run `rate` (drawn from the run's seeded RNG), or `when` an input
// matches `pattern` (a regular expression; a pattern that is not a valid regex matches as a substring).
struct FailureRule {
  enum class Kind { always, rate, when };
  Kind kind = Kind::always;
  double rate = 0.0;
  std::string input;
  std::string pattern;
  std::shared_ptr<const std::regex> regex;  // null when `pattern` is matched as a substring
  std::string message = "Crew execution failed";
  std::size_t task_index = 0;               // the run fails when this task would finish
};

// A field of a flow's state model: what a flow's /inputs lists, typed as crewAI's (pydantic) state
// checks it. An input of the wrong JSON type fails the run; strings are never coerced.
struct StateField {
  enum class Type { string, integer, number, boolean, array, object, any };
  std::string name;
  Type type = Type::any;
  // The value a run starts with. Null: the type's empty value ("", 0, false, [], {}, null), and for
  // a field named "id" the run's kickoff id.
  nlohmann::json default_value;
};

struct Crew {
  std::string name;
  bool flow = false;                  // flow-like: result is a JSON string, progress total/remaining null
  std::vector<std::string> inputs;    // names; crews require all at kickoff (flows: see state)
  // Flows: the typed state model (inputs are its names, none required). Empty: untyped inputs.
  std::vector<StateField> state;
  std::vector<TaskScript> tasks;
  double pending_seconds = 1.0;       // crew seconds spent in PENDING, then in STARTED
  double started_seconds = 1.0;
  std::string result;                 // template
  std::optional<nlohmann::json> result_json;
  bool result_is_json_string = false;  // result is result_json serialised (implied by flow)
  std::vector<FailureRule> failures;
};

// Parse a crew script (format: docs/simulator.md). Errors name the offending field, e.g.
// "tasks[1].duration: must be a non-negative number".
tl::expected<Crew, std::string> parse_crew(const nlohmann::json& j);
tl::expected<Crew, std::string> load_crew(const std::string& path);

// Replace every `{name}` whose name is a key of `values` by its value (strings as-is, other JSON
// as its text). Unknown placeholders stay unchanged.
std::string render_template(const std::string& tmpl, const nlohmann::json& values);
// The same, applied to every string inside a JSON value (keys are left alone).
nlohmann::json render_json(const nlohmann::json& tmpl, const nlohmann::json& values);

// Names of crew inputs absent from `inputs` (an object), in crew order.
std::vector<std::string> missing_inputs(const Crew& crew, const nlohmann::json& inputs);

// The first failure rule that applies to a run with these inputs; `draw` is the run's uniform [0,1)
// draw for `rate` rules (one draw per rule, in order).
const FailureRule* select_failure(const Crew& crew, const nlohmann::json& inputs,
                                  const std::vector<double>& draws);

}  // namespace crewai::sim
