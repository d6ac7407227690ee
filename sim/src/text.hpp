// text.hpp — the simulator's one JSON serialiser and one trim. The simulator stays independent of
// the SDK, so these are its own rather than protocol::dump_json / protocol::trim.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace crewai::sim::detail {

using nlohmann::json;

// Compact JSON with invalid UTF-8 replaced by U+FFFD: bodies echo client data and must never throw.
std::string dump_json(const json& j);

// `s` without leading and trailing blanks (space, tab, CR, LF).
std::string_view trim(std::string_view s);

}  // namespace crewai::sim::detail
