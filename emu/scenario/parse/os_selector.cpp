// Personality selectors: `all`, `xp`, `vista..win11`, `..ws2003`, `win8..`, comma lists.
#include "scenario/parse/os_selector.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "kemu/scenario/parser.hpp"
#include "scenario/parse/parse_internal.hpp"

namespace kemu::scenario {
namespace internal {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

std::vector<std::string> OsNames() {
  std::vector<std::string> names;
  for (Os os : AllOs()) names.emplace_back(OsName(os));
  return names;
}

// One end of a range, or an error message.
std::optional<Os> End(std::string_view name, std::string* problem) {
  std::optional<Os> os = ParseOs(name);
  if (os) return os;
  std::vector<std::string> names = OsNames();
  const std::string close = ClosestMatch(name, names);
  *problem = close.empty()
                 ? fmt::format("unknown personality '{}' (expected all or {})", name, JoinOr(names))
                 : fmt::format("unknown personality '{}' (did you mean '{}'?)", name, close);
  return std::nullopt;
}

std::string AddPart(std::string_view part, std::vector<Os>& selected) {
  if (part.empty()) return "a personality name is empty";
  if (part == "all") {
    selected.insert(selected.end(), AllOs().begin(), AllOs().end());
    return "";
  }
  std::string problem;
  const std::size_t dots = part.find("..");
  if (dots == std::string_view::npos) {
    if (std::optional<Os> os = End(part, &problem)) selected.push_back(*os);
    return problem;
  }
  const std::string_view first_name = Trim(part.substr(0, dots));
  const std::string_view last_name = Trim(part.substr(dots + 2));
  if (first_name.empty() && last_name.empty()) {
    return "the range names neither end";
  }
  std::optional<Os> first = first_name.empty() ? AllOs().front() : End(first_name, &problem);
  if (!first) return problem;
  std::optional<Os> last = last_name.empty() ? AllOs().back() : End(last_name, &problem);
  if (!last) return problem;
  if (*first > *last) {
    return fmt::format("the range is backwards ({} is newer than {})", first_name, last_name);
  }
  for (Os os : AllOs()) {
    if (os >= *first && os <= *last) selected.push_back(os);
  }
  return "";
}

}  // namespace

std::string SelectOs(std::string_view text, std::vector<Os>& selected) {
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string_view part =
        Trim(text.substr(start, comma == std::string_view::npos ? text.npos : comma - start));
    std::string problem = AddPart(part, selected);
    if (!problem.empty()) return problem;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  std::sort(selected.begin(), selected.end());
  selected.erase(std::unique(selected.begin(), selected.end()), selected.end());
  return "";
}

}  // namespace internal

std::optional<std::vector<Os>> ParseOsSelector(std::string_view text) {
  std::vector<Os> selected;
  if (!internal::SelectOs(text, selected).empty()) return std::nullopt;
  return selected;
}

}  // namespace kemu::scenario
