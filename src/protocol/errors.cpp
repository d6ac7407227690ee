#include "protocol/errors.hpp"

#include <cctype>
#include <utility>

#include "crewai/types.hpp"
#include "protocol/json_util.hpp"

namespace crewai {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::invalid_input: return "invalid_input";
    case ErrorCode::unauthenticated: return "unauthenticated";
    case ErrorCode::permission_denied: return "permission_denied";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::failed_precondition: return "failed_precondition";
    case ErrorCode::rate_limited: return "rate_limited";
    case ErrorCode::unavailable: return "unavailable";
    case ErrorCode::deadline_exceeded: return "deadline_exceeded";
    case ErrorCode::ambiguous: return "ambiguous";
    case ErrorCode::protocol: return "protocol";
    case ErrorCode::cancelled: return "cancelled";
    case ErrorCode::schema_violation: return "schema_violation";
    case ErrorCode::unimplemented: return "unimplemented";
    case ErrorCode::vanished: return "vanished";
    case ErrorCode::internal: return "internal";
  }
  return "unknown";
}

std::string Error::to_string() const {
  std::string out(crewai::to_string(code));
  if (http_status != 0) out += " (HTTP " + std::to_string(http_status) + ")";
  if (!message.empty()) out += ": " + message;
  if (!kickoff_id.empty()) out += " [kickoff_id=" + kickoff_id + "]";
  return out;
}

}  // namespace crewai

