# kemu_instrument_driver(<target>) — check a driver's memory accesses for data races.
#
# Compiles <target>'s own sources with the compiler's thread-sanitizer instrumentation
# (-fsanitize=thread, GCC or Clang) and links kemu's runtime for it, kemu::race_runtime, instead of
# libtsan: every load, store and atomic operation of the driver goes to kemu's race detector,
# which knows IRQL, spin locks, interrupt locks and DPCs (docs/concurrency.md "Race detection").
# Nothing else is instrumented: kemu, the tests and other libraries run at full speed.
#
#   add_library(my_driver STATIC driver.c)
#   target_link_libraries(my_driver PUBLIC kemu::wdk)
#   kemu_instrument_driver(my_driver)
#
# Sets the target property KEMU_RACE_INSTRUMENTED to ON, or OFF where the instrumentation cannot be
# combined with the build (AddressSanitizer, ThreadSanitizer or libFuzzer flags on kemu itself, or
# KEMU_RACE_INSTRUMENTATION set OFF). A compiler without -fsanitize=thread is a configure error.
include_guard(GLOBAL)

option(KEMU_RACE_INSTRUMENTATION "kemu_instrument_driver() instruments its targets" ON)

# Whether `language` compiles with -fsanitize=thread (compiled only: linking would want libtsan).
function(_kemu_check_tsan_compile language result)
  set(cache_name "KEMU_HAVE_TSAN_INSTRUMENTATION_${language}")
  if(NOT DEFINED ${cache_name})
    set(source "${CMAKE_BINARY_DIR}/CMakeFiles/kemu_tsan_check.${language}")
    if(language STREQUAL "C")
      string(APPEND source ".c")
    else()
      string(APPEND source ".cpp")
    endif()
    file(WRITE "${source}" "int kemu_tsan_check(int *p) { return ++*p; }\n")
    set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)  # compile only
    try_compile(compiled "${CMAKE_BINARY_DIR}/CMakeFiles/kemu_tsan_check_${language}"
                SOURCES "${source}"
                COMPILE_DEFINITIONS -fsanitize=thread
                OUTPUT_VARIABLE output)
    set(${cache_name} ${compiled} CACHE INTERNAL "-fsanitize=thread compiles (${language})")
  endif()
  set(${result} ${${cache_name}} PARENT_SCOPE)
endfunction()

function(kemu_instrument_driver target)
  if(NOT TARGET ${target})
    message(FATAL_ERROR "kemu_instrument_driver: there is no target named '${target}'")
  endif()
  if(NOT TARGET kemu::race_runtime)
    message(FATAL_ERROR "kemu_instrument_driver(${target}): kemu::race_runtime is missing; call it "
                        "after find_package(kemu) or add_subdirectory(kemu)")
  endif()
  set(conflict "")
  if(NOT KEMU_RACE_INSTRUMENTATION)
    set(conflict "KEMU_RACE_INSTRUMENTATION is OFF")
  elseif(KEMU_SANITIZE OR KEMU_SANITIZE_THREAD OR KEMU_BUILD_FUZZERS)
    set(conflict "the build uses another sanitizer, which cannot be combined with it")
  endif()
  if(conflict)
    message(STATUS "kemu_instrument_driver(${target}): not instrumented: ${conflict}")
    set_property(TARGET ${target} PROPERTY KEMU_RACE_INSTRUMENTED OFF)
    return()
  endif()
  get_property(languages GLOBAL PROPERTY ENABLED_LANGUAGES)
  foreach(language IN ITEMS C CXX)
    if(NOT language IN_LIST languages)
      continue()
    endif()
    _kemu_check_tsan_compile(${language} supported)
    if(NOT supported)
      message(FATAL_ERROR
        "kemu_instrument_driver(${target}): the ${language} compiler "
        "(${CMAKE_${language}_COMPILER_ID} ${CMAKE_${language}_COMPILER_VERSION}) cannot compile "
        "with -fsanitize=thread, which race detection needs; use GCC or Clang")
    endif()
  endforeach()
  # -fno-omit-frame-pointer: the runtime tells a context's own stack frames from shared memory by
  # frame addresses. GCC 12 warns that it does not instrument atomic_thread_fence; kemu's runtime
  # treats every atomic operation as a full barrier, so there is nothing to miss.
  target_compile_options(${target} PRIVATE -fsanitize=thread -fno-omit-frame-pointer
                                           $<$<OR:$<COMPILE_LANG_AND_ID:C,GNU>,$<COMPILE_LANG_AND_ID:CXX,GNU>>:-Wno-tsan>)
  target_link_libraries(${target} PUBLIC kemu::race_runtime)
  set_property(TARGET ${target} PROPERTY KEMU_RACE_INSTRUMENTED ON)
endfunction()
