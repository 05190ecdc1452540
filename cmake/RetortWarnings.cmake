# retort_warnings(target): the project's warning flags, private to its own targets.
function(retort_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    # Designated initializers that leave members at their defaults are how
    # models are written (Owner{.name = "Ann"}); -Wextra would flag each one.
    -Wno-missing-field-initializers)
  # GCC 12 (Debian 12's compiler) at -O2/-O3 reports false positives inside
  # inlined standard-library code: -Wrestrict overlaps for `"x" + std::string`
  # (GCC PR 105329 and relatives) and -Wmaybe-uninitialized when moving a
  # std::variant. With -Werror they break the release build on correct code.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict -Wno-maybe-uninitialized)
  endif()
  if(RETORT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
