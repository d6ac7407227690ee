# crewai_warnings(target): the house warning set; -Werror when CREWAI_WERROR is on (CI, presets).
function(crewai_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(CREWAI_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
