// Which files a scenario path names: LoadScenarios reads them all, RegisterTests handles each on
// its own (every broken file gets its own failing test).
#ifndef KEMU_EMU_SCENARIO_PARSE_SCENARIO_FILES_HPP_
#define KEMU_EMU_SCENARIO_PARSE_SCENARIO_FILES_HPP_

#include <string>
#include <vector>

namespace kemu::scenario::internal {

/// `path` itself when it is not a directory (a missing file included, so that loading it reports
/// the problem); otherwise its *.yaml and *.yml files, recursively, sorted by path. When the
/// directory cannot be listed, `error` (if given) gets the reason and the files found so far are
/// returned.
std::vector<std::string> ScenarioFiles(const std::string& path, std::string* error = nullptr);

}  // namespace kemu::scenario::internal

#endif  // KEMU_EMU_SCENARIO_PARSE_SCENARIO_FILES_HPP_
