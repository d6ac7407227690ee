# crewai_precompile(target...): precompiles the heavy headers that nearly every translation unit
# includes (nlohmann/json above all: about 2 s of parsing per file, half of a small file's compile
# time). Only third-party and standard headers, so that the simulator stays independent of the SDK
# and a change to our own headers never rebuilds a precompiled header. CREWAI_PCH=OFF turns it off
# (e.g. to check that every file includes what it uses).
option(CREWAI_PCH "Precompile common third-party headers" ON)
function(crewai_precompile)
  if(NOT CREWAI_PCH)
    return()
  endif()
  foreach(target IN LISTS ARGN)
    target_precompile_headers(${target} PRIVATE
      <algorithm> <chrono> <functional> <map> <memory> <mutex> <optional> <string> <string_view>
      <vector> <nlohmann/json.hpp> <tl/expected.hpp>)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
      # g++ 12 does not treat std headers that come from a precompiled header as system headers
      # for its late (-O2/-O3) warnings, so libstdc++'s own std::string code then reports the
      # false -Warray-bounds / -Wstringop-overflow of GCC bugs 105329 and 105651 (as -Wrestrict,
      # CrewaiWarnings.cmake). ASan and UBSan check real bounds in CI.
      target_compile_options(${target} PRIVATE -Wno-array-bounds -Wno-stringop-overflow)
    endif()
  endforeach()
endfunction()
