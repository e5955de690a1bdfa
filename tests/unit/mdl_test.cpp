// MDLs for buffers in nonpaged memory (emu/abi/io_mdl.cpp): IoAllocateMdl,
// MmBuildMdlForNonPagedPool, the header macros that read an MDL (MmGetSystemAddressForMdlSafe,
// MmGetMdlVirtualAddress, MmGetMdlByteCount) and IoFreeMdl. docs/kernel.md, "MDLs";
// docs/conformance.md §2.11.
#include <ntddk.h>  // MmGetPhysicalAddress

#include <cstdint>

#include "kemu/error.hpp"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

namespace vc = ::kemu::verifier_code;

constexpr std::uint32_t kVerifier = kemu::bugcheck::kDriverVerifierDetectedViolation;
constexpr ULONG kTag = 0x756D656B;  // 'kemu' in a debugger

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

// 16 bytes of a new two-page nonpaged buffer, 8 on each side of its page boundary, and the MDL
// IoAllocateMdl made for them (NULL if either allocation failed). The test frees both.
struct TwoPageMdl {
  char* buffer = nullptr;
  char* start = nullptr;
  PMDL mdl = nullptr;
};

TwoPageMdl DescribeAcrossAPageBoundary() {
  TwoPageMdl described;
  described.buffer = static_cast<char*>(ExAllocatePoolWithTag(NonPagedPool, 2 * PAGE_SIZE, kTag));
  if (described.buffer == nullptr) return described;
  described.start = static_cast<char*>(PAGE_ALIGN(described.buffer + PAGE_SIZE + 8)) - 8;
  described.mdl = IoAllocateMdl(described.start, 16, FALSE, FALSE, nullptr);
  return described;
}

class MdlTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllWindows, MdlTest, kemu::testing::AllOs(), kemu::testing::OsName());

TEST_P(MdlTest, AllocateMdlDescribesTheBufferAndFreeMdlGivesItBack) {  // MDL-1
  auto* buffer = static_cast<char*>(ExAllocatePoolWithTag(NonPagedPool, 2 * PAGE_SIZE, kTag));
  ASSERT_NE(buffer, nullptr);
  // 300 bytes across a page boundary, 100 before it.
  char* start = static_cast<char*>(PAGE_ALIGN(buffer + PAGE_SIZE + 100)) - 100;
  PMDL mdl = IoAllocateMdl(start, 300, FALSE, FALSE, nullptr);
  ASSERT_NE(mdl, nullptr);
  EXPECT_EQ(mdl->Next, nullptr);
  EXPECT_EQ(mdl->StartVa, PAGE_ALIGN(start));
  EXPECT_EQ(mdl->ByteOffset, PAGE_SIZE - 100);
  EXPECT_EQ(mdl->ByteCount, 300u);
  EXPECT_EQ(mdl->MdlFlags, 0);
  EXPECT_EQ(mdl->Size, static_cast<CSHORT>(sizeof(MDL) + 2 * sizeof(PFN_NUMBER)));
  EXPECT_EQ(MmGetMdlVirtualAddress(mdl), start);
  EXPECT_EQ(MmGetMdlByteCount(mdl), 300u);
  EXPECT_EQ(MmGetMdlByteOffset(mdl), PAGE_SIZE - 100);
  IoFreeMdl(mdl);
  ExFreePoolWithTag(buffer, kTag);
  EXPECT_EQ(machine().pool_allocations(), 0u);
}

