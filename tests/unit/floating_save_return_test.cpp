// A floating-point (or extended state) save still open when the routine that made it returns: a
// DPC, ISR, work item or system thread routine. Windows documents that this bug-checks without
// naming the code, so it is kemu's 0xC4 / 0x4B45001E (buffer, routine, IRQL of the save), in
// every mode; a routine that restores its saves, and a DPC that runs inside a thread's open save,
// stay silent. No conformance ID covers it (docs/kernel.md, "Floating-point state").
#include <wdm.h>

#include <cstdint>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

constexpr std::uint32_t kVerifierViolation = kemu::bugcheck::kDriverVerifierDetectedViolation;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

template <typename Routine>
std::uint64_t RoutineAddress(Routine* routine) {
  return reinterpret_cast<std::uintptr_t>(routine);
}

struct Saver {
  KFLOATING_SAVE save{};
  bool restore = false;
  int runs = 0;
};

// Saves and, when told, restores: the shape of every routine below.
void SaveAndMaybeRestore(Saver* saver) {
  ++saver->runs;
  ASSERT_EQ(KeSaveFloatingPointState(&saver->save), STATUS_SUCCESS);
  if (saver->restore) KeRestoreFloatingPointState(&saver->save);
}

VOID DpcRoutine(PKDPC, PVOID context, PVOID, PVOID) {
  SaveAndMaybeRestore(static_cast<Saver*>(context));
}
VOID WorkRoutine(PDEVICE_OBJECT, PVOID context) {
  SaveAndMaybeRestore(static_cast<Saver*>(context));
}
VOID ThreadRoutine(PVOID context) { SaveAndMaybeRestore(static_cast<Saver*>(context)); }

void RunDpc(kemu::Machine& machine, Saver& saver) {
  KDPC dpc;
  KeInitializeDpc(&dpc, &DpcRoutine, &saver);
  KeInsertQueueDpc(&dpc, nullptr, nullptr);
  machine.RunPendingDpcs();
}

void RunWorkItem(kemu::Machine& machine, Saver& saver) {
  DEVICE_OBJECT device{};
  PIO_WORKITEM item = IoAllocateWorkItem(&device);
  IoQueueWorkItem(item, &WorkRoutine, DelayedWorkQueue, &saver);
  machine.Settle();
  IoFreeWorkItem(item);
}

void RunThread(Saver& saver) {
  HANDLE handle = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&handle, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &ThreadRoutine, &saver),
            STATUS_SUCCESS);
  PVOID object = nullptr;
  ASSERT_EQ(
      ObReferenceObjectByHandle(handle, SYNCHRONIZE, *PsThreadType, KernelMode, &object, nullptr),
      STATUS_SUCCESS);
  ZwClose(handle);
  KeWaitForSingleObject(object, Executive, KernelMode, FALSE, nullptr);
  ObDereferenceObject(object);
}

TEST(FloatingSaveReturnTest, ADpcReturningWithItsSaveOpenIs4B45001E) {
  kemu::Machine machine(kemu::Os::kWindows10);
  Saver saver;
  const kemu::BugCheck crash = CrashOf([&] { RunDpc(machine, saver); });
  EXPECT_THAT(crash, BugCheckIs(kVerifierViolation, kemu::verifier_code::kFloatingSaveOpenAtReturn,
                                Address(&saver.save), RoutineAddress(&DpcRoutine), DISPATCH_LEVEL));
  EXPECT_THAT(crash.what(), HasSubstr("DPC routine"));
}

