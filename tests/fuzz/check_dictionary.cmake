# cmake -DDICT=<file.dict> -DSOURCE_DIR=<kemu source> -P check_dictionary.cmake
#
# A libFuzzer dictionary names words of the grammar it helps with, so every word in it must still
# be one kemu's sources know: each entry's words (letters, digits, '_' and '.', not hex numbers)
# are looked up in the scenario sources (emu/scenario), the personality, status and fault
# routine names, and the run fuzzer's test driver. Fails naming each stale word,
# e.g. after a scenario key was renamed in emu/scenario/parse_*.cpp.
foreach(required DICT SOURCE_DIR)
  if(NOT ${required})
    message(FATAL_ERROR "check_dictionary.cmake: -D${required}= is required")
  endif()
endforeach()

file(GLOB_RECURSE sources ${SOURCE_DIR}/emu/scenario/*.cpp ${SOURCE_DIR}/emu/scenario/*.hpp)
list(APPEND sources
     ${SOURCE_DIR}/include/kemu/os.hpp                   # personality names
     ${SOURCE_DIR}/include/kemu/fuzz.hpp                 # routines faults name
     ${SOURCE_DIR}/emu/testing/ntstatus_names.inc        # status names
     ${SOURCE_DIR}/tests/scenario/test_driver.cpp)       # the run fuzzer's driver's actions
set(text "")
foreach(source IN LISTS sources)
  file(READ ${source} content)
  string(APPEND text "${content}")
endforeach()

# One list element per line. Brackets become parentheses first (no word contains either): an
# unbalanced '[' would join list elements.
file(READ ${DICT} dictionary)
string(REPLACE "[" "(" dictionary "${dictionary}")
string(REPLACE "]" ")" dictionary "${dictionary}")
string(REPLACE ";" "," dictionary "${dictionary}")
string(REPLACE "\n" ";" lines "${dictionary}")
set(entries 0)
set(stale "")
foreach(line IN LISTS lines)
  if(line MATCHES "^[ \t]*(#|$)")
    continue()
  endif()
  if(NOT line MATCHES "^([A-Za-z0-9_]+=)?\"(.*)\"[ \t]*$")
    message(FATAL_ERROR "${DICT}: not a dictionary entry: ${line}")
  endif()
  math(EXPR entries "${entries} + 1")
  string(REGEX MATCHALL "[A-Za-z_][A-Za-z0-9_.]*" words "${CMAKE_MATCH_2}")
  foreach(word IN LISTS words)
    if(word MATCHES "^x[0-9a-fA-F]+$")  # the tail of an escape such as \x0a
      continue()
    endif()
    string(FIND "${text}" "${word}" at)
    if(at EQUAL -1)
      list(APPEND stale "${word}")
    endif()
  endforeach()
endforeach()
if(stale)
  list(REMOVE_DUPLICATES stale)
  message(FATAL_ERROR "${DICT}: words no source of kemu's knows: ${stale}")
endif()
message(STATUS "${DICT}: ${entries} entries, every word one kemu's sources know")
