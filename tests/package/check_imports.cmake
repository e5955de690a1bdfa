# Run by ctest (kemu_package_check_imports_exclude_from_all): configures check_imports/, whose
# driver is EXCLUDE_FROM_ALL and imports DbgPrintEx (XP on), with LOADS_ON win2000, and checks
#   - that ALL builds without the driver (it stays out of ALL),
#   - that building the driver by name fails, naming the routine and the release,
#   - that building it again fails again (a failed check leaves nothing that looks up to date),
#   - that building a program that links it fails the same way, before the program links,
#   - and that with LOADS_ON xp the driver builds.
# Inputs: SOURCE_DIR (kemu's), BINARY_DIR (scratch), MANIFEST, GENERATOR, C_COMPILER.
cmake_minimum_required(VERSION 3.24)

set(project "${SOURCE_DIR}/tests/package/check_imports")
set(expected "xp_driver does not load on win2000: it imports DbgPrintEx \\(from xp\\)")

function(configure loads_on)
  file(REMOVE_RECURSE "${BINARY_DIR}")
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -S "${project}" -B "${BINARY_DIR}" -G "${GENERATOR}"
            "-DCMAKE_C_COMPILER=${C_COMPILER}" "-DKEMU_SOURCE_DIR=${SOURCE_DIR}"
            "-DMANIFEST=${MANIFEST}" "-DDRIVER_LOADS_ON=${loads_on}"
    RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "configuring ${project} failed:\n${out}")
  endif()
endfunction()

# Builds `target` ("" = ALL); sets build_result and build_output in the caller.
function(build target)
  set(args "")
  if(target)
    set(args --target "${target}")
  endif()
  execute_process(COMMAND "${CMAKE_COMMAND}" --build "${BINARY_DIR}" ${args}
                  RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  set(build_result "${result}" PARENT_SCOPE)
  set(build_output "${out}" PARENT_SCOPE)
endfunction()

function(expect_refused target what)
  build("${target}")
  if(build_result EQUAL 0)
    message(FATAL_ERROR "${what}: the build succeeded; the check did not run:\n${build_output}")
  endif()
  if(NOT build_output MATCHES "${expected}")
    message(FATAL_ERROR "${what}: failed without naming DbgPrintEx:\n${build_output}")
  endif()
  if(build_output MATCHES "undefined reference|Undefined symbols|unresolved external")
    message(FATAL_ERROR "${what}: the program linked before the check ran:\n${build_output}")
  endif()
  message(STATUS "ok: ${what}")
endfunction()

configure(win2000)
build("")
if(NOT build_result EQUAL 0)
  message(FATAL_ERROR "ALL (without the driver) failed:\n${build_output}")
endif()
if(build_output MATCHES "kemu_check_imports")
  message(FATAL_ERROR "ALL checked the EXCLUDE_FROM_ALL driver:\n${build_output}")
endif()
message(STATUS "ok: ALL leaves the EXCLUDE_FROM_ALL driver alone")
expect_refused(xp_driver "--target xp_driver")
expect_refused(xp_driver "--target xp_driver, again")
expect_refused(xp_driver_import_check "--target xp_driver_import_check")
expect_refused(program "--target program (links the driver)")

configure(xp)
build(xp_driver)
if(NOT build_result EQUAL 0 OR NOT build_output MATCHES "xp_driver imports 1 WDK routines")
  message(FATAL_ERROR "with LOADS_ON xp the driver should build, checked:\n${build_output}")
endif()
message(STATUS "ok: LOADS_ON xp builds the driver and prints its imports")
