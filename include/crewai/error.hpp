// crewai/error.hpp — errors as values.
//
// Every call of the SDK returns crewai::Result<T> (tl::expected<T, Error>). An Error carries a small
// closed set of canonical codes; whether a retry is safe is decided in one place (see
// protocol/errors.cpp) and carried on the value. A run that ends FAILED or REVOKED is *not* an Error:
// it is a RunResult whose state says so.
//
// No Error ever contains a token, password or webhook secret.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace crewai {

/// The canonical error codes: what went wrong, independent of the server's dialect.
enum class ErrorCode {
  invalid_argument,     // the caller's request is malformed (bad option, bad URL, bad JSON)
  invalid_input,        // the crew's inputs are wrong: missing names (422 missing_inputs) or a 400
  unauthenticated,      // 401: missing or wrong token
  permission_denied,    // 403
  not_found,            // 404 / NOT FOUND after the grace period
  failed_precondition,  // e.g. /resume on a run that is not paused (400)
  rate_limited,         // 429 after the retry budget
  unavailable,          // transport failure, 5xx after the retry budget
  deadline_exceeded,    // the caller's deadline passed
  ambiguous,            // a kickoff/resume may have reached the app; its outcome is unknown
  protocol,             // the server answered something we cannot read (unknown state, bad JSON)
  cancelled,            // the caller or the client's destruction cancelled the call
  schema_violation,     // a result did not match the JSON Schema it was checked against
  unimplemented,        // the deployment does not offer this call (no POST /stop route: cannot cancel)
  vanished,             // a run seen alive stopped being visible (NOT FOUND / 404): live crews
                        // read so while they wait for human input; the kickoff id is kept
  internal,             // a bug in this library
};

/// The code's name as written in the enum ("unavailable", ...).
std::string_view to_string(ErrorCode code) noexcept;

/// An error of a call: a code, the HTTP status and message when there was an answer, and whether
/// repeating the call is safe.
struct Error {
  /// What went wrong.
  ErrorCode code = ErrorCode::internal;
  int http_status = 0;       // 0 when no HTTP answer was read
  std::string message;       // the server's message (any error-body dialect) or ours
  std::string kickoff_id;    // when one is known
  bool retry_safe = false;   // true when repeating the same call cannot start a second run
  std::vector<std::string> missing_inputs;  // 422 details.missing_inputs, or our own /inputs check
  std::vector<std::string> violations;      // schema_violation: "<json pointer>: <what>"

  // "unavailable (HTTP 503): Service Unavailable [kickoff_id=...]"
  std::string to_string() const;
};

/// What every call returns: the value, or an Error.
template <class T>
using Result = tl::expected<T, Error>;

/// An Error as the unexpected value of a Result (for code that returns Result<T>).
inline tl::unexpected<Error> make_error(ErrorCode code, std::string message, int http_status = 0) {
  Error e;
  e.code = code;
  e.message = std::move(message);
  e.http_status = http_status;
  return tl::unexpected<Error>(std::move(e));
}

}  // namespace crewai
