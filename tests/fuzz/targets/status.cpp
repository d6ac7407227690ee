#include <cstdlib>
#include <string>

#include "fuzz/targets.hpp"
#include "protocol/errors.hpp"
#include "protocol/hitl.hpp"
#include "protocol/requests.hpp"
#include "protocol/status.hpp"
#include "protocol/json_util.hpp"
#include "support/status_reading.hpp"

namespace crewai::fuzz {
namespace {

constexpr int kStatuses[] = {400, 401, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504, 599};
constexpr protocol::CallKind kCalls[] = {protocol::CallKind::inputs, protocol::CallKind::kickoff,
                                         protocol::CallKind::status, protocol::CallKind::resume};

void touch(const std::string& s) {
  volatile std::size_t n = s.size();
  (void)n;
}

}  // namespace

void status_one(std::string_view data) {
  // The polls' fast path never reads a state the full parse would not.
  if (auto going = protocol::peek_running_state(data)) {
    auto full = protocol::parse_status(data, "id");
    if (!full || full->state != *going) std::abort();
  }
  // A poll's one-scan reading (read_poll) agrees with the peek, then the whole parse.
  for (auto raw : {protocol::RawBody::keep, protocol::RawBody::drop}) {
    auto once = protocol::read_poll(data, "id", raw);
    if (auto going = protocol::peek_running_state(data)) {
      if (!once || once->state != *going || !once->raw.is_null()) std::abort();
    } else if (test_support::reading(once) !=
               test_support::reading(protocol::parse_status(data, "id", raw))) {
      std::abort();
    }
  }
  // A reading that builds only the members it reads agrees with the whole parse, field by field.
  if (test_support::reading(protocol::parse_status(data, "id")) !=
      test_support::reading(protocol::parse_status(data, "id", protocol::RawBody::drop))) {
    std::abort();
  }
  if (auto r = protocol::parse_status(data, "id")) {
    touch(r->raw_state);
    touch(protocol::dump_json(r->raw));
    if (auto j = r->json()) touch(protocol::dump_json(*j));
  } else {
    touch(r.error().message);
  }
  auto msg = protocol::parse_error_body(data);
  touch(msg.message);
  for (auto call : kCalls)
    for (int status : kStatuses) touch(protocol::error_from_http(call, status, data, "id").message);
  if (auto k = protocol::parse_kickoff_response(data)) touch(*k);
  if (auto in = protocol::parse_inputs_response(data)) {
    for (const auto& name : *in) touch(name);
  }
  if (auto res = protocol::parse_resume_response(data)) touch(res->message);
  if (auto h = protocol::parse_hitl_payload(data)) touch(h->task_output);
}

}  // namespace crewai::fuzz
