// status.hpp — status bodies in each dialect, and the broken bodies of the garbage faults.
#pragma once

#include <string>

#include "runs.hpp"

namespace crewai::sim::detail {

// AMP status object: every key present, null where unknown. `celery`: FAILURE spelling, progress null.
json amp_status(const RunStore& store, const Run& r, const View& v, bool celery);
json celery_not_found();  // also live's answer for an unknown id or a crew waiting for input
// The live dialect: the amp object with live's `status` (a message while running, the error text on
// FAILED, null on SUCCESS) and `result` null unless SUCCESS (or a flow's PAUSED).
json live_status(const RunStore& store, const Run& r, const View& v);
// The seed's expected shape: {"status": "pending|running|completed|error", "result": {"output"}, ...}.
json seed_status(const RunStore& store, const Run& r, const View& v);

std::string iso_time(const Run& r, Clock::time_point t);

}  // namespace crewai::sim::detail
