// DMA adapters (emu/abi/io_dma_adapter.cpp, model/dma_adapters.cpp): IoGetDmaAdapter gives an
// adapter whose common buffers sit below the device's addressing limit, with the logical address
// a device double reaches through Machine::HostAddressOf; frees and releases are checked with
// Microsoft's DMA verification codes (0xE6), and what kemu does not model stops by name.
#include <fmt/format.h>
#include <ntddk.h>  // MmGetPhysicalAddress

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "kemu/fault_routines.hpp"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

namespace dv = ::kemu::dma_violation;
namespace vc = ::kemu::verifier_code;
constexpr std::uint32_t kDma = kemu::bugcheck::kDriverVerifierDmaViolation;
constexpr std::uint32_t kVerifier = kemu::bugcheck::kDriverVerifierDetectedViolation;
constexpr ULONG kPage = 0x1000;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

DEVICE_DESCRIPTION BusMaster32() {
  DEVICE_DESCRIPTION description{};
  description.Version = DEVICE_DESCRIPTION_VERSION;
  description.Master = TRUE;
  description.Dma32BitAddresses = TRUE;
  description.InterfaceType = PCIBus;
  description.MaximumLength = 0x10000;
  return description;
}

class DmaAdapterTest : public kemu::testing::PersonalityTest {
 protected:
  void SetUp() override {
    PersonalityTest::SetUp();
    device_ = &machine().AddDevice({.name = "dma0"});
  }
  PDMA_ADAPTER Get(DEVICE_DESCRIPTION description, ULONG* map_registers = nullptr) {
    ULONG registers = 0;
    PDMA_ADAPTER adapter = IoGetDmaAdapter(device_->pdo(), &description, &registers);
    if (map_registers != nullptr) *map_registers = registers;
    return adapter;
  }

  kemu::Device* device_ = nullptr;
};

TEST_P(DmaAdapterTest, ACommonBufferIsContiguousBelow4GiBAndTheDeviceReachesItsLogicalAddress) {
  ULONG map_registers = 0;
  PDMA_ADAPTER adapter = Get(BusMaster32(), &map_registers);
  ASSERT_NE(adapter, nullptr);
  EXPECT_EQ(adapter->Version, 1);
  EXPECT_EQ(adapter->Size, sizeof(DMA_ADAPTER));
  EXPECT_EQ(adapter->DmaOperations->Size, sizeof(DMA_OPERATIONS));
  EXPECT_EQ(map_registers, 0x10000 / kPage + 1);
  PHYSICAL_ADDRESS logical{};
  auto* ring = static_cast<unsigned char*>(
      adapter->DmaOperations->AllocateCommonBuffer(adapter, 2 * kPage, &logical, FALSE));
  ASSERT_NE(ring, nullptr);
  EXPECT_EQ(Address(ring) % kPage, 0u);
  EXPECT_EQ(static_cast<std::uint64_t>(logical.QuadPart), 0x01000000u);  // lowest first
  EXPECT_EQ(MmGetPhysicalAddress(ring + 0x1234).QuadPart, logical.QuadPart + 0x1234);
  // The device writes the second page through the logical address.
  void* host = machine().HostAddressOf(static_cast<std::uint64_t>(logical.QuadPart) + kPage, 8);
  ASSERT_EQ(host, ring + kPage);
  std::memset(host, 0xAB, 8);
  EXPECT_EQ(ring[kPage + 7], 0xAB);
  EXPECT_EQ(adapter->DmaOperations->GetDmaAlignment(adapter), 1u);
  adapter->DmaOperations->FreeCommonBuffer(adapter, 2 * kPage, logical, ring, FALSE);
  EXPECT_EQ(machine().HostAddressOf(static_cast<std::uint64_t>(logical.QuadPart), 8), nullptr);
  adapter->DmaOperations->PutDmaAdapter(adapter);
  EXPECT_EQ(machine().pool_allocations(), 0u);
  machine().Shutdown();  // nothing left: silent
}

