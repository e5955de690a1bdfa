// kemu/testing/gtest_main.hpp — the command line of test programs linked with kemu::gtest_main.
//
// kemu::gtest_main is GTest::gtest_main plus kemu: it initialises GoogleTest and GoogleMock,
// reads kemu's own flags, installs kemu::testing::BugCheckListener and runs every test.
//
//   target_link_libraries(my_driver_tests PRIVATE my_driver_core kemu::gtest_main)
//   $ ./my_driver_tests --gtest_filter='*Start*' --kemu_seed=7
//
// Flags (each removed from argv before the tests see it):
//   --kemu_seed=<n>   replay with seed n; the same as KEMU_SEED=<n> in the environment
//   --kemu_trace=<f>  write the trace of every failing fixture test to f with the test's name
//                     inserted (out.json -> out.<test>.json); the same as KEMU_TRACE=<f>
//   --kemu_schedules=<N or A..B>  explore N schedule seeds (or A..B-1); KEMU_SCHEDULES
//                     (kemu/testing/schedules.hpp)
//   --kemu_schedule=<n>  replay schedule seed n; the same as KEMU_SCHEDULE=<n>
#ifndef KEMU_TESTING_GTEST_MAIN_HPP_
#define KEMU_TESTING_GTEST_MAIN_HPP_

namespace kemu::testing::internal {

/// Consumes every --kemu_* flag in argv (compacting argv and *argc, as InitGoogleTest does).
/// Throws kemu::Error for a malformed value or an unknown --kemu_ flag, so a typo is not silently
/// ignored. Defined in the kemu::gtest_main library.
void ParseKemuFlags(int* argc, char** argv);

}  // namespace kemu::testing::internal

#endif  // KEMU_TESTING_GTEST_MAIN_HPP_
