#include "transport/transfer.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>

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

// The handle keeps the previous request's method state, so every piece of it is set each time:
// POSTFIELDS first (setting it, even to null, switches curl to POST), the read/seek callbacks
// (null puts back curl's own; their data is only read with them), the size (-1: unknown, the default), CUSTOMREQUEST (null: the
// method's own name) and, last, the method itself (HTTPGET 1 also turns upload and nobody off).
bool set_method(Transfer& t) {
  CURL* e = t.handle.easy;
  const auto& req = t.request;
  const bool custom = req.method != "GET" && req.method != "POST";
  const bool has_body = req.method == "POST" || (custom && !req.body.empty());
  const bool reader = has_body && req.refuse_resend;
  // The size is always given, so a read-callback body goes out with Content-Length, not chunked.
  const auto size = has_body ? static_cast<curl_off_t>(req.body.size()) : curl_off_t{-1};
  const curl_read_callback read_fn = reader ? &on_read : nullptr;
  const curl_seek_callback seek_fn = reader ? &refuse_seek : nullptr;
  void* reader_data = reader ? &t : nullptr;
  return set(e, CURLOPT_POSTFIELDS, has_body && !reader ? req.body.data() : nullptr) &&
         set(e, CURLOPT_READFUNCTION, read_fn) && set(e, CURLOPT_READDATA, reader_data) &&
         set(e, CURLOPT_SEEKFUNCTION, seek_fn) && set(e, CURLOPT_SEEKDATA, reader_data) &&
         set(e, CURLOPT_POSTFIELDSIZE_LARGE, size) &&
         set(e, CURLOPT_CUSTOMREQUEST, custom ? req.method.c_str() : nullptr) &&
         (has_body ? set(e, CURLOPT_POST, 1L) : set(e, CURLOPT_HTTPGET, 1L));
}

// No "Expect: 100-continue" round trip (and its 1 s stall on servers that ignore it).
constexpr const char* kNoExpect = "Expect:";

// True when `list` is exactly `headers` followed by kNoExpect.
bool same_headers(const curl_slist* list, const std::vector<std::string>& headers) {
  for (const auto& h : headers) {
    if (list == nullptr || h != list->data) return false;
    list = list->next;
  }
  return list != nullptr && std::strcmp(list->data, kNoExpect) == 0 && list->next == nullptr;
}

curl_slist* build_headers(const std::vector<std::string>& headers) {
  curl_slist* list = nullptr;
  for (const auto& h : headers) {
    curl_slist* next = curl_slist_append(list, h.c_str());
    if (next == nullptr) break;
    list = next;
  }
  curl_slist* next = curl_slist_append(list, kNoExpect);
  if (next == nullptr) curl_slist_free_all(list);
  return next;
}

// A client sends the same headers on most of its requests, so the handle's list is reused while
// it matches (one compare per header instead of a malloc and a strdup). The old list is freed only
// between transfers, when curl holds no pointer into it.
bool set_headers(Transfer& t) {
  Handle& h = t.handle;
  if (h.headers == nullptr || !same_headers(h.headers, t.request.headers)) {
    curl_slist* list = build_headers(t.request.headers);
    // Out of memory midway, or a header with a NUL byte (curl would cut it there): not sent.
    if (list == nullptr || !same_headers(list, t.request.headers)) {
      curl_slist_free_all(list);
      return false;
    }
    curl_slist_free_all(std::exchange(h.headers, list));
  }
  return set(h.easy, CURLOPT_HTTPHEADER, h.headers);
}

// Debian's curl 7.88 mishandles reuse of h2c connections: plain HTTP stays on HTTP/1.1. The scheme
// can change from one request to the next, so https puts curl's default back (NONE means it).
bool set_http_version(Handle& h, std::string_view url) {
  const bool plain = is_plain_http(url);
  if (plain == h.http11) return true;
  const long version = plain ? long{CURL_HTTP_VERSION_1_1} : long{CURL_HTTP_VERSION_NONE};
  if (!set(h.easy, CURLOPT_HTTP_VERSION, version)) return false;
  h.http11 = plain;
  return true;
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

Handle::Handle(Handle&& other) noexcept
    : easy(std::exchange(other.easy, nullptr)),
      headers(std::exchange(other.headers, nullptr)),
      http11(other.http11) {}

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    Handle old(std::move(*this));
    easy = std::exchange(other.easy, nullptr);
    headers = std::exchange(other.headers, nullptr);
    http11 = other.http11;
  }
  return *this;
}

Handle::~Handle() {
  if (easy != nullptr) curl_easy_cleanup(easy);
  curl_slist_free_all(headers);
}

// libcurl allocates a read-callback body's upload buffer per transfer and frees it when the
// transfer ends (multi_done). Its default, 64 KiB, is glibc's threshold for consolidating the
// heap on free (FASTBIN_CONSOLIDATION_THRESHOLD), so every kickoff paid a malloc_consolidate and
// often a heap trim (brk); the smallest buffer curl takes, 16 KiB, pays neither. A kickoff body
// larger than that takes more read calls, nothing else.
constexpr long kUploadBuffer = 16 * 1024;

bool init_handle(Handle& h, const EngineOptions& options) {
  h.easy = curl_easy_init();
  if (h.easy == nullptr) return false;
  CURL* e = h.easy;
  return set(e, CURLOPT_PROTOCOLS_STR, "http,https") && set(e, CURLOPT_NOSIGNAL, 1L) &&
         set(e, CURLOPT_ACCEPT_ENCODING, "") && set(e, CURLOPT_TCP_KEEPALIVE, 1L) &&
         set(e, CURLOPT_WRITEFUNCTION, &on_body) && set(e, CURLOPT_UPLOAD_BUFFERSIZE, kUploadBuffer) &&
         (options.user_agent.empty() || set(e, CURLOPT_USERAGENT, options.user_agent.c_str())) &&
         (options.ca_bundle.empty() || set(e, CURLOPT_CAINFO, options.ca_bundle.c_str()));
}

// Why a kept handle needs no curl_easy_reset. Options stick to an easy handle until set again
// (CURLOPT_* man pages); what a transfer itself leaves on the handle is reset by curl when the
// next one starts (Curl_pretransfer: the CURLINFO values, the parsed response headers, the error
// state). So the only leak would be an option one request sets and the next does not: the
// engine-wide ones (init_handle) never change, and every one that can differ is set here on
// every request, defaults included: URL, FRESH_CONNECT, both timeouts, ERRORBUFFER (a fresh
// buffer), PRIVATE and WRITEDATA (this Transfer), the HTTP version, the whole method state
// (set_method) and HTTPHEADER. The engine sets no other option.
bool setup_transfer(Transfer& t) {
  CURL* e = t.handle.easy;
  const auto& req = t.request;
  t.error_buffer[0] = '\0';
  const bool ok =
      set(e, CURLOPT_URL, req.url.c_str()) &&
      set(e, CURLOPT_FRESH_CONNECT, req.fresh_connection ? 1L : 0L) &&
      set(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.connect_timeout.count())) &&
      set(e, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count())) &&
      set(e, CURLOPT_ERRORBUFFER, t.error_buffer) && set(e, CURLOPT_PRIVATE, &t) &&
      set(e, CURLOPT_WRITEDATA, &t) && set_http_version(t.handle, req.url) && set_method(t) &&
      set_headers(t);
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
  CURL* e = t.handle.easy;
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