TEST_P(DmaAdapterTest, ASystemDmaChannelReaches24BitsAndGetsLegacyMemory) {
  DEVICE_DESCRIPTION description = BusMaster32();
  description.Master = FALSE;
  description.Dma32BitAddresses = FALSE;
  description.InterfaceType = Isa;
  PDMA_ADAPTER adapter = Get(description);
  ASSERT_NE(adapter, nullptr);
  PHYSICAL_ADDRESS logical{};
  PVOID buffer = adapter->DmaOperations->AllocateCommonBuffer(adapter, kPage, &logical, TRUE);
  ASSERT_NE(buffer, nullptr);
  EXPECT_EQ(static_cast<std::uint64_t>(logical.QuadPart), 0x00100000u);
  adapter->DmaOperations->FreeCommonBuffer(adapter, kPage, logical, buffer, TRUE);
  adapter->DmaOperations->PutDmaAdapter(adapter);
}

TEST_P(DmaAdapterTest, VersionThreeIsKnownFromWindows8AndItsAddressWidthIsTheLimit) {
  DEVICE_DESCRIPTION description = BusMaster32();
  description.Version = DEVICE_DESCRIPTION_VERSION3;
  description.DmaAddressWidth = 24;
  PDMA_ADAPTER adapter = Get(description);
  if (GetParam() < kemu::Os::kWindows8) {
    EXPECT_EQ(adapter, nullptr);
    return;
  }
  ASSERT_NE(adapter, nullptr);
  EXPECT_EQ(adapter->Version, 1);  // whatever the description's version (audit round 17, W1)
  PHYSICAL_ADDRESS logical{};
  PVOID buffer = adapter->DmaOperations->AllocateCommonBuffer(adapter, kPage, &logical, FALSE);
  ASSERT_NE(buffer, nullptr);
  EXPECT_LE(static_cast<std::uint64_t>(logical.QuadPart) + kPage - 1, 0xFFFFFFu);
  adapter->DmaOperations->FreeCommonBuffer(adapter, kPage, logical, buffer, FALSE);
  adapter->DmaOperations->PutDmaAdapter(adapter);
}

// IoGetDmaAdapter's page: "Regardless of the version set in the DEVICE_DESCRIPTION structure,
// this function always returns DMA_ADAPTER->Version == 1"; a driver cannot tell the table's
// version from it (audit round 17, W1).
TEST_P(DmaAdapterTest, TheAdapterVersionIsOneWhateverTheDescriptionVersion) {
  for (const ULONG version : {DEVICE_DESCRIPTION_VERSION, DEVICE_DESCRIPTION_VERSION1,
                              DEVICE_DESCRIPTION_VERSION2, DEVICE_DESCRIPTION_VERSION3}) {
    DEVICE_DESCRIPTION description = BusMaster32();
    description.Version = version;
    description.DmaAddressWidth = 32;
    PDMA_ADAPTER adapter = Get(description);
    if (adapter == nullptr) {
      // Only a version the release predates has no adapter.
      EXPECT_TRUE((version == DEVICE_DESCRIPTION_VERSION3 && GetParam() < kemu::Os::kWindows8) ||
                  (version == DEVICE_DESCRIPTION_VERSION2 && GetParam() < kemu::Os::kWindowsXP))
          << "description version " << version;
      continue;
    }
    EXPECT_EQ(adapter->Version, 1) << "description version " << version;
    adapter->DmaOperations->PutDmaAdapter(adapter);
  }
}

TEST_P(DmaAdapterTest, AnAdapterNeverReleasedIsALeakAtShutdown) {
  PDMA_ADAPTER adapter = Get(BusMaster32());
  ASSERT_NE(adapter, nullptr);
  const kemu::BugCheck leak = CrashOf([&] { machine().Shutdown(); });
  EXPECT_THAT(leak.what(), HasSubstr("never released (PutDmaAdapter)"));
}

