// tests/support/throw_count.hpp — how many C++ exceptions this process has thrown so far (caught
// or not), for tests that hold a normal path to "no exception" (issue 13, point 5).
//
// Link tests/support/throw_count.cpp into the test: it interposes __cxa_throw, counts, and hands
// over to the runtime's own.
#pragma once

#include <cstdint>

namespace crewai::test {

std::uint64_t throws_so_far();

}  // namespace crewai::test
