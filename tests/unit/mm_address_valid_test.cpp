// MmIsAddressValid (emu/abi/mm_address_valid.cpp, <ntddk.h>): TRUE for memory the driver can
// touch, FALSE for a guard page, an unmapped page or NULL. docs/kernel.md, "Whether an address
// is valid".
#include <ntddk.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;

class MmAddressValidTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllWindows, MmAddressValidTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

// Two pages: the first readable and writable, the second a PROT_NONE guard page.
class GuardedPages {
 public:
  GuardedPages() : page_(static_cast<std::size_t>(sysconf(_SC_PAGESIZE))) {
    void* mapping =
        mmap(nullptr, 2 * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping != MAP_FAILED) {
      base_ = static_cast<char*>(mapping);
      if (mprotect(base_ + page_, page_, PROT_NONE) != 0) {
        munmap(base_, 2 * page_);
        base_ = nullptr;
      }
    }
  }
  // munmap takes a range some of whose pages are already unmapped.
  ~GuardedPages() {
    if (base_ != nullptr) munmap(base_, 2 * page_);
  }
  GuardedPages(const GuardedPages&) = delete;
  GuardedPages& operator=(const GuardedPages&) = delete;

  bool ok() const { return base_ != nullptr; }
  char* readable() const { return base_; }
  char* guard() const { return base_ + page_; }
  std::size_t page() const { return page_; }

 private:
  std::size_t page_;
  char* base_ = nullptr;
};

TEST_P(MmAddressValidTest, MappedMemoryIsValid) {
  int on_the_stack = 0;
  EXPECT_EQ(MmIsAddressValid(&on_the_stack), TRUE);
  PVOID block = ExAllocatePoolWithTag(NonPagedPool, 64, 'tseT');
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(MmIsAddressValid(block), TRUE);
  ExFreePoolWithTag(block, 'tseT');
}

TEST_P(MmAddressValidTest, AGuardPageIsNotValidButThePageBeforeItIs) {
  GuardedPages pages;
  ASSERT_TRUE(pages.ok());
  EXPECT_EQ(MmIsAddressValid(pages.readable()), TRUE);
  EXPECT_EQ(MmIsAddressValid(pages.guard() - 1), TRUE) << "the last byte before the guard";
  EXPECT_EQ(MmIsAddressValid(pages.guard()), FALSE);
  EXPECT_EQ(MmIsAddressValid(pages.guard() + pages.page() - 1), FALSE);
}

TEST_P(MmAddressValidTest, AnUnmappedPageAndNullAreNotValid) {
  GuardedPages pages;
  ASSERT_TRUE(pages.ok());
  char* const gone = pages.readable();
  ASSERT_EQ(munmap(gone, pages.page()), 0);
  EXPECT_EQ(MmIsAddressValid(gone), FALSE);
  EXPECT_EQ(MmIsAddressValid(nullptr), FALSE);
}

// Under Verifier a freed block is special pool whose page Windows makes inaccessible: probing it
// says so, although kemu keeps the poisoned memory readable in its quarantine (audit round 17,
// W5).
TEST(MmAddressValidVerifierTest, AFreedSpecialPoolBlockIsNotValid) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  auto* block = static_cast<char*>(ExAllocatePoolWithTag(NonPagedPool, 64, 'tseT'));
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(MmIsAddressValid(block), TRUE) << "live";
  EXPECT_EQ(MmIsAddressValid(block + 63), TRUE) << "live";
  ExFreePoolWithTag(block, 'tseT');
  EXPECT_EQ(MmIsAddressValid(block), FALSE);
  EXPECT_EQ(MmIsAddressValid(block + 63), FALSE);
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed()) << "probing freed pool is no use of it";
}

TEST(MmAddressValidVerifierTest, ALiveBlockBesideAFreedOneStaysValid) {
  kemu::Machine machine(kemu::MachineOptions{.verifier = true});
  PVOID freed = ExAllocatePoolWithTag(NonPagedPool, 64, 'tseT');
  PVOID live = ExAllocatePoolWithTag(NonPagedPool, 64, 'tseT');
  ASSERT_NE(freed, nullptr);
  ASSERT_NE(live, nullptr);
  ExFreePoolWithTag(freed, 'tseT');
  EXPECT_EQ(MmIsAddressValid(live), TRUE);
  ExFreePoolWithTag(live, 'tseT');
  machine.Shutdown();
  EXPECT_FALSE(machine.crashed());
}

TEST(MmAddressValidRulesTest, DispatchLevelIsAllowedAndAboveItIsReported) {
  kemu::Machine machine(kemu::MachineOptions{.on_bug_check = kemu::BugCheckAction::kRecord});
  int value = 0;
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_EQ(MmIsAddressValid(&value), TRUE);
  EXPECT_TRUE(machine.bug_checks().empty()) << "DISPATCH_LEVEL is allowed";
  KeRaiseIrql(HIGH_LEVEL, &old);
  EXPECT_EQ(MmIsAddressValid(&value), TRUE);
  KeLowerIrql(PASSIVE_LEVEL);
  ASSERT_EQ(machine.bug_checks().size(), 1u);
  EXPECT_THAT(machine.bug_checks()[0],
              BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                         kemu::verifier_code::kKernelApiAtWrongIrql, HIGH_LEVEL, 0, 0));
}

}  // namespace
