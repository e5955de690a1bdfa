// TestOneInput() with the adapter's actions looked up once (kemu::fuzz::TargetActions), for the
// fuzz entry point's hot path.
#ifndef KEMU_EMU_FUZZ_TEST_ONE_INPUT_HPP_
#define KEMU_EMU_FUZZ_TEST_ONE_INPUT_HPP_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kemu/fuzz.hpp"

namespace kemu::fuzz::internal {

/// TestOneInput(target, data, size, emit_path), with `actions` = TargetActions(target).
int TestOneInput(const FuzzTarget& target, const std::vector<scenario::ActionInfo>& actions,
                 std::span<const std::uint8_t> data, const std::string& emit_path);

}  // namespace kemu::fuzz::internal

#endif  // KEMU_EMU_FUZZ_TEST_ONE_INPUT_HPP_
