// IRQL: KeRaiseIrql / KeLowerIrql / KeRaiseIrqlToDpcLevel / KeRaiseIrqlToSynchLevel and the IRQL
// rules of the verifier (emu/model/irql.cpp, emu/verifier/rules_irql.cpp). docs/conformance.md §2.1
// (IRQL-1..IRQL-8), docs/windows-facts.md §5.
#include <wdm.h>

#include <array>
#include <cstdint>

#include "kemu/testing/gtest.hpp"

namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Property;
using ::testing::Throws;

using ::kemu::testing::BugCheckIs;

constexpr std::uint32_t kVerifierBugCheck = kemu::bugcheck::kDriverVerifierDetectedViolation;
constexpr std::uint64_t kStatusAccessViolation = 0xC0000005;
constexpr std::uint64_t kStatusAssertionFailure = 0xC0000420;

kemu::MachineOptions VerifierOn(kemu::Os os = kemu::Os::kWindows10) {
  return {.os = os, .verifier = true};
}
kemu::MachineOptions CheckedKernel(kemu::Os os = kemu::Os::kWindows10) {
  return {.os = os, .verifier = false, .checked_build = true};
}
kemu::MachineOptions RetailKernel(kemu::Os os = kemu::Os::kWindows10) {
  return {.os = os, .verifier = false, .checked_build = false};
}

// DPC routines, run at DISPATCH_LEVEL by KeInsertQueueDpc from PASSIVE_LEVEL (DPC-2).
void LowerToPassiveDpc(PKDPC, PVOID, PVOID, PVOID) { KeLowerIrql(PASSIVE_LEVEL); }

// `context` points at a KIRQL that receives the IRQL the routine ends with.
void RaiseToHighAndBackDpc(PKDPC, PVOID context, PVOID, PVOID) {
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  KeLowerIrql(old);
  *static_cast<KIRQL*>(context) = KeGetCurrentIrql();
}

// Every x64 IRQL name of conformance IRQL-2.
constexpr KIRQL kNamedLevels[] = {LOW_LEVEL,     PASSIVE_LEVEL, APC_LEVEL, DISPATCH_LEVEL,
                                  CMCI_LEVEL,    CLOCK_LEVEL,   IPI_LEVEL, SYNCH_LEVEL,
                                  PROFILE_LEVEL, HIGH_LEVEL};

// ---------------------------------------------------------------------------------------------
// Behaviour every personality shares (Driver Verifier on, the default machine).

class IrqlPersonalityTest : public kemu::testing::PersonalityTest {};

TEST_P(IrqlPersonalityTest, TestEntryPointRunsAtPassiveLevel) {  // IRQL-1
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  EXPECT_EQ(machine().CurrentIrql(), PASSIVE_LEVEL);
}

TEST_P(IrqlPersonalityTest, KeRaiseIrqlToEachLevelStoresPreviousAndKeLowerIrqlRestoresIt) {
  // IRQL-2
  for (KIRQL level : kNamedLevels) {
    SCOPED_TRACE(::testing::Message() << "level " << int{level});
    KIRQL old = 0xEE;
    KeRaiseIrql(level, &old);
    EXPECT_EQ(old, PASSIVE_LEVEL);
    EXPECT_EQ(KeGetCurrentIrql(), level);
    KeLowerIrql(old);
    EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  }
}

TEST_P(IrqlPersonalityTest, RaisingOrLoweringToTheCurrentLevelChangesNothing) {  // IRQL-3
  for (int level = PASSIVE_LEVEL; level <= HIGH_LEVEL; ++level) {
    SCOPED_TRACE(::testing::Message() << "level " << level);
    KIRQL original;
    KeRaiseIrql(static_cast<KIRQL>(level), &original);
    KIRQL old = 0xEE;
    KeRaiseIrql(static_cast<KIRQL>(level), &old);
    EXPECT_EQ(old, level);
    EXPECT_EQ(KeGetCurrentIrql(), level);
    KeLowerIrql(static_cast<KIRQL>(level));
    EXPECT_EQ(KeGetCurrentIrql(), level);
    KeLowerIrql(original);
  }
}

