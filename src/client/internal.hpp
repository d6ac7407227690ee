// client/internal.hpp — pieces of the Client shared between its translation units.
#pragma once

#include <string>

#include "crewai/client.hpp"

namespace crewai::client {

Result<std::string> normalize_base_url(std::string url);
std::string redact_url(const std::string& url);  // hides user:password@ in a URL
Result<void> validate(ClientOptions& o);          // normalises in place

}  // namespace crewai::client