INSTANTIATE_TEST_SUITE_P(AllWindows, DmaAdapterTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

// The rules, on one kernel (they do not differ between versions).
class DmaRulesTest : public ::testing::Test {
 protected:
  PDMA_ADAPTER Get() {
    DEVICE_DESCRIPTION description = BusMaster32();
    ULONG registers = 0;
    return IoGetDmaAdapter(device_.pdo(), &description, &registers);
  }
  PVOID Allocate(PDMA_ADAPTER adapter, ULONG length, PHYSICAL_ADDRESS* logical) {
    return adapter->DmaOperations->AllocateCommonBuffer(adapter, length, logical, FALSE);
  }
  /// The logical address of the first one-page common buffer an adapter for `description` gets
  /// (buffer and adapter released again), or nullopt when it gets no adapter or no buffer.
  std::optional<std::uint64_t> FirstCommonBufferAt(DEVICE_DESCRIPTION description) {
    ULONG registers = 0;
    PDMA_ADAPTER adapter = IoGetDmaAdapter(device_.pdo(), &description, &registers);
    if (adapter == nullptr) return std::nullopt;
    PHYSICAL_ADDRESS logical{};
    PVOID buffer = Allocate(adapter, kPage, &logical);
    std::optional<std::uint64_t> at;
    if (buffer != nullptr) {
      at = static_cast<std::uint64_t>(logical.QuadPart);
      adapter->DmaOperations->FreeCommonBuffer(adapter, kPage, logical, buffer, FALSE);
    }
    adapter->DmaOperations->PutDmaAdapter(adapter);
    return at;
  }

  kemu::Machine machine_{kemu::Os::kWindows10};
  kemu::Device& device_ = machine_.AddDevice({.name = "dma0"});
};

TEST_F(DmaRulesTest, FreeingACommonBufferTwiceIsTooManyCommonBuffersFreed) {
  PDMA_ADAPTER adapter = Get();
  PHYSICAL_ADDRESS logical{};
  PVOID buffer = Allocate(adapter, kPage, &logical);
  adapter->DmaOperations->FreeCommonBuffer(adapter, kPage, logical, buffer, FALSE);
  EXPECT_THAT(CrashOf([&] {
                adapter->DmaOperations->FreeCommonBuffer(adapter, kPage, logical, buffer, FALSE);
              }),
              BugCheckIs(kDma, dv::kCommonBufferFreedTwice, 1, 0, 0));
}

TEST_F(DmaRulesTest, FreeingWithAnotherLengthLogicalAddressOrCacheSettingIsReported) {
  PDMA_ADAPTER adapter = Get();
  PHYSICAL_ADDRESS logical{};
  PVOID buffer = Allocate(adapter, 2 * kPage, &logical);
  namespace rule = ::kemu::common_buffer_free_rule;
  EXPECT_THAT(
      CrashOf([&] {
        adapter->DmaOperations->FreeCommonBuffer(adapter, kPage, logical, buffer, FALSE);
      }),
      BugCheckIs(kVerifier, vc::kCommonBufferFree, Address(buffer), rule::kLength, 2 * kPage));
}

TEST_F(DmaRulesTest, FreeingWithAnotherLogicalAddressIsReported) {
  PDMA_ADAPTER adapter = Get();
  PHYSICAL_ADDRESS logical{};
  PVOID buffer = Allocate(adapter, kPage, &logical);
  PHYSICAL_ADDRESS other = logical;
  other.QuadPart += kPage;
  EXPECT_THAT(CrashOf([&] {
                adapter->DmaOperations->FreeCommonBuffer(adapter, kPage, other, buffer, FALSE);
              }),
              BugCheckIs(kVerifier, vc::kCommonBufferFree, Address(buffer),
                         kemu::common_buffer_free_rule::kLogicalAddress,
                         static_cast<std::uint64_t>(logical.QuadPart)));
}

TEST_F(DmaRulesTest, ReleasingTheAdapterWithCommonBuffersIsReported) {
  PDMA_ADAPTER adapter = Get();
  PHYSICAL_ADDRESS logical{};
  (void)Allocate(adapter, kPage, &logical);
  EXPECT_THAT(CrashOf([&] { adapter->DmaOperations->PutDmaAdapter(adapter); }),
              BugCheckIs(kDma, dv::kAdapterReleasedWithCommonBuffers, Address(adapter), 1, 0));
}

TEST_F(DmaRulesTest, ACallThroughAReleasedAdapterIsReported) {
  PDMA_ADAPTER adapter = Get();
  adapter->DmaOperations->PutDmaAdapter(adapter);
  PHYSICAL_ADDRESS logical{};
  const kemu::BugCheck crash = CrashOf([&] { (void)Allocate(adapter, kPage, &logical); });
  EXPECT_THAT(crash, BugCheckIs(kDma, dv::kReleasedAdapter, Address(adapter), 0, 0));
  EXPECT_THAT(crash.what(), HasSubstr("PutDmaAdapter already released"));
}

TEST_F(DmaRulesTest, ANullAdapterIsReported) {
  PDMA_ADAPTER adapter = Get();
  EXPECT_THAT(CrashOf([&] { adapter->DmaOperations->PutDmaAdapter(nullptr); }),
              BugCheckIs(kDma, dv::kNullAdapter, 0, 0, 0));
}

TEST_F(DmaRulesTest, AllocatingAtDispatchLevelIsAnImproperIrql) {
  PDMA_ADAPTER adapter = Get();
  KIRQL old = 0;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  PHYSICAL_ADDRESS logical{};
  EXPECT_THAT(CrashOf([&] { (void)Allocate(adapter, kPage, &logical); }),
              BugCheckIs(kDma, dv::kImproperIrql, 0x2, PASSIVE_LEVEL, DISPATCH_LEVEL));
}

// GetDmaAlignment is PASSIVE_LEVEL too (its page); it was the one operation left unchecked
// (audit round 13).
TEST_F(DmaRulesTest, AskingTheAlignmentAtDispatchLevelIsAnImproperIrql) {
  PDMA_ADAPTER adapter = Get();
  EXPECT_EQ(adapter->DmaOperations->GetDmaAlignment(adapter), 1u);  // at PASSIVE_LEVEL
  KIRQL old = 0;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] { (void)adapter->DmaOperations->GetDmaAlignment(adapter); }),
              BugCheckIs(kDma, dv::kImproperIrql, 0x2, PASSIVE_LEVEL, DISPATCH_LEVEL));
}

