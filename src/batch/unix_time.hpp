// batch/unix_time.hpp — wall-clock seconds since the epoch, as records and the journal store them.
#pragma once

#include <chrono>

namespace crewai::batch {

inline double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace crewai::batch
