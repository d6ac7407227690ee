#include "transport/url.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace crewai::transport {
namespace {

using UrlHandle = std::unique_ptr<CURLU, decltype(&curl_url_cleanup)>;

UrlHandle make_handle() {
  return UrlHandle(curl_url(), &curl_url_cleanup);
}

std::optional<std::string> get_part(CURLU* h, CURLUPart part, unsigned flags = 0) {
  char* value = nullptr;
  if (curl_url_get(h, part, &value, flags) != CURLUE_OK || value == nullptr) return std::nullopt;
  std::string out(value);
  curl_free(value);
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool has_space_or_control(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; });
}

}  // namespace

std::optional<UrlParts> parse_url(const std::string& url) {
  if (url.empty() || has_space_or_control(url)) return std::nullopt;
  auto h = make_handle();
  if (!h || curl_url_set(h.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return std::nullopt;
  UrlParts p;
  auto scheme = get_part(h.get(), CURLUPART_SCHEME);
  auto host = get_part(h.get(), CURLUPART_HOST);
  auto port = get_part(h.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!scheme || !host || !port) return std::nullopt;
  p.scheme = lower(*scheme);
  if (p.scheme != "http" && p.scheme != "https") return std::nullopt;
  p.host = lower(*host);
  p.port = *port;
  p.path = get_part(h.get(), CURLUPART_PATH).value_or("/");
  if (p.path.empty()) p.path = "/";
  p.query = get_part(h.get(), CURLUPART_QUERY).value_or("");
  return p;
}

bool same_origin(const UrlParts& a, const UrlParts& b) {
  return a.scheme == b.scheme && a.host == b.host && a.port == b.port;
}

std::optional<std::string> replace_path(const std::string& base, const std::string& path,
                                        const std::string& query) {
  auto h = make_handle();
  if (!h || curl_url_set(h.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK ||
      curl_url_set(h.get(), CURLUPART_PATH, path.c_str(), 0) != CURLUE_OK ||
      curl_url_set(h.get(), CURLUPART_QUERY, query.empty() ? nullptr : query.c_str(), 0) !=
          CURLUE_OK ||
      curl_url_set(h.get(), CURLUPART_FRAGMENT, nullptr, 0) != CURLUE_OK)
    return std::nullopt;
  return get_part(h.get(), CURLUPART_URL);
}

std::string escape_segment(const std::string& segment) {
  // An id of unreserved characters only (RFC 3986: what curl_easy_escape leaves as it is), as every
  // kickoff id is, escapes to itself: each poll builds its path from the id, and the call to curl
  // (a malloc, a copy, a free) was 1.7% of a batch's CPU (issue 13). Anything else goes to curl.
  const auto unreserved = [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
  };
  if (std::all_of(segment.begin(), segment.end(), unreserved)) return segment;
  // The handle argument is unused by curl_easy_escape since curl 7.82.
  char* escaped = curl_easy_escape(nullptr, segment.data(), static_cast<int>(segment.size()));
  if (escaped == nullptr) return {};
  std::string out(escaped);
  curl_free(escaped);
  return out;
}

}  // namespace crewai::transport
