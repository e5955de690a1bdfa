# cmake -DPRESETS=<CMakePresets.json> -P presets_install.cmake
# `cmake --install` installs every kemu library, so it fails after a build that skipped one. Every
# build preset that builds a list of targets (rather than everything) must therefore list
# kemu_libraries: the bench preset once did not, and installing after it failed.
file(READ ${PRESETS} presets)
string(JSON count LENGTH "${presets}" buildPresets)
math(EXPR last "${count} - 1")
foreach(index RANGE ${last})
  string(JSON name GET "${presets}" buildPresets ${index} name)
  string(JSON targets ERROR_VARIABLE no_targets GET "${presets}" buildPresets ${index} targets)
  if(no_targets)
    continue()  # builds everything
  endif()
  string(JSON target_count LENGTH "${presets}" buildPresets ${index} targets)
  math(EXPR last_target "${target_count} - 1")
  set(found OFF)
  foreach(target_index RANGE ${last_target})
    string(JSON target GET "${presets}" buildPresets ${index} targets ${target_index})
    if(target STREQUAL "kemu_libraries")
      set(found ON)
    endif()
  endforeach()
  if(NOT found)
    message(FATAL_ERROR "build preset '${name}' builds a target list without kemu_libraries: "
                        "`cmake --install` fails after it")
  endif()
endforeach()
message(STATUS "every build preset with a target list builds kemu_libraries")