// PutDmaAdapter's page allows IRQL <= DISPATCH_LEVEL, unlike the operations above (audit round
// 17, noticed by helper W): at DISPATCH_LEVEL it is silent, above it the improper IRQL.
TEST_F(DmaRulesTest, ReleasingTheAdapterAtDispatchLevelIsAllowedAndAboveItIsAnImproperIrql) {
  PDMA_ADAPTER adapter = Get();
  KIRQL old = 0;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  adapter->DmaOperations->PutDmaAdapter(adapter);
  KeLowerIrql(old);
  EXPECT_FALSE(machine_.crashed());
  PDMA_ADAPTER second = Get();
  KeRaiseIrql(PROFILE_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] { second->DmaOperations->PutDmaAdapter(second); }),
              BugCheckIs(kDma, dv::kImproperIrql, 0x2, DISPATCH_LEVEL, PROFILE_LEVEL));
}

TEST_F(DmaRulesTest, AnUnknownDescriptionVersionIsReported) {
  DEVICE_DESCRIPTION description = BusMaster32();
  description.Version = 4;
  ULONG registers = 0;
  EXPECT_THAT(CrashOf([&] { (void)IoGetDmaAdapter(device_.pdo(), &description, &registers); }),
              BugCheckIs(kDma, dv::kUnknownDescriptionVersion, 4, 0, 0));
}

DEVICE_DESCRIPTION Version3BusMaster(ULONG width) {
  DEVICE_DESCRIPTION description = BusMaster32();
  description.Version = DEVICE_DESCRIPTION_VERSION3;
  description.DmaAddressWidth = width;
  return description;
}

