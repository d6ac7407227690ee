# Precompiled headers for the heavy headers that nearly every translation unit includes
# (nlohmann/json above all: about 2 s of parsing per file, half of a small file's compile time).
# Only third-party and standard headers, so that the simulator stays independent of the SDK and a
# change to our own headers never rebuilds a precompiled header. CREWAI_PCH=OFF turns it off (e.g.
# to check that every file includes what it uses).
#
# Each header set is compiled once, by a small host target, and every other target reuses the
# host's (REUSE_FROM) instead of compiling its own: one compile instead of one per target. A
# precompiled header only serves code compiled with the same flags, and libraries (-fPIC) differ
# from executables (-fPIE), hence one host for each; the tests have their own (gtest, gmock).
option(CREWAI_PCH "Precompile common third-party headers" ON)

set(CREWAI_PCH_HEADERS
  <algorithm> <chrono> <functional> <map> <memory> <mutex> <optional> <string> <string_view>
  <vector> <nlohmann/json.hpp> <tl/expected.hpp>)
set(CREWAI_TEST_PCH_HEADERS ${CREWAI_PCH_HEADERS}
  <atomic> <condition_variable> <filesystem> <fstream> <future> <set> <sstream> <thread>
  <gtest/gtest.h> <gmock/gmock.h>)

function(_crewai_pch_options target)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # g++ 12 does not treat std headers that come from a precompiled header as system headers
    # for its late (-O2/-O3) warnings, so libstdc++'s own std::string code then reports the
    # false -Warray-bounds / -Wstringop-overflow of GCC bugs 105329 and 105651 (as -Wrestrict,
    # CrewaiWarnings.cmake). ASan and UBSan check real bounds in CI.
    target_compile_options(${target} PRIVATE -Wno-array-bounds -Wno-stringop-overflow)
  endif()
endfunction()

# _crewai_pch_host(name EXECUTABLE|LIBRARY headers libs...): the target that compiles one header set;
# `libs` give it the include directories and definitions of the headers.
function(_crewai_pch_host name type headers)
  if(TARGET ${name})
    return()
  endif()
  if(type STREQUAL "EXECUTABLE")
    add_executable(${name} ${PROJECT_SOURCE_DIR}/cmake/pch_host.cpp)
  else()
    add_library(${name} OBJECT ${PROJECT_SOURCE_DIR}/cmake/pch_host.cpp)
  endif()
  crewai_warnings(${name})
  _crewai_pch_options(${name})
  target_link_libraries(${name} PRIVATE ${ARGN})
  target_precompile_headers(${name} PRIVATE ${headers})
endfunction()

# crewai_precompile(target...): the SDK's header set for libraries and executables.
function(crewai_precompile)
  if(NOT CREWAI_PCH)
    return()
  endif()
  _crewai_pch_host(crewai_pch_lib LIBRARY "${CREWAI_PCH_HEADERS}" nlohmann_json::nlohmann_json tl::expected)
  _crewai_pch_host(crewai_pch_exe EXECUTABLE "${CREWAI_PCH_HEADERS}" nlohmann_json::nlohmann_json tl::expected)
  foreach(target IN LISTS ARGN)
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "EXECUTABLE")
      target_precompile_headers(${target} REUSE_FROM crewai_pch_exe)
    else()
      target_precompile_headers(${target} REUSE_FROM crewai_pch_lib)
    endif()
    _crewai_pch_options(${target})
  endforeach()
endfunction()

# crewai_precompile_test(target): the tests' header set (the SDK's, the std headers tests use, gtest).
function(crewai_precompile_test target)
  if(NOT CREWAI_PCH)
    return()
  endif()
  _crewai_pch_host(crewai_pch_test EXECUTABLE "${CREWAI_TEST_PCH_HEADERS}"
                   nlohmann_json::nlohmann_json tl::expected GTest::gtest GTest::gmock)
  target_precompile_headers(${target} REUSE_FROM crewai_pch_test)
  _crewai_pch_options(${target})
endfunction()
