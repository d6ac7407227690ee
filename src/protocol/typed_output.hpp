// protocol/typed_output.hpp — JSON found in a crew's text result, and JSON Schema checks (valijson).
#pragma once

#include <optional>
#include <string_view>

#include "crewai/types.hpp"

namespace crewai::protocol {

// The JSON object or array in `text`: the whole text (a JSON string whose content is JSON is decoded
// twice), else the first fenced ```json ... ``` (or ``` ... ```) block, else the first balanced
// {...} / [...] substring that parses. A scalar alone does not count.
std::optional<Json> extract_json(std::string_view text);

// `value` unchanged when it matches `schema` (draft 7 unless $schema names draft 4 or 3).
// Otherwise ErrorCode::schema_violation with one "<json pointer>: <message>" per violation; an
// unreadable schema is ErrorCode::invalid_argument.
[[nodiscard]] Result<Json> validate_json(const Json& value, const Json& schema);

}  // namespace crewai::protocol
