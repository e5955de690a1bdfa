// Contiguous memory and physical addresses (emu/abi/mm_contiguous.cpp, model/physical_memory.cpp):
// MmAllocateContiguousMemory(SpecifyCache) honours the driver's limits, MmGetPhysicalAddress and
// Machine::HostAddressOf agree, frees check what they are given, leaks are reported, and a device
// never reaches memory the driver freed.
#include <ntddk.h>  // MmGetPhysicalAddress
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

namespace vc = ::kemu::verifier_code;
namespace rule = ::kemu::contiguous_free_rule;
constexpr std::uint32_t kVerifier = kemu::bugcheck::kDriverVerifierDetectedViolation;
constexpr std::uint64_t kPage = 0x1000;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

PHYSICAL_ADDRESS Physical(std::uint64_t address) {
  PHYSICAL_ADDRESS physical;
  physical.QuadPart = static_cast<LONGLONG>(address);
  return physical;
}

std::uint64_t PhysicalOf(PVOID address) {
  return static_cast<std::uint64_t>(MmGetPhysicalAddress(address).QuadPart);
}

PVOID Allocate(SIZE_T bytes, std::uint64_t lowest, std::uint64_t highest, std::uint64_t boundary) {
  return MmAllocateContiguousMemorySpecifyCache(bytes, Physical(lowest), Physical(highest),
                                                Physical(boundary), MmCached);
}

class ContiguousMemoryTest : public kemu::testing::PersonalityTest {};

TEST_P(ContiguousMemoryTest, ABlockIsPageAlignedWithAContiguousPhysicalRangeBelowTheLimit) {
  PVOID block = MmAllocateContiguousMemory(3 * kPage, Physical(0xFFFFFFFF));
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(Address(block) % kPage, 0u);
  const std::uint64_t base = PhysicalOf(block);
  EXPECT_EQ(base % kPage, 0u);
  EXPECT_LE(base + 3 * kPage - 1, 0xFFFFFFFFu);
  // Contiguous: every byte's physical address is the base plus its offset.
  auto* bytes = static_cast<unsigned char*>(block);
  EXPECT_EQ(PhysicalOf(bytes + 0x1234), base + 0x1234);
  EXPECT_EQ(PhysicalOf(bytes + 3 * kPage - 1), base + 3 * kPage - 1);
  MmFreeContiguousMemory(block);
  EXPECT_EQ(machine().pool_allocations(), 0u);
}

TEST_P(ContiguousMemoryTest, TheSameRunGetsTheSamePhysicalAddresses) {
  // Decision 4 (deterministic addresses): the first block of a fresh machine starts at 16 MiB.
  PVOID first = MmAllocateContiguousMemory(kPage, Physical(-1));
  PVOID second = MmAllocateContiguousMemory(kPage, Physical(-1));
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(PhysicalOf(first), 0x01000000u);
  EXPECT_EQ(PhysicalOf(second), 0x01001000u);
  MmFreeContiguousMemory(first);
  MmFreeContiguousMemory(second);
}

TEST_P(ContiguousMemoryTest, SpecifyCacheHonoursLowestHighestAndBoundary) {
  // Below 1 MiB is outside kemu's memory; 32 MiB .. 48 MiB is inside it.
  EXPECT_EQ(Allocate(kPage, 0, 0x000FFFFF, 0), nullptr);
  PVOID low = Allocate(2 * kPage, 0x02000000, 0x02FFFFFF, 0);
  ASSERT_NE(low, nullptr);
  EXPECT_EQ(PhysicalOf(low), 0x02000000u);
  // 3 pages must not cross a 16 KiB multiple: 0x02002000 would, so the next fit is 0x02004000.
  PVOID bounded = Allocate(3 * kPage, 0x02000000, 0x02FFFFFF, 0x4000);
  ASSERT_NE(bounded, nullptr);
  EXPECT_EQ(PhysicalOf(bounded), 0x02004000u);
  // Larger than the boundary, or a boundary that is not a power of two: nothing can fit.
  EXPECT_EQ(Allocate(2 * kPage, 0, ~std::uint64_t{0}, kPage), nullptr);
  EXPECT_EQ(Allocate(kPage, 0, ~std::uint64_t{0}, 0x3000), nullptr);
  // Above 4 GiB when the driver asks for it.
  PVOID high = Allocate(kPage, std::uint64_t{1} << 32, ~std::uint64_t{0}, 0);
  ASSERT_NE(high, nullptr);
  EXPECT_EQ(PhysicalOf(high), std::uint64_t{1} << 32);
  EXPECT_EQ(MmAllocateContiguousMemory(0, Physical(-1)), nullptr);
  MmFreeContiguousMemorySpecifyCache(low, 2 * kPage, MmCached);
  MmFreeContiguousMemorySpecifyCache(bounded, 3 * kPage, MmCached);
  MmFreeContiguousMemorySpecifyCache(high, kPage, MmCached);
}

