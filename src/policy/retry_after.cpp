// Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date in any of its three forms.
#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <optional>
#include <string_view>

#include "crewai/policy.hpp"

namespace crewai {
namespace {

using std::chrono::system_clock;

// Longer waits are clamped by RetryPolicy::max_retry_after anyway; this only avoids overflow.
constexpr long long kMaxSeconds = 10LL * 365 * 24 * 3600;

constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> kShortDays{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> kLongDays{"Monday", "Tuesday", "Wednesday", "Thursday",
                                                    "Friday", "Saturday", "Sunday"};

// A cursor over the header value; each reader consumes on success.
struct Cursor {
  std::string_view s;

  bool literal(std::string_view lit) {
    if (s.substr(0, lit.size()) != lit) return false;
    s.remove_prefix(lit.size());
    return true;
  }
  std::optional<int> digits(std::size_t min_len, std::size_t max_len) {
    std::size_t n = 0;
    int v = 0;
    while (n < s.size() && n < max_len && std::isdigit(static_cast<unsigned char>(s[n]))) v = v * 10 + (s[n++] - '0');
    if (n < min_len) return std::nullopt;
    s.remove_prefix(n);
    return v;
  }
  template <std::size_t N>
  std::optional<int> word(const std::array<std::string_view, N>& words) {
    for (std::size_t i = 0; i < N; ++i) {
      if (literal(words[i])) return static_cast<int>(i);
    }
    return std::nullopt;
  }
  bool spaces() {
    std::size_t n = 0;
    while (n < s.size() && s[n] == ' ') ++n;
    s.remove_prefix(n);
    return n > 0;
  }
};

struct Fields {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

bool read_time(Cursor& c, Fields& f) {
  auto h = c.digits(2, 2);
  if (!h || !c.literal(":")) return false;
  auto m = c.digits(2, 2);
  if (!m || !c.literal(":")) return false;
  auto s = c.digits(2, 2);
  if (!s) return false;
  f.hour = *h, f.minute = *m, f.second = *s;
  return true;
}

// "Sun, 06 Nov 1994 08:49:37 GMT"
bool imf_fixdate(Cursor c, Fields& f) {
  if (!c.word(kShortDays) || !c.literal(", ")) return false;
  auto d = c.digits(2, 2);
  if (!d || !c.literal(" ")) return false;
  auto mon = c.word(kMonths);
  if (!mon || !c.literal(" ")) return false;
  auto y = c.digits(4, 4);
  if (!y || !c.literal(" ") || !read_time(c, f) || !c.literal(" GMT") || !c.s.empty()) return false;
  f.day = *d, f.month = *mon + 1, f.year = *y;
  return true;
}

// "Sunday, 06-Nov-94 08:49:37 GMT"; a two-digit year more than 50 years ahead is in the past.
bool rfc850(Cursor c, Fields& f, int this_year) {
  if (!c.word(kLongDays) || !c.literal(", ")) return false;
  auto d = c.digits(2, 2);
  if (!d || !c.literal("-")) return false;
  auto mon = c.word(kMonths);
  if (!mon || !c.literal("-")) return false;
  auto yy = c.digits(2, 2);
  if (!yy || !c.literal(" ") || !read_time(c, f) || !c.literal(" GMT") || !c.s.empty()) return false;
  int year = this_year - this_year % 100 + *yy;
  if (year > this_year + 50) year -= 100;
  f.day = *d, f.month = *mon + 1, f.year = year;
  return true;
}

// "Sun Nov  6 08:49:37 1994"
bool asctime_date(Cursor c, Fields& f) {
  if (!c.word(kShortDays) || !c.literal(" ")) return false;
  auto mon = c.word(kMonths);
  if (!mon || !c.spaces()) return false;
  auto d = c.digits(1, 2);
  if (!d || !c.literal(" ") || !read_time(c, f) || !c.literal(" ")) return false;
  auto y = c.digits(4, 4);
  if (!y || !c.s.empty()) return false;
  f.day = *d, f.month = *mon + 1, f.year = *y;
  return true;
}

std::optional<system_clock::time_point> to_time_point(const Fields& f) {
  using namespace std::chrono;
  year_month_day ymd{year{f.year}, month{static_cast<unsigned>(f.month)}, day{static_cast<unsigned>(f.day)}};
  if (!ymd.ok() || f.hour > 23 || f.minute > 59 || f.second > 60) return std::nullopt;
  return sys_days(ymd) + hours(f.hour) + minutes(f.minute) + seconds(f.second);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<Millis> parse_retry_after(std::string_view value, system_clock::time_point now) {
  using namespace std::chrono;
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(value.front()))) {
    long long secs = 0;
    for (char c : value) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      secs = std::min(secs * 10 + (c - '0'), kMaxSeconds);
    }
    return duration_cast<Millis>(seconds(secs));
  }
  const int this_year = static_cast<int>(year_month_day(floor<days>(now)).year());
  Fields f;
  Cursor c{value};
  if (!imf_fixdate(c, f) && !rfc850(c, f, this_year) && !asctime_date(c, f)) return std::nullopt;
  auto when = to_time_point(f);
  if (!when) return std::nullopt;
  if (*when <= now) return Millis(0);
  return std::min(duration_cast<Millis>(*when - now), duration_cast<Millis>(seconds(kMaxSeconds)));
}

}  // namespace crewai
