// ExAllocatePool3 (Windows 10 2004): ExAllocatePool2's flags plus POOL_EXTENDED_PARAMETERs. kemu
// has one NUMA node and a pool that runs low only by fault injection; secure pool is not
// modelled and says so by name.
#define NTDDI_VERSION 0x0A000008  // NTDDI_WIN10_VB
#include <wdm.h>

#include <cstdint>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

constexpr ULONG kTag = 0x336C6F50;  // "Pol3"

POOL_EXTENDED_PARAMETER Parameter(POOL_EXTENDED_PARAMETER_TYPE type, bool optional) {
  POOL_EXTENDED_PARAMETER parameter{};
  parameter.Type = type;
  parameter.Optional = optional ? 1 : 0;
  return parameter;
}

class Pool3Test : public kemu::testing::PersonalityTest {};

TEST_P(Pool3Test, WithoutParametersItIsExAllocatePool2) {
  auto* block =
      static_cast<unsigned char*>(ExAllocatePool3(POOL_FLAG_NON_PAGED, 32, kTag, nullptr, 0));
  ASSERT_NE(block, nullptr);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(block[i], 0) << i;
  EXPECT_EQ(ExAllocatePool3(POOL_FLAG_NON_PAGED, 32, 0, nullptr, 0), nullptr);  // zero tag
  ExFreePoolWithTag(block, kTag);
}

TEST_P(Pool3Test, PriorityAndTheOneNumaNodeAreAccepted) {
  POOL_EXTENDED_PARAMETER parameters[3] = {Parameter(PoolExtendedParameterPriority, false),
                                           Parameter(PoolExtendedParameterNumaNode, false),
                                           Parameter(PoolExtendedParameterNumaNode, false)};
  parameters[0].Priority = LowPoolPriority;
  parameters[1].PreferredNode = 0;
  parameters[2].PreferredNode = MM_ANY_NODE_OK;
  PVOID block = ExAllocatePool3(POOL_FLAG_PAGED, 64, kTag, parameters, 3);
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(machine().pool_allocations(), 1u);
  ExFreePoolWithTag(block, kTag);
}

TEST_P(Pool3Test, ARequiredParameterKemuCannotMeetFailsAndAnOptionalOneIsIgnored) {
  POOL_EXTENDED_PARAMETER node = Parameter(PoolExtendedParameterNumaNode, false);
  node.PreferredNode = 3;  // no such node
  EXPECT_EQ(ExAllocatePool3(POOL_FLAG_NON_PAGED, 16, kTag, &node, 1), nullptr);
  POOL_EXTENDED_PARAMETER unknown = Parameter(PoolExtendedParameterMax, false);
  EXPECT_EQ(ExAllocatePool3(POOL_FLAG_NON_PAGED, 16, kTag, &unknown, 1), nullptr);
  unknown.Optional = 1;
  PVOID block = ExAllocatePool3(POOL_FLAG_NON_PAGED, 16, kTag, &unknown, 1);
  EXPECT_NE(block, nullptr);
  ExFreePool(block);
  EXPECT_EQ(machine().pool_allocations(), 0u);
}

TEST_P(Pool3Test, ARefusedRequestRaisesWhenAskedTo) {
  POOL_EXTENDED_PARAMETER unknown = Parameter(PoolExtendedParameterInvalidType, false);
  EXPECT_THAT(CrashOf([&] {
                ExAllocatePool3(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 16, kTag,
                                &unknown, 1);
              }),
              BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC000009A, 0, 0, 0));
}

TEST_P(Pool3Test, SecurePoolIsNotModelledAndSaysSo) {
  POOL_EXTENDED_PARAMETER secure = Parameter(PoolExtendedParameterSecurePool, false);
  try {
    ExAllocatePool3(POOL_FLAG_NON_PAGED, 16, kTag, &secure, 1);
    ADD_FAILURE() << "secure pool returned";
  } catch (const kemu::NotModelled& not_modelled) {
    EXPECT_EQ(not_modelled.routine(), "ExAllocatePool3 (PoolExtendedParameterSecurePool)");
  }
}

// From a driver callback the unmodelled request ends the machine, as every unmodelled use does:
// the kernel frames the exception unwinds (the DPC's IRQL, its queue state) cannot be completed.
VOID SecurePoolDpc(PKDPC, PVOID context, PVOID, PVOID) {
  ++*static_cast<int*>(context);
  POOL_EXTENDED_PARAMETER secure = Parameter(PoolExtendedParameterSecurePool, false);
  ExAllocatePool3(POOL_FLAG_NON_PAGED, 16, kTag, &secure, 1);
}

TEST(Pool3CallbackTest, SecurePoolAskedForInADpcEndsTheMachine) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KDPC dpc;
  int runs = 0;
  KeInitializeDpc(&dpc, &SecurePoolDpc, &runs);
  try {
    KeInsertQueueDpc(&dpc, nullptr, nullptr);
    ADD_FAILURE() << "KeInsertQueueDpc returned";
  } catch (const kemu::NotModelled& not_modelled) {
    EXPECT_EQ(not_modelled.routine(), "ExAllocatePool3 (PoolExtendedParameterSecurePool)");
    EXPECT_THAT(not_modelled.what(), ::testing::HasSubstr("a DPC routine on vCPU 0 at IRQL 2"));
  }
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(machine.crashed());
}

TEST_P(Pool3Test, LowResourcesSimulationByTagFailsIt) {
  machine().InjectFault({.routine = "ExAllocatePool3", .tag = kTag});
  EXPECT_EQ(ExAllocatePool3(POOL_FLAG_NON_PAGED, 16, kTag, nullptr, 0), nullptr);
  PVOID block = ExAllocatePool3(POOL_FLAG_NON_PAGED, 16, kTag, nullptr, 0);  // count = 1
  EXPECT_NE(block, nullptr);
  ExFreePool(block);
}

INSTANTIATE_TEST_SUITE_P(Windows10On, Pool3Test, kemu::testing::OsFrom(kemu::Os::kWindows10),
                         kemu::testing::OsName());

TEST(Pool3AvailabilityTest, WindowsBefore10LackExAllocatePool3) {
  kemu::Machine machine(kemu::Os::kWindows81);
  EXPECT_THROW(ExAllocatePool3(POOL_FLAG_NON_PAGED, 16, kTag, nullptr, 0), kemu::MissingExport);
}

}  // namespace
