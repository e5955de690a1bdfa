// kemu/scenario/parser.hpp — reading scenario files (YAML, via yaml-cpp) into kemu::scenario
// structures, with errors that name file, line and column.
//
// Nothing runs when a file is invalid: YAML syntax errors, unknown keys (with a "did you mean"),
// wrong value types, out-of-range numbers and unknown personality, status, bug-check or device
// names are all reported before the first step, every one as
//
//   scenarios/fallback.yaml:12:5: error: unknown key 'isr_call' in expect (did you mean
//   'isr_calls'?)
//
//   try {
//     std::vector<kemu::scenario::Scenario> all = kemu::scenario::LoadScenarios({"scenarios"});
//   } catch (const kemu::scenario::ScenarioError& e) {
//     std::cerr << e.what();              // every diagnostic, one per line
//   }
#ifndef KEMU_SCENARIO_PARSER_HPP_
#define KEMU_SCENARIO_PARSER_HPP_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kemu/error.hpp"
#include "kemu/os.hpp"
#include "kemu/scenario/driver_adapter.hpp"
#include "kemu/scenario/scenario.hpp"

namespace kemu::scenario {

/// One problem in a scenario file.
struct Diagnostic {
  Location where;
  std::string message;
};

/// "file:line:column: error: message".
std::string FormatDiagnostic(const Diagnostic& diagnostic);

/// Thrown when scenario files are invalid; what() lists every diagnostic, one per line.
class ScenarioError : public Error {
 public:
  explicit ScenarioError(std::vector<Diagnostic> diagnostics);
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

/// Limits that keep parsing time and memory small whatever a file holds (a larger file or a longer
/// `steps:` list is an error at the first byte or step past the limit).
inline constexpr std::size_t kMaxScenarioFileBytes = std::size_t{4} << 20;  // 4 MiB
inline constexpr std::size_t kMaxScenarioSteps = 100000;

/// Parses one scenario from `yaml`; `file` names it in diagnostics and gives the default name.
/// Throws ScenarioError.
Scenario ParseScenario(std::string_view yaml, const std::string& file);

/// Reads and parses one file. Throws ScenarioError (an unreadable file is a diagnostic too).
Scenario LoadScenario(const std::string& path);

/// Every scenario under `paths`: files as given, directories as their *.yaml and *.yml files
/// (recursively, sorted by path). Collects the diagnostics of every file before throwing one
/// ScenarioError, so a user sees all broken files at once. Two scenarios with the same name are
/// an error.
std::vector<Scenario> LoadScenarios(const std::vector<std::string>& paths);

/// Checks a parsed scenario against the adapter that will run it: action names and their
/// arguments, probe names (each with a "did you mean"). Empty when it fits.
std::vector<Diagnostic> Validate(const Scenario& scenario, const DriverAdapter& adapter);

/// Parses a personality selector: `all`, a name (`xp`), a range (`vista..win11`, `..ws2003`,
/// `win8..`), or several of those separated by commas. Oldest first, no duplicates. std::nullopt
/// when any part is not a personality name.
std::optional<std::vector<Os>> ParseOsSelector(std::string_view text);

/// The candidate closest to `word` by edit distance, or "" when none is close enough to suggest.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace kemu::scenario

#endif  // KEMU_SCENARIO_PARSER_HPP_
