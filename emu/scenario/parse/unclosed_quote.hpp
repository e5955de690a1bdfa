// unclosed_quote.hpp — a quoted YAML scalar that is never closed, for the scenario parser.
//
// yaml-cpp 0.7 accepts a double- or single-quoted scalar that runs to the end of the file: the last
// line `description: "never closed` loads as if it were closed, and a quote left open early in a
// file swallows every line after it into one value, so the errors name keys that are missing
// instead of the quote. The YAML specification requires every quoted scalar to be closed. This
// scan follows just enough of YAML's lexical rules (comments, flow collections, block scalars,
// anchors and tags before a value) to tell where a quoted scalar starts, and reports one still
// open at the end of the text.
#ifndef KEMU_EMU_SCENARIO_PARSE_UNCLOSED_QUOTE_HPP_
#define KEMU_EMU_SCENARIO_PARSE_UNCLOSED_QUOTE_HPP_

#include <optional>
#include <string_view>
#include <utility>

namespace kemu::scenario::internal {

/// The 1-based line and column (in bytes) of the quote that opens a quoted scalar left open at
/// the end of `yaml` (UTF-8), or nullopt when every quoted scalar is closed.
std::optional<std::pair<int, int>> UnclosedQuote(std::string_view yaml);

}  // namespace kemu::scenario::internal

#endif  // KEMU_EMU_SCENARIO_PARSE_UNCLOSED_QUOTE_HPP_
