// DPCs: KeInitializeDpc, KeInsertQueueDpc, KeRemoveQueueDpc and friends against conformance
// DPC-1..DPC-12 (docs/conformance.md §2.5) and docs/windows-facts.md §7. Tests that behave
// the same on every release run once per personality; multi-vCPU and verifier-mode tests build
// their own machine.
#include <wdm.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <vector>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::CrashOf;

using ::kemu::testing::BugCheckIs;

const PVOID kArg1 = reinterpret_cast<PVOID>(0x1111);
const PVOID kArg2 = reinterpret_cast<PVOID>(0x2222);
const PVOID kOtherArg1 = reinterpret_cast<PVOID>(0x3333);
const PVOID kOtherArg2 = reinterpret_cast<PVOID>(0x4444);

// What a DPC routine saw, written by RecordingRoutine through its DeferredContext.
struct Probe {
  int runs = 0;
  KIRQL irql = 0xFF;
  PKDPC dpc = nullptr;
  PVOID context = nullptr;
  PVOID argument1 = nullptr;
  PVOID argument2 = nullptr;
  ULONG processor = 0xFFFFFFFF;
  PVOID dpc_data = reinterpret_cast<PVOID>(1);
};

VOID RecordingRoutine(PKDPC dpc, PVOID context, PVOID argument1, PVOID argument2) {
  auto* probe = static_cast<Probe*>(context);
  ++probe->runs;
  probe->irql = KeGetCurrentIrql();
  probe->dpc = dpc;
  probe->context = context;
  probe->argument1 = argument1;
  probe->argument2 = argument2;
  probe->processor = KeGetCurrentProcessorNumber();
  probe->dpc_data = dpc->DpcData;
}

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

class DpcTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllPersonalities, DpcTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

bool HasThreadedDpcs(kemu::Os os) { return os >= kemu::Os::kWindowsVista; }

// ---------------------------------------------------------------------------------------------
// Initialisation.

TEST_P(DpcTest, KeInitializeDpcSetsTheDocumentedFieldsAndLeavesTheRestAlone) {  // DPC-1
  KDPC dpc;
  std::memset(&dpc, 0x55, sizeof(dpc));
  int context = 0;
  KeInitializeDpc(&dpc, &RecordingRoutine, &context);

  EXPECT_EQ(dpc.Type, DpcObject);
  EXPECT_EQ(dpc.Type, 19);
  EXPECT_EQ(dpc.Importance, MediumImportance);
  EXPECT_EQ(dpc.Number, 0);
  EXPECT_EQ(dpc.DeferredRoutine, &RecordingRoutine);
  EXPECT_EQ(dpc.DeferredContext, &context);
  EXPECT_EQ(dpc.DpcData, nullptr);
  constexpr std::uint64_t kFill = 0x5555555555555555;
  EXPECT_EQ(Address(dpc.DpcListEntry.Next), kFill);
  EXPECT_EQ(Address(dpc.SystemArgument1), kFill);
  EXPECT_EQ(Address(dpc.SystemArgument2), kFill);
}

TEST_P(DpcTest, KeInitializeThreadedDpcExistsFromVistaAndRunsTheRoutine) {
  KDPC dpc;
  std::memset(&dpc, 0x55, sizeof(dpc));
  Probe probe;
  if (!HasThreadedDpcs(GetParam())) {
    // Windows 2000/XP/2003 have no threaded DPCs (docs/windows-facts.md §0); a driver importing it
    // would not load.
    EXPECT_THROW(KeInitializeThreadedDpc(&dpc, &RecordingRoutine, &probe), kemu::MissingExport);
    return;
  }
  KeInitializeThreadedDpc(&dpc, &RecordingRoutine, &probe);
  EXPECT_EQ(dpc.Type, ThreadedDpcObject);
  EXPECT_EQ(dpc.Type, 24);
  EXPECT_EQ(dpc.Importance, MediumImportance);
  EXPECT_EQ(dpc.DpcData, nullptr);

  EXPECT_TRUE(KeInsertQueueDpc(&dpc, kArg1, kArg2));
  // Threaded DPCs are enabled by default, as on Windows: queued at PASSIVE_LEVEL it has run, at
  // PASSIVE_LEVEL, by the time the insert returns (threaded_dpc_test.cpp has the rest).
  EXPECT_EQ(probe.runs, 1);
  EXPECT_EQ(probe.irql, PASSIVE_LEVEL);
  EXPECT_EQ(probe.argument1, kArg1);
}

