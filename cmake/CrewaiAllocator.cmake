# The memory allocator of crewctl (and of the bench programs that stand in for it).
#
# A batch allocates ~135 times per request (libcurl ~30, the rest the SDK's answers, records and
# callbacks), and glibc's malloc/free were ~12% of the engine thread's CPU. mimalloc (Debian's
# libmimalloc-dev) cut a 2,000-item batch's CPU per request by ~12% with its journal and ~14%
# without, at the same peak RSS with 10,000 runs in flight; jemalloc and tcmalloc saved as much
# CPU but raised that RSS by up to 18% (bench/README.md, "Session 10").
#
# Only executables link it: the SDK's libraries never choose an allocator for the application that
# embeds them (docs/library.md says how an application can do the same). Not under a sanitizer or
# libFuzzer, which replace malloc themselves.
#
#   -DCREWAI_ALLOCATOR=auto      mimalloc when installed and no sanitizer is on (the default)
#   -DCREWAI_ALLOCATOR=mimalloc  mimalloc, or a configure error
#   -DCREWAI_ALLOCATOR=system    the C library's malloc
set(CREWAI_ALLOCATOR auto CACHE STRING "crewctl's allocator: auto | mimalloc | system")
set_property(CACHE CREWAI_ALLOCATOR PROPERTY STRINGS auto mimalloc system)

set(crewai_allocator_target "")
if(CREWAI_ALLOCATOR STREQUAL "mimalloc" OR
   (CREWAI_ALLOCATOR STREQUAL "auto" AND NOT CREWAI_SANITIZE AND NOT CREWAI_FUZZ))
  if(CREWAI_ALLOCATOR STREQUAL "mimalloc")
    if(CREWAI_SANITIZE OR CREWAI_FUZZ)
      message(FATAL_ERROR "CREWAI_ALLOCATOR=mimalloc cannot be combined with a sanitizer or "
                          "libFuzzer (they replace malloc); use auto or system")
    endif()
    find_package(mimalloc 2.0 CONFIG REQUIRED)
  else()
    find_package(mimalloc 2.0 CONFIG QUIET)
  endif()
  if(TARGET mimalloc)
    set(crewai_allocator_target mimalloc)
  endif()
elseif(NOT CREWAI_ALLOCATOR MATCHES "^(auto|system)$")
  message(FATAL_ERROR "CREWAI_ALLOCATOR is '${CREWAI_ALLOCATOR}': use auto, mimalloc or system")
endif()

if(crewai_allocator_target)
  set(CREWAI_ALLOCATOR_NAME "mimalloc ${mimalloc_VERSION}")
else()
  set(CREWAI_ALLOCATOR_NAME "system malloc")
endif()
message(STATUS "crewctl's allocator: ${CREWAI_ALLOCATOR_NAME}")

# crewai_use_allocator(TARGET...): link the chosen allocator into these executables. Linking the
# shared library is enough: its malloc/free come before the C library's in symbol lookup, so
# they serve every allocation of the process (libcurl's, SQLite's and the C++ runtime's too).
# tests/cli's crewctl_allocator_test checks that mimalloc serves crewctl when this build chose it.
function(crewai_use_allocator)
  foreach(t IN LISTS ARGN)
    if(crewai_allocator_target)
      target_link_libraries(${t} PRIVATE ${crewai_allocator_target})
    endif()
  endforeach()
endfunction()
