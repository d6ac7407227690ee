// Interposes the C++ runtime's __cxa_throw (the executable's definition wins over libstdc++'s) and
// forwards to the next one (libstdc++, or a sanitizer's interceptor). Kept out of any file that
// includes <cxxabi.h>, whose declaration differs in attributes.
#include "support/throw_count.hpp"

#include <dlfcn.h>

#include <atomic>
#include <typeinfo>

namespace {

std::atomic<std::uint64_t> g_throws{0};

using CxaThrow = void (*)(void*, std::type_info*, void (*)(void*));

}  // namespace

extern "C" [[noreturn]] void __cxa_throw(void* thrown, std::type_info* type, void (*destroy)(void*)) {
  g_throws.fetch_add(1);
  static const auto next = reinterpret_cast<CxaThrow>(dlsym(RTLD_NEXT, "__cxa_throw"));
  next(thrown, type, destroy);
  __builtin_unreachable();
}

namespace crewai::test {

std::uint64_t throws_so_far() { return g_throws.load(); }

}  // namespace crewai::test
