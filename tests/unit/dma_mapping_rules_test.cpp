// DMA verification's checks of what MapTransfer maps and of a transfer's range
// (model/dma_transfers.cpp, model/dma_scatter_gather.cpp), with the codes of Microsoft's page
// "Bug Check 0xE6: DRIVER_VERIFIER_DMA_VIOLATION": a zero-length transfer (0x21), CurrentVa
// outside the MDL's buffer (0x1F), a range past its end (0x1B), a range mapped twice (0x1D), map
// registers mapped past what they hold without a flush (0x0D), registers freed while mapped
// (0x10) and a flush through registers the adapter does not hold (0x20). Each has a silent twin;
// without Driver Verifier each stays the stop or status docs/differences.md ("DMA transfers")
// documents. Also a scatter/gather list built into a pool block too small for it (0xCD, nothing
// written) and a list across a chain of MDLs (not modelled, stopped by name). Audit round 19,
// A1-A4.
#include <cstdint>
#include <cstring>

#include "dma_buffers.hpp"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::kemu::testing::dma::AtDispatch;
using ::kemu::testing::dma::BusMaster;
using ::kemu::testing::dma::kPage;
using ::kemu::testing::dma::ListControl;
using ::kemu::testing::dma::MdlBuffer;
using ::kemu::testing::dma::Packet;
using ::kemu::testing::dma::Seen;
using ::testing::HasSubstr;

namespace dv = ::kemu::dma_violation;
constexpr std::uint32_t kDma = kemu::bugcheck::kDriverVerifierDmaViolation;

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

class DmaMappingRulesTest : public kemu::testing::dma::DmaDeviceTest {
 protected:
  ULONG Map(const Packet& packet, PMDL mdl, void* va, ULONG length) {
    return AtDispatch([&] {
      ULONG mapped = length;
      (void)packet.adapter->DmaOperations->MapTransfer(packet.adapter, mdl,
                                                       packet.map_register_base, va, &mapped, TRUE);
      return mapped;
    });
  }
  BOOLEAN Flush(const Packet& packet, PMDL mdl, void* va, ULONG length) {
    return AtDispatch([&] {
      return packet.adapter->DmaOperations->FlushAdapterBuffers(
          packet.adapter, mdl, packet.map_register_base, va, length, TRUE);
    });
  }
  void FreeRegisters(const Packet& packet, ULONG count) {
    AtDispatch([&] {
      packet.adapter->DmaOperations->FreeMapRegisters(packet.adapter, packet.map_register_base,
                                                      count);
    });
  }
  NTSTATUS GetList(PDMA_ADAPTER adapter, PMDL mdl, void* va, ULONG length, Seen* seen) {
    return AtDispatch([&] {
      return adapter->DmaOperations->GetScatterGatherList(adapter, &fdo_, mdl, va, length,
                                                          &ListControl, seen, TRUE);
    });
  }
};

// 0x21: "tried to map a zero-length buffer for transfer".
TEST_P(DmaMappingRulesTest, MappingZeroBytesIsAZeroLengthTransfer) {
  Packet packet{.adapter = Get()};
  MdlBuffer buffer(0, kPage);
  ASSERT_EQ(Allocate(&packet, 1), STATUS_SUCCESS);
  EXPECT_THAT(CrashOf([&] { (void)Map(packet, buffer.mdl(), buffer.va(), 0); }),
              BugCheckIs(kDma, dv::kZeroLengthTransfer, 0, 0, 0));
}

TEST_P(DmaMappingRulesTest, GettingAListOfZeroBytesIsAZeroLengthTransfer) {
  PDMA_ADAPTER adapter = Get();
  MdlBuffer buffer(0, kPage);
  Seen seen;
  EXPECT_THAT(CrashOf([&] { (void)GetList(adapter, buffer.mdl(), buffer.va(), 0, &seen); }),
              BugCheckIs(kDma, dv::kZeroLengthTransfer, 0, 0, 0));
  EXPECT_EQ(seen.calls, 0);
}

// 0x1F / 0x01 and 0x02: "Virtual buffer address is before the first MDL" / "after the first
// MDL": CurrentVa, the MDL.
TEST_P(DmaMappingRulesTest, ACurrentVaBeforeTheMdlIsAnInvalidDmaBuffer) {
  PDMA_ADAPTER adapter = Get();
  MdlBuffer buffer(0x100, 0x800);
  auto* before = static_cast<unsigned char*>(buffer.va()) - 0x20;
  Seen seen;
  EXPECT_THAT(CrashOf([&] { (void)GetList(adapter, buffer.mdl(), before, 0x100, &seen); }),
              BugCheckIs(kDma, dv::kInvalidDmaBuffer, dv::kBufferBeforeMdl, Address(before),
                         Address(buffer.mdl())));
}