TEST_P(ContiguousMemoryTest, A24BitDeviceGetsLegacyMemoryThatOtherRequestsLeaveAlone) {
  // An ISA-style DMA engine reaches 16 MiB: its buffer comes from legacy memory, lowest first.
  PVOID legacy = MmAllocateContiguousMemory(2 * kPage, Physical(0x00FFFFFF));
  ASSERT_NE(legacy, nullptr);
  EXPECT_EQ(PhysicalOf(legacy), 0x00100000u);
  // A request that fits elsewhere never takes legacy memory, even when it allows it.
  PVOID any = MmAllocateContiguousMemory(kPage, Physical(-1));
  ASSERT_NE(any, nullptr);
  EXPECT_EQ(PhysicalOf(any), 0x01000000u);
  PVOID next_legacy = Allocate(kPage, 0, 0x00FFFFFF, 0);
  ASSERT_NE(next_legacy, nullptr);
  EXPECT_EQ(PhysicalOf(next_legacy), 0x00102000u);
  MmFreeContiguousMemory(legacy);
  MmFreeContiguousMemory(any);
  MmFreeContiguousMemorySpecifyCache(next_legacy, kPage, MmCached);
}

TEST_P(ContiguousMemoryTest, AFreedRangeIsHandedOutAgain) {
  PVOID first = MmAllocateContiguousMemory(kPage, Physical(-1));
  ASSERT_NE(first, nullptr);
  const std::uint64_t physical = PhysicalOf(first);
  MmFreeContiguousMemory(first);
  PVOID again = MmAllocateContiguousMemory(kPage, Physical(-1));
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(PhysicalOf(again), physical);
  MmFreeContiguousMemory(again);
}

TEST_P(ContiguousMemoryTest, ADeviceReachesTheBufferThroughHostAddressOf) {
  auto* ring = static_cast<unsigned char*>(MmAllocateContiguousMemory(2 * kPage, Physical(-1)));
  ASSERT_NE(ring, nullptr);
  const std::uint64_t physical = PhysicalOf(ring);
  EXPECT_EQ(machine().HostAddressOf(physical + 16, 64), ring + 16);
  EXPECT_EQ(machine().HostAddressOf(physical, 2 * kPage), ring);
  // Past the end of the range, and after the free: nothing.
  EXPECT_EQ(machine().HostAddressOf(physical + 2 * kPage - 8, 16), nullptr);
  MmFreeContiguousMemory(ring);
  EXPECT_EQ(machine().HostAddressOf(physical, 1), nullptr);
}

TEST_P(ContiguousMemoryTest, APoolBlockGetsAPhysicalPageThatADeviceReachesWhileItIsLive) {
  auto* buffer = static_cast<unsigned char*>(ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'umek'));
  ASSERT_NE(buffer, nullptr);
  const std::uint64_t physical = PhysicalOf(buffer);
  EXPECT_NE(physical, 0u);
  EXPECT_EQ(physical % kPage, Address(buffer) % kPage);
  EXPECT_EQ(PhysicalOf(buffer + 8), physical + 8);  // the same page, asked again
  EXPECT_EQ(machine().HostAddressOf(physical, 64), buffer);
  EXPECT_EQ(machine().HostAddressOf(physical, 65), nullptr);  // past the block
  ExFreePoolWithTag(buffer, 'umek');
  EXPECT_EQ(machine().HostAddressOf(physical, 64), nullptr);
}

