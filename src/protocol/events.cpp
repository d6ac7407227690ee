// crewai/webhooks.hpp: the human-input, task, crew and streaming bodies, and the event order.
//
// Streaming deliveries repeat and arrive out of order (AMP-API.md, "Webhooks, live"), so events are
// identified by execution_id + id and ordered by their own timestamp, then emission_sequence.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <utility>

#include "crewai/webhooks.hpp"
#include "protocol/hitl.hpp"
#include "protocol/json_util.hpp"

namespace crewai {
namespace {

using protocol::excerpt;
using protocol::first_string;
using protocol::member;

[[nodiscard]] Result<Json> object_body(std::string_view body, const char* what) {
  auto j = protocol::try_parse(body);
  if (!j || !j->is_object())
    return make_error(ErrorCode::protocol,
                      std::string(what) + " body is not a JSON object: " + excerpt(body, 200));
  return std::move(*j);
}

std::string text_of(const Json& j, std::initializer_list<std::string_view> keys) {
  for (auto key : keys) {
    const Json& v = member(j, key);
    if (v.is_string()) return v.get<std::string>();
    if (!v.is_null()) return protocol::dump_json(v);
  }
  return {};
}

std::string kickoff_id_of(const Json& j) {
  return first_string(j, {"kickoff_id", "kickoffId", "execution_id", "executionId"}).value_or("");
}

// Seconds since the epoch of "2026-10-01T12:00:00.250+02:00" / "...Z" / "... 12:00:00" (UTC) or a
// number (epoch seconds, or milliseconds when it is that large). nullopt when unreadable.
std::optional<double> epoch_seconds(const Json& v) {
  if (v.is_number()) {
    double d = v.get<double>();
    return d > 1e11 ? d / 1000 : d;
  }
  if (!v.is_string()) return std::nullopt;
  const std::string& s = v.get_ref<const std::string&>();
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  double t = static_cast<double>(timegm(&tm));
  const char* rest = s.c_str() + consumed;
  if (*rest == '.') {
    char* end = nullptr;
    t += std::strtod(rest, &end);
    rest = end;
  }
  int oh = 0, om = 0;
  if ((*rest == '+' || *rest == '-') && std::sscanf(rest + 1, "%2d:%2d", &oh, &om) >= 1) {
    t -= (*rest == '+' ? 1 : -1) * (oh * 3600.0 + om * 60.0);
  }
  return t;
}

struct OrderKey {
  std::optional<double> at;
  std::optional<double> sequence;
};

OrderKey key_of(const StreamEvent& e) {
  OrderKey k;
  auto ts = protocol::try_parse(e.timestamp);
  k.at = epoch_seconds(ts ? *ts : Json(e.timestamp));
  const Json& seq = member(e.data, "emission_sequence");
  if (seq.is_number()) k.sequence = seq.get<double>();
  return k;
}

// Unknown values sort after known ones, so an event missing a timestamp does not jump the queue.
bool before(const OrderKey& a, const OrderKey& b) {
  if (a.at.has_value() != b.at.has_value()) return a.at.has_value();
  if (a.at && *a.at != *b.at) return *a.at < *b.at;
  if (a.sequence.has_value() != b.sequence.has_value()) return a.sequence.has_value();
  return a.sequence && *a.sequence < *b.sequence;
}

StreamEvent event_of(const Json& j) {
  StreamEvent e;
  e.id = text_of(j, {"id", "event_id", "eventId"});
  e.type = text_of(j, {"type", "event_type", "eventType"});
  e.timestamp = text_of(j, {"timestamp", "created_at"});
  e.data = member(j, "data");
  e.execution_id = first_string(j, {"execution_id", "executionId", "kickoff_id", "kickoffId"})
                       .value_or(kickoff_id_of(e.data));
  return e;
}

}  // namespace

Result<HumanInputRequest> read_human_input(std::string_view body) {
  auto p = protocol::parse_hitl_payload(body);
  if (!p) return tl::unexpected(p.error());
  auto j = protocol::try_parse(body);
  HumanInputRequest out;
  out.execution_id = first_string(*j, {"execution_id", "executionId"}).value_or(p->execution_id);
  out.kickoff_id = first_string(*j, {"kickoff_id", "kickoffId"}).value_or(p->execution_id);
  out.task_id = std::move(p->task_id);
  out.task_output = std::move(p->task_output);
  out.meta = std::move(p->meta);
  return out;
}

Result<TaskWebhook> read_task_webhook(std::string_view body) {
  auto j = object_body(body, "task webhook");
  if (!j) return tl::unexpected(j.error());
  TaskWebhook t;
  t.kickoff_id = kickoff_id_of(*j);
  if (t.kickoff_id.empty())
    return make_error(ErrorCode::protocol, "task webhook has no kickoff_id: " + excerpt(body, 200));
  t.name = text_of(*j, {"name", "task_name"});
  t.description = text_of(*j, {"description"});
  t.expected_output = text_of(*j, {"expected_output", "expectedOutput"});
  t.agent = text_of(*j, {"agent", "agent_role"});
  t.output = text_of(*j, {"output", "raw"});
  t.summary = text_of(*j, {"summary"});
  t.output_json = member(*j, "output_json");
  t.meta = member(*j, "meta");
  return t;
}

Result<CrewWebhook> read_crew_webhook(std::string_view body) {
  auto j = object_body(body, "crew webhook");
  if (!j) return tl::unexpected(j.error());
  CrewWebhook c;
  c.kickoff_id = kickoff_id_of(*j);
  if (c.kickoff_id.empty())
    return make_error(ErrorCode::protocol, "crew webhook has no kickoff_id: " + excerpt(body, 200));
  if (const Json& r = member(*j, "result"); !r.is_null()) c.result = text_of(*j, {"result"});
  const Json& rj = member(*j, "result_json");
  if (rj.is_string()) {
    auto decoded = protocol::try_parse(rj.get_ref<const std::string&>());
    if (decoded && (decoded->is_object() || decoded->is_array())) c.result_json = *decoded;
  } else {
    c.result_json = rj;
  }
  c.token_usage = member(*j, "token_usage");
  c.meta = member(*j, "meta");
  return c;
}

Result<std::vector<StreamEvent>> read_stream_events(std::string_view body) {
  auto j = object_body(body, "event stream");
  if (!j) return tl::unexpected(j.error());
  std::vector<StreamEvent> out;
  const Json& events = member(*j, "events");
  if (events.is_array()) {
    for (const auto& e : events) {
      if (!e.is_object()) continue;
      auto ev = event_of(e);
      if (!ev.id.empty()) out.push_back(std::move(ev));
    }
    return out;
  }
  auto ev = event_of(*j);
  if (ev.id.empty())
    return make_error(ErrorCode::protocol,
                      "event stream body has neither \"events\" nor an event id: " + excerpt(body, 200));
  out.push_back(std::move(ev));
  return out;
}

std::size_t merge_events(std::vector<StreamEvent>& log, std::vector<StreamEvent> incoming) {
  std::size_t added = 0;
  for (auto& e : incoming) {
    bool seen = std::any_of(log.begin(), log.end(), [&e](const StreamEvent& x) {
      return x.id == e.id && x.execution_id == e.execution_id;
    });
    if (seen) continue;
    log.push_back(std::move(e));
    ++added;
  }
  std::stable_sort(log.begin(), log.end(), [](const StreamEvent& a, const StreamEvent& b) {
    return before(key_of(a), key_of(b));
  });
  return added;
}

}  // namespace crewai
