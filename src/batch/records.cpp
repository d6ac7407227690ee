// Batch item records <-> JSON: the results file and the journal share this shape.
#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "crewai/batch.hpp"
#include "protocol/json_util.hpp"

namespace crewai {
namespace {

constexpr std::array<std::pair<Outcome, std::string_view>, kOutcomeCount> kOutcomes{{
    {Outcome::succeeded, "succeeded"},
    {Outcome::failed, "failed"},
    {Outcome::paused, "paused"},
    {Outcome::timeout, "timeout"},
    {Outcome::ambiguous, "ambiguous"},
    {Outcome::invalid, "invalid"},
    {Outcome::error, "error"},
    {Outcome::skipped, "skipped"},
    {Outcome::cancelled, "cancelled"},
}};

template <class T>
Json or_null(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

}  // namespace

std::string_view to_string(Outcome o) noexcept {
  for (const auto& [outcome, name] : kOutcomes) {
    if (outcome == o) return name;
  }
  return "unknown";
}

std::optional<Outcome> outcome_from_string(std::string_view s) noexcept {
  for (const auto& [outcome, name] : kOutcomes) {
    if (name == s) return outcome;
  }
  return std::nullopt;
}

Json to_json(const ItemRecord& r) {
  return Json{
      {"index", r.index},
      {"id", r.id},
      {"outcome", to_string(r.outcome)},
      {"request_id", r.request_id},
      {"kickoff_id", r.kickoff_id},
      {"kickoff_ids", r.kickoff_ids},
      {"attempts", r.attempts},
      {"result", or_null(r.result)},
      {"result_json", r.result_json},
      {"error", r.error.empty() ? Json() : Json(r.error)},  // null when there is none (docs/cli.md)
      {"run_state", r.run_state},
      {"pause_task_id", or_null(r.pause_task_id)},
      {"pause_task_output", or_null(r.pause_task_output)},
      {"pause_callback_url", or_null(r.pause_callback_url)},
      {"started_at", or_null(r.started_at)},
      {"finished_at", or_null(r.finished_at)},
      {"duration_seconds", or_null(r.duration_seconds)},
  };
}

Result<ItemRecord> record_from_json(const Json& j) {
  using protocol::get_int;
  using protocol::get_number;
  using protocol::get_string;
  if (!j.is_object()) return make_error(ErrorCode::protocol, "item record is not a JSON object");
  auto index = get_int(j, "index");
  if (!index || *index < 0) return make_error(ErrorCode::protocol, "item record has no index");
  auto outcome = outcome_from_string(get_string(j, "outcome").value_or(""));
  if (!outcome) return make_error(ErrorCode::protocol, "item record has no valid outcome");
  ItemRecord r;
  r.index = static_cast<std::size_t>(*index);
  r.outcome = *outcome;
  r.id = get_string(j, "id").value_or("");
  r.request_id = get_string(j, "request_id").value_or("");
  r.kickoff_id = get_string(j, "kickoff_id").value_or("");
  if (const Json& ids = protocol::member(j, "kickoff_ids"); ids.is_array()) {
    for (const auto& id : ids) {
      if (id.is_string()) r.kickoff_ids.push_back(id.get<std::string>());
    }
  }
  r.attempts = static_cast<int>(std::clamp<std::int64_t>(get_int(j, "attempts").value_or(0), 0, 1 << 30));
  r.result = get_string(j, "result");
  r.result_json = protocol::member(j, "result_json");
  r.error = get_string(j, "error").value_or("");
  r.run_state = get_string(j, "run_state").value_or("");
  r.pause_task_id = get_string(j, "pause_task_id");
  r.pause_task_output = get_string(j, "pause_task_output");
  r.pause_callback_url = get_string(j, "pause_callback_url");
  r.started_at = get_number(j, "started_at");
  r.finished_at = get_number(j, "finished_at");
  r.duration_seconds = get_number(j, "duration_seconds");
  return r;
}

}  // namespace crewai
