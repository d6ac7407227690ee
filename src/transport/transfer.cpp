#include "transport/transfer.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <string_view>

#include <curl/header.h>

namespace crewai::transport {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (t.response.body.size() + n > t.max_response_bytes) {
    t.too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  t.response.body.append(data, n);
  return n;
}

// The body of a refuse_resend request. curl asks for it once; a second pass would need a rewind,
// which refuse_seek denies (see Request::refuse_resend).
size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const std::string& body = t.request.body;
  const size_t n = std::min(size * count, body.size() - t.body_sent);
  body.copy(buffer, n, t.body_sent);
  t.body_sent += n;
  return n;
}

int refuse_seek(void*, curl_off_t, int) { return CURL_SEEKFUNC_FAIL; }

bool is_plain_http(std::string_view url) {
  return url.size() >= 7 && iequals(url.substr(0, 7), "http://");
}

template <typename T>
bool set(CURL* easy, CURLoption option, T value) {
  return curl_easy_setopt(easy, option, value) == CURLE_OK;
}

bool set_method(Transfer& t) {
  CURL* e = t.easy;
  const auto& req = t.request;
  if (req.method == "GET") return set(e, CURLOPT_HTTPGET, 1L);
  if (req.method != "POST" && !set(e, CURLOPT_CUSTOMREQUEST, req.method.c_str())) return false;
  if (req.method != "POST" && req.body.empty()) return true;
  // The size is always given, so a read-callback body goes out with Content-Length, not chunked.
  const auto size = static_cast<curl_off_t>(req.body.size());
  if (req.refuse_resend) {
    return set(e, CURLOPT_POST, 1L) && set(e, CURLOPT_READFUNCTION, &on_read) &&
           set(e, CURLOPT_READDATA, &t) && set(e, CURLOPT_SEEKFUNCTION, &refuse_seek) &&
           set(e, CURLOPT_SEEKDATA, &t) && set(e, CURLOPT_POSTFIELDSIZE_LARGE, size);
  }
  return set(e, CURLOPT_POST, 1L) && set(e, CURLOPT_POSTFIELDS, req.body.data()) &&
         set(e, CURLOPT_POSTFIELDSIZE_LARGE, size);
  return true;
}

bool set_headers(Transfer& t) {
  for (const auto& h : t.request.headers) {
    curl_slist* next = curl_slist_append(t.headers, h.c_str());
    if (next == nullptr) return false;
    t.headers = next;
  }
  // No "Expect: 100-continue" round trip (and its 1 s stall on servers that ignore it).
  curl_slist* next = curl_slist_append(t.headers, "Expect:");
  if (next == nullptr) return false;
  t.headers = next;
  return set(t.easy, CURLOPT_HTTPHEADER, t.headers);
}

// libcurl reads Retry-After in both forms (delay-seconds and the HTTP-date forms) as seconds
// from now: CURLINFO_RETRY_AFTER. Its 0 means "now" and also "unreadable", and a date in the past
// comes out negative, so three thin rules remain here: past is now (0), an unreadable value is no
// hint at all (the backoff applies, as if it were absent), and a number too long for curl (it
// reads it as 0) is the longest wait (RetryPolicy::max_retry_after clamps it).
std::optional<std::chrono::milliseconds> retry_after_wait(CURL* easy, std::string_view value) {
  using std::chrono::seconds;
  constexpr long long kLongest = 10LL * 365 * 24 * 3600;
  curl_off_t secs = 0;
  if (curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &secs) != CURLE_OK) return std::nullopt;
  if (secs < 0) return std::chrono::milliseconds(0);
  if (secs > 0) return std::chrono::milliseconds(seconds(std::min<long long>(secs, kLongest)));
  const auto digits = value.find_first_not_of("0123456789");
  if (digits != std::string_view::npos || value.find_first_of("0123456789") == std::string_view::npos)
    return std::nullopt;
  const bool zero = value.find_first_of("123456789") == std::string_view::npos;
  return std::chrono::milliseconds(zero ? seconds(0) : seconds(kLongest));
}

// The answer's Retry-After and Content-Type, as libcurl parsed them (the last response's header
// section, so not a 100 Continue's or a redirect's).
void read_headers(CURL* easy, Response& r) {
  curl_header* h = nullptr;
  if (curl_easy_header(easy, "Retry-After", 0, CURLH_HEADER, -1, &h) == CURLHE_OK) {
    r.retry_after = std::string(h->value);
    r.retry_after_wait = retry_after_wait(easy, *r.retry_after);
  }
  const char* type = nullptr;
  if (curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type != nullptr)
    r.content_type = type;
}

