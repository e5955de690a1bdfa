// Which files a scenario path names, for callers that handle each file on its own
// (RegisterTests gives every broken file its own failing test).
#ifndef KEMU_EMU_SCENARIO_SCENARIO_FILES_HPP_
#define KEMU_EMU_SCENARIO_SCENARIO_FILES_HPP_

#include <string>
#include <vector>

namespace kemu::scenario::internal {

/// `path` itself when it is not a directory (a missing file included, so that loading it reports
/// the problem); otherwise its *.yaml and *.yml files, recursively, sorted by path.
std::vector<std::string> ScenarioFiles(const std::string& path);

}  // namespace kemu::scenario::internal

#endif  // KEMU_EMU_SCENARIO_SCENARIO_FILES_HPP_