// The pool allocators' documented promise: a block of PAGE_SIZE or less never crosses a page
// boundary, so a device reaches the whole of it through its one physical page.
TEST_P(ContiguousMemoryTest, APoolBlockUpToAPageNeverCrossesAPageBoundary) {
  std::vector<std::pair<unsigned char*, SIZE_T>> blocks;
  for (SIZE_T bytes = 1; bytes <= kPage; bytes = bytes * 3 / 2 + 7) {
    for (int copy = 0; copy < 4; ++copy) {
      auto* block =
          static_cast<unsigned char*>(ExAllocatePoolWithTag(NonPagedPoolNx, bytes, 'umek'));
      ASSERT_NE(block, nullptr);
      EXPECT_LE(Address(block) % kPage + bytes, kPage) << bytes << " bytes at " << block;
      EXPECT_EQ(machine().HostAddressOf(PhysicalOf(block), bytes), block) << bytes << " bytes";
      blocks.emplace_back(block, bytes);
    }
  }
  for (const auto& [block, bytes] : blocks) ExFreePoolWithTag(block, 'umek');
}

TEST_P(ContiguousMemoryTest, NullAndTheFirst64KiBHaveNoPhysicalAddress) {
  EXPECT_EQ(PhysicalOf(nullptr), 0u);
  EXPECT_EQ(PhysicalOf(reinterpret_cast<PVOID>(0x10)), 0u);  // a field of a NULL structure
  EXPECT_EQ(PhysicalOf(reinterpret_cast<PVOID>(0xFFFF)), 0u);
  // Nothing was handed a physical page, so a device cannot reach physical page 0 either.
  EXPECT_EQ(machine().HostAddressOf(0, 1), nullptr);
}

// An address whose page is not valid has no physical address: 0, as kemu answers for NULL, not a
// made-up page a driver could then program into its device (audit round 17, W6).
TEST_P(ContiguousMemoryTest, AnUnmappedPageHasNoPhysicalAddress) {
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  void* mapping = mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mapping, MAP_FAILED);
  auto* bytes = static_cast<char*>(mapping);
  // While mapped it has a page; once the host unmaps it, it has none.
  EXPECT_NE(PhysicalOf(bytes + 8), 0u);
  ASSERT_EQ(munmap(mapping, page), 0);
  EXPECT_EQ(PhysicalOf(bytes + 8), 0u);
  // A kernel-space address the host never maps (the auditor's 0xFFFF800000001000).
  EXPECT_EQ(PhysicalOf(reinterpret_cast<PVOID>(std::uintptr_t{0xFFFF800000001000})), 0u);
}

int g_driver_global = 0;

// What a driver may point a device at keeps its page: the stack, static data, pool.
TEST_P(ContiguousMemoryTest, StackStaticDataAndPoolHavePhysicalPages) {
  int on_the_stack = 0;
  EXPECT_NE(PhysicalOf(&on_the_stack), 0u);
  EXPECT_NE(PhysicalOf(&g_driver_global), 0u);
  PVOID block = ExAllocatePoolWithTag(NonPagedPool, 64, 'umek');
  ASSERT_NE(block, nullptr);
  const std::uint64_t physical = PhysicalOf(block);
  EXPECT_NE(physical, 0u);
  EXPECT_EQ(PhysicalOf(block), physical) << "the same page every time";
  ExFreePoolWithTag(block, 'umek');
}

TEST_P(ContiguousMemoryTest, AnInjectedFaultReturnsNull) {
  machine().InjectFault({.routine = "MmAllocateContiguousMemory"});
  EXPECT_EQ(MmAllocateContiguousMemory(kPage, Physical(-1)), nullptr);
  EXPECT_EQ(machine().pool_allocations(), 0u);
}

TEST_P(ContiguousMemoryTest, ContiguousMemoryLeftAllocatedIsALeakAtShutdown) {
  PVOID block = MmAllocateContiguousMemory(kPage, Physical(-1));
  ASSERT_NE(block, nullptr);
  const kemu::BugCheck leak = CrashOf([&] { machine().Shutdown(); });
  EXPECT_THAT(leak, BugCheckIs(kVerifier, vc::kPoolLeakedAtUnload, 0, Address(block), 1));
  EXPECT_THAT(leak.what(), HasSubstr("contiguous memory at"));
  EXPECT_THAT(leak.what(), HasSubstr("MmAllocateContiguousMemory allocated it"));
}