long time_t_info(CURL* easy, CURLINFO info) {
  curl_off_t value = 0;
  curl_easy_getinfo(easy, info, &value);
  return static_cast<long>(value);
}

}  // namespace

Transfer::~Transfer() { curl_slist_free_all(headers); }

bool setup_transfer(Transfer& t, const EngineOptions& options) {
  CURL* e = t.easy;
  const auto& req = t.request;
  const bool ok =
      set(e, CURLOPT_URL, req.url.c_str()) && set(e, CURLOPT_PROTOCOLS_STR, "http,https") &&
      set(e, CURLOPT_NOSIGNAL, 1L) && set(e, CURLOPT_ACCEPT_ENCODING, "") &&
      set(e, CURLOPT_TCP_KEEPALIVE, 1L) &&
      set(e, CURLOPT_FRESH_CONNECT, req.fresh_connection ? 1L : 0L) &&
      set(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.connect_timeout.count())) &&
      set(e, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count())) &&
      set(e, CURLOPT_ERRORBUFFER, t.error_buffer) && set(e, CURLOPT_PRIVATE, &t) &&
      set(e, CURLOPT_WRITEFUNCTION, &on_body) && set(e, CURLOPT_WRITEDATA, &t) &&
      (options.user_agent.empty() || set(e, CURLOPT_USERAGENT, options.user_agent.c_str())) &&
      (options.ca_bundle.empty() || set(e, CURLOPT_CAINFO, options.ca_bundle.c_str())) &&
      // Debian's curl 7.88 mishandles reuse of h2c connections: plain HTTP stays on HTTP/1.1.
      (!is_plain_http(req.url) || set(e, CURLOPT_HTTP_VERSION, long{CURL_HTTP_VERSION_1_1})) &&
      set_method(t) && set_headers(t);
  if (!ok) {
    t.response.failure = Failure::other;
    t.response.error = "invalid request options";
  }
  return ok;
}

// A timeout before curl reached the point of sending (pretransfer time unset and no request bytes
// sent) means the request never left this process, so it is reported as `connect`: that is what
// tells the client layer a POST is safe to retry. Any other timeout may have reached the app.
void finish_transfer(Transfer& t, CURLcode result) {
  CURL* e = t.easy;
  long status = 0;
  double seconds = 0;
  long new_connections = 0;
  long request_size = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(e, CURLINFO_TOTAL_TIME, &seconds);
  curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &new_connections);
  curl_easy_getinfo(e, CURLINFO_REQUEST_SIZE, &request_size);
  const bool started = request_size > 0 || time_t_info(e, CURLINFO_PRETRANSFER_TIME_T) > 0;

  auto& r = t.response;
  r.status = status;
  r.seconds = seconds;
  r.connection_reused = status != 0 && new_connections == 0;
  if (result == CURLE_OK) {
    r.failure = Failure::none;
    read_headers(e, r);
    return;
  }
  r.failure = t.too_large && result == CURLE_WRITE_ERROR ? Failure::too_large
                                                          : classify(result, started);
  if (r.failure == Failure::too_large) {
    r.error = "response too large (over " + std::to_string(t.max_response_bytes) + " bytes)";
  } else if (result == CURLE_SEND_FAIL_REWIND) {
    r.error = "the connection closed before any answer; not re-sent (the server may have it)";
  } else if (t.error_buffer[0] != '\0') {
    r.error = t.error_buffer;
  } else {
    r.error = curl_easy_strerror(result);
  }
  r.body.clear();
}

Failure classify(CURLcode result, bool request_started) {
  switch (result) {
    case CURLE_OK:
      return Failure::none;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:  // == CURLE_SSL_CACERT (60) in 7.88
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CRL_BADFILE:
      return Failure::connect;
    case CURLE_OPERATION_TIMEDOUT:
      return request_started ? Failure::timeout : Failure::connect;
    case CURLE_SEND_ERROR:
    case CURLE_SEND_FAIL_REWIND:  // a refuse_resend request whose connection died unanswered
      return Failure::send;
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_WEIRD_SERVER_REPLY:
      return Failure::receive;
    case CURLE_ABORTED_BY_CALLBACK:
      return Failure::cancelled;
    default:
      return Failure::other;
  }
}

Response cancelled_response() {
  Response r;
  r.failure = Failure::cancelled;
  r.error = "cancelled";
  return r;
}

}  // namespace crewai::transport