TEST_P(IrqlPersonalityTest, RoundTripFromEveryLevelToEveryLevelAboveRestoresThePrevious) {
  // IRQL-4
  for (int from = PASSIVE_LEVEL; from <= HIGH_LEVEL; ++from) {
    KIRQL original;
    KeRaiseIrql(static_cast<KIRQL>(from), &original);
    for (int to = from; to <= HIGH_LEVEL; ++to) {
      SCOPED_TRACE(::testing::Message() << "from " << from << " to " << to);
      KIRQL old = 0xEE;
      KeRaiseIrql(static_cast<KIRQL>(to), &old);
      EXPECT_EQ(old, from);
      EXPECT_EQ(KeGetCurrentIrql(), to);
      KeLowerIrql(old);
      EXPECT_EQ(KeGetCurrentIrql(), from);
    }
    KeLowerIrql(original);
  }
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST_P(IrqlPersonalityTest, SteppingUpOneLevelAtATimeLandsExactlyOnEachLevel) {  // IRQL-5
  KIRQL previous[HIGH_LEVEL + 1];
  for (int level = PASSIVE_LEVEL; level <= HIGH_LEVEL; ++level) {
    KeRaiseIrql(static_cast<KIRQL>(level), &previous[level]);
    // A HAL may round a request down; kemu's emulated one is exact.
    EXPECT_EQ(KeGetCurrentIrql(), level);
  }
  for (int level = HIGH_LEVEL; level >= PASSIVE_LEVEL; --level) {
    EXPECT_EQ(previous[level], level == 0 ? 0 : level - 1);
    KeLowerIrql(previous[level]);
  }
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST_P(IrqlPersonalityTest, KeRaiseIrqlToDpcLevelReturnsPreviousAndLeavesDispatch) {  // IRQL-6
  EXPECT_EQ(KeRaiseIrqlToDpcLevel(), PASSIVE_LEVEL);
  EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
  EXPECT_EQ(KeRaiseIrqlToDpcLevel(), DISPATCH_LEVEL);
  EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
  KeLowerIrql(APC_LEVEL);
  EXPECT_EQ(KeRaiseIrqlToDpcLevel(), APC_LEVEL);
  KeLowerIrql(PASSIVE_LEVEL);
}

TEST_P(IrqlPersonalityTest, KeRaiseIrqlToSynchLevelGoesToTwelveOnEveryRelease) {  // IRQL-7
  // kemu models x64 multiprocessor kernels only: SYNCH_LEVEL = IPI_LEVEL - 2 = 12 everywhere.
  EXPECT_EQ(machine().personality().synch_level, 12);
  EXPECT_EQ(KeRaiseIrqlToSynchLevel(), PASSIVE_LEVEL);
  EXPECT_EQ(KeGetCurrentIrql(), 12);
  EXPECT_EQ(KeRaiseIrqlToSynchLevel(), 12);
  EXPECT_EQ(KeGetCurrentIrql(), 12);
  KeLowerIrql(PASSIVE_LEVEL);
}

TEST_P(IrqlPersonalityTest, KeRaiseIrqlBelowCurrentBugChecksUnderVerifier) {
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT(
      [&] { KeRaiseIrql(APC_LEVEL, &old); },
      Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, 0x30, DISPATCH_LEVEL, APC_LEVEL, 0)));
}

TEST_P(IrqlPersonalityTest, KeLowerIrqlAboveCurrentBugChecksUnderVerifier) {
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  EXPECT_THAT(
      [] { KeLowerIrql(DISPATCH_LEVEL); },
      Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, 0x31, APC_LEVEL, DISPATCH_LEVEL, 0)));
}

TEST_P(IrqlPersonalityTest, KeRaiseIrqlToDpcLevelAboveDispatchBugChecksUnderVerifier) {
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  EXPECT_THAT(
      [] { KeRaiseIrqlToDpcLevel(); },
      Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, 0x30, HIGH_LEVEL, DISPATCH_LEVEL, 0)));
}

TEST_P(IrqlPersonalityTest, KeRaiseIrqlToSynchLevelAboveSynchBugChecksUnderVerifier) {
  KIRQL old;
  KeRaiseIrql(CLOCK_LEVEL, &old);
  EXPECT_THAT([] { KeRaiseIrqlToSynchLevel(); },
              Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, 0x30, CLOCK_LEVEL, 12, 0)));
}

