// client/internal.hpp — pieces of the Client shared between its translation units.
#pragma once

#include <string>

#include "client/impl.hpp"
#include "crewai/client.hpp"

namespace crewai::client {

[[nodiscard]] Result<std::string> normalize_base_url(std::string url);
std::string redact_url(const std::string& url);  // hides user:password@ in a URL
[[nodiscard]] Result<void> validate(ClientOptions& o);          // normalises in place

// The exchange that POSTs `body` to a flow request's callback URL. The URL must have the scheme,
// host and port of `base_url` (the bearer token goes with it); the request is then sent to
// base_url's origin with the callback's path and query, so no reading of the URL can send the
// token elsewhere. Any other URL: invalid_argument naming its host.
[[nodiscard]] Result<Exchange> flow_callback_exchange(const std::string& base_url,
                                        const std::string& callback_url, std::string body);

// The client's engine, for the batch library only (Batch::Impl runs its scheduler turns on the
// engine thread, so that a completion leads to the next kickoff without a thread handoff: issue
// 13). A friend rather than a Client member so that the SDK's public API does not grow; whoever
// uses it must keep to the engine's rules (engine.hpp: callbacks never block).
struct EngineAccess {
  static transport::Engine& engine(Client& c) { return c.impl_->engine; }
};

}  // namespace crewai::client
