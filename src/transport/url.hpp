// transport/url.hpp — absolute URLs as libcurl reads them, so that a check made on a URL holds for
// the request curl sends. Pure functions, any thread.
#pragma once

#include <optional>
#include <string>

namespace crewai::transport {

struct UrlParts {
  std::string scheme;  // lower case: "http" or "https"
  std::string host;    // lower case; IPv6 in brackets
  std::string port;    // always set: the scheme's default when the URL has none
  std::string path;    // starts with '/'
  std::string query;   // without '?'; empty when none
};

// The parts of an absolute http(s) URL; nullopt when curl cannot parse it, its scheme is another,
// or it holds whitespace or control characters.
std::optional<UrlParts> parse_url(const std::string& url);

// Scheme, host and port are equal.
bool same_origin(const UrlParts& a, const UrlParts& b);

// `base` with its path and query replaced by `path` and `query` (scheme, user info, host and port
// kept as they are); nullopt when curl refuses the result.
std::optional<std::string> replace_path(const std::string& base, const std::string& path,
                                        const std::string& query);

// `segment` percent-encoded for one path segment (curl_easy_escape: everything but
// A-Z a-z 0-9 - . _ ~), so an id holding '/', '?' or '#' stays one segment.
std::string escape_segment(const std::string& segment);

}  // namespace crewai::transport
