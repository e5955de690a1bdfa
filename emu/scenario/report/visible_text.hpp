// visible_text.hpp — free text (failure messages, adapter strings, action arguments, descriptions)
// made safe to print. Such text comes from scenario files and driver adapters: it may hold
// terminal escape sequences, NULs or bytes that are not UTF-8, none of which a terminal, a
// Markdown renderer or an XML parser should receive raw.
#ifndef KEMU_EMU_SCENARIO_REPORT_VISIBLE_TEXT_HPP_
#define KEMU_EMU_SCENARIO_REPORT_VISIBLE_TEXT_HPP_

#include <string>
#include <string_view>

namespace kemu::scenario::internal {

/// `text` with every byte that is a control character (other than '\n' and '\t'), part of a C1
/// control (U+0080..U+009F), of U+FFFE/U+FFFF, or not part of valid UTF-8 written as the four
/// characters "\xNN". What remains is valid UTF-8 that XML 1.0 allows and a terminal only prints.
std::string VisibleText(std::string_view text);

}  // namespace kemu::scenario::internal

#endif  // KEMU_EMU_SCENARIO_REPORT_VISIBLE_TEXT_HPP_