TEST(FloatingSaveReturnTest, ADpcThatRestoresItsSaveIsSilent) {
  kemu::Machine machine(kemu::Os::kWindows10);
  Saver saver{.restore = true};
  RunDpc(machine, saver);
  EXPECT_EQ(saver.runs, 1);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST(FloatingSaveReturnTest, ADpcRunningInsideTheThreadsOpenSaveIsSilent) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KFLOATING_SAVE thread_save;
  ASSERT_EQ(KeSaveFloatingPointState(&thread_save), STATUS_SUCCESS);
  Saver saver{.restore = true};
  RunDpc(machine, saver);
  EXPECT_EQ(KeRestoreFloatingPointState(&thread_save), STATUS_SUCCESS);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST(FloatingSaveReturnTest, AWorkItemReturningWithItsSaveOpenIs4B45001E) {
  kemu::Machine machine(kemu::MachineOptions{.os = kemu::Os::kWindowsXP, .verifier = false});
  Saver saver;
  EXPECT_THAT(CrashOf([&] { RunWorkItem(machine, saver); }),
              BugCheckIs(kVerifierViolation, kemu::verifier_code::kFloatingSaveOpenAtReturn,
                         Address(&saver.save), RoutineAddress(&WorkRoutine), PASSIVE_LEVEL));
}

TEST(FloatingSaveReturnTest, AWorkItemThatRestoresItsSaveIsSilent) {
  kemu::Machine machine(kemu::Os::kWindows10);
  Saver saver{.restore = true};
  RunWorkItem(machine, saver);
  EXPECT_EQ(saver.runs, 1);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST(FloatingSaveReturnTest, AThreadReturningWithItsSaveOpenIs4B45001E) {
  kemu::Machine machine(kemu::Os::kWindows10);
  Saver saver;
  EXPECT_THAT(CrashOf([&] { RunThread(saver); }),
              BugCheckIs(kVerifierViolation, kemu::verifier_code::kFloatingSaveOpenAtReturn,
                         Address(&saver.save), RoutineAddress(&ThreadRoutine), PASSIVE_LEVEL));
}

TEST(FloatingSaveReturnTest, AThreadThatRestoresItsSaveIsSilent) {
  kemu::Machine machine(kemu::Os::kWindows10);
  Saver saver{.restore = true};
  RunThread(saver);
  EXPECT_EQ(saver.runs, 1);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST(FloatingSaveReturnTest, UnderRecordTheDpcsOpenSaveIsDroppedAfterTheReport) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  Saver saver;
  RunDpc(machine, saver);
  ASSERT_EQ(machine.bug_checks().size(), 1u);
  EXPECT_EQ(machine.bug_checks()[0].parameter(0), kemu::verifier_code::kFloatingSaveOpenAtReturn);
  // The thread's own save pairs as if the DPC had never saved.
  KFLOATING_SAVE save;
  KeSaveFloatingPointState(&save);
  KeRestoreFloatingPointState(&save);
  EXPECT_EQ(machine.bug_checks().size(), 1u);
  machine.Shutdown();
}

// An ISR may not save at all (its DIRQL is above DISPATCH_LEVEL): under kRecord the save goes on
// after the wrong-IRQL report, and the ISR's return reports it open.
struct IsrSaver {
  kemu::Device* device = nullptr;
  KFLOATING_SAVE save{};
  bool save_in_isr = false;
};

BOOLEAN SavingIsr(PKINTERRUPT, PVOID context) {
  auto& saver = *static_cast<IsrSaver*>(context);
  saver.device->DeassertLine();
  if (saver.save_in_isr) KeSaveFloatingPointState(&saver.save);
  return TRUE;
}

PKINTERRUPT ConnectSaver(kemu::Machine& machine, IsrSaver& saver) {
  saver.device =
      &machine.AddDevice({.name = "nic", .line = kemu::LineInterrupt{.vector = 0x51, .irql = 5}});
  PKINTERRUPT interrupt = nullptr;
  EXPECT_EQ(IoConnectInterrupt(&interrupt, &SavingIsr, &saver, nullptr, 0x51, 5, 5, LevelSensitive,
                               FALSE, ~KAFFINITY{0}, FALSE),
            STATUS_SUCCESS);
  return interrupt;
}

TEST(FloatingSaveReturnTest, UnderRecordAnIsrReturningWithASaveOpenIs4B45001E) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  IsrSaver saver{.save_in_isr = true};
  PKINTERRUPT interrupt = ConnectSaver(machine, saver);
  saver.device->AssertLine();
  ASSERT_EQ(machine.bug_checks().size(), 2u);  // the save's wrong IRQL, then the open save
  EXPECT_THAT(machine.bug_checks()[1],
              BugCheckIs(kVerifierViolation, kemu::verifier_code::kFloatingSaveOpenAtReturn,
                         Address(&saver.save), RoutineAddress(&SavingIsr), 5));
  IoDisconnectInterrupt(interrupt);
  machine.Shutdown();
}

TEST(FloatingSaveReturnTest, AnIsrInterruptingTheThreadsOpenSaveIsSilent) {
  kemu::Machine machine(kemu::Os::kWindows10);
  IsrSaver saver;
  PKINTERRUPT interrupt = ConnectSaver(machine, saver);
  KFLOATING_SAVE thread_save;
  ASSERT_EQ(KeSaveFloatingPointState(&thread_save), STATUS_SUCCESS);
  saver.device->AssertLine();
  EXPECT_EQ(KeRestoreFloatingPointState(&thread_save), STATUS_SUCCESS);
  IoDisconnectInterrupt(interrupt);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

}  // namespace