TEST_P(IrqlPersonalityTest, LoweringBelowDispatchInsideADpcRoutineBugChecksUnderVerifier) {
  KDPC dpc{};
  KeInitializeDpc(&dpc, &LowerToPassiveDpc, nullptr);
  // At PASSIVE_LEVEL the DPC runs inside KeInsertQueueDpc (DPC-2). Arg4 = 1: inside a DPC.
  EXPECT_THAT([&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); },
              Throws<kemu::BugCheck>(
                  BugCheckIs(kVerifierBugCheck, 0x31, DISPATCH_LEVEL, PASSIVE_LEVEL, 1)));
}

TEST_P(IrqlPersonalityTest, RaisingAndLoweringBackToDispatchInsideADpcRoutineIsSilent) {
  KDPC dpc{};
  KIRQL irql_at_return = 0xEE;
  KeInitializeDpc(&dpc, &RaiseToHighAndBackDpc, &irql_at_return);
  EXPECT_EQ(KeInsertQueueDpc(&dpc, nullptr, nullptr), TRUE);
  EXPECT_EQ(irql_at_return, DISPATCH_LEVEL);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST_P(IrqlPersonalityTest, IrqlAboveHighLevelBugChecksUnderVerifier) {
  EXPECT_THAT(
      [] {
        KIRQL old;
        KeRaiseIrql(HIGH_LEVEL + 1, &old);
      },
      Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, 0x30, PASSIVE_LEVEL, 16, 0)));
}

INSTANTIATE_TEST_SUITE_P(AllWindows, IrqlPersonalityTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

// ---------------------------------------------------------------------------------------------
// Constants, the real functions behind the macros, and each rule in the three checking modes.

TEST(IrqlTest, LevelConstantsHaveTheirX64Values) {
  EXPECT_EQ(PASSIVE_LEVEL, 0);
  EXPECT_EQ(LOW_LEVEL, 0);
  EXPECT_EQ(APC_LEVEL, 1);
  EXPECT_EQ(DISPATCH_LEVEL, 2);
  EXPECT_EQ(CMCI_LEVEL, 5);
  EXPECT_EQ(SYNCH_LEVEL, 12);
  EXPECT_EQ(CLOCK_LEVEL, 13);
  EXPECT_EQ(IPI_LEVEL, 14);
  EXPECT_EQ(POWER_LEVEL, 14);
  EXPECT_EQ(PROFILE_LEVEL, 15);
  EXPECT_EQ(HIGH_LEVEL, 15);
}

TEST(IrqlTest, ParenthesisedKeRaiseIrqlReachesTheRealFunction) {
  kemu::Machine machine(VerifierOn());
  KIRQL old = 0xEE;
  (KeRaiseIrql)(DISPATCH_LEVEL, &old);
  EXPECT_EQ(old, PASSIVE_LEVEL);
  EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
  // Through a function pointer too: the macro is function-like, so the name alone is the export.
  void (*raise)(KIRQL, PKIRQL) = KeRaiseIrql;
  raise(HIGH_LEVEL, &old);
  EXPECT_EQ(old, DISPATCH_LEVEL);
  EXPECT_EQ(KeGetCurrentIrql(), HIGH_LEVEL);
  KeLowerIrql(PASSIVE_LEVEL);
}

TEST(IrqlTest, ParenthesisedKeRaiseIrqlWithNullOldIrqlBugChecksInsteadOfFaulting) {
  // Only the real function can notice the NULL; the macro would store through it.
  kemu::Machine machine(VerifierOn());
  EXPECT_THAT([] { (KeRaiseIrql)(DISPATCH_LEVEL, nullptr); },
              Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled,
                                                kStatusAccessViolation, 0, 0, 0)));
}

TEST(IrqlTest, KeRaiseIrqlBelowCurrentBugChecksIrqlNotGreaterOrEqualOnCheckedKernel) {
  kemu::Machine machine(CheckedKernel());
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT([&] { KeRaiseIrql(APC_LEVEL, &old); },
              Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kIrqlNotGreaterOrEqual,
                                                DISPATCH_LEVEL, APC_LEVEL, 0, 0)));
}

TEST(IrqlTest, KeLowerIrqlAboveCurrentBugChecksIrqlNotLessOrEqualOnCheckedKernel) {
  kemu::Machine machine(CheckedKernel());
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  EXPECT_THAT([] { KeLowerIrql(HIGH_LEVEL); },
              Throws<kemu::BugCheck>(
                  BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual, APC_LEVEL, HIGH_LEVEL, 0, 0)));
}

