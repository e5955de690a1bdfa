// numbers.hpp — the number syntax scenario files use everywhere: decimal or 0x hexadecimal.
#ifndef KEMU_EMU_SCENARIO_PARSE_NUMBERS_HPP_
#define KEMU_EMU_SCENARIO_PARSE_NUMBERS_HPP_

#include <cstdint>
#include <optional>
#include <string_view>

namespace kemu::scenario::internal {

/// "42", "0x2A" or "0X2a" as an unsigned 64-bit number; std::nullopt for anything else (signs,
/// spaces, overflow, an empty string).
std::optional<std::uint64_t> ParseUnsigned(std::string_view text);

/// "0.25", "1", ".5", "1e-3" or "-0.5" as a double, read the same in every locale; std::nullopt for
/// anything else (leading spaces or '+', hexadecimal, "inf", "nan", trailing characters).
std::optional<double> ParseDecimal(std::string_view text);

/// True when `text` is written as a number (digits, or 0x and hex digits), so that ParseUnsigned
/// failing on it means the number is too large.
bool LooksNumeric(std::string_view text);

}  // namespace kemu::scenario::internal

#endif  // KEMU_EMU_SCENARIO_PARSE_NUMBERS_HPP_
