// Answering a paused flow: the callback URL comes from a webhook body, which anyone who can reach
// the user's endpoint can forge, so the bearer token only ever goes to the deployment's own origin.
#include <string>

#include "client/internal.hpp"
#include "transport/url.hpp"

namespace crewai::client {
namespace {

std::string host_port(const transport::UrlParts& p) {
  return p.host + ":" + p.port;
}

}  // namespace

Result<Exchange> flow_callback_exchange(const std::string& base_url,
                                        const std::string& callback_url, std::string body) {
  auto base = transport::parse_url(base_url);
  if (!base) return make_error(ErrorCode::invalid_argument, "the client's base URL cannot be read");
  auto cb = transport::parse_url(callback_url);
  if (!cb)
    return make_error(ErrorCode::invalid_argument,
                      "flow callback URL is not an absolute http(s) URL");
  if (!transport::same_origin(*base, *cb))
    return make_error(ErrorCode::invalid_argument,
                      "flow callback URL points to " + cb->scheme + "://" + host_port(*cb) +
                          ", not to the deployment (" + base->scheme + "://" + host_port(*base) +
                          "): refusing to send the deployment token there");
  auto url = transport::replace_path(base_url, cb->path, cb->query);
  if (!url) return make_error(ErrorCode::invalid_argument, "flow callback URL cannot be rebuilt");
  Exchange ex;
  ex.call = protocol::CallKind::flow_answer;
  ex.method = "POST";
  ex.path = cb->path;
  ex.body = std::move(body);
  ex.url = std::move(*url);
  return ex;
}

}  // namespace crewai::client
