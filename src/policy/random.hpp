// policy/random.hpp — the random source handed to the policies: uniform numbers in [0, 1).
//
// Seeded explicitly so that a test (or a replayed failure) sees the same jitter every time; a
// caller who wants fresh randomness seeds it from std::random_device. Not thread-safe: one per owner.
#pragma once

#include <cstdint>
#include <random>

namespace crewai::policy {

class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}

  // Exactly representable doubles k / 2^53, so the result is never 1.0.
  double uniform01() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

 private:
  std::mt19937_64 engine_;
};

}  // namespace crewai::policy