TEST_P(MdlTest, BuildForNonPagedPoolMapsTheBufferAndRecordsItsPhysicalPages) {  // MDL-2
  const TwoPageMdl described = DescribeAcrossAPageBoundary();
  ASSERT_NE(described.mdl, nullptr);
  char* const start = described.start;
  const PMDL mdl = described.mdl;
  MmBuildMdlForNonPagedPool(mdl);
  EXPECT_NE(mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL, 0);
  EXPECT_EQ(mdl->MappedSystemVa, start);
  EXPECT_EQ(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority | MdlMappingNoExecute), start);
  const PPFN_NUMBER pfns = MmGetMdlPfnArray(mdl);
  for (ULONG i = 0; i < 2; ++i) {
    const PHYSICAL_ADDRESS physical =
        MmGetPhysicalAddress(static_cast<char*>(PAGE_ALIGN(start)) + std::size_t{i} * PAGE_SIZE);
    EXPECT_NE(physical.QuadPart, 0);
    EXPECT_EQ(pfns[i], static_cast<PFN_NUMBER>(physical.QuadPart >> PAGE_SHIFT)) << "page " << i;
  }
  IoFreeMdl(mdl);
  ExFreePoolWithTag(described.buffer, kTag);
}

TEST_P(MdlTest, SizeOfMdlCountsOnePfnPerPageTheBufferSpans) {  // MDL-6
  // Only the address's page offset counts: these addresses are never read.
  const auto at = [](std::uintptr_t address) { return reinterpret_cast<PVOID>(address); };
  EXPECT_EQ(MmSizeOfMdl(at(0x10000), 0), sizeof(MDL));
  EXPECT_EQ(MmSizeOfMdl(at(0x10000), 1), sizeof(MDL) + sizeof(PFN_NUMBER));
  EXPECT_EQ(MmSizeOfMdl(at(0x10000), PAGE_SIZE), sizeof(MDL) + sizeof(PFN_NUMBER));
  EXPECT_EQ(MmSizeOfMdl(at(0x10FFF), 2), sizeof(MDL) + 2 * sizeof(PFN_NUMBER)) << "straddles";
  EXPECT_EQ(MmSizeOfMdl(at(0x10800), 3 * PAGE_SIZE), sizeof(MDL) + 4 * sizeof(PFN_NUMBER));
}

TEST_P(MdlTest, AnMdlInitializedInTheDriversOwnMemoryIsBuiltAndMappedLikeAnAllocatedOne) {  // MDL-6
  auto* buffer = static_cast<char*>(ExAllocatePoolWithTag(NonPagedPool, 2 * PAGE_SIZE, kTag));
  ASSERT_NE(buffer, nullptr);
  char* const start = static_cast<char*>(PAGE_ALIGN(buffer + PAGE_SIZE + 100)) - 100;
  const SIZE_T bytes = MmSizeOfMdl(start, 300);
  ASSERT_EQ(bytes, sizeof(MDL) + 2 * sizeof(PFN_NUMBER));
  auto* mdl = static_cast<PMDL>(ExAllocatePoolWithTag(NonPagedPool, bytes, kTag));
  ASSERT_NE(mdl, nullptr);
  MmInitializeMdl(mdl, start, 300);
  EXPECT_EQ(mdl->Next, nullptr);
  EXPECT_EQ(mdl->Size, static_cast<CSHORT>(bytes));
  EXPECT_EQ(mdl->MdlFlags, 0);
  EXPECT_EQ(mdl->StartVa, PAGE_ALIGN(start));
  EXPECT_EQ(mdl->ByteOffset, PAGE_SIZE - 100);
  EXPECT_EQ(MmGetMdlVirtualAddress(mdl), start);
  EXPECT_EQ(MmGetMdlByteCount(mdl), 300u);
  MmBuildMdlForNonPagedPool(mdl);
  EXPECT_EQ(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority), start);
  EXPECT_EQ(MmGetMdlPfnArray(mdl)[1],
            static_cast<PFN_NUMBER>(MmGetPhysicalAddress(PAGE_ALIGN(start + 100)).QuadPart >>
                                    PAGE_SHIFT));
  // x64 keeps DMA coherent: flushing before and after a transfer does nothing, at any IRQL.
  KeFlushIoBuffers(mdl, TRUE, TRUE);
  KeFlushIoBuffers(mdl, FALSE, TRUE);
  EXPECT_EQ(mdl->MdlFlags, MDL_SOURCE_IS_NONPAGED_POOL);
  ExFreePoolWithTag(mdl, kTag);
  ExFreePoolWithTag(buffer, kTag);
  EXPECT_EQ(machine().pool_allocations(), 0u);
  EXPECT_FALSE(machine().crashed());
}

