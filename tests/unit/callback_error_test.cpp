// kemu::NotModelled and kemu::MissingExport thrown inside a driver callback (an ISR, a DPC routine,
// a KeSynchronizeExecution routine) end the machine as a bug check would: the kernel frames they
// unwind (raised IRQL, interrupt lock, DPC state) can never be completed, so nothing that follows
// may be blamed on the driver. The fixture sees exactly one failure, naming the routine.
#include <gtest/gtest-spi.h>
#include <wdm.h>

#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "kemu/testing/gtest.hpp"

namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr ULONG kVector = 0x51;
constexpr KIRQL kDirql = 7;

// An ISR whose body the test chooses.
struct Callback {
  std::function<void()> body;
  int calls = 0;
};

BOOLEAN CallbackIsr(PKINTERRUPT, PVOID context) {
  auto* callback = static_cast<Callback*>(context);
  ++callback->calls;
  callback->body();
  return TRUE;
}

VOID CallbackDpc(PKDPC, PVOID context, PVOID, PVOID) {
  auto* callback = static_cast<Callback*>(context);
  ++callback->calls;
  callback->body();
}

BOOLEAN CallbackSync(PVOID context) {
  CallbackIsr(nullptr, context);
  return TRUE;
}

kemu::Device& AddTimer(kemu::Machine& machine) {
  return machine.AddDevice({.name = "timer",
                            .line = kemu::LineInterrupt{
                                .vector = kVector, .irql = kDirql, .mode = kemu::Trigger::kEdge}});
}

PKINTERRUPT Connect(Callback& callback) {
  PKINTERRUPT interrupt = nullptr;
  EXPECT_EQ(IoConnectInterrupt(&interrupt, &CallbackIsr, &callback, nullptr, kVector, kDirql,
                               kDirql, Latched, FALSE, 1, FALSE),
            STATUS_SUCCESS);
  return interrupt;
}

// Runs `test` against a fixture machine (as kemu::testing::PersonalityTest would), reporting an
// exception that escapes it as GoogleTest does for a test body, and returns every failure message.
std::vector<std::string> FailuresOf(kemu::Os os, const std::function<void(kemu::Machine&)>& test) {
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    kemu::testing::internal::TestMachine fixture;
    fixture.Start({.os = os});
    try {
      test(fixture.get());
    } catch (const std::exception& escaped) {
      ADD_FAILURE() << "C++ exception with description \"" << escaped.what()
                    << "\" thrown in the test body.";
    }
    fixture.Stop();
  }
  std::vector<std::string> messages;
  for (int i = 0; i < failures.size(); ++i) {
    messages.emplace_back(failures.GetTestPartResult(i).message());
  }
  return messages;
}

TEST(CallbackErrorTest, NotModelledInsideAnIsrIsOneFailureNamingTheRoutine) {
  const auto failures = FailuresOf(kemu::Os::kWindows10, [](kemu::Machine& machine) {
    kemu::Device& timer = AddTimer(machine);
    ERESOURCE resource{};
    Callback isr{.body = [&] { ExSetResourceOwnerPointer(&resource, &resource); }};
    Connect(isr);
    timer.PulseLine();
  });
  ASSERT_EQ(failures.size(), 1u) << ::testing::PrintToString(failures);
  EXPECT_THAT(failures[0],
              AllOf(HasSubstr("kemu does not model ExSetResourceOwnerPointer"),
                    HasSubstr("an ISR on vCPU 0 at IRQL 7 on Windows 10"),
                    Not(HasSubstr("still at IRQL")), Not(HasSubstr("*** kemu bug check"))));
}

