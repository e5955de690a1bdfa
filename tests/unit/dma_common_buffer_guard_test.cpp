// DMA verification of common buffers under Driver Verifier (model/pool.cpp's guard, reported by
// verifier/rules_dma.cpp): a driver or device that writes past the end of a common buffer, or
// before its start, is found when FreeCommonBuffer frees it, as 0xE6 DRIVER_VERIFIER_DMA_VIOLATION
// / 0x0F with the padding code (0x05 after, 0x04 before), the buffer's start and the corrupted
// byte; pool blocks keep special pool's 0xC1 (audit round 17, W4).
#include <wdm.h>

#include <cstdint>
#include <cstring>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::testing::HasSubstr;

namespace dv = ::kemu::dma_violation;
namespace corruption = ::kemu::dma_buffer_corruption;
constexpr std::uint32_t kDma = kemu::bugcheck::kDriverVerifierDmaViolation;
constexpr ULONG kPage = 0x1000;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

class DmaCommonBufferGuardTest : public ::testing::Test {
 protected:
  explicit DmaCommonBufferGuardTest(bool verifier = true)
      : machine_(kemu::MachineOptions{.os = kemu::Os::kWindows10, .verifier = verifier}) {
    DEVICE_DESCRIPTION description{};
    description.Version = DEVICE_DESCRIPTION_VERSION;
    description.Master = TRUE;
    description.Dma32BitAddresses = TRUE;
    description.InterfaceType = PCIBus;
    description.MaximumLength = 0x10000;
    ULONG registers = 0;
    adapter_ = IoGetDmaAdapter(device_.pdo(), &description, &registers);
  }
  PUCHAR Allocate(ULONG length) {
    return static_cast<PUCHAR>(
        adapter_->DmaOperations->AllocateCommonBuffer(adapter_, length, &logical_, FALSE));
  }
  void Free(ULONG length, PVOID buffer) {
    adapter_->DmaOperations->FreeCommonBuffer(adapter_, length, logical_, buffer, FALSE);
  }

  kemu::Machine machine_;
  kemu::Device& device_ = machine_.AddDevice({.name = "dma0"});
  PDMA_ADAPTER adapter_ = nullptr;
  PHYSICAL_ADDRESS logical_{};
};

TEST_F(DmaCommonBufferGuardTest, ADescriptorWrittenPastASmallBufferIsWroteOutsideTheBuffer) {
  ASSERT_NE(adapter_, nullptr);
  PUCHAR ring = Allocate(64);
  ASSERT_NE(ring, nullptr);
  std::memset(ring + 64, 0x5A, 16);  // one 16-byte descriptor past a four-descriptor ring
  const kemu::BugCheck crash = CrashOf([&] { Free(64, ring); });
  EXPECT_THAT(crash, BugCheckIs(kDma, dv::kWroteOutsideBuffer, corruption::kPaddingAfter,
                                Address(ring), Address(ring + 64)));
  EXPECT_THAT(crash.what(), HasSubstr("wrote past its end"));
  EXPECT_THAT(crash.what(), HasSubstr("offset 64 of the buffer"));
}

TEST_F(DmaCommonBufferGuardTest, AWritePastAPageSizedBufferIsFoundToo) {
  ASSERT_NE(adapter_, nullptr);
  PUCHAR ring = Allocate(kPage);
  ASSERT_NE(ring, nullptr);
  ring[kPage] = 1;
  EXPECT_THAT(CrashOf([&] { Free(kPage, ring); }),
              BugCheckIs(kDma, dv::kWroteOutsideBuffer, corruption::kPaddingAfter, Address(ring),
                         Address(ring + kPage)));
}

TEST_F(DmaCommonBufferGuardTest, AWriteBeforeTheBufferIsThePaddingBefore) {
  ASSERT_NE(adapter_, nullptr);
  PUCHAR ring = Allocate(64);
  ASSERT_NE(ring, nullptr);
  ring[-1] = 1;
  const kemu::BugCheck crash = CrashOf([&] { Free(64, ring); });
  EXPECT_THAT(crash, BugCheckIs(kDma, dv::kWroteOutsideBuffer, corruption::kPaddingBefore,
                                Address(ring), Address(ring - 1)));
  EXPECT_THAT(crash.what(), HasSubstr("wrote before its start"));
}

TEST_F(DmaCommonBufferGuardTest, ADriverThatFillsItsWholeBufferIsSilent) {
  ASSERT_NE(adapter_, nullptr);
  PUCHAR ring = Allocate(64);
  ASSERT_NE(ring, nullptr);
  std::memset(ring, 0xFF, 64);
  Free(64, ring);
  adapter_->DmaOperations->PutDmaAdapter(adapter_);
  machine_.Shutdown();
  EXPECT_FALSE(machine_.crashed());
}

// Pool blocks are special pool's still: only the adapter's buffers are DMA verification's.
TEST_F(DmaCommonBufferGuardTest, APoolBlockOverrunStaysSpecialPoolCorruption) {
  auto* block = static_cast<PUCHAR>(ExAllocatePoolWithTag(NonPagedPool, 16, 'umek'));
  ASSERT_NE(block, nullptr);
  block[16] = 1;
  EXPECT_THAT(CrashOf([&] { ExFreePoolWithTag(block, 'umek'); }),
              BugCheckIs(kemu::bugcheck::kSpecialPoolDetectedMemoryCorruption, Address(block),
                         Address(block + 16), 0, 0x24));
}

class DmaCommonBufferWithoutVerifierTest : public DmaCommonBufferGuardTest {
 protected:
  DmaCommonBufferWithoutVerifierTest() : DmaCommonBufferGuardTest(false) {}
};

// Without Verifier nothing pads the buffer: a write into the rest of its page goes unseen, as on
// a retail kernel.
TEST_F(DmaCommonBufferWithoutVerifierTest, NothingChecksTheBytesAfterTheBuffer) {
  ASSERT_NE(adapter_, nullptr);
  PUCHAR ring = Allocate(64);
  ASSERT_NE(ring, nullptr);
  ring[64] = 1;  // into the red zone kemu keeps after every block, whatever the mode
  Free(64, ring);
  adapter_->DmaOperations->PutDmaAdapter(adapter_);
  machine_.Shutdown();
  EXPECT_FALSE(machine_.crashed());
}

}  // namespace