TEST_P(MdlTest, BuildingAnInitializedMdlTooSmallForItsBufferWritesPastIt) {  // MDL-6
  auto* buffer = static_cast<char*>(ExAllocatePoolWithTag(NonPagedPool, 2 * PAGE_SIZE, kTag));
  ASSERT_NE(buffer, nullptr);
  char* const start = static_cast<char*>(PAGE_ALIGN(buffer + PAGE_SIZE + 100)) - 100;
  // Room for one PFN where the buffer spans two pages: MmSizeOfMdl was asked about 100 bytes.
  auto* mdl = static_cast<PMDL>(ExAllocatePoolWithTag(NonPagedPool, MmSizeOfMdl(start, 100), kTag));
  ASSERT_NE(mdl, nullptr);
  MmInitializeMdl(mdl, start, 300);
  const kemu::BugCheck crash = CrashOf([&] { MmBuildMdlForNonPagedPool(mdl); });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kPageFaultBeyondEndOfAllocation,
                                Address(MmGetMdlPfnArray(mdl) + 1), 1, 0, 0));
}

// The longest buffer each release's IoAllocateMdl describes (docs/windows-facts.md §19).
std::uint64_t LongestBuffer(kemu::Os os) {
  if (os >= kemu::Os::kWindows7) return 0xFFFFF000;      // 4 GB - PAGE_SIZE
  if (os >= kemu::Os::kWindowsVista) return 0x7FFFF000;  // 2 GB - PAGE_SIZE
  return 33529344;                                       // PAGE_SIZE * (65535 - 48) / 8
}

TEST_P(MdlTest, AllocateMdlDescribesTheLongestBufferItsReleaseAllowsAndNoLonger) {  // MDL-4
  // IoAllocateMdl never touches the buffer, so an address stands in for one this large.
  auto* const start = reinterpret_cast<char*>(std::uintptr_t{0x7F0000000000});
  const auto longest = static_cast<ULONG>(LongestBuffer(GetParam()));
  PMDL mdl = IoAllocateMdl(start, longest, FALSE, FALSE, nullptr);
  ASSERT_NE(mdl, nullptr);
  EXPECT_EQ(MmGetMdlByteCount(mdl), longest);
  IoFreeMdl(mdl);
  EXPECT_EQ(IoAllocateMdl(start, longest + 1, FALSE, FALSE, nullptr), nullptr);
  EXPECT_EQ(machine().pool_allocations(), 0u);
}

TEST_P(MdlTest, BuildAfterShrinkingByteCountDescribesFewerPages) {  // MDL-5
  const TwoPageMdl described = DescribeAcrossAPageBoundary();
  ASSERT_NE(described.mdl, nullptr);
  char* const start = described.start;
  const PMDL mdl = described.mdl;
  mdl->ByteCount = 8;  // within the first page now: one PFN
  MmBuildMdlForNonPagedPool(mdl);
  EXPECT_EQ(mdl->MappedSystemVa, start);
  IoFreeMdl(mdl);
  ExFreePoolWithTag(described.buffer, kTag);
  EXPECT_TRUE(machine().bug_checks().empty());
}

TEST_P(MdlTest, AnInjectedFaultMakesAllocateMdlReturnNullAndOnlyTheNthCall) {
  static char buffer[64];
  machine().InjectFault({.routine = "IoAllocateMdl", .nth = 2});
  PMDL first = IoAllocateMdl(buffer, sizeof buffer, FALSE, FALSE, nullptr);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(IoAllocateMdl(buffer, sizeof buffer, FALSE, FALSE, nullptr), nullptr);
  PMDL third = IoAllocateMdl(buffer, sizeof buffer, FALSE, FALSE, nullptr);
  EXPECT_NE(third, nullptr);
  IoFreeMdl(first);
  if (third != nullptr) IoFreeMdl(third);
  EXPECT_EQ(machine().pool_allocations(), 0u);
}

