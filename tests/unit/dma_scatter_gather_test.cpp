// Scatter/gather DMA through an adapter (model/dma_scatter_gather.cpp): GetScatterGatherList,
// BuildScatterGatherList, CalculateScatterGatherList and PutScatterGatherList. Each list's
// elements are the MDL's pages at their logical (physical) addresses, pages joined only where
// those addresses are contiguous, and a device double reaches every element through
// Machine::HostAddressOf as it reaches a common buffer. Microsoft's pages:
// "PGET_SCATTER_GATHER_LIST callback function", "PBUILD_SCATTER_GATHER_LIST callback function",
// "PCALCULATE_SCATTER_GATHER_LIST_SIZE callback function", "PPUT_SCATTER_GATHER_LIST callback
// function", "DRIVER_LIST_CONTROL callback function" and "SCATTER_GATHER_LIST structure".
#include <cstdint>
#include <cstring>
#include <vector>

#include "dma_buffers.hpp"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::dma::BusMaster;
using ::kemu::testing::dma::Element;
using ::kemu::testing::dma::kPage;
using ::kemu::testing::dma::ListControl;
using ::kemu::testing::dma::Logical;
using ::kemu::testing::dma::MdlBuffer;
using ::kemu::testing::dma::Seen;
using ::testing::HasSubstr;

class ScatterGatherTest : public kemu::testing::dma::DmaDeviceTest {
 protected:
  NTSTATUS GetList(PDMA_ADAPTER adapter, const MdlBuffer& buffer, Seen* seen) {
    KIRQL old = 0;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    const NTSTATUS status = adapter->DmaOperations->GetScatterGatherList(
        adapter, &fdo_, buffer.mdl(), buffer.va(), buffer.length(), &ListControl, seen, TRUE);
    KeLowerIrql(old);
    return status;
  }
  void Put(PDMA_ADAPTER adapter, PSCATTER_GATHER_LIST list) {
    KIRQL old = 0;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    adapter->DmaOperations->PutScatterGatherList(adapter, list, TRUE);
    KeLowerIrql(old);
  }
};

TEST_P(ScatterGatherTest, ConsecutivePagesMakeOneElementTheDeviceReachesAndPutGivesItBack) {
  PDMA_ADAPTER adapter = Get(BusMaster());
  ASSERT_NE(adapter, nullptr);
  const std::size_t before = machine().pool_allocations();
  MdlBuffer buffer(0x10, 0x2000);  // three pages, given physical pages in order
  Seen seen;
  EXPECT_EQ(GetList(adapter, buffer, &seen), STATUS_SUCCESS);
  ASSERT_EQ(seen.calls, 1);
  EXPECT_EQ(seen.device, &fdo_);
  EXPECT_EQ(seen.irp, fdo_.CurrentIrp);  // the page: the device object's current IRP
  EXPECT_EQ(seen.irql, DISPATCH_LEVEL);
  EXPECT_EQ(Logical(buffer.base() + kPage), Logical(buffer.base()) + kPage);
  EXPECT_EQ(Logical(buffer.base() + 2 * kPage), Logical(buffer.base()) + 2 * kPage);
  ASSERT_EQ(seen.elements.size(), 1u);
  EXPECT_EQ(seen.elements[0], (Element{Logical(buffer.base()) + 0x10, 0x2000}));
  EXPECT_EQ(seen.list->Reserved, 0u);
  // The device reads the whole element by its logical address, across the page boundaries.
  void* host = machine().HostAddressOf(seen.elements[0].address, seen.elements[0].length);
  ASSERT_EQ(host, buffer.base() + 0x10);
  EXPECT_EQ(std::memcmp(host, buffer.base() + 0x10, 0x2000), 0);
  // The list is the system's memory, not the driver's pool; PutScatterGatherList gives it back.
  EXPECT_EQ(machine().pool_allocations(), before + 2);  // the buffer and the MDL
  Put(adapter, seen.list);
  EXPECT_EQ(machine().pool_allocations(), before + 2);
  buffer.Free();
  adapter->DmaOperations->PutDmaAdapter(adapter);
  machine().Shutdown();
  EXPECT_FALSE(machine().crashed());
}

