// Small scenario files the runner-program and registration tests write to a temporary directory.
#ifndef KEMU_TESTS_SCENARIO_SCENARIO_FILES_FOR_TESTS_HPP_
#define KEMU_TESTS_SCENARIO_SCENARIO_FILES_FOR_TESTS_HPP_

#include <filesystem>
#include <fstream>
#include <string>

namespace kemu::scenario::testing {

/// Passes on xp and win10.
inline constexpr const char* kCountsYaml = R"(scenario: counts
driver: counter
os: [xp, win10]
devices:
  - name: dev0
    memory_bytes: 0x100
steps:
  - start
  - bump: {by: 2}
  - stop
expect:
  probes: {counter: 2}
)";

/// Passes on xp, fails on win10 (its override expects a count the driver never reaches).
inline constexpr const char* kFailsYaml = R"(scenario: fails
driver: counter
os: [xp, win10]
devices:
  - name: dev0
    memory_bytes: 0x100
steps:
  - start
  - bump
  - stop
expect:
  probes: {counter: 1}
  os:
    win10: {probes: {counter: 5}}
)";

/// Fails under schedule seed 3 only (CountingAdapter's `unlucky` probe), on xp and win10.
inline constexpr const char* kUnluckyYaml = R"(scenario: unlucky
driver: counter
os: [xp, win10]
devices:
  - name: dev0
    memory_bytes: 0x100
steps:
  - start
  - stop
expect:
  probes: {unlucky: 0}
)";

/// Asks for PCT with depth 5 and passes only when the run's schedule is exactly that, on xp.
inline constexpr const char* kPctYaml = R"(scenario: pct
driver: counter
os: xp
machine:
  schedule: {strategy: pct, depth: 5}
devices:
  - name: dev0
    memory_bytes: 0x100
steps:
  - start
  - stop
expect:
  probes: {schedule_strategy: 2, schedule_depth: 5}
)";

/// Names an adapter nobody registered.
inline constexpr const char* kUnknownDriverYaml = R"(scenario: lost
driver: countr
os: xp
devices:
  - name: dev0
steps:
  - start
)";

/// Not a scenario: an unknown key.
inline constexpr const char* kBrokenYaml = R"(scenario: broken
os: xp
devices:
  - name: dev0
stepz:
  - start
)";

/// A fresh, empty directory for one test.
inline std::filesystem::path FreshDirectory(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("kemu-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::string WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
  return path.string();
}

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream file(path);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

}  // namespace kemu::scenario::testing

#endif  // KEMU_TESTS_SCENARIO_SCENARIO_FILES_FOR_TESTS_HPP_