namespace crewai::protocol {
namespace {

constexpr std::size_t kRawTextCap = 500;

std::string loc_text(const Json& loc) {
  if (!loc.is_array()) return loc.is_string() ? loc.get<std::string>() : std::string{};
  std::string out;
  for (const auto& part : loc) {
    if (!out.empty()) out += '.';
    out += part.is_string() ? part.get<std::string>() : dump_json(part);
  }
  return out;
}

bool is_missing_entry(const Json& entry) {
  auto type = get_string(entry, "type").value_or("");
  auto msg = get_string(entry, "msg").value_or("");
  return type == "missing" || type == "value_error.missing" || msg == "field required" ||
         msg == "Field required";
}

// The missing field's name: the last element of loc, unless loc names the body or `inputs` itself.
std::optional<std::string> missing_name(const Json& loc) {
  if (!loc.is_array() || loc.size() < 2) return std::nullopt;
  const Json& last = loc.back();
  std::string name = last.is_string() ? last.get<std::string>() : dump_json(last);
  if (name == "inputs" && loc.size() == 2) return std::nullopt;
  return name;
}

void read_detail_list(const Json& detail, ServerMessage& out) {
  for (const auto& entry : detail) {
    if (!entry.is_object()) {
      if (entry.is_string()) out.message += (out.message.empty() ? "" : "; ") + entry.get<std::string>();
      continue;
    }
    std::string loc = loc_text(member(entry, "loc"));
    std::string msg = get_string(entry, "msg").value_or(dump_json(entry));
    if (!out.message.empty()) out.message += "; ";
    out.message += loc.empty() ? msg : loc + ": " + msg;
    if (is_missing_entry(entry)) {
      if (auto name = missing_name(member(entry, "loc"))) out.missing_inputs.push_back(std::move(*name));
    }
  }
}

void read_string_list(const Json& list, std::vector<std::string>& out) {
  if (!list.is_array()) return;
  for (const auto& v : list) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
}

void read_error_object(const Json& j, ServerMessage& out) {
  auto error = get_string(j, "error");
  auto message = get_string(j, "message");
  if (!error && member(j, "error").is_object()) error = first_string(j["error"], {"message", "detail"});
  if (error && message && *error != *message && !error->empty() && !message->empty())
    out.message = *error + ": " + *message;
  else if (message && !message->empty())
    out.message = *message;
  else if (error)
    out.message = *error;
  const Json& details = member(j, "details");
  read_string_list(member(details, "missing_inputs"), out.missing_inputs);
  read_string_list(member(j, "missing_inputs"), out.missing_inputs);
}

// The live service's 422: {"detail": "Missing inputs: audience, topic"} (names after the colon).
void read_missing_text(std::string_view text, std::vector<std::string>& out) {
  static constexpr std::string_view kPrefix = "missing inputs:";
  if (text.size() < kPrefix.size()) return;
  for (std::size_t i = 0; i < kPrefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != kPrefix[i]) return;
  }
  std::string_view rest = text.substr(kPrefix.size());
  while (!rest.empty()) {
    auto comma = rest.find(',');
    auto name = trim(rest.substr(0, comma));
    if (!name.empty()) out.emplace_back(name);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
}

}  // namespace

ServerMessage parse_error_body(std::string_view body) {
  ServerMessage out;
  std::string_view text = trim(body);
  if (text.empty()) return out;
  auto parsed = try_parse(text);
  if (!parsed) {
    out.message = excerpt(text, kRawTextCap);
    return out;
  }
  const Json& j = *parsed;
  if (j.is_string()) {
    out.message = excerpt(j.get<std::string>(), kRawTextCap);
    return out;
  }
  if (!j.is_object()) {
    out.message = excerpt(text, kRawTextCap);
    return out;
  }
  const Json& detail = member(j, "detail");
  if (detail.is_string()) {
    out.message = detail.get<std::string>();
    read_missing_text(out.message, out.missing_inputs);
  } else if (detail.is_array()) {
    read_detail_list(detail, out);
  } else if (detail.is_object()) {
    read_error_object(detail, out);
  }
  if (out.message.empty() && out.missing_inputs.empty()) read_error_object(j, out);
  if (out.message.empty() && out.missing_inputs.empty()) out.message = excerpt(text, kRawTextCap);
  out.message = excerpt(out.message, kRawTextCap);
  return out;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

bool is_post(CallKind call) {
  return call == CallKind::kickoff || call == CallKind::resume || call == CallKind::flow_answer;
}

bool is_missing_route(int status, std::string_view body) {
  if (status == 405) return true;
  if (status != 404) return false;
  auto j = try_parse(trim(body));
  return j && j->is_object() && get_string(*j, "detail").value_or("") == "Not Found";
}

namespace {

// The code of an HTTP error status, before the POSTs' ambiguity is considered.
ErrorCode code_of_status(CallKind call, int status) {
  switch (status) {
    case 400:
      if (call == CallKind::kickoff) return ErrorCode::invalid_input;
      return call == CallKind::inputs || call == CallKind::status ? ErrorCode::invalid_argument
                                                                  : ErrorCode::failed_precondition;
    case 401: return ErrorCode::unauthenticated;
    case 403: return ErrorCode::permission_denied;
    case 404: return ErrorCode::not_found;
    case 405: return call == CallKind::cancel ? ErrorCode::unimplemented : ErrorCode::invalid_argument;
    case 408: return ErrorCode::unavailable;
    case 409: return ErrorCode::failed_precondition;
    case 422: return call == CallKind::kickoff ? ErrorCode::invalid_input : ErrorCode::invalid_argument;
    case 429: return ErrorCode::rate_limited;
    default: break;
  }
  if (status >= 500 && status <= 599) return ErrorCode::unavailable;
  if (status >= 400 && status <= 499) return ErrorCode::invalid_argument;
  return ErrorCode::protocol;
}

// Statuses worth another try of a request that cannot start a run: the transient ones. 501 and
// 505 are not: the deployment will answer them the same way again.
bool transient_status(int status) {
  switch (status) {
    case 408:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504: return true;
    default: return false;
  }
}

Verdict answered(CallKind call, const Outcome& o) {
  Verdict v;
  if (o.status >= 200 && o.status < 300) {
    v.ok = true;
    return v;
  }
  v.code = code_of_status(call, o.status);
  if (!is_post(call)) {
    v.retry_safe = true;
    v.retry = transient_status(o.status);
  } else {
    // A POST is repeated only when the app provably did not act: 429, or 503 with Retry-After
    // (a proxy or a cold start refusing it). Any other 5xx may come after the app started a run.
    v.retry = o.status == 429 || (o.status == 503 && o.has_retry_after);
    v.retry_safe = v.retry;
    if (o.status >= 500 && !v.retry) v.code = ErrorCode::ambiguous;
  }
  if (v.retry) v.delay = o.retry_after;
  return v;
}

}  // namespace

Verdict classify(CallKind call, const Outcome& o) {
  const bool post = is_post(call);
  Verdict v;
  switch (o.delivery) {
    case Delivery::answered: return answered(call, o);
    case Delivery::not_sent:
      v.code = ErrorCode::unavailable;
      v.retry = v.retry_safe = true;
      return v;
    case Delivery::maybe_sent:
      v.code = post ? ErrorCode::ambiguous : ErrorCode::unavailable;
      v.retry = v.retry_safe = !post;
      return v;
    case Delivery::too_large:
      v.code = post ? ErrorCode::ambiguous : ErrorCode::protocol;
      return v;
    case Delivery::cancelled:
      v.code = ErrorCode::cancelled;
      v.retry_safe = true;
      return v;
  }
  return v;
}

Error error_from_http(CallKind call, int status, std::string_view body, std::string kickoff_id,
                      bool retry_after) {
  const Verdict v = classify(call, Outcome{.delivery = Delivery::answered,
                                           .status = status,
                                           .has_retry_after = retry_after});
  Error e;
  e.code = v.code;
  e.http_status = status;
  e.kickoff_id = std::move(kickoff_id);
  ServerMessage server = parse_error_body(body);
  e.message = std::move(server.message);
  e.missing_inputs = std::move(server.missing_inputs);
  if (call != CallKind::kickoff && !e.missing_inputs.empty()) {
    // Only a kickoff has inputs: elsewhere FastAPI's "missing" entries name request fields (a
    // live /resume wants executionId and taskId), which must never read as missing inputs.
    std::string fields;
    for (const auto& name : e.missing_inputs) fields += (fields.empty() ? "" : ", ") + name;
    e.message = (call == CallKind::resume ? "resume refused: the deployment requires the fields "
                                      : "request refused: the deployment requires the fields ") +
                fields + (e.message.empty() ? "" : " (" + e.message + ")");
    e.missing_inputs.clear();
  }
  if (e.message.empty() && !e.missing_inputs.empty()) {
    e.message = "missing inputs:";
    for (const auto& name : e.missing_inputs) e.message += " " + name;
  }
  if (e.message.empty()) e.message = std::string(reason_phrase(status));
  if (e.message.empty()) e.message = "HTTP " + std::to_string(status);
  e.retry_safe = v.retry_safe;
  return e;
}

}  // namespace crewai::protocol
