// A reading of a status body: every field parse_status fills but `raw`, as one JSON text (or the
// error's code and message). Two ways of reading the same body agree when their readings are equal
// (parse_status with RawBody::keep and with RawBody::drop).
#pragma once

#include <string>

#include "crewai/types.hpp"
#include "protocol/json_util.hpp"

namespace crewai::test_support {

template <class T>
Json or_null(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

inline std::string reading(const Result<RunResult>& r) {
  if (!r) return "error " + std::to_string(static_cast<int>(r.error().code)) + ": " + r.error().message;
  Json j = {{"kickoff_id", r->kickoff_id},
            {"state", to_string(r->state)},
            {"raw_state", r->raw_state},
            {"message", r->message},
            {"result", or_null(r->result)},
            {"result_json", r->result_json},
            {"usage_metrics", r->usage_metrics},
            {"last_executed_task", r->last_executed_task},
            {"flow_id", or_null(r->flow_id)},
            {"pause_task_id", or_null(r->pause_task_id)},
            {"pause_task_output", or_null(r->pause_task_output)}};
  if (const auto& p = r->progress) {
    j["progress"] = {{"unit", p->unit},
                     {"completed", or_null(p->completed)},
                     {"total", or_null(p->total)},
                     {"remaining", or_null(p->remaining)},
                     {"current", or_null(p->current)},
                     {"current_agent", or_null(p->current_agent)},
                     {"started_at", or_null(p->started_at)},
                     {"updated_at", or_null(p->updated_at)},
                     {"duration_seconds", or_null(p->duration_seconds)}};
  }
  return protocol::dump_json(j);
}

}  // namespace crewai::test_support
