// kemu/crash_dump.hpp — what a driver's bug-check reason callbacks put in the crash dump, as the
// test reads it back from Machine::secondary_dump_data() after the machine crashed.
//
//   EXPECT_BUGCHECK(TriggerTheBug(), kemu::bugcheck::kDriverVerifierDetectedViolation);
//   ASSERT_EQ(machine.secondary_dump_data().size(), 1u);
//   const kemu::SecondaryDumpData& dump = machine.secondary_dump_data()[0];
//   EXPECT_EQ(dump.component, "mynic");
//   EXPECT_EQ(dump.data, (std::vector<std::uint8_t>{0xC0, 0xDE}));
#ifndef KEMU_CRASH_DUMP_HPP_
#define KEMU_CRASH_DUMP_HPP_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace kemu {

/// What one KbCallbackSecondaryDumpData callback supplied at a bug check: the bytes Windows would
/// append to the crash dump's secondary data, tagged with the callback's GUID.
struct SecondaryDumpData {
  /// The KBUGCHECK_REASON_CALLBACK_RECORD the callback was registered with.
  const void* record = nullptr;
  /// The Component string given to KeRegisterBugCheckReasonCallback ("" for NULL).
  std::string component;
  /// KBUGCHECK_SECONDARY_DUMP_DATA::Guid as the callback set it, byte for byte as laid out in
  /// memory (Data1..Data3 little-endian, then Data4).
  std::array<std::uint8_t, 16> guid{};
  /// OutBufferLength bytes at OutBuffer, cut at MaximumAllowed.
  std::vector<std::uint8_t> data;
  /// The bug-check code of the crash the callback ran for.
  std::uint32_t bugcheck_code = 0;
};

}  // namespace kemu

#endif  // KEMU_CRASH_DUMP_HPP_
