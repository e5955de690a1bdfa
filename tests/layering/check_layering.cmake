# The dependency direction of emu/ (docs/architecture.md, "Dependency direction"): which folder's
# sources may include which. Reads every #include "<folder>/..." line under ROOT/emu and fails,
# naming file:line and the rule, on any include the rule does not allow.
#
#   cmake -DROOT=<source tree> -P check_layering.cmake
cmake_minimum_required(VERSION 3.24)
if(NOT ROOT)
  message(FATAL_ERROR "check_layering.cmake: pass -DROOT=<source tree>")
endif()

# Folder under emu/ -> the emu/ folders its sources may include besides its own. Headers under
# include/ (kemu/..., the WDK's) are the public API and always allowed.
set(allowed_personality "")
set(allowed_verifier "personality")
set(allowed_model "verifier;personality;race")
set(allowed_race "")
set(allowed_abi "model;verifier;personality;race")
set(allowed_testing "")
set(allowed_scenario "")
set(allowed_fuzz "")
# emu/scenario/ stages, in order: each may include only itself and the stages before it.
set(scenario_stages parse run report cli)

set(public_roots kemu wdk)
set(problems "")
file(GLOB_RECURSE sources RELATIVE "${ROOT}" "${ROOT}/emu/*.cpp" "${ROOT}/emu/*.hpp"
     "${ROOT}/emu/*.h" "${ROOT}/emu/*.c" "${ROOT}/emu/*.inc")
list(SORT sources)
foreach(source IN LISTS sources)
  string(REGEX MATCH "^emu/([a-z_]+)/" _ "${source}")
  set(folder "${CMAKE_MATCH_1}")
  if(NOT DEFINED allowed_${folder})
    continue()  # emu/CMakeLists.txt and friends, or a folder with no rule yet
  endif()
  set(stage "")
  if(folder STREQUAL "scenario" AND source MATCHES "^emu/scenario/([a-z_]+)/")
    set(stage "${CMAKE_MATCH_1}")
  endif()
  file(STRINGS "${ROOT}/${source}" lines)
  set(number 0)
  foreach(line IN LISTS lines)
    math(EXPR number "${number} + 1")
    if(NOT line MATCHES "^[ \t]*#[ \t]*include[ \t]+\"(([a-z_]+)/[^\"]*)\"")
      continue()
    endif()
    set(header "${CMAKE_MATCH_1}")
    set(target "${CMAKE_MATCH_2}")
    if(target IN_LIST public_roots OR target STREQUAL folder)
      if(target STREQUAL "scenario" AND stage AND header MATCHES "^scenario/([a-z_]+)/")
        list(FIND scenario_stages "${stage}" own)
        list(FIND scenario_stages "${CMAKE_MATCH_1}" used)
        if(used GREATER own)
          list(APPEND problems
               "${source}:${number}: the ${stage} stage may not include ${header}, a later stage")
        endif()
      endif()
      continue()
    endif()
    if(NOT target IN_LIST allowed_${folder})
      list(APPEND problems "${source}:${number}: emu/${folder}/ may not include ${header}")
    endif()
  endforeach()
endforeach()

list(LENGTH sources count)
if(problems)
  foreach(problem IN LISTS problems)
    message(NOTICE "${problem}")
  endforeach()
  list(LENGTH problems broken)
  message(FATAL_ERROR "${broken} include(s) against the dependency direction "
                      "(docs/architecture.md, \"Dependency direction\")")
endif()
message(STATUS "emu/ includes follow the dependency direction (${count} files)")
