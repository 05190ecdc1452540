# Builds and runs tests/package/consumer against retort, as a user would.
#   cmake -DMODE=find_package|add_subdirectory -DRETORT_SOURCE_DIR=... -DRETORT_BINARY_DIR=...
#         -DWORK_DIR=... -DCXX_COMPILER=... -DGENERATOR=... [-DMAKE_PROGRAM=...]
#         [-DBUILD_TYPE=...] [-DCXX_FLAGS=...] [-DEXE_LINKER_FLAGS=...] -P run_consumer.cmake
# find_package: installs RETORT_BINARY_DIR (already built) into WORK_DIR/prefix
# and points the consumer at it. add_subdirectory: the consumer builds retort's
# sources itself. Any failing step fails the script (and so the test).
cmake_minimum_required(VERSION 3.25)

foreach(var MODE RETORT_SOURCE_DIR RETORT_BINARY_DIR WORK_DIR CXX_COMPILER GENERATOR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()

# run(<step> <command>...): runs a command, echoing it, and stops on failure.
function(run step)
  list(JOIN ARGN " " shown)
  message(STATUS "[${step}] ${shown}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "[${step}] failed (${rc})")
  endif()
endfunction()

# A fresh tree each time, so a stale cache or install cannot hide a breakage.
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
set(build ${WORK_DIR}/build)

# The parent build's toolchain and flags: the asan preset's sanitizer runtime
# must link into the consumer too.
set(configure_args
  -S ${CMAKE_CURRENT_LIST_DIR}/consumer -B ${build} -G ${GENERATOR}
  -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
  "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
  "-DCMAKE_EXE_LINKER_FLAGS=${EXE_LINKER_FLAGS}")
if(MAKE_PROGRAM)
  list(APPEND configure_args -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()
# The installed library was built in BUILD_TYPE, so the consumer matches it.
# The add_subdirectory build compiles all of retort again only to check the
# CMake wiring: it leaves the type empty (no -O3), which roughly halves its time.
if(BUILD_TYPE AND MODE STREQUAL "find_package")
  list(APPEND configure_args -DCMAKE_BUILD_TYPE=${BUILD_TYPE})
endif()

if(MODE STREQUAL "find_package")
  run(install ${CMAKE_COMMAND} --install ${RETORT_BINARY_DIR} --prefix ${prefix})
  # Only the fresh prefix may satisfy find_package(retort): no package registry.
  list(APPEND configure_args -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
elseif(MODE STREQUAL "add_subdirectory")
  list(APPEND configure_args -DRETORT_SOURCE_DIR=${RETORT_SOURCE_DIR})
else()
  message(FATAL_ERROR "run_consumer.cmake: unknown MODE '${MODE}'")
endif()

run(configure ${CMAKE_COMMAND} ${configure_args})

if(MODE STREQUAL "find_package")
  # Make sure it really was the installed copy that was found.
  file(STRINGS ${build}/CMakeCache.txt found REGEX "^retort_DIR:")
  string(FIND "${found}" "${prefix}/" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "find_package(retort) did not use ${prefix}: ${found}")
  endif()
endif()

run(build ${CMAKE_COMMAND} --build ${build})
run(run ${build}/consumer)
