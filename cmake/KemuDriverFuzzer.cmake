# kemu_add_driver_fuzzer(<name> ADAPTER_SOURCES <src>... [LINK <lib>...] [INSTRUMENT <lib>...]
#                        [CORPUS <dir or file>...] [SEEDS <dir or file>...] [DICT <file>])
#
# A fuzz program for a driver, from its scenario adapter (include/kemu/fuzz.hpp): ADAPTER_SOURCES
# define kemu::fuzz::ConfigureFuzzer (and may hold the adapter itself), LINK names the adapter's and
# the driver's libraries.
#
#   kemu_add_driver_fuzzer(my_fuzzer ADAPTER_SOURCES my_fuzzer.cpp LINK my_adapter
#                          INSTRUMENT my_driver CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_corpus)
#
# The engine, KEMU_FUZZ_ENGINE (empty: chosen as listed):
#   oss-fuzz   $LIB_FUZZING_ENGINE is set (OSS-Fuzz, ClusterFuzzLite): link it, add no flags of our
#              own; $CC/$CXX/$CFLAGS/$CXXFLAGS reach the build through CMake as usual.
#   libfuzzer  KEMU_BUILD_FUZZERS is ON (clang): -fsanitize=fuzzer on the program and
#              -fsanitize=fuzzer-no-link (coverage) on the INSTRUMENT libraries.
#   replay     otherwise (any compiler): the same program with kemu::fuzz_replay's main(), which
#              runs the files and directories it is given once each.
# With CORPUS (and enable_testing()), the test <name>_corpus runs the corpus once (under libFuzzer
# with -runs=0) and fails on any finding. CORPUS and SEEDS (inputs that are no test, e.g. for a
# build that is meant to crash) are packed as <name>_seed_corpus.zip beside the program (an empty
# zip while they hold no file: a new driver's corpus directory starts empty, and the corpus test
# then runs the empty input, as libFuzzer does; a path that does not exist is a configure error),
# and DICT
# is copied there as <name>.dict: the names OSS-Fuzz and ClusterFuzzLite look for. The program's
# property KEMU_FUZZ_ENGINE says which engine it got.
include_guard(GLOBAL)

set(KEMU_FUZZ_ENGINE "" CACHE STRING
    "kemu_add_driver_fuzzer engine: oss-fuzz, libfuzzer or replay (empty: choose)")

function(_kemu_fuzz_engine result)
  if(KEMU_FUZZ_ENGINE)
    set(engine ${KEMU_FUZZ_ENGINE})
  elseif(DEFINED ENV{LIB_FUZZING_ENGINE} AND NOT "$ENV{LIB_FUZZING_ENGINE}" STREQUAL "")
    set(engine oss-fuzz)
  elseif(KEMU_BUILD_FUZZERS)
    set(engine libfuzzer)
  else()
    set(engine replay)
  endif()
  if(NOT engine MATCHES "^(oss-fuzz|libfuzzer|replay)$")
    message(FATAL_ERROR "KEMU_FUZZ_ENGINE must be oss-fuzz, libfuzzer or replay, not '${engine}'")
  endif()
  set(${result} ${engine} PARENT_SCOPE)
endfunction()

# _kemu_fuzz_link_engine(<program> <engine> [INSTRUMENT <lib>...]): the engine's main() and flags.
# oss-fuzz: $CFLAGS/$CXXFLAGS already carry the sanitizers and the coverage instrumentation
# (-fsanitize=address,fuzzer-no-link ...), so only $LIB_FUZZING_ENGINE is added, never
# -fsanitize=fuzzer of our own.
function(_kemu_fuzz_link_engine program engine)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "" "INSTRUMENT")
  if(engine STREQUAL "oss-fuzz")
    # "-fsanitize=fuzzer" or a library path: either is a valid link item.
    separate_arguments(engine_items UNIX_COMMAND "$ENV{LIB_FUZZING_ENGINE}")
    target_link_libraries(${program} PRIVATE ${engine_items})
  elseif(engine STREQUAL "libfuzzer")
    target_compile_options(${program} PRIVATE -fsanitize=fuzzer)
    target_link_options(${program} PRIVATE -fsanitize=fuzzer)
    foreach(lib IN LISTS arg_INSTRUMENT)
      target_compile_options(${lib} PRIVATE -fsanitize=fuzzer-no-link)
      # Its objects now call the coverage hooks: every program that links it (the project's tests
      # and scenario runner too, not only the fuzzer) links their runtime with it.
      target_link_options(${lib} PUBLIC -fsanitize=fuzzer-no-link)
    endforeach()
  else()
    # main() comes from kemu::fuzz_replay; it calls LLVMFuzzerTestOneInput.
    target_link_libraries(${program} PRIVATE kemu::fuzz_replay)
  endif()
endfunction()

