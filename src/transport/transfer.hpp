// transport/transfer.hpp — one HTTP transfer on a (reused) curl easy handle, and how its outcome
// is classified. Engine-thread only. Private to the transport layer.
#pragma once

#include <curl/curl.h>

#include <functional>

#include "transport/engine.hpp"

namespace crewai::transport {

struct Transfer {
  RequestId id = 0;
  CURL* easy = nullptr;
  Request request;
  std::function<void(Response)> done;
  Response response;
  curl_slist* headers = nullptr;
  std::size_t max_response_bytes = 0;
  bool too_large = false;
  std::size_t body_sent = 0;  // how much of request.body the read callback has handed to curl
  char error_buffer[CURL_ERROR_SIZE] = {};

  Transfer() = default;
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;
  ~Transfer();
};

// Configures `t.easy` (freshly created or curl_easy_reset) for `t.request`. False (with
// t.response filled in as Failure::other) when curl rejects an option.
bool setup_transfer(Transfer& t, const EngineOptions& options);

// Fills t.response from the finished easy handle and curl's result code.
void finish_transfer(Transfer& t, CURLcode result);

// The Failure class of a curl result, given what curl knows about how far the transfer got.
Failure classify(CURLcode result, bool request_started);

// A response carrying Failure::cancelled.
Response cancelled_response();

}  // namespace crewai::transport
