// The bounds of every number crewctl reads (flags, environment, profile), in one table.
#include "validate.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace crewctl {
namespace {

using crewai::ErrorCode;
using crewai::make_error;

struct Rule {
  double min;
  bool min_open;  // min itself refused (timeouts, rates: "above 0")
  double max;
  bool whole;
  const char* unit;
};

// Upper bounds keep every value far from overflow where it becomes milliseconds or a count, and
// catch typos (a poll interval of 1e9 s is a mistake, not a wish).
const Rule& rule(Num n) {
  static const Rule kRules[] = {
      {0, true, 3600, false, "seconds"},         // timeout
      {0.01, false, 3600, false, "seconds"},     // poll_interval
      {0, false, 100, true, ""},                 // max_retries
      {1, false, 10'000, true, ""},              // concurrency
      {0, true, 10'000, false, "per second"},    // rate
      {0, false, 100, true, ""},                 // retry_failed
      {1, false, 1e9, true, ""},                 // max_errors
      {0, false, 1, false, ""},                  // max_error_rate
      {0, true, 100, false, ""},                 // sim_time_scale
  };
  return kRules[static_cast<int>(n)];
}

std::string number_text(double v) { return fmt::format("{}", v); }

}  // namespace

std::string describe(Num n) {
  const Rule& r = rule(n);
  std::string unit = *r.unit ? std::string(" ") + r.unit : "";
  if (r.whole) return fmt::format("a whole number from {} to {}", number_text(r.min), number_text(r.max));
  if (r.min_open) return fmt::format("above {} and at most {}{}", number_text(r.min), number_text(r.max), unit);
  return fmt::format("between {} and {}{}", number_text(r.min), number_text(r.max), unit);
}

crewai::Result<double> check_number(Num n, double v, const std::string& source) {
  const Rule& r = rule(n);
  bool ok = std::isfinite(v) && (r.min_open ? v > r.min : v >= r.min) && v <= r.max &&
            (!r.whole || v == std::floor(v));
  if (ok) return v;
  return make_error(ErrorCode::invalid_argument,
                    fmt::format("{} must be {}, got {}", source, describe(n), number_text(v)));
}

crewai::Result<double> parse_number(Num n, const std::string& text, const std::string& source) {
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || errno == ERANGE || end != text.c_str() + text.size()) {
    return make_error(ErrorCode::invalid_argument,
                      fmt::format("{} must be {}, got \"{}\"", source, describe(n), text));
  }
  return check_number(n, v, source);
}

crewai::Result<crewai::Millis> parse_deadline(const std::string& text, const std::string& source) {
  constexpr double kMaxMs = 30.0 * 24 * 3600 * 1000;  // 30 days
  auto bad = [&](const std::string& why) {
    return make_error(ErrorCode::invalid_argument,
                      fmt::format("{}: {}, got \"{}\"", source, why, text));
  };
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end == text.c_str() || errno == ERANGE || !std::isfinite(v)) {
    return bad("expected a duration like 90, 90s, 5m or 2h");
  }
  std::string unit(end);
  double factor = 0;
  if (unit.empty() || unit == "s") factor = 1000;
  else if (unit == "ms") factor = 1;
  else if (unit == "m") factor = 60'000;
  else if (unit == "h") factor = 3'600'000;
  else if (unit == "d") factor = 86'400'000;
  else return bad("expected a duration like 90, 90s, 5m or 2h");
  double ms = v * factor;
  if (!(ms >= 1)) return bad("must be above 0 (leave the flag out for the default)");
  if (ms > kMaxMs) return bad("must be at most 30 days");
  return crewai::Millis(static_cast<long long>(std::llround(ms)));
}

}  // namespace crewctl