TEST_P(ScatterGatherTest, AdjacentPagesJoinOnlyWhenTheirLogicalAddressesAreContiguous) {
  PDMA_ADAPTER adapter = Get(BusMaster());
  // The third page gets its physical page first: pages 0 and 1 stay contiguous, page 2 does not
  // follow page 1.
  MdlBuffer buffer(0x800, 0x2000, /*first_asked=*/2);
  const std::uint64_t page0 = Logical(buffer.base());
  const std::uint64_t page2 = Logical(buffer.base() + 2 * kPage);
  ASSERT_EQ(Logical(buffer.base() + kPage), page0 + kPage);
  ASSERT_NE(page2, page0 + 2 * kPage);
  Seen seen;
  EXPECT_EQ(GetList(adapter, buffer, &seen), STATUS_SUCCESS);
  EXPECT_EQ(seen.elements, (std::vector<Element>{{page0 + 0x800, 0x1800}, {page2, 0x800}}));
  for (const Element& element : seen.elements) {
    EXPECT_NE(machine().HostAddressOf(element.address, element.length), nullptr);
  }
  Put(adapter, seen.list);
  buffer.Free();
  adapter->DmaOperations->PutDmaAdapter(adapter);
  EXPECT_FALSE(machine().crashed());
}

// The page: STATUS_INSUFFICIENT_RESOURCES when "the number of map registers required for the
// transfer is greater than the value returned by IoGetDmaAdapter"; the routine is not called.
TEST_P(ScatterGatherTest, MoreMapRegistersThanTheAdapterHasIsInsufficientResources) {
  ULONG registers = 0;
  PDMA_ADAPTER adapter = Get(BusMaster(DEVICE_DESCRIPTION_VERSION, 2 * kPage), &registers);
  ASSERT_EQ(registers, 3u);
  MdlBuffer buffer(0x10, 3 * kPage);  // four pages
  Seen seen;
  EXPECT_EQ(GetList(adapter, buffer, &seen), STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(seen.calls, 0);
  buffer.Free();
  adapter->DmaOperations->PutDmaAdapter(adapter);
  EXPECT_FALSE(machine().crashed());
}

// The page: STATUS_BUFFER_TOO_SMALL, "The buffer is too small for the requested transfer".
TEST_P(ScatterGatherTest, ATransferPastTheMdlsBufferIsBufferTooSmall) {
  PDMA_ADAPTER adapter = Get(BusMaster());
  MdlBuffer buffer(0, kPage);
  Seen seen;
  KIRQL old = 0;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_EQ(adapter->DmaOperations->GetScatterGatherList(adapter, &fdo_, buffer.mdl(), buffer.va(),
                                                         kPage + 1, &ListControl, &seen, FALSE),
            STATUS_BUFFER_TOO_SMALL);
  KeLowerIrql(old);
  EXPECT_EQ(seen.calls, 0);
  buffer.Free();
  adapter->DmaOperations->PutDmaAdapter(adapter);
}

// CalculateScatterGatherList and BuildScatterGatherList are version 2 entries: a driver reaches
// them with DEVICE_DESCRIPTION_VERSION2, which Windows 2000 does not know (no adapter).
TEST_P(ScatterGatherTest, Version2BuildsTheListInTheDriversBufferOfTheCalculatedSize) {
  PDMA_ADAPTER adapter = Get(BusMaster(DEVICE_DESCRIPTION_VERSION2));
  if (GetParam() < kemu::Os::kWindowsXP) {
    EXPECT_EQ(adapter, nullptr);
    return;
  }
  ASSERT_NE(adapter, nullptr);
  MdlBuffer buffer(0x800, 0x2000, /*first_asked=*/2);
  const DMA_OPERATIONS& ops = *adapter->DmaOperations;
  // Without an MDL, the largest list: one element per page (three here).
  ULONG size = 0;
  ULONG registers = 0;
  EXPECT_EQ(ops.CalculateScatterGatherList(adapter, nullptr, buffer.va(), buffer.length(), &size,
                                           &registers),
            STATUS_SUCCESS);
  EXPECT_EQ(size, 0x10 + 3 * sizeof(SCATTER_GATHER_ELEMENT));
  EXPECT_EQ(registers, 3u);
  // With it, the list it needs: two elements.
  EXPECT_EQ(ops.CalculateScatterGatherList(adapter, buffer.mdl(), buffer.va(), buffer.length(),
                                           &size, nullptr),
            STATUS_SUCCESS);
  EXPECT_EQ(size, 0x10 + 2 * sizeof(SCATTER_GATHER_ELEMENT));
  std::vector<unsigned char> storage(size);
  Seen seen;
  KIRQL old = 0;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  // One byte short: STATUS_BUFFER_TOO_SMALL, the routine not called.
  EXPECT_EQ(ops.BuildScatterGatherList(adapter, &fdo_, buffer.mdl(), buffer.va(), buffer.length(),
                                       &ListControl, &seen, TRUE, storage.data(), size - 1),
            STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(seen.calls, 0);
  EXPECT_EQ(ops.BuildScatterGatherList(adapter, &fdo_, buffer.mdl(), buffer.va(), buffer.length(),
                                       &ListControl, &seen, TRUE, storage.data(), size),
            STATUS_SUCCESS);
  KeLowerIrql(old);
  ASSERT_EQ(seen.calls, 1);
  EXPECT_EQ(static_cast<void*>(seen.list), storage.data());
  EXPECT_EQ(seen.elements, (std::vector<Element>{{Logical(buffer.base()) + 0x800, 0x1800},
                                                 {Logical(buffer.base() + 2 * kPage), 0x800}}));
  // Put gives the list back; the memory stays the driver's.
  const std::size_t allocations = machine().pool_allocations();
  Put(adapter, seen.list);
  EXPECT_EQ(machine().pool_allocations(), allocations);
  buffer.Free();
  ops.PutDmaAdapter(adapter);
  EXPECT_FALSE(machine().crashed());
}

TEST_P(ScatterGatherTest, CalculatingForMoreMapRegistersThanTheAdapterHasIsInsufficientResources) {
  PDMA_ADAPTER adapter = Get(BusMaster(DEVICE_DESCRIPTION_VERSION2, kPage));
  if (adapter == nullptr) return;  // Windows 2000: no version 2
  ULONG size = 0x1234;
  EXPECT_EQ(adapter->DmaOperations->CalculateScatterGatherList(
                adapter, nullptr, reinterpret_cast<PVOID>(0x10000), 3 * kPage, &size, nullptr),
            STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(size, 0x1234u);
  adapter->DmaOperations->PutDmaAdapter(adapter);
}

// Through a version 0 or 1 adapter the version 2 entries are not the driver's to call; kemu's one
// table has them, so it stops the call by name (Microsoft documents no outcome).
TEST_P(ScatterGatherTest, BuildingThroughAVersion1AdapterStopsByName) {
  PDMA_ADAPTER adapter = Get(BusMaster(DEVICE_DESCRIPTION_VERSION1));
  ULONG size = 0;
  try {
    (void)adapter->DmaOperations->CalculateScatterGatherList(
        adapter, nullptr, reinterpret_cast<PVOID>(0x10000), kPage, &size, nullptr);
    FAIL() << "CalculateScatterGatherList returned";
  } catch (const kemu::Error& error) {
    EXPECT_THAT(error.what(), HasSubstr("version 2 of the adapter's operations"));
    EXPECT_THAT(error.what(), HasSubstr("DEVICE_DESCRIPTION_VERSION2"));
  }
  adapter->DmaOperations->PutDmaAdapter(adapter);
}

// A device below the page's physical address would need double buffering through map
// registers, which kemu does not model: it stops by name instead of handing out an address the
// device cannot reach (docs/differences.md).
TEST_P(ScatterGatherTest, APageAboveTheDevicesReachStopsByName) {
  DEVICE_DESCRIPTION description = BusMaster(DEVICE_DESCRIPTION_VERSION3);
  description.DmaAddressWidth = 24;
  PDMA_ADAPTER adapter = Get(description);
  if (GetParam() < kemu::Os::kWindows8) {
    EXPECT_EQ(adapter, nullptr);
    return;
  }
  MdlBuffer buffer(0, kPage);
  ASSERT_GT(Logical(buffer.base()), 0xFFFFFFu);
  Seen seen;
  try {
    (void)GetList(adapter, buffer, &seen);
    FAIL() << "GetScatterGatherList returned";
  } catch (const kemu::NotModelled& error) {
    EXPECT_THAT(error.what(), HasSubstr("double buffering"));
  }
  KeLowerIrql(PASSIVE_LEVEL);  // the stop left the call at DISPATCH_LEVEL
  EXPECT_EQ(seen.calls, 0);
  buffer.Free();
  adapter->DmaOperations->PutDmaAdapter(adapter);  // nothing was kept
  EXPECT_FALSE(machine().crashed());
}

TEST_P(ScatterGatherTest, ASystemDmaChannelsTransferStopsByName) {
  DEVICE_DESCRIPTION description = BusMaster();
  description.Master = FALSE;
  description.Dma32BitAddresses = FALSE;
  description.InterfaceType = Isa;
  PDMA_ADAPTER adapter = Get(description);
  MdlBuffer buffer(0, kPage);
  Seen seen;
  try {
    (void)GetList(adapter, buffer, &seen);
    FAIL() << "GetScatterGatherList returned";
  } catch (const kemu::NotModelled& error) {
    EXPECT_THAT(error.what(), HasSubstr("system DMA channel"));
  }
  KeLowerIrql(PASSIVE_LEVEL);
  EXPECT_EQ(seen.calls, 0);
  buffer.Free();
  adapter->DmaOperations->PutDmaAdapter(adapter);
  EXPECT_FALSE(machine().crashed());
}

INSTANTIATE_TEST_SUITE_P(AllWindows, ScatterGatherTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

}  // namespace