TEST_P(MdlTest, SystemAddressOfAnMdlNotBuiltNeedsAMappingKemuDoesNotModel) {
  auto* buffer = static_cast<char*>(ExAllocatePoolWithTag(NonPagedPool, 64, kTag));
  PMDL mdl = IoAllocateMdl(buffer, 64, FALSE, FALSE, nullptr);
  ASSERT_NE(mdl, nullptr);
  EXPECT_THROW(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority), kemu::NotModelled);
  IoFreeMdl(mdl);
  ExFreePoolWithTag(buffer, kTag);
}

// Locking pages and partial MDLs are not modelled: MmGetSystemRoutineAddress finds them, as on
// every Windows, so a driver probing for one reaches the same stop by name as one calling it
// (audit round 19, B-S3).
TEST_P(MdlTest, RoutinesKemuDoesNotModelAreFoundByNameAndStopByName) {
  for (const wchar_t* name :
       {L"MmProbeAndLockPages", L"MmUnlockPages", L"MmUnmapLockedPages", L"IoBuildPartialMdl"}) {
    UNICODE_STRING routine;
    RtlInitUnicodeString(&routine, name);
    EXPECT_NE(MmGetSystemRoutineAddress(&routine), nullptr);
  }
  auto* buffer = static_cast<char*>(ExAllocatePoolWithTag(NonPagedPool, 64, kTag));
  PMDL mdl = IoAllocateMdl(buffer, 64, FALSE, FALSE, nullptr);
  PMDL partial = IoAllocateMdl(buffer, 16, FALSE, FALSE, nullptr);
  EXPECT_THROW(MmProbeAndLockPages(mdl, KernelMode, IoWriteAccess), kemu::NotModelled);
  EXPECT_THROW(MmUnlockPages(mdl), kemu::NotModelled);
  EXPECT_THROW(MmUnmapLockedPages(buffer, mdl), kemu::NotModelled);
  EXPECT_THROW(IoBuildPartialMdl(mdl, partial, buffer, 16), kemu::NotModelled);
  IoFreeMdl(partial);
  IoFreeMdl(mdl);
  ExFreePoolWithTag(buffer, kTag);
}

TEST_P(MdlTest, AllocateMdlForNoBytesReturnsNullAndForAnIrpFailsByName) {
  char buffer[16];
  EXPECT_EQ(IoAllocateMdl(buffer, 0, FALSE, FALSE, nullptr), nullptr);
  auto* irp = reinterpret_cast<PIRP>(buffer);
  EXPECT_THROW(IoAllocateMdl(buffer, sizeof buffer, FALSE, FALSE, irp), kemu::NotModelled);
  EXPECT_EQ(machine().pool_allocations(), 0u);
}

TEST_P(MdlTest, AnMdlNeverFreedIsAPoolLeakNamingIoAllocateMdl) {  // MDL-3
  static char buffer[64];
  PMDL mdl = IoAllocateMdl(buffer, sizeof buffer, FALSE, FALSE, nullptr);
  ASSERT_NE(mdl, nullptr);
  const kemu::BugCheck leak = CrashOf([&] { machine().Shutdown(); });
  EXPECT_THAT(leak, BugCheckIs(kVerifier, vc::kPoolLeakedAtUnload, 0, Address(mdl), 1));
  EXPECT_THAT(leak.what(), HasSubstr("IoAllocateMdl allocated it"));
}

TEST(MdlRulesTest, FreeingAnMdlIoAllocateMdlDidNotReturnIsABadFree) {  // MDL-3
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  MDL on_the_stack{};
  EXPECT_THAT(CrashOf([&] { IoFreeMdl(&on_the_stack); }),
              BugCheckIs(kVerifier, vc::kFreeBadPoolAddress, Address(&on_the_stack), 0, 0));
}

