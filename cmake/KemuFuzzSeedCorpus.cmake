# cmake -DZIP=<out.zip> -DSTAGE=<scratch dir> -DCORPUS=<dir or file>[|...] -P KemuFuzzSeedCorpus.cmake
#
# Packs a fuzz target's seed corpus as OSS-Fuzz and ClusterFuzzLite expect it beside the program
# (<target>_seed_corpus.zip): every file of every CORPUS directory (recursively) and every CORPUS
# file, flat at the top of the archive. A file is named for the directory it came from and its
# path inside it (corpus/sub/x.yaml -> corpus_sub_x.yaml), so two directories' same-named inputs
# stay two inputs. Directories that hold no file give an empty archive: a new driver's corpus
# starts empty, as libFuzzer's does.
# kemu_add_driver_fuzzer() and tests/fuzz run it as a build step.
foreach(required ZIP STAGE CORPUS)
  if(NOT ${required})
    message(FATAL_ERROR "KemuFuzzSeedCorpus.cmake: -D${required}= is required")
  endif()
endforeach()

string(REPLACE "|" ";" CORPUS "${CORPUS}")  # '|': a ';' list does not survive the command line
file(REMOVE_RECURSE ${STAGE})
file(MAKE_DIRECTORY ${STAGE})
set(names)
foreach(path IN LISTS CORPUS)
  if(IS_DIRECTORY ${path})
    get_filename_component(root_name ${path} NAME)
    file(GLOB_RECURSE files LIST_DIRECTORIES false RELATIVE ${path} ${path}/*)
    list(SORT files)
    foreach(file IN LISTS files)
      string(REPLACE "/" "_" flat "${root_name}/${file}")
      file(COPY_FILE ${path}/${file} ${STAGE}/${flat})
      list(APPEND names ${flat})
    endforeach()
  elseif(EXISTS ${path})
    get_filename_component(flat ${path} NAME)
    file(COPY_FILE ${path} ${STAGE}/${flat})
    list(APPEND names ${flat})
  else()
    message(FATAL_ERROR "KemuFuzzSeedCorpus.cmake: ${path} does not exist")
  endif()
endforeach()
list(REMOVE_DUPLICATES names)

file(REMOVE ${ZIP})
set(quiet)
if(NOT names)
  set(quiet ERROR_QUIET)  # tar's "No files or directories specified": the empty zip is meant
endif()
execute_process(
  COMMAND ${CMAKE_COMMAND} -E tar cf ${ZIP} --format=zip -- ${names}
  WORKING_DIRECTORY ${STAGE}
  RESULT_VARIABLE result
  ${quiet})
if(NOT result EQUAL 0)
  message(FATAL_ERROR "KemuFuzzSeedCorpus.cmake: packing ${ZIP} failed: ${result}")
endif()
file(REMOVE_RECURSE ${STAGE})