TEST(DpcTest, KeInitializeDpcWithANullObjectRaisesAnAccessViolation) {  // DPC-7
  kemu::Machine machine(kemu::Os::kWindows10);
  const kemu::BugCheck crash =
      CrashOf([] { KeInitializeDpc(nullptr, &RecordingRoutine, nullptr); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005));
}

TEST_P(DpcTest, ReinitialisingADpcThatAlreadyRanIsSilent) {
  Probe probe;
  KDPC dpc;
  KeInitializeDpc(&dpc, &RecordingRoutine, &probe);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  KeInitializeDpc(&dpc, &RecordingRoutine, &probe);
  EXPECT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  EXPECT_EQ(probe.runs, 2);
}

TEST(DpcTest, ReinitialisingAQueuedDpcBugChecks) {
  kemu::Machine machine(kemu::Os::kWindows10);
  Probe probe;
  KDPC dpc;
  KeInitializeDpc(&dpc, &RecordingRoutine, &probe);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  const kemu::BugCheck crash = CrashOf([&] { KeInitializeDpc(&dpc, &RecordingRoutine, &probe); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                kemu::verifier_code::kDpcReinitializedWhileQueued));
  EXPECT_EQ(crash.parameter(1), Address(&dpc));
  EXPECT_EQ(probe.runs, 0);
}

// ---------------------------------------------------------------------------------------------
// Inserting and running.

TEST_P(DpcTest, InsertAtPassiveRunsTheDpcBeforeReturning) {  // DPC-2
  Probe probe;
  KDPC dpc;
  KeInitializeDpc(&dpc, &RecordingRoutine, &probe);
  EXPECT_TRUE(KeInsertQueueDpc(&dpc, kArg1, kArg2));
  EXPECT_EQ(probe.runs, 1);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST_P(DpcTest, RoutineRunsAtDispatchWithTheInsertsArguments) {  // DPC-3
  Probe probe;
  KDPC dpc;
  KeInitializeDpc(&dpc, &RecordingRoutine, &probe);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, kArg1, kArg2));
  ASSERT_EQ(probe.runs, 1);
  EXPECT_EQ(probe.irql, DISPATCH_LEVEL);
  EXPECT_EQ(probe.dpc, &dpc);
  EXPECT_EQ(probe.context, &probe);
  EXPECT_EQ(probe.argument1, kArg1);
  EXPECT_EQ(probe.argument2, kArg2);
}

TEST_P(DpcTest, InsertAtDispatchDefersTheRoutineUntilTheIrqlDropsBelowDispatch) {  // DPC-4
  Probe probe;
  KDPC dpc;
  KeInitializeDpc(&dpc, &RecordingRoutine, &probe);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);

  EXPECT_TRUE(KeInsertQueueDpc(&dpc, kArg1, kArg2));
  EXPECT_FALSE(KeInsertQueueDpc(&dpc, kOtherArg1, kOtherArg2));
  EXPECT_EQ(dpc.SystemArgument1, kArg1);
  EXPECT_EQ(dpc.SystemArgument2, kArg2);

  KIRQL at_dispatch;
  KeRaiseIrql(HIGH_LEVEL, &at_dispatch);
  KeLowerIrql(at_dispatch);
  EXPECT_EQ(probe.runs, 0) << "a DPC must not run while the IRQL is at or above DISPATCH_LEVEL";

  KeLowerIrql(APC_LEVEL);
  // Nothing ran between KeLowerIrql and this line, so the DPC ran inside KeLowerIrql.
  EXPECT_EQ(probe.runs, 1);
  EXPECT_EQ(probe.irql, DISPATCH_LEVEL);
  EXPECT_EQ(probe.argument1, kArg1);
  EXPECT_EQ(probe.argument2, kArg2);
  EXPECT_EQ(KeGetCurrentIrql(), APC_LEVEL);
  KeLowerIrql(old);
  EXPECT_EQ(probe.runs, 1);
}