TEST_P(DmaMappingRulesTest, ACurrentVaAtTheMdlsEndIsAnInvalidDmaBuffer) {
  Packet packet{.adapter = Get()};
  MdlBuffer buffer(0x100, 0x800);
  ASSERT_EQ(Allocate(&packet, 1), STATUS_SUCCESS);
  auto* end = static_cast<unsigned char*>(buffer.va()) + buffer.length();
  EXPECT_THAT(CrashOf([&] { (void)Map(packet, buffer.mdl(), end, 0x10); }),
              BugCheckIs(kDma, dv::kInvalidDmaBuffer, dv::kBufferAfterMdl, Address(end),
                         Address(buffer.mdl())));
}

// 0x1B: "this address is not within the bounds of this MDL": the first byte past it, the MDL.
TEST_P(DmaMappingRulesTest, MappingPastTheMdlsEndIsAnAddressOutsideTheMdl) {
  Packet packet{.adapter = Get()};
  MdlBuffer buffer(0x100, 0x800);
  ASSERT_EQ(Allocate(&packet, 1), STATUS_SUCCESS);
  auto* end = static_cast<unsigned char*>(buffer.va()) + buffer.length();
  EXPECT_THAT(CrashOf([&] { (void)Map(packet, buffer.mdl(), buffer.va(), 0x801); }),
              BugCheckIs(kDma, dv::kAddressOutsideMdl, Address(end), Address(buffer.mdl()), 0));
}

// 0x1D: "tried to map an address range that was already mapped": the range, the first address
// already mapped.
TEST_P(DmaMappingRulesTest, MappingARangeAgainBeforeItsFlushIsARangeMappedTwice) {
  Packet packet{.adapter = Get()};
  MdlBuffer buffer(0, 2 * kPage);
  ASSERT_EQ(Allocate(&packet, 2), STATUS_SUCCESS);
  auto* va = static_cast<unsigned char*>(buffer.va());
  EXPECT_EQ(Map(packet, buffer.mdl(), va, 0x800), 0x800u);
  EXPECT_THAT(CrashOf([&] { (void)Map(packet, buffer.mdl(), va + 0x400, 0x800); }),
              BugCheckIs(kDma, dv::kRangeMappedTwice, Address(va + 0x400), Address(va + 0xC00),
                         Address(va + 0x400)));
}

TEST_P(DmaMappingRulesTest, MappingARangeAgainAfterItsFlushIsSilent) {
  Packet packet{.adapter = Get()};
  MdlBuffer buffer(0, 2 * kPage);
  ASSERT_EQ(Allocate(&packet, 2), STATUS_SUCCESS);
  auto* va = static_cast<unsigned char*>(buffer.va());
  EXPECT_EQ(Map(packet, buffer.mdl(), va, 0x800), 0x800u);
  EXPECT_TRUE(Flush(packet, buffer.mdl(), va, 0x800));
  EXPECT_EQ(Map(packet, buffer.mdl(), va, 0x800), 0x800u);  // a retry of the same transfer
  EXPECT_TRUE(Flush(packet, buffer.mdl(), va, 0x800));
  FreeRegisters(packet, 2);
  buffer.Free();
  packet.adapter->DmaOperations->PutDmaAdapter(packet.adapter);
  EXPECT_FALSE(machine().crashed());
}

// 0x0D: "did not flush its adapter buffers": the bytes mapped, the most the registers map at a
// time. One register, three pages mapped one by one without a flush between.
TEST_P(DmaMappingRulesTest, MappingMorePagesThanRegistersWithoutAFlushIsNotFlushed) {
  Packet packet{.adapter = Get()};
  MdlBuffer buffer(0, 3 * kPage);
  ASSERT_EQ(Allocate(&packet, 1), STATUS_SUCCESS);
  auto* va = static_cast<unsigned char*>(buffer.va());
  EXPECT_EQ(Map(packet, buffer.mdl(), va, 3 * kPage), kPage);
  EXPECT_THAT(CrashOf([&] { (void)Map(packet, buffer.mdl(), va + kPage, 2 * kPage); }),
              BugCheckIs(kDma, dv::kAdapterBuffersNotFlushed, 2 * kPage, kPage, 0));
}

