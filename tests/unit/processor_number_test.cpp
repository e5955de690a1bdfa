// Processor-group routines (emu/abi/ke_processor.cpp, emu/abi/ke_dpc.cpp): a kemu machine has one
// group, group 0, holding every vCPU, so a processor's number in its group is its system-wide
// index. KeQueryMaximumProcessorCount is Vista and later, the rest Windows 7 and later.
#include <wdm.h>

#include <type_traits>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::OsFrom;

class ProcessorNumberTest : public kemu::testing::PersonalityTest {
 protected:
  kemu::MachineOptions Options() const override { return {.os = GetParam(), .processors = 3}; }
};

PROCESSOR_NUMBER Number(USHORT group, UCHAR number) {
  PROCESSOR_NUMBER processor{};
  processor.Group = group;
  processor.Number = number;
  return processor;
}

TEST_P(ProcessorNumberTest, TheMaximumIsTheMachinesProcessorCountInOneGroup) {
  EXPECT_EQ(KeQueryMaximumProcessorCount(), 3u);
  EXPECT_EQ(KeQueryMaximumProcessorCountEx(0), 3u);
  EXPECT_EQ(KeQueryMaximumProcessorCountEx(ALL_PROCESSOR_GROUPS), 3u);
  EXPECT_EQ(KeQueryMaximumProcessorCountEx(1), 0u);
  EXPECT_EQ(KeQueryMaximumGroupCount(), 1);
}

TEST_P(ProcessorNumberTest, CurrentProcessorNumberExNamesGroupZeroAndTheIndex) {
  machine().SwitchToProcessor(2);
  PROCESSOR_NUMBER processor;
  processor.Group = 7;
  processor.Number = 9;
  processor.Reserved = 5;
  EXPECT_EQ(KeGetCurrentProcessorNumberEx(&processor), 2u);
  EXPECT_EQ(processor.Group, 0);
  EXPECT_EQ(processor.Number, 2);
  EXPECT_EQ(processor.Reserved, 0);
  EXPECT_EQ(KeGetCurrentProcessorNumberEx(nullptr), 2u);
  machine().SwitchToProcessor(0);
}

TEST_P(ProcessorNumberTest, IndexAndNumberConvertBothWays) {
  for (ULONG index = 0; index < 3; ++index) {
    PROCESSOR_NUMBER processor = Number(5, 0xEE);
    EXPECT_EQ(KeGetProcessorNumberFromIndex(index, &processor), STATUS_SUCCESS);
    EXPECT_EQ(processor.Group, 0);
    EXPECT_EQ(processor.Number, index);
    EXPECT_EQ(KeGetProcessorIndexFromNumber(&processor), index);
  }
}