TEST_P(DpcTest, RemoveReturnsFalseForADpcThatIsNotQueued) {  // DPC-5
  Probe probe;
  KDPC dpc;
  KeInitializeDpc(&dpc, &RecordingRoutine, &probe);
  EXPECT_FALSE(KeRemoveQueueDpc(&dpc));
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));  // runs at once: no longer queued
  EXPECT_FALSE(KeRemoveQueueDpc(&dpc));
}

TEST_P(DpcTest, RemovingAQueuedDpcReturnsTrueAndTheRoutineNeverRuns) {  // DPC-5
  Probe probe;
  KDPC dpc;
  KeInitializeDpc(&dpc, &RecordingRoutine, &probe);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  EXPECT_TRUE(KeRemoveQueueDpc(&dpc));
  EXPECT_FALSE(KeRemoveQueueDpc(&dpc));
  KeLowerIrql(old);
  EXPECT_EQ(probe.runs, 0);
}

TEST_P(DpcTest, InsertAndRemoveWorkAtHighLevelEvenWithANullRoutine) {  // DPC-6, DPC-7
  KDPC null_routine;
  KeInitializeDpc(&null_routine, nullptr, nullptr);  // accepted: non-NULL object, NULL routine
  Probe probe;
  KDPC recording;
  KeInitializeDpc(&recording, &RecordingRoutine, &probe);
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  EXPECT_TRUE(KeInsertQueueDpc(&null_routine, nullptr, nullptr));
  EXPECT_TRUE(KeInsertQueueDpc(&recording, nullptr, nullptr));
  EXPECT_TRUE(KeRemoveQueueDpc(&null_routine));
  EXPECT_TRUE(KeRemoveQueueDpc(&recording));
  KeLowerIrql(old);
  EXPECT_EQ(probe.runs, 0);
}

// DPC-8: the routine re-inserts its own DPC until it has run kRuns times.
struct Requeue {
  static constexpr int kRuns = 3;
  int runs = 0;
  std::vector<BOOLEAN> reinserted;
  std::vector<PVOID> dpc_data;
};

VOID RequeueRoutine(PKDPC dpc, PVOID context, PVOID, PVOID) {
  auto* state = static_cast<Requeue*>(context);
  ++state->runs;
  state->dpc_data.push_back(dpc->DpcData);
  if (state->runs < Requeue::kRuns)
    state->reinserted.push_back(KeInsertQueueDpc(dpc, kArg1, kArg2));
}

TEST_P(DpcTest, TheRoutineRunsDequeuedSoItCanQueueItselfAgain) {  // DPC-8
  Requeue state;
  KDPC dpc;
  KeInitializeDpc(&dpc, &RequeueRoutine, &state);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  EXPECT_EQ(state.runs, Requeue::kRuns);
  EXPECT_THAT(state.reinserted, ::testing::ElementsAre(TRUE, TRUE));
  EXPECT_THAT(state.dpc_data, ::testing::Each(nullptr));
  EXPECT_EQ(dpc.DpcData, nullptr);
}

TEST_P(DpcTest, DpcDataIsNonNullOnlyWhileQueued) {  // DPC-8
  Probe probe;
  KDPC dpc;
  KeInitializeDpc(&dpc, &RecordingRoutine, &probe);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  EXPECT_NE(dpc.DpcData, nullptr);
  KeLowerIrql(old);
  ASSERT_EQ(probe.runs, 1);
  EXPECT_EQ(probe.dpc_data, nullptr);
  EXPECT_EQ(dpc.DpcData, nullptr);
}

// Importance: HighImportance goes to the head of the queue, the others to the tail
// (docs/windows-facts.md §7.3).
struct Ordered {
  std::vector<char>* order;
  char name;
};

VOID OrderRoutine(PKDPC, PVOID context, PVOID, PVOID) {
  auto* entry = static_cast<Ordered*>(context);
  entry->order->push_back(entry->name);
}