TEST_P(DmaMappingRulesTest, MappingPageByPageWithAFlushBetweenIsSilent) {
  Packet packet{.adapter = Get(), .flush_each = true};
  MdlBuffer buffer(0x200, 3 * kPage);  // four pages through one register
  packet.mdl = buffer.mdl();
  ASSERT_EQ(Allocate(&packet, 1), STATUS_SUCCESS);
  EXPECT_EQ(packet.mapped.size(), 4u);
  FreeRegisters(packet, 1);
  buffer.Free();
  packet.adapter->DmaOperations->PutDmaAdapter(packet.adapter);
  EXPECT_FALSE(machine().crashed());
}

// 0x10: "tried to free its map registers while some were still mapped": the registers mapped.
TEST_P(DmaMappingRulesTest, FreeingMapRegistersNeverFlushedIsFreedWhileMapped) {
  Packet packet{.adapter = Get()};
  MdlBuffer buffer(0x800, 2 * kPage);  // three pages
  packet.mdl = buffer.mdl();
  ASSERT_EQ(Allocate(&packet, 3), STATUS_SUCCESS);
  const kemu::BugCheck crash = CrashOf([&] { FreeRegisters(packet, 3); });
  EXPECT_THAT(crash, BugCheckIs(kDma, dv::kFreedWhileMapped, 3, 0, 0));
  EXPECT_THAT(crash.what(), HasSubstr("call FlushAdapterBuffers"));
}

TEST_P(DmaMappingRulesTest, FreeingTheChannelsMappedRegistersIsFreedWhileMapped) {
  Packet packet{.adapter = Get(), .action = KeepObject};
  MdlBuffer buffer(0, kPage);
  packet.mdl = buffer.mdl();
  ASSERT_EQ(Allocate(&packet, 1), STATUS_SUCCESS);
  EXPECT_THAT(
      CrashOf([&] {
        AtDispatch([&] { packet.adapter->DmaOperations->FreeAdapterChannel(packet.adapter); });
      }),
      BugCheckIs(kDma, dv::kFreedWhileMapped, 1, 0, 0));
}

TEST_P(DmaMappingRulesTest, DeallocateObjectAfterMappingIsFreedWhileMapped) {
  Packet packet{.adapter = Get(), .action = DeallocateObject};
  MdlBuffer buffer(0, kPage);
  packet.mdl = buffer.mdl();
  EXPECT_THAT(CrashOf([&] { (void)Allocate(&packet, 1); }),
              BugCheckIs(kDma, dv::kFreedWhileMapped, 1, 0, 0));
}

// 0x20: "tried to flush a map register that hasn't been mapped": the MapRegisterBase, CurrentVa,
// the MDL.
TEST_P(DmaMappingRulesTest, FlushingFreedMapRegistersIsAFlushOfRegistersNotMapped) {
  Packet packet{.adapter = Get()};
  MdlBuffer buffer(0, kPage);
  ASSERT_EQ(Allocate(&packet, 1), STATUS_SUCCESS);
  FreeRegisters(packet, 1);
  EXPECT_THAT(CrashOf([&] { (void)Flush(packet, buffer.mdl(), buffer.va(), kPage); }),
              BugCheckIs(kDma, dv::kFlushUnmappedRegisters, Address(packet.map_register_base),
                         Address(buffer.va()), Address(buffer.mdl())));
}

// A ScatterGatherLength larger than the driver's pool block: the list would run past the block,
// so nothing is written and the fault special pool's guard page gives is reported (every mode).
TEST_P(DmaMappingRulesTest, BuildingAListPastItsPoolBlockWritesNothing) {
  PDMA_ADAPTER adapter = Get(BusMaster(DEVICE_DESCRIPTION_VERSION2));
  if (adapter == nullptr) return;  // Windows 2000: no version 2
  MdlBuffer buffer(0, kPage);
  auto* block = static_cast<unsigned char*>(ExAllocatePoolWithTag(NonPagedPool, 24, 'tsiL'));
  std::memset(block, 0xAB, 24);
  Seen seen;
  const kemu::BugCheck crash = CrashOf([&] {
    (void)AtDispatch([&] {
      return adapter->DmaOperations->BuildScatterGatherList(
          adapter, &fdo_, buffer.mdl(), buffer.va(), kPage, &ListControl, &seen, TRUE, block, 4096);
    });
  });
  EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kPageFaultBeyondEndOfAllocation));
  EXPECT_EQ(crash.parameter(0), Address(block + 24));
  EXPECT_THAT(crash.what(), HasSubstr("ScatterGatherBuffer"));
  EXPECT_EQ(block[0], 0xAB);  // nothing written
  EXPECT_EQ(seen.calls, 0);
}

