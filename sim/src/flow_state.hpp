// flow_state.hpp — a flow's typed state model: parsing it from a crew script and applying kickoff
// inputs to it the way crewAI's pydantic state would (no coercion: "2" is not an integer).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <tl/expected.hpp>
#include <vector>

#include "crewai/sim/crew.hpp"

namespace crewai::sim::detail {

// `state` of a crew script: [{"name", "type"?, "default"?}, ...]. Errors name the field, e.g.
// "state[1].type: must be one of string, integer, number, boolean, array, object, any".
tl::expected<std::vector<StateField>, std::string> parse_state(const nlohmann::json& j);

// A run's starting state: every field at its default (`kickoff_id` for an "id" without one).
nlohmann::json default_state(const std::vector<StateField>& fields, const std::string& kickoff_id);

// Sets the fields named in `inputs` on `state`. Untyped (no fields): every input is kept. Typed:
// names the model lacks are ignored, a value of the wrong type is left out and reported. Returns
// the failure message ("" when every value fits).
std::string apply_inputs(const std::vector<StateField>& fields, const nlohmann::json& inputs,
                         nlohmann::json& state);

}  // namespace crewai::sim::detail
