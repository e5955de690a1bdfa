// kemu/testing/mock_registers.hpp — a GoogleMock kemu::Hardware for strict register-level
// expectations (part of kemu::gtest; included by kemu/testing/gtest.hpp).
//
//   ::testing::StrictMock<kemu::testing::MockRegisters> regs;
//   kemu::Device& dev = machine().AddDevice({.name = "dev0", .memory_bytes = 0x100,
//                                            .hardware = &regs});
//   ::testing::InSequence in_order;
//   EXPECT_CALL(regs, Read(kemu::Space::kMemory, 0x10, 4)).WillOnce(::testing::Return(0x1));
//   EXPECT_CALL(regs, Write(kemu::Space::kMemory, 0x10, 4, 0x1));
//   MyIsr(...);   // must read the cause register once and write the same bits back
//
// A plain kemu::RegisterFile can stand behind the mock (DelegateTo) so that unexpected-but-allowed
// accesses (with NiceMock) behave like real registers while selected ones are checked.
#ifndef KEMU_TESTING_MOCK_REGISTERS_HPP_
#define KEMU_TESTING_MOCK_REGISTERS_HPP_

#include <gmock/gmock.h>

#include <cstdint>
#include <ostream>

#include "kemu/hardware.hpp"

namespace kemu {

/// Prints kemu::Space in GoogleMock messages as "kMemory" / "kPort".
inline void PrintTo(Space space, std::ostream* out) {
  *out << (space == Space::kMemory ? "kMemory" : "kPort");
}

namespace testing {

/// A kemu::Hardware whose Read and Write are GoogleMock methods. Attach is not mocked (it is
/// kemu's bookkeeping, not a driver access), so a StrictMock sees only the driver's accesses.
class MockRegisters : public Hardware {
 public:
  MOCK_METHOD(std::uint64_t, Read, (Space space, std::uint32_t offset, unsigned width), (override));
  MOCK_METHOD(void, Write, (Space space, std::uint32_t offset, unsigned width, std::uint64_t value),
              (override));

  /// Makes `fake` answer every access no expectation claims (GoogleMock's "delegating to a
  /// fake"). `fake` must outlive the mock.
  void DelegateTo(Hardware& fake) {
    ON_CALL(*this, Read).WillByDefault([&fake](Space space, std::uint32_t offset, unsigned width) {
      return fake.Read(space, offset, width);
    });
    ON_CALL(*this, Write)
        .WillByDefault([&fake](Space space, std::uint32_t offset, unsigned width,
                               std::uint64_t value) { fake.Write(space, offset, width, value); });
  }
};

}  // namespace testing
}  // namespace kemu

#endif  // KEMU_TESTING_MOCK_REGISTERS_HPP_
