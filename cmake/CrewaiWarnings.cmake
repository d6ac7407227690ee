# crewai_warnings(target): the house warning set; -Werror when CREWAI_WERROR is on (CI, presets).
function(crewai_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 at -O2/-O3 reports false -Wrestrict overlaps inside libstdc++'s std::string
    # operator+ (GCC bugs 105329, 105651); they are not in our code and not real.
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(CREWAI_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
