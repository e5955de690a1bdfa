// Error log entries: IoAllocateErrorLogEntry, IoWriteErrorLogEntry and IoFreeErrorLogEntry, and
// Machine::error_log() showing what the driver wrote.
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

constexpr std::uint32_t kVerifier = kemu::bugcheck::kDriverVerifierDetectedViolation;
constexpr NTSTATUS kMessageCode = static_cast<NTSTATUS>(0xC0040001);

// Only its address matters: kemu does not read the object.
DEVICE_OBJECT g_device{};

PIO_ERROR_LOG_PACKET Allocate(std::size_t bytes) {
  return static_cast<PIO_ERROR_LOG_PACKET>(
      IoAllocateErrorLogEntry(&g_device, static_cast<UCHAR>(bytes)));
}

TEST(ErrorLogTest, AWrittenEntryIsInTheMachinesErrorLog) {
  kemu::Machine machine(kemu::Os::kWindows10);
  PIO_ERROR_LOG_PACKET entry = Allocate(sizeof(IO_ERROR_LOG_PACKET) + sizeof(ULONG));
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->ErrorCode, 0);  // a new entry is zeroed
  entry->ErrorCode = kMessageCode;
  entry->UniqueErrorValue = 0x1234;
  entry->FinalStatus = STATUS_IO_TIMEOUT;
  entry->RetryCount = 2;
  entry->DeviceOffset.QuadPart = 0x4000;
  entry->DumpDataSize = 2 * sizeof(ULONG);
  entry->DumpData[0] = 0x80;
  entry->DumpData[1] = 0x01;
  IoWriteErrorLogEntry(entry);
  ASSERT_EQ(machine.error_log().size(), 1u);
  const kemu::ErrorLogEntry& written = machine.error_log()[0];
  EXPECT_EQ(written.io_object, &g_device);
  EXPECT_EQ(written.error_code, kMessageCode);
  EXPECT_EQ(written.unique_error_value, 0x1234u);
  EXPECT_EQ(written.final_status, STATUS_IO_TIMEOUT);
  EXPECT_EQ(written.retry_count, 2);
  EXPECT_EQ(written.device_offset, 0x4000);
  EXPECT_EQ(written.dump_data, (std::vector<std::uint32_t>{0x80, 0x01}));
  EXPECT_TRUE(written.strings.empty());
  machine.Shutdown();  // written entries are freed: no leak
}

TEST(ErrorLogTest, InsertionStringsAreTheDriversWcharsReadAtStringOffset) {
  kemu::Machine machine(kemu::Os::kWindows10);
  // As a driver writes them: WCHARs (kemu's are the host's wchar_t) from its own strings, with
  // one character above the BMP, which the test reads back as a surrogate pair.
  const std::wstring first = L"nic0";
  const std::wstring second = L"4\U0001F600";
  const std::size_t strings_bytes = (first.size() + 1 + second.size() + 1) * sizeof(WCHAR);
  PIO_ERROR_LOG_PACKET entry = Allocate(sizeof(IO_ERROR_LOG_PACKET) + strings_bytes);
  ASSERT_NE(entry, nullptr);
  entry->NumberOfStrings = 2;
  entry->StringOffset = sizeof(IO_ERROR_LOG_PACKET);
  auto* text = reinterpret_cast<char*>(entry) + entry->StringOffset;
  std::memcpy(text, first.c_str(), (first.size() + 1) * sizeof(WCHAR));
  std::memcpy(text + (first.size() + 1) * sizeof(WCHAR), second.c_str(),
              (second.size() + 1) * sizeof(WCHAR));
  IoWriteErrorLogEntry(entry);
  ASSERT_EQ(machine.error_log().size(), 1u);
  EXPECT_EQ(machine.error_log()[0].strings, (std::vector<std::u16string>{u"nic0", u"4\U0001F600"}));
  machine.Shutdown();
}

TEST(ErrorLogTest, AnEntryAboveTheMaximumSizeIsNull) {
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_EQ(IoAllocateErrorLogEntry(&g_device, ERROR_LOG_MAXIMUM_SIZE + 1), nullptr);
  PVOID largest = IoAllocateErrorLogEntry(&g_device, ERROR_LOG_MAXIMUM_SIZE);
  EXPECT_NE(largest, nullptr);
  IoFreeErrorLogEntry(largest);
  EXPECT_TRUE(machine.error_log().empty());
  machine.Shutdown();
}