TEST(IrqlTest, KeRaiseIrqlToDpcLevelAboveDispatchBugChecksOnCheckedKernel) {
  kemu::Machine machine(CheckedKernel());
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  EXPECT_THAT([] { KeRaiseIrqlToDpcLevel(); },
              Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kIrqlNotGreaterOrEqual, HIGH_LEVEL,
                                                DISPATCH_LEVEL, 0, 0)));
}

TEST(IrqlTest, KeRaiseIrqlToSynchLevelAboveSynchBugChecksWithArg4OneOnCheckedKernel) {
  // docs/windows-facts.md §5.2: the debug HAL raises 0x9 with (current, SYNCH_LEVEL, 0, 1).
  kemu::Machine machine(CheckedKernel());
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  EXPECT_THAT([] { KeRaiseIrqlToSynchLevel(); },
              Throws<kemu::BugCheck>(
                  BugCheckIs(kemu::bugcheck::kIrqlNotGreaterOrEqual, HIGH_LEVEL, 12, 0, 1)));
}

TEST(IrqlTest, LoweringBelowDispatchInsideADpcRoutineFailsWhenItReturnsOnCheckedKernel) {
  // Without Verifier the KeLowerIrql itself passes; the DPC then returns at PASSIVE_LEVEL and
  // the kernel stops with IRQL_UNEXPECTED_VALUE, Arg1 = (current << 16) | (expected << 8).
  kemu::Machine machine(CheckedKernel());
  KDPC dpc{};
  KeInitializeDpc(&dpc, &LowerToPassiveDpc, nullptr);
  EXPECT_THAT(
      [&] { KeInsertQueueDpc(&dpc, nullptr, nullptr); },
      Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kIrqlUnexpectedValue,
                                        (PASSIVE_LEVEL << 16) | (DISPATCH_LEVEL << 8), 0, 0, 0)));
}

TEST(IrqlTest, KeRaiseIrqlToALowerLevelLowersOnRetailKernel) {  // IRQL-8
  kemu::Machine machine(RetailKernel());
  KIRQL original;
  KeRaiseIrql(HIGH_LEVEL, &original);
  KIRQL old = 0xEE;
  KeRaiseIrql(APC_LEVEL, &old);
  EXPECT_EQ(old, HIGH_LEVEL);
  EXPECT_EQ(KeGetCurrentIrql(), APC_LEVEL);
  EXPECT_THAT(machine.bug_checks(), IsEmpty());
  KeLowerIrql(original);
}

TEST(IrqlTest, KeLowerIrqlToAHigherLevelRaisesOnRetailKernel) {  // IRQL-8
  kemu::Machine machine(RetailKernel());
  KIRQL original;
  KeRaiseIrql(APC_LEVEL, &original);
  KeLowerIrql(HIGH_LEVEL);
  EXPECT_EQ(KeGetCurrentIrql(), HIGH_LEVEL);
  EXPECT_THAT(machine.bug_checks(), IsEmpty());
  KeLowerIrql(original);
}

TEST(IrqlTest, KeRaiseIrqlToDpcLevelFromHighLowersToDispatchOnRetailKernel) {  // IRQL-8
  kemu::Machine machine(RetailKernel());
  KIRQL original;
  KeRaiseIrql(HIGH_LEVEL, &original);
  EXPECT_EQ(KeRaiseIrqlToDpcLevel(), HIGH_LEVEL);
  EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
  KeLowerIrql(original);
}

// An IRQL above HIGH_LEVEL cannot be loaded into CR8: every mode crashes, even a recording one.
struct AboveHighCase {
  const char* mode;
  kemu::MachineOptions options;
  std::uint32_t code;
  std::array<std::uint64_t, 4> parameters;
};

kemu::MachineOptions Recording(kemu::MachineOptions options) {
  options.on_bug_check = kemu::BugCheckAction::kRecord;
  return options;
}

void ExpectCrashInEveryMode(const AboveHighCase (&cases)[4], void (*misuse)()) {
  for (const AboveHighCase& c : cases) {
    SCOPED_TRACE(c.mode);
    kemu::Machine machine(c.options);
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    EXPECT_THAT(misuse, Throws<kemu::BugCheck>(BugCheckIs(c.code, c.parameters[0], c.parameters[1],
                                                          c.parameters[2], c.parameters[3])));
    EXPECT_TRUE(machine.crashed());
    const bool recording = c.options.on_bug_check == kemu::BugCheckAction::kRecord;
    EXPECT_EQ(machine.bug_checks().size(), recording ? 1u : 0u);
  }
}

