// Which files a scenario path names: LoadScenarios reads them all, RegisterTests handles each on
// its own (every broken file gets its own failing test); and the loaders that check a file against
// its driver adapter in the same pass.
#ifndef KEMU_EMU_SCENARIO_PARSE_SCENARIO_FILES_HPP_
#define KEMU_EMU_SCENARIO_PARSE_SCENARIO_FILES_HPP_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "kemu/scenario/parser.hpp"

namespace kemu::scenario::internal {

/// A check of a scenario beyond its syntax: Validate() against the adapter its driver names, or
/// "unknown driver". It may see a partial scenario (what parsed of a file with other errors).
using ScenarioCheck = std::function<std::vector<Diagnostic>(const Scenario& scenario)>;

/// ParseScenario, LoadScenario and LoadScenarios that also run `check` (when set) on every file
/// whose document could be read, even one with other errors, so that one pass reports every
/// problem of a file, sorted by position: a user fixing a file never meets a second round.
Scenario ParseScenario(std::string_view yaml, const std::string& file, const ScenarioCheck& check);
Scenario LoadScenario(const std::string& path, const ScenarioCheck& check);
std::vector<Scenario> LoadScenarios(const std::vector<std::string>& paths,
                                    const ScenarioCheck& check);

/// `path` itself when it is not a directory (a missing file included, so that loading it reports
/// the problem); otherwise its *.yaml and *.yml files, recursively, sorted by path. When the
/// directory cannot be listed, `error` (if given) gets the reason and the files found so far are
/// returned.
std::vector<std::string> ScenarioFiles(const std::string& path, std::string* error = nullptr);

}  // namespace kemu::scenario::internal

#endif  // KEMU_EMU_SCENARIO_PARSE_SCENARIO_FILES_HPP_
