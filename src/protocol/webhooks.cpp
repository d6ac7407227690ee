// crewai/webhooks.hpp: a flow's signed feedback request, checked, then read.
#include "crewai/webhooks.hpp"

#include <algorithm>
#include <cctype>

#include "protocol/hitl.hpp"

namespace crewai {
namespace {

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view header(const std::vector<std::pair<std::string, std::string>>& headers,
                        std::string_view name) {
  for (const auto& [k, v] : headers)
    if (same_name(k, name)) return v;
  return {};
}

}  // namespace

Result<FlowRequest> read_flow_request(std::string_view body, std::string_view timestamp,
                                      std::string_view signature, std::string_view secret) {
  if (!secret.empty()) {
    if (timestamp.empty() || signature.empty())
      return make_error(ErrorCode::unauthenticated,
                        "flow request lacks its X-Timestamp or X-Signature header");
    if (!protocol::verify_flow_signature(secret, timestamp, body, signature))
      return make_error(ErrorCode::unauthenticated,
                        "flow request signature does not match (wrong secret, or the body or "
                        "timestamp was changed)");
  }
  return protocol::parse_flow_request(body);
}

Result<FlowRequest> read_flow_request(
    std::string_view body, const std::vector<std::pair<std::string, std::string>>& headers,
    std::string_view secret) {
  return read_flow_request(body, header(headers, "X-Timestamp"), header(headers, "X-Signature"),
                           secret);
}

}  // namespace crewai
