// The rules around an error log entry: IoWriteErrorLogEntry above DISPATCH_LEVEL (the DDI
// compliance rule IrqlDispatch from Windows 8 on), and a driver that writes past the end of its
// entry, which Driver Verifier's special pool finds when the entry is posted or freed
// (docs/kernel.md, "Error log entries").
#include <fmt/format.h>
#include <wdm.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr std::uint32_t kVerifier = kemu::bugcheck::kDriverVerifierDetectedViolation;
constexpr std::uint32_t kSpecialPool = kemu::bugcheck::kSpecialPoolDetectedMemoryCorruption;
constexpr std::uint64_t kOverrun = 0x24;  // bytes after the end of the allocation overwritten
constexpr std::size_t kEntryBytes = sizeof(IO_ERROR_LOG_PACKET) + sizeof(ULONG);  // 52

DEVICE_OBJECT g_device{};

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

PUCHAR Allocate(std::size_t bytes) {
  return static_cast<PUCHAR>(IoAllocateErrorLogEntry(&g_device, static_cast<UCHAR>(bytes)));
}

class ErrorLogIrqlTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllPersonalities, ErrorLogIrqlTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

// An ISR's IRQL: Windows 8 and later name the DDI compliance rule (0xC4 / 0x20003, IrqlDispatch,
// which lists IoWriteErrorLogEntry); Vista and 7 give Verifier's IRQL check (0xC4 / 0xE5); older
// Verifiers had neither, and the kernel's own IRQL fault (0xA) stands.
TEST_P(ErrorLogIrqlTest, WritingAboveDispatchLevelBreaksTheRoutinesIrqlRule) {
  PUCHAR entry = Allocate(sizeof(IO_ERROR_LOG_PACKET));
  ASSERT_NE(entry, nullptr);
  KIRQL old;
  KeRaiseIrql(5, &old);
  const kemu::BugCheck crash = CrashOf([&] { IoWriteErrorLogEntry(entry); });
  const kemu::Personality& personality = machine().personality();
  if (personality.verifier_ddi_compliance) {
    EXPECT_THAT(crash, BugCheckIs(kVerifier, kemu::verifier_code::kIrqlDispatch, 0, 0, 0));
  } else if (personality.verifier_irql_api_checks) {
    EXPECT_THAT(crash, BugCheckIs(kVerifier, kemu::verifier_code::kKernelApiAtWrongIrql, 5, 0, 0));
  } else {
    EXPECT_EQ(crash.code(), kemu::bugcheck::kIrqlNotLessOrEqual);
  }
  EXPECT_THAT(crash.what(), HasSubstr("IoWriteErrorLogEntry was called at IRQL 5"));
}

// IoAllocateErrorLogEntry's page lists no DDI compliance rule: Verifier's IRQL check stays.
TEST(ErrorLogRulesTest, AllocatingAboveDispatchLevelKeepsVerifiersIrqlCheckOnWindows10) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KIRQL old;
  KeRaiseIrql(5, &old);
  EXPECT_THAT(CrashOf([] { Allocate(sizeof(IO_ERROR_LOG_PACKET)); }),
              BugCheckIs(kVerifier, kemu::verifier_code::kKernelApiAtWrongIrql, 5, 0, 0));
}

TEST(ErrorLogRulesTest, AByteWrittenPastTheEntryIsSpecialPoolCorruptionWhenItIsWritten) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  PUCHAR entry = Allocate(kEntryBytes);
  ASSERT_NE(entry, nullptr);
  entry[kEntryBytes] = 0;  // one past the last ULONG of DumpData
  const kemu::BugCheck crash = CrashOf([&] { IoWriteErrorLogEntry(entry); });
  EXPECT_THAT(crash,
              BugCheckIs(kSpecialPool, Address(entry), Address(entry + kEntryBytes), 0, kOverrun));
  EXPECT_THAT(crash.what(),
              HasSubstr(std::string("IoWriteErrorLogEntry freed the 52-byte error log entry at ") +
                        fmt::format("{}", static_cast<const void*>(entry))));
  EXPECT_THAT(crash.what(), HasSubstr("the driver wrote past its end: the byte at "));
  EXPECT_THAT(crash.what(), HasSubstr("(offset 52 of the block) changed"));
}

TEST(ErrorLogRulesTest, AnOverrunIsFoundWhenTheEntryIsFreedUnwrittenToo) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  PUCHAR entry = Allocate(kEntryBytes);
  ASSERT_NE(entry, nullptr);
  const ULONG past_end = 0x12345678;
  std::memcpy(entry + 56, &past_end, sizeof past_end);  // in the guard after the 16-byte unit
  EXPECT_THAT(CrashOf([&] { IoFreeErrorLogEntry(entry); }),
              BugCheckIs(kSpecialPool, Address(entry), Address(entry + 56), 0, kOverrun));
}

TEST(ErrorLogRulesTest, AnEntryFilledToItsLastByteIsSilent) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  PUCHAR entry = Allocate(kEntryBytes);
  ASSERT_NE(entry, nullptr);
  std::memset(entry, 0, kEntryBytes);
  auto* packet = reinterpret_cast<PIO_ERROR_LOG_PACKET>(entry);
  // DumpData runs from offset 40 to the end of the entry: three ULONGs in 52 bytes.
  packet->DumpDataSize = 3 * sizeof(ULONG);
  const ULONG dump[3] = {0x11, 0x33, 0x22};
  std::memcpy(entry + offsetof(IO_ERROR_LOG_PACKET, DumpData), dump, sizeof dump);
  IoWriteErrorLogEntry(entry);
  ASSERT_EQ(machine.error_log().size(), 1u);
  EXPECT_EQ(machine.error_log()[0].dump_data, (std::vector<std::uint32_t>{0x11, 0x33, 0x22}));
  // An EntrySize below the header gets the whole header, all of it the driver's to fill.
  PUCHAR small = Allocate(4);
  ASSERT_NE(small, nullptr);
  std::memset(small, 0, sizeof(IO_ERROR_LOG_PACKET));
  IoFreeErrorLogEntry(small);
  machine.Shutdown();
}

// Without Verifier there is no special pool: the overrun goes unseen, as on a retail kernel, and
// stays inside memory kemu owns.
TEST(ErrorLogRulesTest, WithoutVerifierAnOverrunIsNotReported) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = false});
  PUCHAR entry = Allocate(kEntryBytes);
  ASSERT_NE(entry, nullptr);
  entry[kEntryBytes] = 0;
  IoWriteErrorLogEntry(entry);
  EXPECT_EQ(machine.error_log().size(), 1u);
  machine.Shutdown();
}

}  // namespace
