// crewctl/validate.hpp — the one check for every number crewctl reads, whatever its source.
//
// A flag (--timeout), an environment variable (CREWAI_TIMEOUT) and a profile key (timeout) of the
// same setting share one rule: its bounds, whether it is a whole number, and its unit. Infinity,
// NaN, negatives, overflow and values outside the bounds are refused with an invalid_argument
// error (exit 2) that names the source. The bounds are listed in docs/cli.md ("Limits").
#pragma once

#include <string>

#include "crewai/error.hpp"
#include "crewai/policy.hpp"

namespace crewctl {

enum class Num {
  timeout,         // seconds, > 0 and at most 1 h
  poll_interval,   // seconds, 10 ms to 1 h
  max_retries,     // whole number, 0 to 100
  concurrency,     // whole number, 1 to 10,000
  rate,            // kickoffs per second, > 0 and at most 10,000
  retry_failed,    // whole number, 0 to 100
  max_errors,      // whole number, 1 to 1e9
  max_error_rate,  // fraction, 0 to 1
  sim_time_scale,  // real seconds per crew second, > 0 and at most 100
};

// The rule's text, e.g. "between 0.01 and 3600 seconds" (for help and messages).
std::string describe(Num n);

// Checks a value already read as a number; `source` names it ("--timeout", "CREWAI_TIMEOUT",
// "/path/config.toml [default] timeout").
crewai::Result<double> check_number(Num n, double value, const std::string& source);

// Reads `text` as a number (the whole text; no unit) and checks it.
crewai::Result<double> parse_number(Num n, const std::string& text, const std::string& source);

// A deadline: "90" (seconds), "90s", "500ms", "5m", "2h", "1d"; above 0 and at most 30 days.
// "0" is refused: leaving the flag out is how to get the default.
crewai::Result<crewai::Millis> parse_deadline(const std::string& text, const std::string& source);

}  // namespace crewctl
