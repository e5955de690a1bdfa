# What both consumer projects build once kemu's targets exist (however they got there): a driver
# that sees only the WDK headers, as a real driver would, and, with TINY_BUILD_TESTS, its GoogleTest
# test on every Windows version, a scenario runner and a fuzz program.
set(consumer_dir ${CMAKE_CURRENT_LIST_DIR})

add_library(tiny_driver STATIC ${consumer_dir}/tiny_driver.c)
target_compile_definitions(tiny_driver PRIVATE NTDDI_VERSION=NTDDI_WINXP)
target_include_directories(tiny_driver PUBLIC ${consumer_dir})
target_link_libraries(tiny_driver PUBLIC kemu::wdk)
# The exported load check: the build fails if the driver stops loading on XP or 11.
kemu_check_imports(tiny_driver LOADS_ON xp win11 VARIABLE kTinyDriverImports)

if(TINY_BUILD_TESTS)
  enable_testing()
  add_executable(tiny_driver_test ${consumer_dir}/tiny_driver_test.cpp)
  target_compile_features(tiny_driver_test PRIVATE cxx_std_20)
  target_link_libraries(tiny_driver_test PRIVATE tiny_driver tiny_driver_imports kemu::kemu
                                                 kemu::gtest_main)
  add_test(NAME tiny_driver_test COMMAND tiny_driver_test)

  # The same driver built for race detection, through the exported kemu_instrument_driver().
  add_library(tiny_driver_race STATIC ${consumer_dir}/tiny_driver.c)
  target_compile_definitions(tiny_driver_race PRIVATE NTDDI_VERSION=NTDDI_WINXP)
  target_include_directories(tiny_driver_race PUBLIC ${consumer_dir})
  target_link_libraries(tiny_driver_race PUBLIC kemu::wdk)
  kemu_instrument_driver(tiny_driver_race)
  get_property(tiny_instrumented TARGET tiny_driver_race PROPERTY KEMU_RACE_INSTRUMENTED)
  if(tiny_instrumented)
    add_executable(tiny_driver_race_test ${consumer_dir}/tiny_driver_test.cpp)
    target_compile_features(tiny_driver_race_test PRIVATE cxx_std_20)
    target_link_libraries(tiny_driver_race_test PRIVATE tiny_driver_race tiny_driver_imports
                                                        kemu::kemu kemu::gtest_main)
    add_test(NAME tiny_driver_race_test COMMAND tiny_driver_race_test)
  endif()

  add_executable(tiny_scenarios ${consumer_dir}/tiny_scenarios.cpp)
  target_compile_features(tiny_scenarios PRIVATE cxx_std_20)
  target_compile_definitions(tiny_scenarios PRIVATE
                             TINY_SCENARIOS_DIR="${consumer_dir}/scenarios")
  target_link_libraries(tiny_scenarios PRIVATE tiny_driver kemu::scenario_main)
  add_test(NAME tiny_scenarios COMMAND tiny_scenarios)

  # The package's fuzz kit (kemu_add_driver_fuzzer, kemu::fuzz): a replay program under GCC that
  # runs the corpus (the test tiny_fuzzer_corpus); one of its inputs written out as a scenario
  # (--emit-scenario), which the consumer's own scenario runner then plays and passes.
  kemu_add_driver_fuzzer(tiny_fuzzer ADAPTER_SOURCES ${consumer_dir}/tiny_fuzzer.cpp
                         LINK tiny_driver CORPUS ${consumer_dir}/fuzz_corpus)
  set(tiny_fuzz_input ${consumer_dir}/fuzz_corpus/edge_line_interrupts.bin)
  set(tiny_fuzz_scenario ${CMAKE_CURRENT_BINARY_DIR}/tiny_fuzz.yaml)
  add_test(NAME tiny_fuzzer_emits_scenario
           COMMAND tiny_fuzzer --emit-scenario=${tiny_fuzz_scenario} ${tiny_fuzz_input})
  set_tests_properties(tiny_fuzzer_emits_scenario PROPERTIES FIXTURES_SETUP tiny_fuzz_scenario)
  add_test(NAME tiny_fuzz_scenario_passes COMMAND tiny_scenarios ${tiny_fuzz_scenario})
  set_tests_properties(tiny_fuzz_scenario_passes PROPERTIES
                       FIXTURES_REQUIRED tiny_fuzz_scenario
                       PASS_REGULAR_EXPRESSION "\\[ ok \\] tiny_fuzz @")
endif()
