// Decode() and TestOneInput() with the adapter's actions looked up once, for the fuzz entry
// point's hot path.
#ifndef KEMU_EMU_FUZZ_DECODE_INTERNAL_HPP_
#define KEMU_EMU_FUZZ_DECODE_INTERNAL_HPP_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kemu/fuzz.hpp"

namespace kemu::fuzz::internal {

/// The target's adapter's actions (a throwaway adapter from its factory); empty without one.
std::vector<scenario::ActionInfo> TargetActions(const FuzzTarget& target);

/// Decode(target, data), with `actions` = TargetActions(target).
scenario::Scenario Decode(const FuzzTarget& target,
                          const std::vector<scenario::ActionInfo>& actions,
                          std::span<const std::uint8_t> data);

/// TestOneInput(target, data, size, emit_path), with `actions` = TargetActions(target).
int TestOneInput(const FuzzTarget& target, const std::vector<scenario::ActionInfo>& actions,
                 std::span<const std::uint8_t> data, const std::string& emit_path);

}  // namespace kemu::fuzz::internal

#endif  // KEMU_EMU_FUZZ_DECODE_INTERNAL_HPP_
