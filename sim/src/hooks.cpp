#include "hooks.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace crewai::sim::detail {
namespace {

const std::string kFlowsPrefix = "/flows/";
const std::string kFeedbackSuffix = "/feedback";

std::string base64(const std::string& in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v =
        (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i < in.size()) {
    unsigned v = (unsigned char)in[i] << 16;
    if (i + 1 < in.size()) v |= (unsigned char)in[i + 1] << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Outgoing to_hook(const json& human_hook, const json& body) {
  Outgoing o{human_hook.value("url", std::string()), dump_json(body), {}};
  if (auto auth = human_hook.find("authentication"); auth != human_hook.end())
    add_auth_header(*auth, o.headers);
  return o;
}

}  // namespace

std::string flow_callback_path(const std::string& kickoff_id) {
  return kFlowsPrefix + kickoff_id + kFeedbackSuffix;
}

std::string flow_callback_id(const std::string& path) {
  if (path.size() <= kFlowsPrefix.size() + kFeedbackSuffix.size() ||
      !path.starts_with(kFlowsPrefix) || !path.ends_with(kFeedbackSuffix))
    return {};
  std::string id =
      path.substr(kFlowsPrefix.size(), path.size() - kFlowsPrefix.size() - kFeedbackSuffix.size());
  return id.find('/') == std::string::npos ? id : std::string();
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(), &len);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

Outgoing crew_hitl_request(const json& human_hook, const Run& r, const std::string& task,
                           const std::string& output) {
  return to_hook(human_hook, {{"kickoff_id", r.id},
                              {"execution_id", r.id},
                              {"task_id", task},
                              {"task_output", output},
                              {"meta", r.meta}});
}

Outgoing flow_request(const FlowHitl& cfg, const json& human_hook, const Run& r,
                      const std::string& flow_name, const std::string& method,
                      const std::string& output, std::int64_t unix_seconds) {
  json request = {{"execution_id", r.id},
                  {"flow_id", r.id},
                  {"flow_name", flow_name},
                  {"method", method},
                  {"output", output},
                  {"message", "Review the output of " + method + " and send your feedback"},
                  {"meta", r.meta}};
  Outgoing o = to_hook(human_hook, {{"event", "new_request"},
                                    {"request", std::move(request)},
                                    {"callback_url", cfg.base_url + flow_callback_path(r.id)}});
  const std::string timestamp = std::to_string(unix_seconds);
  o.headers.emplace_back("X-Timestamp", timestamp);
  if (!cfg.secret.empty())
    o.headers.emplace_back("X-Signature",
                           "sha256=" + hmac_sha256_hex(cfg.secret, timestamp + "." + o.body));
  return o;
}

void add_auth_header(const json& auth, std::vector<std::pair<std::string, std::string>>& headers) {
  if (!auth.is_object()) return;
  auto text = [&auth](const char* key) {
    auto it = auth.find(key);
    return it != auth.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (text("strategy") == "bearer")
    headers.emplace_back("Authorization", "Bearer " + text("token"));
  else if (text("strategy") == "basic")
    headers.emplace_back("Authorization",
                         "Basic " + base64(text("username") + ":" + text("password")));
}

}  // namespace crewai::sim::detail
