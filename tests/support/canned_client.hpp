// A Client on a RawHttpServer with canned answers, retrying and polling within milliseconds, and
// the helpers its tests share: an answer with a JSON body, and how many requests hit a target.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "crewai/client.hpp"
#include "support/raw_http_server.hpp"

namespace crewai::test {

inline Client client_for(const RawHttpServer& server,
                         const std::function<void(ClientOptions&)>& tweak = {}) {
  using namespace std::chrono_literals;
  ClientOptions o;
  o.base_url = server.url("");
  o.token = "t";
  o.retry.backoff.initial = 1ms;
  o.retry.backoff.max = 5ms;
  o.random_seed = 1;
  if (tweak) tweak(o);
  return Client::create(std::move(o)).value();
}

inline RawResponse json(int status, std::string body) {
  return RawResponse{status, {}, std::move(body)};
}

inline std::size_t count(const RawHttpServer& s, const std::string& method,
                         const std::string& target) {
  std::size_t n = 0;
  for (const auto& r : s.received()) n += r.method == method && r.target == target;
  return n;
}

}  // namespace crewai::test