// A version 3 bus master's reach is DmaAddressWidth, whatever it is: a 20-bit device reaches only
// the first MiB, where kemu has no memory to give, so its common buffer fails as Windows' does
// when no memory the device reaches is free (audit round 17, W3).
TEST_F(DmaRulesTest, AVersion3BusMasterOf20BitsGetsNoCommonBufferAbove1MiB) {
  DEVICE_DESCRIPTION description = Version3BusMaster(20);
  ULONG registers = 0;
  PDMA_ADAPTER adapter = IoGetDmaAdapter(device_.pdo(), &description, &registers);
  ASSERT_NE(adapter, nullptr);
  PHYSICAL_ADDRESS logical{};
  logical.QuadPart = 0x1234;
  EXPECT_EQ(Allocate(adapter, kPage, &logical), nullptr);
  EXPECT_EQ(logical.QuadPart, 0);
  adapter->DmaOperations->PutDmaAdapter(adapter);
  EXPECT_FALSE(machine_.crashed());
}

// Version 3 ignores Dma32BitAddresses and Dma64BitAddresses: the width alone is the limit.
TEST_F(DmaRulesTest, AVersion3BusMasterIgnoresTheAddressFlagsForItsWidth) {
  DEVICE_DESCRIPTION description = Version3BusMaster(24);
  description.Dma64BitAddresses = TRUE;
  EXPECT_EQ(FirstCommonBufferAt(description), 0x00100000u);  // legacy memory
}

// The page: the width "must be nonzero and must not exceed 64". kemu refuses the description as
// IoGetDmaAdapter refuses any it cannot serve, with no adapter (audit round 17, W3).
TEST_F(DmaRulesTest, AVersion3BusMasterWithAddressWidthZeroOrAbove64GetsNoAdapter) {
  for (const ULONG width : {0u, 65u}) {
    DEVICE_DESCRIPTION description = Version3BusMaster(width);
    ULONG registers = 0;
    EXPECT_EQ(IoGetDmaAdapter(device_.pdo(), &description, &registers), nullptr)
        << "DmaAddressWidth " << width;
  }
  EXPECT_FALSE(machine_.crashed());
}

TEST_F(DmaRulesTest, AVersion3BusMasterOf64BitsGetsAnAdapterAndCommonBuffers) {
  EXPECT_EQ(FirstCommonBufferAt(Version3BusMaster(64)), 0x01000000u);  // lowest first
}

// A subordinate device's width is the system DMA controller's, DmaAddressWidth not used (0 is
// fine): 24 bits in kemu, whatever the flags say.
TEST_F(DmaRulesTest, AVersion3SubordinateDeviceReaches24BitsWithoutAnAddressWidth) {
  DEVICE_DESCRIPTION description = Version3BusMaster(0);
  description.Master = FALSE;
  description.InterfaceType = Isa;
  EXPECT_EQ(FirstCommonBufferAt(description), 0x00100000u);
}

// PhysicalDeviceObject is [in, optional]: NULL is a legacy driver's call, answered from the
// description alone (audit round 17, W2).
TEST_F(DmaRulesTest, ALegacyDriversNullPdoGetsAnAdapterFromTheDescription) {
  DEVICE_DESCRIPTION description = BusMaster32();
  ULONG registers = 0;
  PDMA_ADAPTER adapter = IoGetDmaAdapter(nullptr, &description, &registers);
  ASSERT_NE(adapter, nullptr);
  EXPECT_EQ(adapter->Version, 1);
  EXPECT_EQ(registers, 0x10000 / kPage + 1);
  PHYSICAL_ADDRESS logical{};
  PVOID buffer = Allocate(adapter, kPage, &logical);
  ASSERT_NE(buffer, nullptr);
  EXPECT_EQ(static_cast<std::uint64_t>(logical.QuadPart), 0x01000000u);
  adapter->DmaOperations->FreeCommonBuffer(adapter, kPage, logical, buffer, FALSE);
  adapter->DmaOperations->PutDmaAdapter(adapter);
  machine_.Shutdown();
  EXPECT_FALSE(machine_.crashed());
}