// The driver grew ByteCount after IoAllocateMdl sized the MDL for one page: the three PFNs the
// buffer now spans do not fit. Windows writes them past the MDL; kemu reports the first write
// outside the block, in every kernel mode, and changes nothing.
TEST(MdlRulesTest, BuildingAGrownMdlIsAWriteBeyondItsAllocationAndWritesNothing) {  // MDL-5
  for (const kemu::KernelMode mode : kemu::kAllKernelModes) {
    SCOPED_TRACE(kemu::KernelModeName(mode));
    kemu::Machine machine(kemu::WithKernelMode(
        kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord}, mode));
    auto* buffer = static_cast<char*>(ExAllocatePoolWithTag(NonPagedPool, 3 * PAGE_SIZE, kTag));
    ASSERT_NE(buffer, nullptr);
    char* start = static_cast<char*>(PAGE_ALIGN(buffer + PAGE_SIZE));
    PMDL mdl = IoAllocateMdl(start, 16, FALSE, FALSE, nullptr);
    ASSERT_NE(mdl, nullptr);
    const PPFN_NUMBER pfns = MmGetMdlPfnArray(mdl);
    pfns[0] = 0x1234;
    mdl->ByteCount = PAGE_SIZE + 1;  // two pages now
    MmBuildMdlForNonPagedPool(mdl);
    ASSERT_EQ(machine.bug_checks().size(), 1u);
    EXPECT_THAT(machine.bug_checks()[0], BugCheckIs(kemu::bugcheck::kPageFaultBeyondEndOfAllocation,
                                                    Address(pfns + 1), 1, 0, 0));
    EXPECT_EQ(machine.bug_checks()[0].name(), "PAGE_FAULT_BEYOND_END_OF_ALLOCATION");
    EXPECT_THAT(machine.bug_checks()[0].what(), HasSubstr("needed 2 PFN entries"));
    EXPECT_EQ(pfns[0], 0x1234u) << "nothing written";
    EXPECT_EQ(mdl->MappedSystemVa, nullptr);
    EXPECT_EQ(mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL, 0);
    IoFreeMdl(mdl);
    ExFreePoolWithTag(buffer, kTag);
  }
}

// An MDL describing more than the pool block its buffer starts in: IoAllocateMdl was given the
// wrong Length. Microsoft documents no outcome; under Driver Verifier the block ends against
// special pool's guard page, and kemu stops at the routine that would list the pages beyond it
// for a device (audit round 19, A5). Without Verifier it is built, as Windows would.
TEST(MdlRulesTest, AnMdlLongerThanItsPoolBlockIsAReadBeyondItUnderVerifierOnly) {
  for (const kemu::KernelMode mode : kemu::kAllKernelModes) {
    SCOPED_TRACE(kemu::KernelModeName(mode));
    kemu::Machine machine(kemu::WithKernelMode(
        kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord}, mode));
    auto* buffer = static_cast<char*>(ExAllocatePoolWithTag(NonPagedPool, 512, kTag));
    ASSERT_NE(buffer, nullptr);
    PMDL fits = IoAllocateMdl(buffer + 256, 256, FALSE, FALSE, nullptr);
    PMDL longer = IoAllocateMdl(buffer, 3 * PAGE_SIZE, FALSE, FALSE, nullptr);
    ASSERT_NE(fits, nullptr);
    ASSERT_NE(longer, nullptr);
    MmBuildMdlForNonPagedPool(fits);
    EXPECT_TRUE(machine.bug_checks().empty()) << "the block's last byte is its own";
    MmBuildMdlForNonPagedPool(longer);
    if (mode == kemu::KernelMode::kVerifier) {
      ASSERT_EQ(machine.bug_checks().size(), 1u);
      EXPECT_THAT(machine.bug_checks()[0],
                  BugCheckIs(kemu::bugcheck::kPageFaultBeyondEndOfAllocation, Address(buffer + 512),
                             0, 0, 0));
      EXPECT_THAT(machine.bug_checks()[0].what(), HasSubstr("describes 12288 bytes"));
      EXPECT_THAT(machine.bug_checks()[0].what(), HasSubstr("in the 512-byte pool block"));
    } else {
      EXPECT_TRUE(machine.bug_checks().empty());
    }
    EXPECT_EQ(longer->MappedSystemVa, buffer) << "built, as a kernel that carries on would";
    IoFreeMdl(longer);
    IoFreeMdl(fits);
    ExFreePoolWithTag(buffer, kTag);
  }
}

