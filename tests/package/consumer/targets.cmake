# What both consumer projects build once kemu's targets exist (however they got there): a driver
# that sees only the WDK headers, as a real driver would, and, with TINY_BUILD_TESTS, its GoogleTest
# test on every Windows version and a scenario runner.
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
endif()