TEST_F(DmaRulesTest, AnotherDeviceObjectThanThePdoIsAnInvalidPdo) {
  DEVICE_DESCRIPTION description = BusMaster32();
  ULONG registers = 0;
  int not_a_device = 0;
  auto* fake = reinterpret_cast<PDEVICE_OBJECT>(&not_a_device);
  EXPECT_THAT(CrashOf([&] { (void)IoGetDmaAdapter(fake, &description, &registers); }),
              BugCheckIs(kemu::bugcheck::kPnpDetectedFatalError, 0x2, Address(fake), 0, 0));
}

TEST_F(DmaRulesTest, MmFreeContiguousMemoryOfACommonBufferIsReported) {
  PDMA_ADAPTER adapter = Get();
  PHYSICAL_ADDRESS logical{};
  PVOID buffer = Allocate(adapter, kPage, &logical);
  const kemu::BugCheck crash = CrashOf([&] { MmFreeContiguousMemory(buffer); });
  EXPECT_THAT(crash, BugCheckIs(kVerifier, vc::kContiguousFree, Address(buffer),
                                kemu::contiguous_free_rule::kCommonBuffer, 0));
  EXPECT_THAT(crash.what(), HasSubstr("same adapter's FreeCommonBuffer"));
}

TEST_F(DmaRulesTest, MmFreeContiguousMemorySpecifyCacheOfACommonBufferIsReported) {
  PDMA_ADAPTER adapter = Get();
  PHYSICAL_ADDRESS logical{};
  PVOID buffer = Allocate(adapter, kPage, &logical);
  EXPECT_THAT(CrashOf([&] { MmFreeContiguousMemorySpecifyCache(buffer, kPage, MmNonCached); }),
              BugCheckIs(kVerifier, vc::kContiguousFree, Address(buffer),
                         kemu::contiguous_free_rule::kCommonBuffer, 0));
}

TEST_F(DmaRulesTest, CommonBuffersAndContiguousMemoryFreedByTheirOwnRoutinesAreSilent) {
  PDMA_ADAPTER adapter = Get();
  PHYSICAL_ADDRESS logical{};
  PVOID buffer = Allocate(adapter, kPage, &logical);
  PHYSICAL_ADDRESS highest{};
  highest.QuadPart = 0xFFFFFFFF;
  PVOID contiguous = MmAllocateContiguousMemory(kPage, highest);
  ASSERT_NE(buffer, nullptr);
  ASSERT_NE(contiguous, nullptr);
  MmFreeContiguousMemory(contiguous);
  adapter->DmaOperations->FreeCommonBuffer(adapter, kPage, logical, buffer, FALSE);
  adapter->DmaOperations->PutDmaAdapter(adapter);
  EXPECT_FALSE(machine_.crashed());
}

TEST_F(DmaRulesTest, ExFreePoolOfACommonBufferAdvisesFreeCommonBuffer) {
  PDMA_ADAPTER adapter = Get();
  PHYSICAL_ADDRESS logical{};
  PVOID buffer = Allocate(adapter, kPage, &logical);
  const kemu::BugCheck crash = CrashOf([&] { ExFreePool(buffer); });
  EXPECT_THAT(crash, BugCheckIs(kVerifier, vc::kFreeBadPoolAddress, Address(buffer), 0, 0));
  EXPECT_THAT(crash.what(), HasSubstr("AllocateCommonBuffer returned"));
  EXPECT_THAT(crash.what(), HasSubstr("Free it with the same DMA adapter's FreeCommonBuffer"));
}

TEST_F(DmaRulesTest, FreeingThroughAnotherAdapterNamesTheAdapterThatOwnsTheBuffer) {
  PDMA_ADAPTER owner = Get();
  PDMA_ADAPTER other = Get();
  PHYSICAL_ADDRESS logical{};
  PVOID buffer = Allocate(owner, kPage, &logical);
  const kemu::BugCheck crash = CrashOf(
      [&] { other->DmaOperations->FreeCommonBuffer(other, kPage, logical, buffer, FALSE); });
  EXPECT_THAT(crash, BugCheckIs(kDma, dv::kCommonBufferFreedTwice, 1, 0, 0));
  EXPECT_THAT(crash.what(),
              HasSubstr(fmt::format("a common buffer of another DMA adapter (the one at {})",
                                    static_cast<const void*>(owner))));
}

