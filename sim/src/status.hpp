// status.hpp — status bodies in each dialect.
#pragma once

#include <optional>
#include <string>

#include "crewai/sim/options.hpp"
#include "runs.hpp"

namespace crewai::sim::detail {

// The body of GET /status/{id} in `dialect`, or nullopt for an unknown id or a run that reads NOT
// FOUND. A run's body is rendered once per change of the run or of its view and kept in the run
// (Run::status_memo); only the elapsed seconds of a run in progress are written per request, so a
// poller reading a long run costs a copy, not a JSON document.
struct StatusBody {
  std::string text;
  bool reused = false;  // from the run's memo (false: rendered for this request)
};
std::optional<StatusBody> status_body(const RunStore& store, const std::string& id,
                                      Clock::time_point now, Dialect dialect);

// The parts, each with `elapsed` where a run in progress shows its running time (a number; a
// finished run's is computed from its view):
// AMP status object: every key present, null where unknown. `celery`: FAILURE spelling, progress null.
json amp_status(const RunStore& store, const Run& r, const View& v, bool celery, const json& elapsed);
json celery_not_found();  // also live's answer for an unknown id or a crew waiting for input
// The live dialect: the amp object with live's `status` (a message while running, the error text on
// FAILED, null on SUCCESS) and `result` null unless SUCCESS (or a flow's PAUSED).
json live_status(const RunStore& store, const Run& r, const View& v, const json& elapsed);
// The seed's expected shape: {"status": "pending|running|completed|error", "result": {"output"}, ...}.
json seed_status(const RunStore& store, const Run& r, const View& v, const json& elapsed);

std::string iso_time(const Run& r, Clock::time_point t);

}  // namespace crewai::sim::detail