TEST(ErrorLogTest, AWriteAtDispatchLevelIsAllowed) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  PIO_ERROR_LOG_PACKET entry = Allocate(sizeof(IO_ERROR_LOG_PACKET));
  ASSERT_NE(entry, nullptr);
  entry->ErrorCode = kMessageCode;
  IoWriteErrorLogEntry(entry);
  KeLowerIrql(old);
  ASSERT_EQ(machine.error_log().size(), 1u);
  EXPECT_EQ(machine.error_log()[0].error_code, kMessageCode);
  machine.Shutdown();
}

TEST(ErrorLogTest, AllocatingAboveDispatchLevelBugChecks) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KIRQL old;
  KeRaiseIrql(5, &old);
  EXPECT_THAT(CrashOf([] { Allocate(sizeof(IO_ERROR_LOG_PACKET)); }),
              BugCheckIs(kVerifier, kemu::verifier_code::kKernelApiAtWrongIrql, 5, 0, 0));
}

TEST(ErrorLogTest, WritingAnEntryTwiceStops) {
  kemu::Machine machine(kemu::Os::kWindows10);
  PIO_ERROR_LOG_PACKET entry = Allocate(sizeof(IO_ERROR_LOG_PACKET));
  IoWriteErrorLogEntry(entry);
  EXPECT_THAT(CrashOf([&] { IoWriteErrorLogEntry(entry); }),
              BugCheckIs(kVerifier, kemu::verifier_code::kInvalidErrorLogEntry,
                         reinterpret_cast<std::uintptr_t>(entry), 0, 0));
}

TEST(ErrorLogTest, FreeingAWrittenEntryStops) {
  kemu::Machine machine(kemu::Os::kWindows10);
  PIO_ERROR_LOG_PACKET entry = Allocate(sizeof(IO_ERROR_LOG_PACKET));
  IoWriteErrorLogEntry(entry);
  EXPECT_THAT(CrashOf([&] { IoFreeErrorLogEntry(entry); }),
              BugCheckIs(kVerifier, kemu::verifier_code::kInvalidErrorLogEntry,
                         reinterpret_cast<std::uintptr_t>(entry), 0, 0));
}

TEST(ErrorLogTest, AFreedEntryIsNotLogged) {
  kemu::Machine machine(kemu::Os::kWindows10);
  IoFreeErrorLogEntry(Allocate(sizeof(IO_ERROR_LOG_PACKET)));
  EXPECT_TRUE(machine.error_log().empty());
  machine.Shutdown();
}

TEST(ErrorLogTest, AnEntryNeitherWrittenNorFreedIsALeakAtShutdown) {
  kemu::Machine machine(kemu::Os::kWindows10);
  PVOID entry = Allocate(sizeof(IO_ERROR_LOG_PACKET));
  EXPECT_THAT(CrashOf([&] { machine.Shutdown(); }),
              BugCheckIs(kVerifier, kemu::verifier_code::kLeakAtShutdown, 1,
                         reinterpret_cast<std::uintptr_t>(entry), 0));
}

TEST(ErrorLogTest, IoFreeErrorLogEntryArrivedWithWindowsXp) {
  kemu::Machine machine(kemu::Os::kWindows2000);
  PVOID entry = Allocate(sizeof(IO_ERROR_LOG_PACKET));
  EXPECT_THROW(IoFreeErrorLogEntry(entry), kemu::MissingExport);
  IoWriteErrorLogEntry(entry);
  machine.Shutdown();
}

TEST(ErrorLogTest, ABugCheckReportListsTheLastEntriesWritten) {
  kemu::Machine machine(kemu::Os::kWindows10);
  PIO_ERROR_LOG_PACKET entry = Allocate(sizeof(IO_ERROR_LOG_PACKET));
  entry->ErrorCode = kMessageCode;
  entry->UniqueErrorValue = 0x77;
  entry->FinalStatus = STATUS_IO_TIMEOUT;
  IoWriteErrorLogEntry(entry);
  const kemu::BugCheck crash = CrashOf([] { KeBugCheckEx(0xE2, 0, 0, 0, 0); });
  const std::string report = crash.what();
  EXPECT_NE(report.find("Error log (last 1 of 1 entry):\n    | ErrorCode 0xC0040001 "
                        "UniqueErrorValue 0x77 FinalStatus 0xC00000B5 DumpData 0 ULONGs"),
            std::string::npos)
      << report;
}

}  // namespace