TEST_P(DpcTest, HighImportanceDpcsAreQueuedAtTheHead) {
  std::vector<char> order;
  Ordered a{&order, 'A'}, b{&order, 'B'}, c{&order, 'C'};
  KDPC dpc_a, dpc_b, dpc_c;
  KeInitializeDpc(&dpc_a, &OrderRoutine, &a);
  KeInitializeDpc(&dpc_b, &OrderRoutine, &b);
  KeInitializeDpc(&dpc_c, &OrderRoutine, &c);
  KeSetImportanceDpc(&dpc_b, HighImportance);
  EXPECT_EQ(dpc_b.Importance, HighImportance);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc_a, nullptr, nullptr));
  ASSERT_TRUE(KeInsertQueueDpc(&dpc_b, nullptr, nullptr));
  ASSERT_TRUE(KeInsertQueueDpc(&dpc_c, nullptr, nullptr));
  KeLowerIrql(old);
  EXPECT_THAT(order, ::testing::ElementsAre('B', 'A', 'C'));
}

// ---------------------------------------------------------------------------------------------
// Misuse inside the routine.

VOID ReturnsAtHighLevel(PKDPC, PVOID, PVOID, PVOID) {
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);  // and never lowers
}

TEST_P(DpcTest, ARoutineThatReturnsAboveDispatchBugChecksWithIrqlUnexpectedValue) {
  KDPC dpc;
  KeInitializeDpc(&dpc, &ReturnsAtHighLevel, nullptr);
  const kemu::BugCheck crash = CrashOf([&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); });
  // 0xC8 Arg1 packs (current IRQL << 16) | (expected IRQL << 8).
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kIrqlUnexpectedValue,
                                (std::uint64_t{HIGH_LEVEL} << 16) | (DISPATCH_LEVEL << 8)));
  EXPECT_EQ(crash.parameter(0), 0xF0200u);
}

VOID LowersToPassive(PKDPC, PVOID, PVOID, PVOID) { KeLowerIrql(PASSIVE_LEVEL); }

TEST_P(DpcTest, ARoutineThatLowersBelowDispatchIsAVerifierViolation) {
  KDPC dpc;
  KeInitializeDpc(&dpc, &LowersToPassive, nullptr);
  const kemu::BugCheck crash = CrashOf([&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); });
  // docs/windows-facts.md §7.3: Verifier's 0x31 with Arg4 = 1 flags lowering inside a DPC routine.
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                kemu::verifier_code::kLowerIrqlInvalid));
  EXPECT_EQ(crash.parameter(1), DISPATCH_LEVEL);
  EXPECT_EQ(crash.parameter(2), PASSIVE_LEVEL);
  EXPECT_EQ(crash.parameter(3), 1u);
}

// Re-queues itself on every run; counts runs so the test can relate them to the watchdog.
VOID RequeuesForever(PKDPC dpc, PVOID context, PVOID, PVOID) {
  ++*static_cast<std::uint64_t*>(context);
  KeInsertQueueDpc(dpc, nullptr, nullptr);
}

TEST(DpcTest, ADpcThatRequeuesItselfForeverTripsTheDpcWatchdog) {
  kemu::Machine machine(kemu::Os::kWindows10);
  std::uint64_t runs = 0;
  KDPC dpc;
  KeInitializeDpc(&dpc, &RequeuesForever, &runs);
  const kemu::BugCheck crash = CrashOf([&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDpcWatchdogViolation, 1));
  // Arg2 counts the DPCs of this retirement, including the one that was not run.
  EXPECT_EQ(crash.parameter(1), runs + 1);
  EXPECT_GT(runs, 1000u);
}

// ---------------------------------------------------------------------------------------------
// Uninitialised DPCs (DPC-12).

TEST(DpcTest, InsertingANeverInitialisedDpcIsAVerifierViolation) {  // DPC-12
  kemu::Machine machine({.os = kemu::Os::kWindows10, .verifier = true});
  KDPC dpc;
  std::memset(&dpc, 0x55, sizeof(dpc));
  const kemu::BugCheck crash = CrashOf([&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                kemu::verifier_code::kUninitializedDpc));
  EXPECT_EQ(crash.parameter(1), Address(&dpc));
}

TEST(DpcTest, InsertingANeverInitialisedDpcWithoutVerifierIsAnAccessViolation) {  // DPC-12
  kemu::Machine machine({.os = kemu::Os::kWindows10, .verifier = false});
  KDPC dpc;
  std::memset(&dpc, 0x55, sizeof(dpc));
  const kemu::BugCheck crash = CrashOf([&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005));
}