INSTANTIATE_TEST_SUITE_P(AllWindows, ContiguousMemoryTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

// The free rules, on one kernel (they do not differ between versions).
class ContiguousFreeTest : public ::testing::Test {
 protected:
  kemu::Machine machine_{kemu::Os::kWindows10};
};

TEST_F(ContiguousFreeTest, FreeingAPoolBlockIsKemusContiguousFreeReport) {
  PVOID block = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'umek');
  EXPECT_THAT(CrashOf([&] { MmFreeContiguousMemory(block); }),
              BugCheckIs(kVerifier, vc::kContiguousFree, Address(block), rule::kPoolBlock, 0));
}

TEST_F(ContiguousFreeTest, FreeingAnAddressNothingReturnedIsKemusContiguousFreeReport) {
  int local = 0;
  EXPECT_THAT(CrashOf([&] { MmFreeContiguousMemory(&local); }),
              BugCheckIs(kVerifier, vc::kContiguousFree, Address(&local), rule::kUnknown, 0));
}

TEST_F(ContiguousFreeTest, SpecifyCacheFreeWithAnotherSizeOrCacheTypeIsReported) {
  PVOID block = Allocate(2 * kPage, 0, ~std::uint64_t{0}, 0);
  ASSERT_NE(block, nullptr);
  EXPECT_THAT(CrashOf([&] { MmFreeContiguousMemorySpecifyCache(block, kPage, MmCached); }),
              BugCheckIs(kVerifier, vc::kContiguousFree, Address(block), rule::kBytes, 2 * kPage));
}

TEST_F(ContiguousFreeTest, SpecifyCacheFreeWithAnotherCacheTypeIsReported) {
  PVOID block = Allocate(kPage, 0, ~std::uint64_t{0}, 0);
  ASSERT_NE(block, nullptr);
  EXPECT_THAT(
      CrashOf([&] { MmFreeContiguousMemorySpecifyCache(block, kPage, MmNonCached); }),
      BugCheckIs(kVerifier, vc::kContiguousFree, Address(block), rule::kCacheType, MmCached));
}

TEST_F(ContiguousFreeTest, ExFreePoolOfContiguousMemoryIsAFreeOfNoPoolAddress) {
  PVOID block = MmAllocateContiguousMemory(kPage, Physical(-1));
  const kemu::BugCheck crash = CrashOf([&] { ExFreePool(block); });
  EXPECT_THAT(crash, BugCheckIs(kVerifier, vc::kFreeBadPoolAddress, Address(block), 0, 0));
  EXPECT_THAT(crash.what(), HasSubstr("Free it with MmFreeContiguousMemory"));
}

// The report names the routine that returned the block (audit round 9: it said
// MmAllocateContiguousMemory whichever routine had).
TEST_F(ContiguousFreeTest, ExFreePoolOfSpecifyCacheMemoryNamesTheRoutineThatReturnedIt) {
  PVOID block = Allocate(kPage, 0, ~std::uint64_t{0}, 0);
  const kemu::BugCheck crash = CrashOf([&] { ExFreePool(block); });
  EXPECT_THAT(crash, BugCheckIs(kVerifier, vc::kFreeBadPoolAddress, Address(block), 0, 0));
  EXPECT_THAT(crash.what(), HasSubstr("which MmAllocateContiguousMemorySpecifyCache returned"));
}

// Its page: the buffer must come from an MmAllocateContiguousMemorySpecifyCacheXxx call.
TEST_F(ContiguousFreeTest, SpecifyCacheFreeOfAPlainAllocationIsReported) {
  PVOID block = MmAllocateContiguousMemory(kPage, Physical(-1));
  const kemu::BugCheck crash =
      CrashOf([&] { MmFreeContiguousMemorySpecifyCache(block, kPage, MmCached); });
  EXPECT_THAT(
      crash, BugCheckIs(kVerifier, vc::kContiguousFree, Address(block), rule::kNotSpecifyCache, 0));
  EXPECT_THAT(crash.what(), HasSubstr("which MmAllocateContiguousMemory returned"));
}

