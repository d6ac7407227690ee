#include "transport/transfer.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace crewai::transport {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// Only Retry-After and Content-Type are kept; nothing here is logged (responses never carry the
// token, but requests do, and keeping header handling narrow keeps it that way).
size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {  // a new response (after 100 Continue or a redirect)
    t.response.retry_after.reset();
    t.response.content_type.clear();
    return size * count;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * count;
  const auto name = trim(line.substr(0, colon));
  const auto value = trim(line.substr(colon + 1));
  if (iequals(name, "Retry-After")) {
    t.response.retry_after = std::string(value);
  } else if (iequals(name, "Content-Type")) {
    t.response.content_type = std::string(value);
  }
  return size * count;
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
      set(e, CURLOPT_HEADERFUNCTION, &on_header) && set(e, CURLOPT_HEADERDATA, &t) &&
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
