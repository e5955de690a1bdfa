# Target-scoped build settings for kemu's own targets (never global flags).

# kemu_target_options(<target>): language level, warnings, sanitizers.
function(kemu_target_options target)
  target_compile_features(${target} PRIVATE cxx_std_20 c_std_17)
  set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF C_EXTENSIONS OFF)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra)
    if(KEMU_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
  # -fno-sanitize-recover=all: every sanitizer report aborts the run, so undefined behaviour
  # fails the test that hit it instead of being printed and passing.
  if(KEMU_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  # Under ThreadSanitizer each vCPU runs on a host thread of its own (KEMU_VCPU_CONTEXTS=threads),
  # and it checks that the baton really orders everything they touch.
  if(KEMU_SANITIZE_THREAD)
    target_compile_options(${target} PRIVATE -fsanitize=thread -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=thread)
  endif()
  if(KEMU_BUILD_FUZZERS)
    _kemu_fuzz_engine(engine)  # cmake/KemuDriverFuzzer.cmake
    if(engine STREQUAL "oss-fuzz")
      # OSS-Fuzz and ClusterFuzzLite choose the sanitizer (address, undefined, memory, coverage)
      # and put it and the coverage instrumentation in $CFLAGS/$CXXFLAGS: add none of our own.
      # Whatever they chose must still stop at its first report.
      target_compile_options(${target} PRIVATE -fno-sanitize-recover=all)
    else()
      # Coverage instrumentation for libFuzzer in every kemu target, so the fuzzer is guided by
      # the parser's and the emulator's branches, not just the target's own few lines.
      target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,address,undefined
                                               -fno-omit-frame-pointer -fno-sanitize-recover=all)
      target_link_options(${target} PRIVATE -fsanitize=address,undefined)
    endif()
  endif()
endfunction()