// Queued at DISPATCH_LEVEL (by a DPC or an ISR), the fault is 0xA, as every fault there (audit
// round 19, C5).
TEST(DpcTest, InsertingANeverInitialisedDpcAtDispatchWithoutVerifierIsIrqlNotLessOrEqual) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .verifier = false});
  KDPC dpc;
  std::memset(&dpc, 0x55, sizeof(dpc));
  KIRQL old = 0;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  const kemu::BugCheck crash = CrashOf([&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual, 0, DISPATCH_LEVEL, 0, 0));
  EXPECT_THAT(crash.what(), ::testing::HasSubstr("never initialised with KeInitializeDpc"));
}

TEST(DpcTest, RemovingANeverInitialisedDpcIsAVerifierViolation) {  // DPC-12
  kemu::Machine machine(kemu::Os::kWindowsXP);
  KDPC dpc;
  std::memset(&dpc, 0, sizeof(dpc));
  const kemu::BugCheck crash = CrashOf([&] { KeRemoveQueueDpc(&dpc); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                kemu::verifier_code::kUninitializedDpc));
}

// ---------------------------------------------------------------------------------------------
// KeFlushQueuedDpcs (DPC-11).

TEST_P(DpcTest, KeFlushQueuedDpcsExistsFromXpAndIsCallableAtPassive) {  // DPC-11
  if (GetParam() == kemu::Os::kWindows2000) {
    // Windows 2000 has no KeFlushQueuedDpcs (export manifest: XP and later).
    EXPECT_THROW(KeFlushQueuedDpcs(), kemu::MissingExport);
    return;
  }
  KeFlushQueuedDpcs();  // nothing queued: returns at once
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

// DPC-11; KeFlushQueuedDpcs is PASSIVE_LEVEL only (docs/conformance.md §2.8).
TEST_P(DpcTest, KeFlushQueuedDpcsAtDispatchBugChecks) {
  const kemu::Os os = GetParam();
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  if (os == kemu::Os::kWindows2000) {
    EXPECT_THROW(KeFlushQueuedDpcs(), kemu::MissingExport);
    KeLowerIrql(old);
    return;
  }
  const kemu::BugCheck crash = CrashOf([] { KeFlushQueuedDpcs(); });
  if (os >= kemu::Os::kWindowsVista) {
    // Vista's Verifier checks kernel APIs called at the wrong IRQL: 0xC4/0xE5, Arg2 the IRQL.
    EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                  kemu::verifier_code::kKernelApiAtWrongIrql));
    EXPECT_EQ(crash.parameter(1), DISPATCH_LEVEL);
  } else {
    // XP/2003 Verifier had no such rule; kemu falls back to the kernel's IRQL_NOT_LESS_OR_EQUAL.
    EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual));
    EXPECT_EQ(crash.parameter(1), DISPATCH_LEVEL);
  }
}

TEST(DpcTest, KeFlushQueuedDpcsAtDispatchWithoutVerifierIsIrqlNotLessOrEqual) {  // DPC-11
  kemu::Machine machine({.os = kemu::Os::kWindows10, .verifier = false});
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  const kemu::BugCheck crash = CrashOf([] { KeFlushQueuedDpcs(); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual));
  EXPECT_EQ(crash.parameter(1), DISPATCH_LEVEL);
}

// A DPC can sit queued at PASSIVE_LEVEL only on a vCPU other than the one that queued it: vCPU 0
// queues it for vCPU 1 while at DISPATCH_LEVEL, then the test runs vCPU 1 directly.
TEST(DpcTest, KeFlushQueuedDpcsRunsEveryQueuedDpcBeforeReturning) {  // DPC-11
  kemu::Machine machine({.os = kemu::Os::kWindows7, .processors = 2});
  Probe probe;
  KDPC dpc;
  KeInitializeDpc(&dpc, &RecordingRoutine, &probe);
  KeSetTargetProcessorDpc(&dpc, 1);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, kArg1, kArg2));

  machine.SwitchToProcessor(1);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  EXPECT_EQ(probe.runs, 0) << "an ordinary kernel call does not retire the queue";
  KeFlushQueuedDpcs();
  EXPECT_EQ(probe.runs, 1);
  EXPECT_EQ(probe.processor, 1u);
  EXPECT_EQ(dpc.DpcData, nullptr);

  machine.SwitchToProcessor(0);
  KeLowerIrql(old);
  EXPECT_EQ(probe.runs, 1);
}

