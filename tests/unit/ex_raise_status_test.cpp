// ExRaiseStatus: an exception meant for the driver's own __try/__except handler. Driver code built
// by a host compiler has no structured exception handling, so in kemu nothing catches it: 0x1E
// KMODE_EXCEPTION_NOT_HANDLED with the status as the exception code, or 0x7E
// SYSTEM_THREAD_EXCEPTION_NOT_HANDLED in a worker thread (docs/differences.md).
#include <wdm.h>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr std::uint64_t kInsufficientResources = 0xC000009A;

class ExRaiseStatusTest : public kemu::testing::PersonalityTest {};

TEST_P(ExRaiseStatusTest, TheStatusIsAnUnhandledKernelModeException) {
  const kemu::BugCheck crash = CrashOf([] { ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, kInsufficientResources,
                                0, 0, 0));
  EXPECT_THAT(crash.what(), HasSubstr("ExRaiseStatus(0xc000009a) raised an exception"));
}

TEST_P(ExRaiseStatusTest, AtApcLevelItIsTheSameException) {
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  EXPECT_THAT(CrashOf([] { ExRaiseStatus(STATUS_INVALID_PARAMETER); }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC000000D, 0, 0, 0));
}

INSTANTIATE_TEST_SUITE_P(AllWindows, ExRaiseStatusTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

TEST(ExRaiseStatusRulesTest, AboveApcLevelTheIrqlRuleComesFirst) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  const kemu::BugCheck crash = CrashOf([] { ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                kemu::verifier_code::kKernelApiAtWrongIrql, DISPATCH_LEVEL, 0, 0));
  EXPECT_THAT(crash.what(), HasSubstr("ExRaiseStatus was called at IRQL 2"));
}

struct WorkerCall {
  KEVENT done;
};

VOID RaiseInWorkItem(PDEVICE_OBJECT device, PVOID context) {
  (void)device;
  (void)context;
  ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
}

TEST(ExRaiseStatusRulesTest, InAWorkItemItIsSystemThreadExceptionNotHandled) {
  kemu::Machine machine(kemu::Os::kWindows10);
  DEVICE_OBJECT device{};
  WorkerCall call{};
  KeInitializeEvent(&call.done, NotificationEvent, FALSE);
  PIO_WORKITEM item = IoAllocateWorkItem(&device);
  IoQueueWorkItem(item, RaiseInWorkItem, DelayedWorkQueue, &call);
  const kemu::BugCheck crash =
      CrashOf([&] { KeWaitForSingleObject(&call.done, Executive, KernelMode, FALSE, nullptr); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kSystemThreadExceptionNotHandled,
                                kInsufficientResources, 0, 0, 0));
}

}  // namespace
