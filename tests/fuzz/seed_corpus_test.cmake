# cmake -DSOURCE_DIR=<kemu> -DWORK_DIR=<scratch> [-DGENERATOR=<g>] -P seed_corpus_test.cmake
#
# What a new driver's fuzz corpus meets (cmake/KemuDriverFuzzer.cmake, KemuFuzzSeedCorpus.cmake):
# an empty CORPUS directory packs an empty <name>_seed_corpus.zip instead of failing the build,
# and a CORPUS path that does not exist fails at configure time, naming the path.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR}/empty_corpus)

execute_process(
  COMMAND ${CMAKE_COMMAND} -DZIP=${WORK_DIR}/empty_seed_corpus.zip -DSTAGE=${WORK_DIR}/stage
          -DCORPUS=${WORK_DIR}/empty_corpus -P ${SOURCE_DIR}/cmake/KemuFuzzSeedCorpus.cmake
  RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "an empty corpus directory failed to pack (${result}):\n${out}")
endif()
if(NOT out STREQUAL "")
  message(FATAL_ERROR "packing an empty corpus printed:\n${out}")
endif()
# An empty zip is its end-of-central-directory record alone: 22 bytes, "PK\5\6".
file(SIZE ${WORK_DIR}/empty_seed_corpus.zip size)
file(READ ${WORK_DIR}/empty_seed_corpus.zip magic LIMIT 4 HEX)
if(NOT size EQUAL 22 OR NOT magic STREQUAL "504b0506")
  message(FATAL_ERROR "expected an empty zip (22 bytes, 504b0506), got ${size} bytes, ${magic}")
endif()

set(generator)
if(GENERATOR)
  set(generator -G ${GENERATOR})
endif()
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/fuzz/missing_corpus -B ${WORK_DIR}/missing
          ${generator} -DKEMU_CMAKE_DIR=${SOURCE_DIR}/cmake
  RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
set(expected "kemu_add_driver_fuzzer(missing_corpus_fuzzer): the CORPUS or SEEDS path "
             "${SOURCE_DIR}/tests/fuzz/missing_corpus/no_such_corpus does not exist")
string(JOIN "" expected ${expected})
string(REPLACE "\n" " " flat "${out}")
string(REGEX REPLACE " +" " " flat "${flat}")
if(result EQUAL 0 OR NOT flat MATCHES "does not exist")
  message(FATAL_ERROR "a missing CORPUS directory did not fail the configure saying it does "
                      "not exist (exit ${result}):\n${out}")
endif()
string(FIND "${flat}" "${expected}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "the configure error does not name the path; expected\n${expected}\ngot\n${out}")
endif()
message(STATUS "empty corpus: empty zip; missing corpus: configure error naming the path")
