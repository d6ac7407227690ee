#include "protocol/hitl.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string>

#include "protocol/json_util.hpp"

namespace crewai::protocol {
namespace {

constexpr std::size_t kSha256Bytes = 32;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::array<unsigned char, kSha256Bytes>> decode_hex(std::string_view hex) {
  if (hex.size() != 2 * kSha256Bytes) return std::nullopt;
  std::array<unsigned char, kSha256Bytes> out{};
  for (std::size_t i = 0; i < kSha256Bytes; ++i) {
    int hi = hex_value(hex[2 * i]);
    int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return out;
}

// The member under the first of `keys` that is present: strings as they are, other JSON as text.
std::string first_text(const Json& object, std::initializer_list<std::string_view> keys) {
  for (auto key : keys) {
    const Json& v = member(object, key);
    if (v.is_string()) return v.get<std::string>();
    if (!v.is_null()) return dump_json(v);
  }
  return {};
}

}  // namespace

Result<FlowRequest> parse_flow_request(std::string_view body) {
  auto j = try_parse(body);
  if (!j || !j->is_object())
    return make_error(ErrorCode::protocol,
                      "flow request body is not a JSON object: " + excerpt(body, 200));
  if (const Json& event = member(*j, "event"); event.is_string() && event != "new_request")
    return make_error(ErrorCode::protocol, "flow webhook is a \"" +
                                               excerpt(event.get<std::string>(), 100) +
                                               "\" event, not a new_request");
  const Json& nested = member(*j, "request");
  const Json& req = nested.is_object() ? nested : *j;
  auto text = [&](std::initializer_list<std::string_view> keys) {
    auto s = first_string(req, keys);
    return s ? std::move(*s) : first_string(*j, keys).value_or("");
  };
  FlowRequest f;
  f.execution_id = text({"execution_id", "flow_id", "kickoff_id", "executionId", "flowId",
                         "kickoffId", "flow_execution_id"});
  f.callback_url = first_string(*j, {"callback_url", "callbackUrl"})
                       .value_or(first_string(req, {"callback_url", "callbackUrl"}).value_or(""));
  f.method = text({"method", "method_name", "methodName", "step", "task_id"});
  f.output = first_text(req, {"output", "method_output", "result", "content"});
  if (f.output.empty() && &req != &*j)
    f.output = first_text(*j, {"output", "method_output", "result", "content"});
  f.message = text({"message", "prompt", "question"});
  f.request = req;
  if (f.callback_url.empty())
    return make_error(ErrorCode::protocol,
                      "flow request has no callback_url: " + excerpt(body, 200));
  return f;
}

Result<HitlPayload> parse_hitl_payload(std::string_view body) {
  auto j = try_parse(body);
  if (!j || !j->is_object())
    return make_error(ErrorCode::protocol, "human-input webhook body is not a JSON object: " + excerpt(body, 200));
  const Json& task = member(*j, "task");
  HitlPayload p;
  p.execution_id = first_string(*j, {"execution_id", "kickoff_id", "executionId", "kickoffId"}).value_or("");
  p.task_id = first_string(*j, {"task_id", "taskId"}).value_or("");
  if (p.task_id.empty()) p.task_id = first_string(task, {"id", "task_id", "name"}).value_or("");
  p.task_output = first_string(*j, {"task_output", "taskOutput", "output"}).value_or("");
  if (p.task_output.empty()) p.task_output = first_string(task, {"output", "task_output", "raw"}).value_or("");
  p.meta = member(*j, "meta");
  if (p.execution_id.empty() || p.task_id.empty())
    return make_error(ErrorCode::protocol,
                      "human-input webhook body lacks an execution id or a task id: " + excerpt(body, 200));
  return p;
}

std::vector<std::string> webhook_kickoff_ids(std::string_view body) {
  std::vector<std::string> ids;
  auto j = try_parse(body);
  if (!j || !j->is_object()) return ids;
  auto add_from = [&ids](const Json& o) {
    auto id = first_string(o, {"kickoff_id", "execution_id", "kickoffId", "executionId"});
    if (id && std::find(ids.begin(), ids.end(), *id) == ids.end()) ids.push_back(std::move(*id));
  };
  add_from(*j);
  add_from(member(*j, "request"));
  add_from(member(*j, "data"));
  if (const Json& events = member(*j, "events"); events.is_array()) {
    for (const auto& e : events) {
      add_from(e);
      add_from(member(e, "data"));
    }
  }
  return ids;
}

bool verify_flow_signature(std::string_view secret, std::string_view timestamp, std::string_view body,
                           std::string_view signature_header) {
  if (secret.empty()) return false;
  std::string_view hex = trim(signature_header);
  if (hex.substr(0, 7) == "sha256=") hex.remove_prefix(7);
  auto expected = decode_hex(hex);
  if (!expected) return false;
  std::string message;
  message.reserve(timestamp.size() + 1 + body.size());
  message.append(timestamp).append(1, '.').append(body);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(),
           &mac_len) == nullptr ||
      mac_len != kSha256Bytes)
    return false;
  return CRYPTO_memcmp(mac.data(), expected->data(), kSha256Bytes) == 0;
}

}  // namespace crewai::protocol