// A transfer across a chain of MDLs (NDIS's header and payload) continues in the next MDL, which
// kemu's lists do not follow: stopped by name, never a made-up status.
TEST_P(DmaMappingRulesTest, AListAcrossAChainOfMdlsStopsByName) {
  PDMA_ADAPTER adapter = Get();
  MdlBuffer header(0, 54);
  MdlBuffer payload(0, 1460);
  header.mdl()->Next = payload.mdl();
  Seen seen;
  try {
    (void)GetList(adapter, header.mdl(), header.va(), 54 + 1460, &seen);
    FAIL() << "GetScatterGatherList returned";
  } catch (const kemu::NotModelled& error) {
    EXPECT_THAT(error.what(), HasSubstr("across a chain of MDLs"));
  }
  KeLowerIrql(PASSIVE_LEVEL);  // the stop left the call at DISPATCH_LEVEL
  EXPECT_EQ(seen.calls, 0);
  header.mdl()->Next = nullptr;
  header.Free();
  payload.Free();
  adapter->DmaOperations->PutDmaAdapter(adapter);
  EXPECT_FALSE(machine().crashed());
}

TEST_P(DmaMappingRulesTest, AListWithinTheFirstMdlOfAChainIsBuilt) {
  PDMA_ADAPTER adapter = Get();
  MdlBuffer header(0, 54);
  MdlBuffer payload(0, 1460);
  header.mdl()->Next = payload.mdl();
  Seen seen;
  EXPECT_EQ(GetList(adapter, header.mdl(), header.va(), 54, &seen), STATUS_SUCCESS);
  EXPECT_EQ(seen.calls, 1);
  AtDispatch([&] { adapter->DmaOperations->PutScatterGatherList(adapter, seen.list, TRUE); });
  header.mdl()->Next = nullptr;
  header.Free();
  payload.Free();
  adapter->DmaOperations->PutDmaAdapter(adapter);
  EXPECT_FALSE(machine().crashed());
}

INSTANTIATE_TEST_SUITE_P(AllWindows, DmaMappingRulesTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

// Without Driver Verifier Microsoft gives these no outcome: kemu's documented stops remain, and
// nothing tracks what is mapped.
class DmaMappingRetailTest : public DmaMappingRulesTest {
 protected:
  kemu::MachineOptions Options() const override {
    return {.os = GetParam(), .verifier = false, .checked_build = false};
  }
};

TEST_P(DmaMappingRetailTest, MappingZeroBytesStopsTheTest) {
  Packet packet{.adapter = Get()};
  MdlBuffer buffer(0, kPage);
  ASSERT_EQ(Allocate(&packet, 1), STATUS_SUCCESS);
  try {
    (void)Map(packet, buffer.mdl(), buffer.va(), 0);
    FAIL() << "MapTransfer returned";
  } catch (const kemu::Error& error) {
    EXPECT_THAT(error.what(), HasSubstr("not inside the MDL's buffer"));
  }
  KeLowerIrql(PASSIVE_LEVEL);  // the stop left the call at DISPATCH_LEVEL
  FreeRegisters(packet, 1);
  buffer.Free();
  packet.adapter->DmaOperations->PutDmaAdapter(packet.adapter);
  EXPECT_FALSE(machine().crashed());
}

TEST_P(DmaMappingRetailTest, FreeingMapRegistersNeverFlushedIsNotTracked) {
  Packet packet{.adapter = Get()};
  MdlBuffer buffer(0, 3 * kPage);
  packet.mdl = buffer.mdl();
  ASSERT_EQ(Allocate(&packet, 1), STATUS_SUCCESS);  // three pages through one register
  EXPECT_EQ(packet.mapped.size(), 3u);
  FreeRegisters(packet, 1);
  buffer.Free();
  packet.adapter->DmaOperations->PutDmaAdapter(packet.adapter);
  EXPECT_FALSE(machine().crashed());
}

INSTANTIATE_TEST_SUITE_P(AllWindows, DmaMappingRetailTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

}  // namespace
