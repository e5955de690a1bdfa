// ZwClose of a handle that is not open: kernel code closing an invalid handle is 0x93
// INVALID_KERNEL_HANDLE (handle, 1, 0, 0) in every kernel mode (docs/windows-facts.md §14.1).
// Thread and registry key handles share one table, so both kinds stop the same way.
#include <wdm.h>

#include <cstdint>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr std::uint32_t kInvalidKernelHandle = kemu::bugcheck::kInvalidKernelHandle;

std::uint64_t Value(HANDLE handle) { return reinterpret_cast<std::uintptr_t>(handle); }

VOID NTAPI ThreadEndsAtOnce(PVOID) {}

HANDLE OpenSoftwareKey() {
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, L"\\Registry\\Machine\\Software");
  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, nullptr,
                             nullptr);
  HANDLE key = nullptr;
  EXPECT_EQ(ZwOpenKey(&key, KEY_READ, &attributes), STATUS_SUCCESS);
  return key;
}

class ZwCloseTest : public kemu::testing::PersonalityTest {};

TEST_P(ZwCloseTest, EachHandleClosedOnceIsSilent) {
  HANDLE thread = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&thread, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &ThreadEndsAtOnce, nullptr),
            STATUS_SUCCESS);
  HANDLE key = OpenSoftwareKey();
  EXPECT_EQ(ZwClose(key), STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(thread), STATUS_SUCCESS);
  machine().Settle();
  EXPECT_FALSE(machine().crashed());
}

TEST_P(ZwCloseTest, ClosingAKeyHandleTwiceIsInvalidKernelHandle) {
  HANDLE key = OpenSoftwareKey();
  ASSERT_EQ(ZwClose(key), STATUS_SUCCESS);
  const kemu::BugCheck crash = CrashOf([&] { (void)ZwClose(key); });
  EXPECT_THAT(crash, BugCheckIs(kInvalidKernelHandle, Value(key), 1, 0, 0));
  EXPECT_THAT(crash.what(), HasSubstr("ZwClose closed the handle"));
  EXPECT_THAT(crash.what(), HasSubstr("which is not open"));
}

TEST_P(ZwCloseTest, ClosingAThreadHandleTwiceIsInvalidKernelHandle) {
  HANDLE thread = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&thread, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &ThreadEndsAtOnce, nullptr),
            STATUS_SUCCESS);
  ASSERT_EQ(ZwClose(thread), STATUS_SUCCESS);
  EXPECT_THAT(CrashOf([&] { (void)ZwClose(thread); }),
              BugCheckIs(kInvalidKernelHandle, Value(thread), 1, 0, 0));
}

TEST_P(ZwCloseTest, ClosingAHandleNeverGivenOutIsInvalidKernelHandle) {
  const auto made_up = reinterpret_cast<HANDLE>(std::uintptr_t{0x1234});
  EXPECT_THAT(CrashOf([&] { (void)ZwClose(made_up); }),
              BugCheckIs(kInvalidKernelHandle, 0x1234, 1, 0, 0));
}

TEST_P(ZwCloseTest, ClosingNullIsInvalidKernelHandle) {
  EXPECT_THAT(CrashOf([] { (void)ZwClose(nullptr); }),
              BugCheckIs(kInvalidKernelHandle, 0, 1, 0, 0));
}

INSTANTIATE_TEST_SUITE_P(AllWindows, ZwCloseTest, kemu::testing::AllOs(), kemu::testing::OsName());

// Not a Driver Verifier rule: the kernel itself stops, so retail and checked kernels do too.
class ZwCloseModeTest : public kemu::testing::MachineTest {};

TEST_P(ZwCloseModeTest, EveryKernelModeStopsAtASecondClose) {
  HANDLE key = OpenSoftwareKey();
  ASSERT_EQ(ZwClose(key), STATUS_SUCCESS);
  EXPECT_THAT(CrashOf([&] { (void)ZwClose(key); }),
              BugCheckIs(kInvalidKernelHandle, Value(key), 1, 0, 0));
}

INSTANTIATE_TEST_SUITE_P(AllMachines, ZwCloseModeTest, kemu::testing::AllMachines(),
                         kemu::testing::MachineName());

TEST(ZwCloseRecordTest, RecordedTheCloseReturnsStatusInvalidHandleAndTheHandlesStayUsable) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  HANDLE key = OpenSoftwareKey();
  HANDLE other = OpenSoftwareKey();
  ASSERT_EQ(ZwClose(key), STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(key), STATUS_INVALID_HANDLE);
  ASSERT_EQ(machine.bug_checks().size(), 1u);
  EXPECT_THAT(machine.bug_checks().front(), BugCheckIs(kInvalidKernelHandle, Value(key), 1, 0, 0));
  EXPECT_EQ(ZwClose(other), STATUS_SUCCESS) << "the table is unchanged by the bad close";
}

}  // namespace