# _kemu_fuzz_seed_corpus(<program> <name> <dir or file>...): <name>_seed_corpus.zip beside the
# program, repacked when an input changes (an input added to a directory: at the next configure).
function(_kemu_fuzz_seed_corpus program name)
  set(inputs)
  foreach(path IN LISTS ARGN)
    if(IS_DIRECTORY ${path})
      file(GLOB_RECURSE found CONFIGURE_DEPENDS LIST_DIRECTORIES false ${path}/*)
      list(APPEND inputs ${found})
    else()
      list(APPEND inputs ${path})
    endif()
  endforeach()
  set(zip ${CMAKE_CURRENT_BINARY_DIR}/${name}_seed_corpus.zip)
  # The packer, a cmake -P script beside this file (in kemu's tree and installed).
  set(script ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/KemuFuzzSeedCorpus.cmake)
  list(JOIN ARGN "|" corpus)
  add_custom_command(OUTPUT ${zip}
    COMMAND ${CMAKE_COMMAND} -DZIP=${zip} -DSTAGE=${CMAKE_CURRENT_BINARY_DIR}/${name}_seed_corpus
            -DCORPUS=${corpus} -P ${script}
    DEPENDS ${inputs} ${script}
    COMMENT "Packing ${name}_seed_corpus.zip"
    VERBATIM)
  add_custom_target(${name}_seed_corpus DEPENDS ${zip})
  add_dependencies(${program} ${name}_seed_corpus)
endfunction()

# _kemu_fuzz_dictionary(<name> <file> <out>): the libFuzzer dictionary copied beside the program as
# <name>.dict; its path in <out>.
function(_kemu_fuzz_dictionary name file out)
  set(dict ${CMAKE_CURRENT_BINARY_DIR}/${name}.dict)
  configure_file(${file} ${dict} COPYONLY)
  set(${out} ${dict} PARENT_SCOPE)
endfunction()

function(kemu_add_driver_fuzzer name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "DICT" "ADAPTER_SOURCES;LINK;INSTRUMENT;CORPUS;SEEDS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "kemu_add_driver_fuzzer(${name}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_ADAPTER_SOURCES)
    message(FATAL_ERROR "kemu_add_driver_fuzzer(${name}): ADAPTER_SOURCES is required (the file "
                        "that defines kemu::fuzz::ConfigureFuzzer)")
  endif()
  # Said at configure time, naming the path: the seed packer would fail only at build time.
  foreach(path IN LISTS arg_CORPUS arg_SEEDS)
    if(NOT EXISTS "${path}")
      message(FATAL_ERROR "kemu_add_driver_fuzzer(${name}): the CORPUS or SEEDS path ${path} does "
                          "not exist; create it (an empty directory is fine: the fuzzer starts "
                          "from an empty corpus)")
    endif()
  endforeach()
  foreach(needed kemu::fuzz kemu::fuzz_main kemu::fuzz_replay)
    if(NOT TARGET ${needed})
      message(FATAL_ERROR "kemu_add_driver_fuzzer(${name}): ${needed} is missing; call it after "
                          "find_package(kemu) or add_subdirectory(kemu)")
    endif()
  endforeach()
  _kemu_fuzz_engine(engine)

  add_executable(${name} ${arg_ADAPTER_SOURCES})
  target_compile_features(${name} PRIVATE cxx_std_20)
  if(COMMAND kemu_target_options)
    kemu_target_options(${name})  # inside kemu's own tree: its warnings and sanitizers
  endif()
  # Under replay, kemu::fuzz_replay's main() comes first: it calls the entry points kemu::fuzz_main
  # defines.
  _kemu_fuzz_link_engine(${name} ${engine} INSTRUMENT ${arg_INSTRUMENT})
  target_link_libraries(${name} PRIVATE ${arg_LINK} kemu::fuzz_main kemu::fuzz)
  set_target_properties(${name} PROPERTIES KEMU_FUZZ_ENGINE ${engine})

  if(arg_CORPUS OR arg_SEEDS)
    _kemu_fuzz_seed_corpus(${name} ${name} ${arg_CORPUS} ${arg_SEEDS})
  endif()
  set(dict_option)
  if(arg_DICT)
    _kemu_fuzz_dictionary(${name} ${arg_DICT} dict)
    if(NOT engine STREQUAL "replay")
      set(dict_option -dict=${dict})
    endif()
  endif()
  if(arg_CORPUS)
    if(engine STREQUAL "replay")
      add_test(NAME ${name}_corpus COMMAND ${name} ${arg_CORPUS})
    else()
      add_test(NAME ${name}_corpus COMMAND ${name} -runs=0 ${dict_option} ${arg_CORPUS})
    endif()
    set_tests_properties(${name}_corpus PROPERTIES TIMEOUT 300)
  endif()
endfunction()