TEST(CallbackErrorTest, MissingExportInsideADpcIsOneFailureNamingTheRoutine) {
  const auto failures = FailuresOf(kemu::Os::kWindowsXP, [](kemu::Machine&) {
    KDPC dpc;
    Callback routine{.body = [] { KeQueryActiveGroupCount(); }};  // Windows 7+
    KeInitializeDpc(&dpc, &CallbackDpc, &routine);
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
  });
  ASSERT_EQ(failures.size(), 1u) << ::testing::PrintToString(failures);
  EXPECT_THAT(failures[0],
              AllOf(HasSubstr("KeQueryActiveGroupCount is not available on Windows XP"),
                    HasSubstr("a DPC routine on vCPU 0 at IRQL 2")));
}

TEST(CallbackErrorTest, NotModelledInsideASynchronizeRoutineEndsTheMachine) {
  kemu::Machine machine(kemu::Os::kWindows10);
  AddTimer(machine);
  ERESOURCE resource{};
  Callback sync{.body = [&] { ExSetResourceOwnerPointer(&resource, &resource); }};
  Callback isr{.body = [] {}};
  PKINTERRUPT interrupt = Connect(isr);
  try {
    KeSynchronizeExecution(interrupt, &CallbackSync, &sync);
    ADD_FAILURE() << "KeSynchronizeExecution returned";
  } catch (const kemu::NotModelled& error) {
    EXPECT_EQ(error.routine(), "ExSetResourceOwnerPointer");
    EXPECT_THAT(error.what(), HasSubstr("a KeSynchronizeExecution routine on vCPU 0 at IRQL 7"));
  }
  EXPECT_TRUE(machine.crashed());
}

// A routine kemu models, called in a way it does not (here a reference to an object other than a
// system thread's), fails as an unmodelled routine does: from a callback it ends the machine.
TEST(CallbackErrorTest, AnUnmodelledUseOfAModelledRoutineInsideADpcEndsTheMachine) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KDPC dpc;
  KEVENT not_a_thread{};
  Callback routine{.body = [&] { ObfReferenceObject(&not_a_thread); }};
  KeInitializeDpc(&dpc, &CallbackDpc, &routine);
  try {
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
    ADD_FAILURE() << "KeInsertQueueDpc returned";
  } catch (const kemu::NotModelled& error) {
    EXPECT_THAT(error.what(), AllOf(HasSubstr("kemu does not model ObfReferenceObject on "),
                                    HasSubstr("(kemu counts references to system thread objects "
                                              "only)"),
                                    HasSubstr("a DPC routine on vCPU 0 at IRQL 2")));
  }
  EXPECT_EQ(routine.calls, 1);
  EXPECT_TRUE(machine.crashed());
}

TEST(CallbackErrorTest, LaterCallsOnTheEndedMachineThrowTheSameErrorNotABugCheck) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& timer = AddTimer(machine);
  ERESOURCE resource{};
  Callback isr{.body = [&] { ExSetResourceOwnerPointer(&resource, &resource); }};
  Connect(isr);
  EXPECT_THROW(timer.PulseLine(), kemu::NotModelled);
  ASSERT_TRUE(machine.crashed());
  // The vCPU is left at the ISR's IRQL: pageable driver code run now (an unload routine, say)
  // must not be reported as 0xD1, nor any kernel call as anything but the original error.
  EXPECT_THROW(PAGED_CODE(), kemu::NotModelled);
  EXPECT_THROW(KeGetCurrentIrql(), kemu::NotModelled);
  EXPECT_EQ(isr.calls, 1);
  machine.Shutdown();  // a crashed machine has nothing to report
}

TEST(CallbackErrorTest, NotModelledOutsideAnyCallbackLeavesTheMachineRunning) {
  kemu::Machine machine(kemu::Os::kWindows10);
  ERESOURCE resource{};
  try {
    ExSetResourceOwnerPointer(&resource, &resource);
    ADD_FAILURE() << "ExSetResourceOwnerPointer returned";
  } catch (const kemu::NotModelled& error) {
    EXPECT_THAT(error.what(), Not(HasSubstr("the machine has ended")));
  }
  EXPECT_FALSE(machine.crashed());
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

}  // namespace
