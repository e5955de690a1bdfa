// lexical_scan.hpp — what yaml-cpp misses or misplaces in a scenario file's text: a quoted scalar
// that is never closed, and where a flow collection nests too deep.
//
// yaml-cpp 0.7 accepts a double- or single-quoted scalar that runs to the end of the file: the last
// line `description: "never closed` loads as if it were closed, and a quote left open early in a
// file swallows every line after it into one value, so the errors name keys that are missing
// instead of the quote. The YAML specification requires every quoted scalar to be closed. This
// scan follows just enough of YAML's lexical rules (comments, flow collections, block scalars,
// anchors and tags before a value) to tell where a quoted scalar starts, and reports one still
// open at the end of the text.
//
// yaml-cpp stops at a node nested about 500 levels deep, with a mark past the end of the nesting
// (after the last `]` of `[[[...]]]`); the same scan finds the flow collection that nests deepest,
// so the error names where it starts.
#ifndef KEMU_EMU_SCENARIO_PARSE_LEXICAL_SCAN_HPP_
#define KEMU_EMU_SCENARIO_PARSE_LEXICAL_SCAN_HPP_

#include <optional>
#include <string_view>
#include <utility>

namespace kemu::scenario::internal {

/// The 1-based line and column (in bytes) of the quote that opens a quoted scalar left open at
/// the end of `yaml` (UTF-8), or nullopt when every quoted scalar is closed.
std::optional<std::pair<int, int>> UnclosedQuote(std::string_view yaml);

/// The outermost flow collection (`[` or `{` outside any other) that nests deepest in `yaml`, the
/// first of equals: where its opening bracket is (1-based line and column in bytes) and how many
/// levels it nests (`[[]]` is 2). Nullopt when `yaml` has no flow collection.
struct DeepestFlow {
  std::pair<int, int> start;
  int depth = 0;
};
std::optional<DeepestFlow> DeepestFlowCollection(std::string_view yaml);

}  // namespace kemu::scenario::internal

#endif  // KEMU_EMU_SCENARIO_PARSE_LEXICAL_SCAN_HPP_