// ---------------------------------------------------------------------------------------------
// Processors.

TEST(DpcTest, ATargetedDpcRunsOnItsProcessorOnceThisOneDropsBelowDispatch) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .processors = 2});
  Probe probe;
  KDPC dpc;
  KeInitializeDpc(&dpc, &RecordingRoutine, &probe);
  KeSetTargetProcessorDpc(&dpc, 1);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, kArg1, kArg2));
  EXPECT_EQ(probe.runs, 0);
  KeLowerIrql(old);
  ASSERT_EQ(probe.runs, 1);
  EXPECT_EQ(probe.processor, 1u);
  EXPECT_EQ(probe.irql, DISPATCH_LEVEL);
  EXPECT_EQ(probe.argument1, kArg1);
  EXPECT_EQ(machine.CurrentProcessor(), 0u) << "the running vCPU is restored afterwards";
  EXPECT_EQ(KeGetCurrentProcessorNumber(), 0u);
}

TEST(DpcTest, ATargetedDpcInsertedAtPassiveRunsOnItsProcessorBeforeTheInsertReturns) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .processors = 2});
  Probe probe;
  KDPC dpc;
  KeInitializeDpc(&dpc, &RecordingRoutine, &probe);
  KeSetTargetProcessorDpc(&dpc, 1);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  EXPECT_EQ(probe.runs, 1);
  EXPECT_EQ(probe.processor, 1u);
  EXPECT_EQ(machine.CurrentProcessor(), 0u);
}

// A driver at DISPATCH_LEVEL queues a DPC for another processor and polls for its effect with
// KeStallExecutionProcessor: on Windows that processor takes its DPC interrupt at once. Under the
// default schedule the DPC waited for vCPU 0 to drop below DISPATCH_LEVEL, so the poll never
// ended (audit round 13).
TEST(DpcTest, APollAtDispatchLevelSeesTheDpcItQueuedForAnotherProcessorRun) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .processors = 2});
  Probe probe;
  KDPC dpc;
  KeInitializeDpc(&dpc, &RecordingRoutine, &probe);
  KeSetTargetProcessorDpc(&dpc, 1);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  EXPECT_EQ(probe.runs, 0);  // queued for vCPU 1; nothing has let it run yet
  int polls = 0;
  while (probe.runs == 0 && polls < 1000) {
    KeStallExecutionProcessor(10);
    ++polls;
  }
  EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
  KeLowerIrql(old);
  EXPECT_EQ(polls, 1);
  EXPECT_EQ(probe.runs, 1);
  EXPECT_EQ(probe.processor, 1u);
  EXPECT_EQ(probe.irql, DISPATCH_LEVEL);
  EXPECT_EQ(machine.CurrentProcessor(), 0u);
}

// The stall hands over only what another vCPU can run: one at DISPATCH_LEVEL itself keeps its
// DPC until it lowers, as on Windows.
TEST(DpcTest, AStallLeavesADpcQueuedForAProcessorAtDispatchLevelQueued) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .processors = 2});
  Probe probe;
  KDPC dpc;
  KeInitializeDpc(&dpc, &RecordingRoutine, &probe);
  KeSetTargetProcessorDpc(&dpc, 1);
  machine.KeepProcessorBusy(1);  // at DISPATCH_LEVEL
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  KeStallExecutionProcessor(10);
  EXPECT_EQ(probe.runs, 0);
  KeLowerIrql(old);
  EXPECT_EQ(probe.runs, 0);
  machine.ReleaseProcessor(1);
  EXPECT_EQ(probe.runs, 1);
  EXPECT_EQ(probe.processor, 1u);
}

TEST(DpcTest, ATargetProcessorThatDoesNotExistBugChecksBeforeWindows7) {
  kemu::Machine machine({.os = kemu::Os::kWindowsVista, .processors = 2});
  KDPC dpc;
  KeInitializeDpc(&dpc, &RecordingRoutine, nullptr);
  const kemu::BugCheck crash = CrashOf([&] { KeSetTargetProcessorDpc(&dpc, 2); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                kemu::verifier_code::kDpcTargetOutOfRange));
  EXPECT_EQ(crash.parameter(1), Address(&dpc));
  EXPECT_EQ(crash.parameter(2), 2u);  // requested
  EXPECT_EQ(crash.parameter(3), 2u);  // processor count
}