TEST_P(ProcessorNumberTest, ANumberNamingNoProcessorIsInvalid) {
  PROCESSOR_NUMBER past_the_end = Number(0, 3);
  PROCESSOR_NUMBER other_group = Number(1, 0);
  EXPECT_EQ(KeGetProcessorIndexFromNumber(&past_the_end), INVALID_PROCESSOR_INDEX);
  EXPECT_EQ(KeGetProcessorIndexFromNumber(&other_group), INVALID_PROCESSOR_INDEX);
  PROCESSOR_NUMBER untouched = Number(4, 4);
  EXPECT_EQ(KeGetProcessorNumberFromIndex(3, &untouched), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(untouched.Group, 4);
  EXPECT_EQ(untouched.Number, 4);
}

TEST_P(ProcessorNumberTest, UnbiasedInterruptTimeIsTheInterruptTime) {
  machine().AdvanceTime(250);  // microseconds
  EXPECT_EQ(KeQueryUnbiasedInterruptTime(), KeQueryInterruptTime());
  EXPECT_EQ(KeQueryUnbiasedInterruptTime(), 2500u);
}

VOID CountOn(PKDPC dpc, PVOID context, PVOID argument1, PVOID argument2) {
  (void)dpc;
  (void)argument1;
  (void)argument2;
  *static_cast<ULONG*>(context) = KeGetCurrentProcessorNumber();
}

TEST_P(ProcessorNumberTest, SetTargetProcessorDpcExQueuesOnThatProcessor) {
  ULONG ran_on = 99;
  KDPC dpc;
  KeInitializeDpc(&dpc, CountOn, &ran_on);
  PROCESSOR_NUMBER target = Number(0, 1);
  ASSERT_EQ(KeSetTargetProcessorDpcEx(&dpc, &target), STATUS_SUCCESS);
  EXPECT_EQ(dpc.Number, 1);
  KeInsertQueueDpc(&dpc, nullptr, nullptr);
  machine().Settle();
  EXPECT_EQ(ran_on, 1u);
}

TEST_P(ProcessorNumberTest, SetTargetProcessorDpcExRejectsAMissingProcessorAndKeepsTheTarget) {
  KDPC dpc;
  ULONG ran_on = 99;
  KeInitializeDpc(&dpc, CountOn, &ran_on);
  PROCESSOR_NUMBER two = Number(0, 2);
  ASSERT_EQ(KeSetTargetProcessorDpcEx(&dpc, &two), STATUS_SUCCESS);
  PROCESSOR_NUMBER missing = Number(0, 3);
  PROCESSOR_NUMBER other_group = Number(1, 0);
  EXPECT_EQ(KeSetTargetProcessorDpcEx(&dpc, &missing), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(KeSetTargetProcessorDpcEx(&dpc, &other_group), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(dpc.Number, 2);
  EXPECT_FALSE(machine().crashed());
}

TEST_P(ProcessorNumberTest, EveryProcessorIsInNodeZeroTheOnlyNode) {
  EXPECT_EQ(KeQueryHighestNodeNumber(), 0);
  EXPECT_EQ(KeGetCurrentNodeNumber(), 0);
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);  // any IRQL
  EXPECT_EQ(KeGetCurrentNodeNumber(), 0);
  KeLowerIrql(old);
}

TEST_P(ProcessorNumberTest, KeNumberProcessorsIsTheMachinesProcessorCountAsACchar) {
  static_assert(std::is_same_v<decltype(KeNumberProcessors), CCHAR>);
  const CCHAR processors = KeNumberProcessors;
  EXPECT_EQ(processors, 3);
}

INSTANTIATE_TEST_SUITE_P(Windows7AndLater, ProcessorNumberTest, OsFrom(kemu::Os::kWindows7),
                         kemu::testing::OsName());

TEST(ProcessorNumberAvailabilityTest, GroupRoutinesAreMissingBeforeWindows7) {
  kemu::Machine machine(kemu::Os::kWindowsVista);
  EXPECT_EQ(KeQueryMaximumProcessorCount(), 1u);  // Vista has this one
  PROCESSOR_NUMBER processor{};
  KDPC dpc{};
  EXPECT_THROW(KeQueryMaximumProcessorCountEx(0), kemu::MissingExport);
  EXPECT_THROW(KeQueryMaximumGroupCount(), kemu::MissingExport);
  EXPECT_THROW(KeGetCurrentProcessorNumberEx(&processor), kemu::MissingExport);
  EXPECT_THROW(KeGetProcessorIndexFromNumber(&processor), kemu::MissingExport);
  EXPECT_THROW(KeGetProcessorNumberFromIndex(0, &processor), kemu::MissingExport);
  EXPECT_THROW(KeQueryUnbiasedInterruptTime(), kemu::MissingExport);
  EXPECT_THROW(KeSetTargetProcessorDpcEx(&dpc, &processor), kemu::MissingExport);
}

TEST(ProcessorNumberAvailabilityTest, NodeRoutinesAreMissingBeforeWindows7) {
  kemu::Machine machine(kemu::Os::kWindowsVista);
  EXPECT_THROW(KeGetCurrentNodeNumber(), kemu::MissingExport);
  EXPECT_THROW(KeQueryHighestNodeNumber(), kemu::MissingExport);
}

TEST(ProcessorNumberAvailabilityTest, KeNumberProcessorsReflectsEachMachineFromWindows2000) {
  for (const unsigned processors : {1u, 4u}) {
    kemu::Machine machine(
        kemu::MachineOptions{.os = kemu::Os::kWindows2000, .processors = processors});
    EXPECT_EQ(KeNumberProcessors, static_cast<CCHAR>(processors));
  }
}

TEST(ProcessorNumberAvailabilityTest, MaximumProcessorCountIsMissingBeforeVista) {
  kemu::Machine machine(kemu::Os::kWindowsServer2003);
  EXPECT_THROW(KeQueryMaximumProcessorCount(), kemu::MissingExport);
}

}  // namespace