// MmFreeContiguousMemory frees what either allocation routine returned (its page).
TEST_F(ContiguousFreeTest, PlainFreeOfASpecifyCacheAllocationIsSilent) {
  PVOID block = MmAllocateContiguousMemorySpecifyCache(kPage, Physical(0), Physical(-1),
                                                       Physical(0), MmWriteCombined);
  MmFreeContiguousMemory(block);
  EXPECT_FALSE(machine_.crashed());
  EXPECT_EQ(machine_.pool_allocations(), 0u);
}

TEST_F(ContiguousFreeTest, FreeingTwiceIsADoubleFree) {
  PVOID block = MmAllocateContiguousMemory(kPage, Physical(-1));
  MmFreeContiguousMemory(block);
  const kemu::BugCheck crash = CrashOf([&] { MmFreeContiguousMemory(block); });
  EXPECT_EQ(crash.code(), kVerifier);
  EXPECT_EQ(crash.parameters()[0], vc::kFreePoolAlreadyFreed);
}

TEST_F(ContiguousFreeTest, AllocatingAboveDispatchLevelIsReported) {
  KIRQL old;
  KeRaiseIrql(CLOCK_LEVEL, &old);
  const kemu::BugCheck crash = CrashOf([] { MmAllocateContiguousMemory(kPage, Physical(-1)); });
  EXPECT_EQ(crash.code(), kVerifier);
  EXPECT_EQ(crash.parameters()[0], vc::kNonPagedPoolAboveDispatch);
}

TEST_F(ContiguousFreeTest, FreeingAtDispatchLevelIsAllowedFromVistaOn) {
  PVOID block = MmAllocateContiguousMemory(kPage, Physical(-1));
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  MmFreeContiguousMemory(block);
  KeLowerIrql(old);
  EXPECT_FALSE(machine_.crashed());
  EXPECT_EQ(machine_.pool_allocations(), 0u);
}

TEST(ContiguousFreeIrqlTest, FreeingAtDispatchLevelIsAnIrqlViolationBeforeVista) {
  kemu::Machine machine(
      kemu::MachineOptions{.os = kemu::Os::kWindowsXP, .verifier = false, .checked_build = true});
  PVOID block = MmAllocateContiguousMemory(kPage, Physical(-1));
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  const kemu::BugCheck crash = CrashOf([&] { MmFreeContiguousMemory(block); });
  EXPECT_EQ(crash.code(), kemu::bugcheck::kIrqlNotLessOrEqual);
  EXPECT_THAT(crash.what(), HasSubstr("MmFreeContiguousMemory was called at IRQL 2"));
}

// MmFreeContiguousMemorySpecifyCache's page allows DISPATCH_LEVEL with no version limit (audit
// round 9: kemu applied MmFreeContiguousMemory's pre-Server 2008 APC_LEVEL limit to it).
TEST(ContiguousFreeIrqlTest, SpecifyCacheFreeAtDispatchLevelIsAllowedBeforeVista) {
  for (const bool verifier : {false, true}) {
    kemu::Machine machine(kemu::MachineOptions{
        .os = kemu::Os::kWindowsXP, .verifier = verifier, .checked_build = true});
    PVOID block = Allocate(kPage, 0, ~std::uint64_t{0}, 0);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    MmFreeContiguousMemorySpecifyCache(block, kPage, MmCached);
    KeLowerIrql(old);
    EXPECT_FALSE(machine.crashed());
    EXPECT_EQ(machine.pool_allocations(), 0u);
  }
}

TEST(ContiguousFreeIrqlTest, SpecifyCacheFreeAboveDispatchLevelIsAnIrqlViolationBeforeVista) {
  kemu::Machine machine(
      kemu::MachineOptions{.os = kemu::Os::kWindowsXP, .verifier = false, .checked_build = true});
  PVOID block = Allocate(kPage, 0, ~std::uint64_t{0}, 0);
  KIRQL old;
  KeRaiseIrql(CLOCK_LEVEL, &old);
  const kemu::BugCheck crash =
      CrashOf([&] { MmFreeContiguousMemorySpecifyCache(block, kPage, MmCached); });
  EXPECT_EQ(crash.code(), kemu::bugcheck::kIrqlNotLessOrEqual);
  EXPECT_THAT(crash.what(), HasSubstr("it may only be called at IRQL <= 2"));
}

}  // namespace