TEST(MdlRulesTest, MdlRoutinesAboveDispatchAreReportedAndAtDispatchAreSilent) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  auto* buffer = static_cast<char*>(ExAllocatePoolWithTag(NonPagedPool, 64, kTag));
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  PMDL mdl = IoAllocateMdl(buffer, 64, FALSE, FALSE, nullptr);
  ASSERT_NE(mdl, nullptr);
  MmBuildMdlForNonPagedPool(mdl);
  IoFreeMdl(mdl);
  EXPECT_TRUE(machine.bug_checks().empty()) << "DISPATCH_LEVEL is allowed";
  KIRQL dispatch;
  KeRaiseIrql(HIGH_LEVEL, &dispatch);
  mdl = IoAllocateMdl(buffer, 64, FALSE, FALSE, nullptr);
  KeLowerIrql(dispatch);
  KeLowerIrql(old);
  ASSERT_FALSE(machine.bug_checks().empty());
  EXPECT_THAT(machine.bug_checks()[0],
              BugCheckIs(kVerifier, vc::kKernelApiAtWrongIrql, HIGH_LEVEL, 0, 0));
  if (mdl != nullptr) IoFreeMdl(mdl);
  ExFreePoolWithTag(buffer, kTag);
}

// An MDL used after IoFreeMdl: MmGetSystemAddressForMdlSafe reads its flags (unseen in an
// uninstrumented driver) and, for an MDL not mapped yet, calls MmMapLockedPagesSpecifyCache,
// which kemu does not model. Under Driver Verifier the freed MDL it is given is reported as the
// driver's bug first, as special pool would, not as kemu's gap (audit round 13).
TEST(MdlRulesTest, AnMdlUsedAfterIoFreeMdlIsAPageFaultInFreedPoolNotAGap) {
  kemu::Machine machine(kemu::Os::kWindows10);
  char* buffer = static_cast<char*>(ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, kTag));
  ASSERT_NE(buffer, nullptr);
  PMDL mdl = IoAllocateMdl(buffer, 64, FALSE, FALSE, nullptr);
  ASSERT_NE(mdl, nullptr);
  IoFreeMdl(mdl);
  const kemu::BugCheck crash = CrashOf([&] {
    (void)MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, nullptr, FALSE,
                                       NormalPagePriority);
  });
  EXPECT_EQ(crash.code(), kemu::bugcheck::kDriverPageFaultInFreedSpecialPool);
  EXPECT_EQ(crash.parameter(0), Address(mdl));
}

// Without Driver Verifier nothing checks the pointer: the call stops by name.
TEST(MdlRulesTest, MapLockedPagesStopsByNameWithoutVerifier) {
  kemu::Machine machine(
      kemu::MachineOptions{.os = kemu::Os::kWindows10, .verifier = false, .checked_build = false});
  char* buffer = static_cast<char*>(ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, kTag));
  ASSERT_NE(buffer, nullptr);
  PMDL mdl = IoAllocateMdl(buffer, 64, FALSE, FALSE, nullptr);
  ASSERT_NE(mdl, nullptr);
  EXPECT_THROW((void)MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, nullptr, FALSE,
                                                  NormalPagePriority),
               kemu::NotModelled);
  IoFreeMdl(mdl);
  ExFreePoolWithTag(buffer, kTag);
}

}  // namespace