// Fault injection (docs/testing-helpers.md): both fail as documented, by returning NULL.
TEST_F(DmaRulesTest, AnInjectedIoGetDmaAdapterFaultReturnsNoAdapterOnce) {
  machine_.InjectFault({.routine = "IoGetDmaAdapter"});
  EXPECT_EQ(Get(), nullptr);
  PDMA_ADAPTER adapter = Get();
  ASSERT_NE(adapter, nullptr);
  adapter->DmaOperations->PutDmaAdapter(adapter);
}

TEST_F(DmaRulesTest, AnInjectedAllocateCommonBufferFaultReturnsNullAndTheNthCallFails) {
  PDMA_ADAPTER adapter = Get();
  machine_.InjectFault({.routine = "AllocateCommonBuffer", .nth = 2});
  PHYSICAL_ADDRESS first_logical{};
  PVOID first = Allocate(adapter, kPage, &first_logical);
  ASSERT_NE(first, nullptr);
  PHYSICAL_ADDRESS second_logical{};
  second_logical.QuadPart = 0x1234;
  EXPECT_EQ(Allocate(adapter, kPage, &second_logical), nullptr);
  EXPECT_EQ(second_logical.QuadPart, 0);
  // The fault names the operation alone: contiguous memory and pool still succeed.
  PHYSICAL_ADDRESS highest{};
  highest.QuadPart = 0xFFFFFFFF;
  PVOID contiguous = MmAllocateContiguousMemory(kPage, highest);
  EXPECT_NE(contiguous, nullptr);
  MmFreeContiguousMemory(contiguous);
  adapter->DmaOperations->FreeCommonBuffer(adapter, kPage, first_logical, first, FALSE);
  adapter->DmaOperations->PutDmaAdapter(adapter);
  EXPECT_FALSE(machine_.crashed());
}

TEST_F(DmaRulesTest, APoolOrContiguousFaultLeavesCommonBuffersAlone) {
  machine_.InjectFault({.routine = "MmAllocateContiguousMemory", .count = 0});
  machine_.InjectFault({.routine = "ExAllocatePoolWithTag", .count = 0});
  PDMA_ADAPTER adapter = Get();
  PHYSICAL_ADDRESS logical{};
  PVOID buffer = Allocate(adapter, kPage, &logical);
  ASSERT_NE(buffer, nullptr);
  adapter->DmaOperations->FreeCommonBuffer(adapter, kPage, logical, buffer, FALSE);
  adapter->DmaOperations->PutDmaAdapter(adapter);
}

TEST_F(DmaRulesTest, AFaultOnAllocateCommonBufferIsListedAndTakesNoTag) {
  const std::vector<std::string>& routines = kemu::FaultRoutines();
  EXPECT_NE(std::find(routines.begin(), routines.end(), "AllocateCommonBuffer"), routines.end());
  EXPECT_NE(std::find(routines.begin(), routines.end(), "IoGetDmaAdapter"), routines.end());
  EXPECT_FALSE(kemu::FaultReturnsStatus("AllocateCommonBuffer"));
  EXPECT_FALSE(kemu::FaultReturnsStatus("IoGetDmaAdapter"));
  EXPECT_THROW(machine_.InjectFault({.routine = "AllocateCommonBuffer", .tag = 'ffuB'}),
               kemu::Error);
  EXPECT_THROW(machine_.InjectFault({.routine = "AllocateCommonBuffer", .nth = 0}), kemu::Error);
}

TEST_F(DmaRulesTest, AnOperationKemuDoesNotModelStopsByName) {
  PDMA_ADAPTER adapter = Get();
  try {
    (void)adapter->DmaOperations->ReadDmaCounter(adapter);
    FAIL() << "ReadDmaCounter returned";
  } catch (const kemu::NotModelled& error) {
    EXPECT_THAT(error.what(), HasSubstr("ReadDmaCounter"));
  }
  adapter->DmaOperations->PutDmaAdapter(adapter);
}

}  // namespace