TEST(IrqlTest, KeRaiseIrqlAboveHighLevelCrashesInEveryMode) {
  using kemu::bugcheck::kIrqlNotGreaterOrEqual;
  const AboveHighCase cases[] = {
      {"verifier", VerifierOn(), kVerifierBugCheck, {0x30, APC_LEVEL, 16, 0}},
      {"checked", CheckedKernel(), kIrqlNotGreaterOrEqual, {APC_LEVEL, 16, 0, 0}},
      {"retail", RetailKernel(), kIrqlNotGreaterOrEqual, {APC_LEVEL, 16, 0, 0}},
      {"retail, recording",
       Recording(RetailKernel()),
       kIrqlNotGreaterOrEqual,
       {APC_LEVEL, 16, 0, 0}},
  };
  ExpectCrashInEveryMode(cases, [] {
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL + 1, &old);
  });
}

TEST(IrqlTest, KeLowerIrqlAboveHighLevelCrashesInEveryMode) {
  using kemu::bugcheck::kIrqlNotLessOrEqual;
  const AboveHighCase cases[] = {
      {"verifier", VerifierOn(), kVerifierBugCheck, {0x31, APC_LEVEL, 0xFF, 0}},
      {"checked", CheckedKernel(), kIrqlNotLessOrEqual, {APC_LEVEL, 0xFF, 0, 0}},
      {"retail", RetailKernel(), kIrqlNotLessOrEqual, {APC_LEVEL, 0xFF, 0, 0}},
      {"verifier, recording",
       Recording(VerifierOn()),
       kVerifierBugCheck,
       {0x31, APC_LEVEL, 0xFF, 0}},
  };
  ExpectCrashInEveryMode(cases, [] { KeLowerIrql(0xFF); });
}

TEST(IrqlTest, RecordingMachineRecordsKeRaiseIrqlBelowCurrentAndLowersAsRetailDoes) {
  kemu::Machine machine({.verifier = true, .on_bug_check = kemu::BugCheckAction::kRecord});
  KIRQL original;
  KeRaiseIrql(DISPATCH_LEVEL, &original);
  KIRQL old = 0xEE;
  KeRaiseIrql(APC_LEVEL, &old);
  EXPECT_THAT(machine.bug_checks(),
              ElementsAre(BugCheckIs(kVerifierBugCheck, 0x30, DISPATCH_LEVEL, APC_LEVEL, 0)));
  EXPECT_FALSE(machine.crashed());
  EXPECT_EQ(old, DISPATCH_LEVEL);
  EXPECT_EQ(KeGetCurrentIrql(), APC_LEVEL);
  KeLowerIrql(original);
  EXPECT_NO_THROW(machine.Shutdown());
}

TEST(IrqlTest, RecordingMachineRecordsKeLowerIrqlAboveCurrentAndRaisesAsRetailDoes) {
  kemu::Machine machine({.verifier = false, .on_bug_check = kemu::BugCheckAction::kRecord});
  KeLowerIrql(DISPATCH_LEVEL);
  EXPECT_THAT(machine.bug_checks(), ElementsAre(BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual,
                                                           PASSIVE_LEVEL, DISPATCH_LEVEL, 0, 0)));
  EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
  KeLowerIrql(PASSIVE_LEVEL);
  EXPECT_THAT(machine.bug_checks(), ::testing::SizeIs(1));
}

// ---------------------------------------------------------------------------------------------
// PAGED_CODE(), ASSERT and KeBugCheckEx: driver-side checks, the same in every mode.

TEST(IrqlTest, PagedCodeAboveApcLevelBugChecksDriverIrqlNotLessOrEqual) {
  for (const kemu::MachineOptions& options : {VerifierOn(), CheckedKernel(), RetailKernel()}) {
    SCOPED_TRACE(::testing::Message()
                 << "verifier " << options.verifier << " checked " << options.checked_build);
    kemu::Machine machine(options);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    // Arg3 = 8: an execute fault, the pageable code itself.
    EXPECT_THAT([] { PAGED_CODE(); },
                Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kDriverIrqlNotLessOrEqual, 0,
                                                  DISPATCH_LEVEL, 8, 0)));
  }
}

