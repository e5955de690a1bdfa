// os_selector.hpp — personality selectors (`all`, `xp`, `vista..win11`, `win8..`, comma lists)
// with the reason a selector is wrong, for scenario files (`os:`) and the runner's --os.
#ifndef KEMU_EMU_SCENARIO_PARSE_OS_SELECTOR_HPP_
#define KEMU_EMU_SCENARIO_PARSE_OS_SELECTOR_HPP_

#include <string>
#include <string_view>
#include <vector>

#include "kemu/os.hpp"

namespace kemu::scenario::internal {

/// Adds what selector `text` names to `selected` (oldest first, no duplicates); returns "" or
/// what is wrong with it (an unknown name comes with "did you mean").
std::string SelectOs(std::string_view text, std::vector<Os>& selected);

}  // namespace kemu::scenario::internal

#endif  // KEMU_EMU_SCENARIO_PARSE_OS_SELECTOR_HPP_
