// The one numeric validator of crewctl (tools/crewctl/validate.hpp), table-driven: every rule's
// bounds, and the values a hostile test fed it (inf, nan, negatives, overflow, 0).
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "validate.hpp"

namespace crewctl {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
const double kNan = std::nan("");

struct Case {
  Num num;
  double value;
  bool ok;
};

TEST(Validate, NumbersKeepToTheirBounds) {
  const Case cases[] = {
      {Num::timeout, 1, true},           {Num::timeout, 0.5, true},
      {Num::timeout, 3600, true},        {Num::timeout, 0, false},
      {Num::timeout, -1, false},         {Num::timeout, 3601, false},
      {Num::timeout, kInf, false},       {Num::timeout, kNan, false},
      {Num::poll_interval, 0.01, true},  {Num::poll_interval, 3600, true},
      {Num::poll_interval, 1e-9, false}, {Num::poll_interval, 0.009, false},
      {Num::poll_interval, kInf, false}, {Num::poll_interval, -1, false},
      {Num::poll_interval, kNan, false}, {Num::poll_interval, 3601, false},
      {Num::max_retries, 0, true},       {Num::max_retries, 100, true},
      {Num::max_retries, -1, false},     {Num::max_retries, 101, false},
      {Num::max_retries, 1.5, false},    {Num::concurrency, 1, true},
      {Num::concurrency, 0, false},      {Num::concurrency, 10'000, true},
      {Num::concurrency, 10'001, false}, {Num::rate, 0.1, true},
      {Num::rate, 0, false},             {Num::rate, kInf, false},
      {Num::retry_failed, 0, true},      {Num::retry_failed, -1, false},
      {Num::max_errors, 1, true},        {Num::max_errors, 0, false},
      {Num::max_error_rate, 0, true},    {Num::max_error_rate, 1, true},
      {Num::max_error_rate, 1.01, false}, {Num::max_error_rate, kNan, false},
      {Num::sim_time_scale, 0.001, true}, {Num::sim_time_scale, 0, false},
  };
  for (const auto& c : cases) {
    auto r = check_number(c.num, c.value, "--flag");
    EXPECT_EQ(r.has_value(), c.ok) << static_cast<int>(c.num) << " " << c.value;
    if (!r) {
      EXPECT_EQ(r.error().code, crewai::ErrorCode::invalid_argument);
      EXPECT_EQ(r.error().message.rfind("--flag must be ", 0), 0u) << r.error().message;
    }
  }
}

TEST(Validate, TextIsReadWhole) {
  EXPECT_TRUE(parse_number(Num::timeout, "2.5", "CREWAI_TIMEOUT"));
  for (const char* bad : {"", "abc", "1s", "1e999", "inf", "nan", "-1", " 5x"}) {
    auto r = parse_number(Num::timeout, bad, "CREWAI_TIMEOUT");
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find("CREWAI_TIMEOUT"), std::string::npos);
  }
}

TEST(Validate, DeadlinesAreAboveZeroAndAtMostThirtyDays) {
  struct D {
    const char* text;
    long long ms;  // -1: refused
  };
  const D cases[] = {{"90", 90'000},     {"90s", 90'000},   {"500ms", 500},
                     {"5m", 300'000},    {"2h", 7'200'000}, {"30d", 2'592'000'000LL},
                     {"720h", 2'592'000'000LL},
                     {"0", -1},          {"0s", -1},        {"-1", -1},
                     {"31d", -1},        {"9999999999", -1}, {"3000000h", -1},
                     {"inf", -1},        {"nan", -1},       {"1e999", -1},
                     {"", -1},           {"soon", -1},      {"5 m", -1}};
  for (const auto& c : cases) {
    auto r = parse_deadline(c.text, "--deadline");
    if (c.ms < 0) {
      ASSERT_FALSE(r) << c.text;
      EXPECT_EQ(r.error().message.rfind("--deadline", 0), 0u) << r.error().message;
    } else {
      ASSERT_TRUE(r) << c.text << ": " << r.error().message;
      EXPECT_EQ(r->count(), c.ms) << c.text;
    }
  }
}

}  // namespace
}  // namespace crewctl
