// aliases.hpp — where a YAML document's aliases are, for the scenario parser's diagnostics.
//
// yaml-cpp gives a node reached through an alias (`steps: *list`) the anchored node's position, so
// a problem in an anchored value used ten times was reported ten times, at the anchor, where the
// file may not even read it. AliasMap walks the document's events once (aliases are not expanded
// there, so an alias bomb costs nothing) and says through which alias the parser reached a place.
#ifndef KEMU_EMU_SCENARIO_PARSE_ALIASES_HPP_
#define KEMU_EMU_SCENARIO_PARSE_ALIASES_HPP_

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kemu::scenario::internal {

class AliasMap {
 public:
  /// 1-based line and column, as diagnostics give them.
  using Position = std::pair<int, int>;

  /// The aliases of `text`'s first YAML document: none when the text has no '*' (no second parse
  /// of an ordinary file) or cannot be parsed.
  static AliasMap Of(const std::string& text);

  bool empty() const { return uses_.empty(); }
  /// Where to report a problem found at `where`: the alias through which the parser reached the
  /// anchored value holding it (the outermost alias when anchors use others, the first in the
  /// file when several use one), or nullopt when `where` lies in no value an alias repeats.
  std::optional<Position> Resolve(Position where) const;

 private:
  friend class AliasCollector;
  /// An alias: where it is, and the nearest anchored value around it (0: none).
  struct Use {
    Position where;
    std::size_t enclosing = 0;
  };

  std::map<Position, std::size_t> enclosing_;     ///< node position → nearest anchor holding it
  std::map<std::size_t, std::vector<Use>> uses_;  ///< anchor → its aliases, in file order
};

}  // namespace kemu::scenario::internal

#endif  // KEMU_EMU_SCENARIO_PARSE_ALIASES_HPP_
