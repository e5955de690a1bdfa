# cmake -DSOURCE_DIR=<kemu source> -DBUILD_DIR=<kemu build> -DCONFIG=<config> -DPREFIX=<dir>
#       -P install_and_check.cmake
# Installs the build tree into a fresh PREFIX and checks the result: the package files, the
# headers under include/kemu, and nothing of emu/ (kemu's private headers).
file(REMOVE_RECURSE ${PREFIX})
set(config_option)
if(CONFIG)
  set(config_option --config ${CONFIG})
endif()
execute_process(
  COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX} ${config_option}
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "cmake --install ${BUILD_DIR} failed: ${result}")
endif()

file(GLOB_RECURSE config_files ${PREFIX}/*/kemuConfig.cmake)
file(GLOB_RECURSE version_files ${PREFIX}/*/kemuConfigVersion.cmake)
if(NOT config_files OR NOT version_files)
  message(FATAL_ERROR "no kemuConfig.cmake / kemuConfigVersion.cmake under ${PREFIX}")
endif()
foreach(header include/kemu/kemu.hpp include/kemu/testing/gtest.hpp
               include/kemu/scenario/main.hpp include/kemu/wdk/wdm.h include/kemu/wdk/iointex.h)
  if(NOT EXISTS ${PREFIX}/${header})
    message(FATAL_ERROR "${PREFIX}/${header} was not installed")
  endif()
endforeach()

# emu/ headers are the implementation's: every installed header is one of include/kemu/ or
# include/wdk/ (installed as include/kemu/wdk/), and the export refers to neither kemu's source
# tree nor its build tree.
file(GLOB_RECURSE installed RELATIVE ${PREFIX} ${PREFIX}/*)
foreach(file IN LISTS installed)
  if(file MATCHES "^include/kemu/wdk/(.*)$")
    set(source ${SOURCE_DIR}/include/wdk/${CMAKE_MATCH_1})
  elseif(file MATCHES "^include/")
    set(source ${SOURCE_DIR}/${file})
  else()
    continue()
  endif()
  if(NOT EXISTS ${source})
    message(FATAL_ERROR "${file} is not a public header of kemu (include/kemu, include/wdk)")
  endif()
endforeach()
file(GLOB_RECURSE target_files ${PREFIX}/*/kemuTargets*.cmake)
foreach(file IN LISTS target_files)
  file(READ ${file} text)
  foreach(tree ${SOURCE_DIR} ${BUILD_DIR})
    string(FIND "${text}" "${tree}/" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "${file} refers to ${tree}")
    endif()
  endforeach()
endforeach()
