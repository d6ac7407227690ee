// ClientOptions::from_env and the validation done by Client::create.
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

#include "client/internal.hpp"
#include "crewai/client.hpp"

namespace crewai {
namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return (v && *v) ? v : nullptr;
}

[[nodiscard]] Result<double> env_number(const char* name, double fallback) {
  const char* v = env(name);
  if (!v) return fallback;
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(v, &end);
  if (errno != 0 || end == v || *end != '\0' || d < 0 || !std::isfinite(d)) {
    return make_error(ErrorCode::invalid_argument,
                      std::string(name) + " must be a non-negative number, got \"" + v + "\"");
  }
  return d;
}

}  // namespace

Result<ClientOptions> ClientOptions::from_env() {
  ClientOptions o;
  const char* url = env("CREWAI_BASE_URL");
  if (!url) url = env("CREWAI_DEPLOYMENT_URL");
  if (!url) {
    return make_error(ErrorCode::invalid_argument,
                      "no deployment URL: set CREWAI_BASE_URL (or CREWAI_DEPLOYMENT_URL)");
  }
  const char* token = env("CREWAI_TOKEN");
  if (!token) token = env("CREWAI_DEPLOYMENT_TOKEN");
  if (!token) {
    return make_error(ErrorCode::invalid_argument,
                      "no token: set CREWAI_TOKEN (or CREWAI_DEPLOYMENT_TOKEN)");
  }
  o.base_url = url;
  o.token = token;
  auto timeout = env_number("CREWAI_TIMEOUT", -1);
  if (!timeout) return tl::unexpected(timeout.error());
  // A timeout the user set bounds every request, the first (cold start) included.
  if (*timeout > 0) {
    o.request_timeout = o.first_call_timeout = Millis(static_cast<long long>(*timeout * 1000));
  }
  auto poll = env_number("CREWAI_POLL_INTERVAL", -1);
  if (!poll) return tl::unexpected(poll.error());
  if (*poll > 0) o.poll.initial = Millis(static_cast<long long>(*poll * 1000));
  auto retries = env_number("CREWAI_MAX_RETRIES", -1);
  if (!retries) return tl::unexpected(retries.error());
  if (*retries >= 0) o.retry.max_attempts = static_cast<int>(*retries) + 1;
  if (const char* kind = env("CREWAI_KIND")) {
    auto k = deployment_kind_from_string(kind);
    if (!k) {
      return make_error(ErrorCode::invalid_argument,
                        std::string("CREWAI_KIND must be crew or flow, got \"") + kind + "\"");
    }
    o.kind = *k;
  }
  return o;
}

namespace client {

Result<std::string> normalize_base_url(std::string url) {
  while (!url.empty() && (url.back() == '/' || url.back() == ' ')) url.pop_back();
  while (!url.empty() && url.front() == ' ') url.erase(0, 1);
  auto scheme_end = url.find("://");
  if (url.empty() || scheme_end == std::string::npos) {
    return make_error(ErrorCode::invalid_argument,
                      "base URL must start with http:// or https://, got \"" + redact_url(url) + "\"");
  }
  std::string scheme = url.substr(0, scheme_end);
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https") {
    return make_error(ErrorCode::invalid_argument,
                      "unsupported URL scheme \"" + scheme + "\" (use http or https)");
  }
  if (url.size() == scheme_end + 3) {
    return make_error(ErrorCode::invalid_argument, "base URL has no host");
  }
  if (url.find_first_of("?#") != std::string::npos) {
    return make_error(ErrorCode::invalid_argument, "base URL must not carry a query or fragment");
  }
  return url;
}

std::string redact_url(const std::string& url) {
  auto scheme_end = url.find("://");
  std::size_t host_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  auto at = url.find('@', host_start);
  auto slash = url.find('/', host_start);
  if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
    return url.substr(0, host_start) + "***@" + url.substr(at + 1);
  }
  return url;
}

Result<void> validate(ClientOptions& o) {
  auto url = normalize_base_url(o.base_url);
  if (!url) return tl::unexpected(url.error());
  o.base_url = *url;
  if (o.token.empty()) return make_error(ErrorCode::invalid_argument, "no token given");
  if (o.token.find_first_of("\r\n") != std::string::npos) {
    return make_error(ErrorCode::invalid_argument, "token contains a line break");
  }
  if (o.status_path.find("{id}") == std::string::npos || o.status_path.front() != '/') {
    return make_error(ErrorCode::invalid_argument,
                      "status path must start with '/' and contain {id}, e.g. /status/{id}");
  }
  if (o.retry.max_attempts < 1) o.retry.max_attempts = 1;
  if (o.max_host_connections < 1) o.max_host_connections = 1;
  if (o.user_agent.empty()) o.user_agent = "crewai-cpp/0.1.0";
  return {};
}

}  // namespace client
}  // namespace crewai
