// transport/transfer.hpp — one HTTP transfer on a (reused) curl easy handle, and how its outcome
// is classified. Engine-thread only. Private to the transport layer.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <functional>

#include "transport/engine.hpp"

namespace crewai::transport {

// A curl easy handle and what stays on it from one request to the next. The engine keeps its
// handles without curl_easy_reset: every option that is the same for all of the engine's requests
// is set once, by init_handle; setup_transfer sets every option that can differ, each time (see
// the comment there). `headers` is the list CURLOPT_HTTPHEADER points at: the last request's
// headers plus "Expect:", rebuilt only when the next request's headers differ.
struct Handle {
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  bool http11 = false;  // CURLOPT_HTTP_VERSION is 1.1 (plain http), not curl's default

  Handle() = default;
  Handle(Handle&& other) noexcept;
  Handle& operator=(Handle&& other) noexcept;
  ~Handle();
};

// Creates h.easy and sets the engine-wide options on it. False when curl refuses.
bool init_handle(Handle& h, const EngineOptions& options);

struct Transfer {
  RequestId id = 0;
  Handle handle;
  Request request;
  std::function<void(Response)> done;
  Response response;
  std::size_t max_response_bytes = 0;
  bool too_large = false;
  std::size_t body_sent = 0;  // how much of request.body the read callback has handed to curl
  // The engine's curl_multi_perform count when the handle was added: a transfer cancelled before
  // the next perform never reached Curl_pretransfer, so its handle still shows the previous
  // transfer's CURLINFO_NUM_CONNECTS. kNotAdded: never handed to curl.
  static constexpr std::uint64_t kNotAdded = UINT64_MAX;
  std::uint64_t added_at_perform = kNotAdded;
  char error_buffer[CURL_ERROR_SIZE] = {};

  Transfer() = default;
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;
};

// Configures t.handle (from init_handle, possibly used by earlier requests) for `t.request`.
// False (with t.response filled in as Failure::other) when curl rejects an option.
bool setup_transfer(Transfer& t);

// Fills t.response from the finished easy handle and curl's result code.
void finish_transfer(Transfer& t, CURLcode result);

// The Failure class of a curl result, given what curl knows about how far the transfer got.
Failure classify(CURLcode result, bool request_started);

// A response carrying Failure::cancelled.
Response cancelled_response();

}  // namespace crewai::transport
