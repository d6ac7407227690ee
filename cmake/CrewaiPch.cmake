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
  endforeach()
endfunction()
