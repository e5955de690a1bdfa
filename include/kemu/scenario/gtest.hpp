// kemu/scenario/gtest.hpp — every scenario × personality as a GoogleTest test, so ctest, gtest
// filters and sharding see scenarios like any other test.
//
//   int main(int argc, char** argv) {
//     ::testing::InitGoogleTest(&argc, argv);
//     kemu::scenario::RegisterTests("scenarios", [] { return std::make_unique<NicAdapter>(); });
//     return RUN_ALL_TESTS();
//   }
//
// Tests are named `Scenario/<scenario>.<os>` with '.' in personality names written as '_'
// (`Scenario/fallback_connect.win8_1`). Each failed expectation is reported at its scenario file
// and line. An invalid file registers one test, `ScenarioFile/<file>.Parses`, that fails with the
// diagnostics, so a broken file is a red test rather than a silently missing one.
//
// Exploring schedules: with KEMU_SCHEDULES=N in the environment each test plays its scenario under
// N schedules (seeds 0..N-1; random, or pct when the scenario's `machine: {schedule:}` names pct)
// and fails at the first that fails, naming it as KEMU_SCHEDULE=<seed>; KEMU_SCHEDULE=<seed>
// replays that one. A bad value fails each test with a kemu::Error naming the variable.
#ifndef KEMU_SCENARIO_GTEST_HPP_
#define KEMU_SCENARIO_GTEST_HPP_

#include <string>

#include "kemu/scenario/driver_adapter.hpp"
#include "kemu/scenario/runner.hpp"

namespace kemu::scenario {

/// Registers the scenarios under `path` (a file or a directory) with `factory`. Call after
/// InitGoogleTest and before RUN_ALL_TESTS. Returns the number of tests registered.
int RegisterTests(const std::string& path, AdapterFactory factory, const RunOptions& options = {});

/// As above, with each scenario's adapter looked up by its `driver:` in `registry`.
int RegisterTests(const std::string& path, const AdapterRegistry& registry,
                  const RunOptions& options = {});

}  // namespace kemu::scenario

#endif  // KEMU_SCENARIO_GTEST_HPP_