TEST(DpcTest, RunPendingDpcsRunsQueuesOfProcessorsBelowDispatchOnly) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .processors = 2});
  Probe remote, local;
  KDPC remote_dpc, local_dpc;
  KeInitializeDpc(&remote_dpc, &RecordingRoutine, &remote);
  KeSetTargetProcessorDpc(&remote_dpc, 1);
  KeInitializeDpc(&local_dpc, &RecordingRoutine, &local);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  ASSERT_TRUE(KeInsertQueueDpc(&remote_dpc, nullptr, nullptr));
  ASSERT_TRUE(KeInsertQueueDpc(&local_dpc, nullptr, nullptr));

  machine.RunPendingDpcs();
  EXPECT_EQ(remote.runs, 1);  // vCPU 1 is at PASSIVE_LEVEL
  EXPECT_EQ(remote.processor, 1u);
  EXPECT_EQ(local.runs, 0);  // vCPU 0 is still at DISPATCH_LEVEL
  EXPECT_EQ(machine.CurrentProcessor(), 0u);

  KeLowerIrql(old);
  EXPECT_EQ(local.runs, 1);
  EXPECT_EQ(local.processor, 0u);
  machine.RunPendingDpcs();  // nothing left: no routine runs twice
  EXPECT_EQ(remote.runs, 1);
  EXPECT_EQ(local.runs, 1);
}

}  // namespace

namespace {

// Found by kemu_fuzz_kernel_api under UBSan: a retail kernel stores any target unchecked, and a
// target set while the DPC was queued (here 103) reached a 64-bit shift when the DPC ran. The DPC
// runs where it was queued.
TEST(DpcTest, ATargetSetWhileQueuedDoesNotMoveTheRunningDpc) {
  kemu::Machine machine(
      kemu::MachineOptions{.os = kemu::Os::kWindows10, .verifier = false, .checked_build = false});
  KDPC dpc;
  Probe probe;
  KeInitializeDpc(&dpc, RecordingRoutine, &probe);
  KIRQL old_irql;
  KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
  ASSERT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  KeSetTargetProcessorDpc(&dpc, 103);
  KeLowerIrql(old_irql);
  EXPECT_EQ(probe.runs, 1);
  EXPECT_EQ(probe.processor, 0u);
  EXPECT_EQ(probe.irql, DISPATCH_LEVEL);
}

// A DPC routine that changes its thread's APC disable count (takes a kernel mutex with a zero
// timeout, the one wait allowed at DISPATCH_LEVEL, and keeps it): 0xC7 / 4 (routine, the count
// before, after; Windows counts down from 0).
VOID TakeMutexInDpc(PKDPC dpc, PVOID context, PVOID argument1, PVOID argument2) {
  (void)dpc;
  (void)argument2;
  LARGE_INTEGER zero{};
  KeWaitForSingleObject(context, Executive, KernelMode, FALSE, &zero);
  if (argument1 != nullptr) KeReleaseMutex(static_cast<PRKMUTEX>(context), FALSE);
}

TEST(DpcRulesTest, ADpcReturningWithAKernelMutexItTookIsTimerOrDpcInvalid4) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  KDPC dpc;
  KeInitializeDpc(&dpc, TakeMutexInDpc, &mutex);
  const kemu::BugCheck crash = CrashOf([&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kTimerOrDpcInvalid, 4,
                                reinterpret_cast<std::uintptr_t>(&TakeMutexInDpc), 0, 0xFFFF));
  EXPECT_THAT(crash.what(), ::testing::HasSubstr("returned holding 1 critical region(s)"));
}

TEST(DpcRulesTest, ADpcReleasingTheKernelMutexItTookIsSilent) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  KDPC dpc;
  KeInitializeDpc(&dpc, TakeMutexInDpc, &mutex);
  KeInsertQueueDpc(&dpc, &mutex, nullptr);  // a non-NULL argument: release before returning
  EXPECT_EQ(mutex.Header.SignalState, 1);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

}  // namespace
