# retort_warnings(target): the project's warning flags, private to its own targets.
function(retort_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
  if(RETORT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
