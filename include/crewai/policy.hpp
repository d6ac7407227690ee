// crewai/policy.hpp — retry, backoff and polling as small value types handed in through options.
//
// Every method is a pure function of its arguments: the caller supplies the attempt number, a
// uniform random number in [0, 1) and "now", so tests run instantly and deterministically
// (the google-cloud-cpp RetryPolicy / BackoffPolicy / PollingPolicy split is the model).
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace crewai {

/// Durations in the options and policies: milliseconds.
using Millis = std::chrono::milliseconds;

/// Exponential backoff between retries of one request: initial * multiplier^(n-1), capped at max,
/// with jitter.
struct BackoffPolicy {
  /// How the capped delay is randomised.
  enum class Jitter {
    none,          // exactly initial * multiplier^(n-1), capped
    full,          // uniform in [0, capped]
    proportional,  // capped * (1 ± spread)
  };
  /// The delay before the first retry (before jitter).
  Millis initial{250};
  /// Each delay is the previous one times this.
  double multiplier = 2.0;
  /// No delay exceeds this (before jitter).
  Millis max{Millis(20'000)};
  /// The randomisation applied to each delay.
  Jitter jitter = Jitter::full;
  double spread = 0.2;  // for proportional jitter

  // Delay before retry number `retry` (1 = the first retry). `uniform01` is in [0, 1).
  Millis delay(int retry, double uniform01) const;
};

/// When a failed request is tried again, and after how long.
struct RetryPolicy {
  int max_attempts = 6;                    // tries in all, the first included; 1 = never retry
  Millis max_elapsed{Millis(120'000)};     // no retry starts after this much time on one request
  Millis max_retry_after{Millis(300'000)}; // a longer Retry-After is clamped to this
  /// The delays between tries (a server's Retry-After wins, up to max_retry_after).
  BackoffPolicy backoff{};

  // The wait before retry number `retry`, honouring a server's Retry-After when present, or
  // nullopt when the attempts or the time budget are spent (`elapsed` = time since first try).
  std::optional<Millis> next_delay(int retry, Millis elapsed, std::optional<Millis> retry_after,
                                   double uniform01) const;

  /// A policy that never retries (max_attempts = 1).
  static RetryPolicy none() {
    RetryPolicy p;
    p.max_attempts = 1;
    return p;
  }
};

/// How Client::wait polls GET /status: growing intervals with jitter, under a deadline.
struct PollPolicy {
  Millis initial{1'000};   // first wait after kickoff
  double growth = 1.5;     // each wait is the previous one times this...
  Millis cap{15'000};      // ...up to this
  double jitter = 0.2;     // ± fraction applied to each wait
  Millis deadline{Millis(6 * 3600 * 1000)};  // overall limit on one wait(); 0 = none
  Millis not_found_grace{30'000};            // 404 / NOT FOUND tolerated this long after kickoff
  int max_failed_polls = 10;  // consecutive polls that failed for good (after their own retries)
                              // or answered garbage, before wait() gives up; the run is not lost
  int max_server_errors = 3;  // consecutive polls answered 5xx (after their own retries): the run
                              // itself may have died, so wait() ends early (unavailable, kickoff
                              // id kept) instead of polling to the deadline

  /// Polls leave on a grid that every wait of the process shares: a poll's time is rounded to the
  /// nearest multiple of `align` on the steady clock, so that the polls of many runs waiting at
  /// once go out together: one wake of the client and one burst for the server instead of one
  /// each. Jittered polls are otherwise spread evenly in time, each on its own; at 100 runs polled
  /// every 50 ms that cost a batch a third of its CPU (bench/README.md). A poll moves by at most
  /// align / 2 either way; a wait shorter than 4 * align keeps its time (a short interval is not
  /// stretched); 0 turns the grid off.
  Millis align{10};

  // Wait before poll number `n` (0 = the first poll after kickoff: wait(id) without
  // WaitOptions::kicked_off_at, or with a human-input webhook, polls at once instead).
  Millis interval(int n, double uniform01) const;

  /// When to send a poll that falls due at `due`, asked at `now`: `due` on the grid of `align`.
  /// Never before `now`.
  std::chrono::steady_clock::time_point poll_time(std::chrono::steady_clock::time_point now,
                                                  std::chrono::steady_clock::time_point due) const;
};

}  // namespace crewai