TEST(IrqlTest, PagedCodeAtOrBelowApcLevelIsSilent) {
  kemu::Machine machine(VerifierOn());
  EXPECT_NO_THROW(PAGED_CODE());
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  EXPECT_NO_THROW(PAGED_CODE());
  KeLowerIrql(old);
  EXPECT_FALSE(machine.crashed());
}

TEST(IrqlTest, FailedAssertBugChecksWithStatusAssertionFailure) {
  kemu::Machine machine(VerifierOn());
  const int ready = 0;
  EXPECT_THAT([&] { ASSERT(ready == 1); },
              Throws<kemu::BugCheck>(BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled,
                                                kStatusAssertionFailure, 0, 0, 0)));
}

TEST(IrqlTest, PassingAssertIsSilent) {
  kemu::Machine machine(VerifierOn());
  const int ready = 1;
  EXPECT_NO_THROW(ASSERT(ready == 1));
  EXPECT_NO_THROW(NT_ASSERT(ready != 0));
  EXPECT_FALSE(machine.crashed());
}

TEST(IrqlTest, KeBugCheckExFromDriverCodeCarriesItsCodeAndParameters) {
  kemu::Machine machine(VerifierOn());
  EXPECT_THAT([] { KeBugCheckEx(0xDEAD, 1, 0x22, 0x333, 0xFFFFFFFFFFFFFFFFull); },
              Throws<kemu::BugCheck>(BugCheckIs(0xDEAD, 1, 0x22, 0x333, 0xFFFFFFFFFFFFFFFFull)));
  EXPECT_TRUE(machine.crashed());
}

TEST(IrqlTest, KeBugCheckFromDriverCodeHasZeroParameters) {
  kemu::Machine machine(RetailKernel());
  EXPECT_THAT([] { KeBugCheck(0x7E); }, Throws<kemu::BugCheck>(BugCheckIs(0x7E, 0, 0, 0, 0)));
}

// ---------------------------------------------------------------------------------------------
// A kernel API called above its maximum IRQL (Verifier::IrqlAboveMaximum), via KeFlushQueuedDpcs
// (PASSIVE_LEVEL only). Vista's Verifier reports 0xC4/0xE5; earlier ones leave it to the kernel.

TEST(IrqlTest, KernelApiAboveItsMaximumIrqlIsVerifierCodeE5FromVistaOn) {
  for (kemu::Os os : {kemu::Os::kWindowsVista, kemu::Os::kWindows7, kemu::Os::kWindows8,
                      kemu::Os::kWindows81, kemu::Os::kWindows10, kemu::Os::kWindows11}) {
    SCOPED_TRACE(kemu::OsName(os));
    kemu::Machine machine(VerifierOn(os));
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    EXPECT_THAT([] { KeFlushQueuedDpcs(); },
                Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, 0xE5, DISPATCH_LEVEL, 0, 0)));
  }
}

TEST(IrqlTest, KernelApiAboveItsMaximumIrqlIsIrqlNotLessOrEqualWithoutVistaVerifier) {
  const kemu::MachineOptions cases[] = {VerifierOn(kemu::Os::kWindowsXP),
                                        VerifierOn(kemu::Os::kWindowsServer2003),
                                        CheckedKernel(kemu::Os::kWindows10)};
  for (const kemu::MachineOptions& options : cases) {
    SCOPED_TRACE(kemu::OsName(options.os));
    kemu::Machine machine(options);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    EXPECT_THAT([] { KeFlushQueuedDpcs(); },
                Throws<kemu::BugCheck>(
                    BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual, 0, DISPATCH_LEVEL, 0, 0)));
  }
}

TEST(IrqlTest, KernelApiAboveItsMaximumIrqlIsSilentOnRetailKernel) {
  kemu::Machine machine(RetailKernel());
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_NO_THROW(KeFlushQueuedDpcs());
  KeLowerIrql(old);
  EXPECT_THAT(machine.bug_checks(), IsEmpty());
}

TEST(IrqlTest, KernelApiAtItsMaximumIrqlIsSilentUnderVerifier) {
  kemu::Machine machine(VerifierOn());
  EXPECT_NO_THROW(KeFlushQueuedDpcs());
  EXPECT_FALSE(machine.crashed());
}

}  // namespace
