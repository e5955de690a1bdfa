// Packet-based DMA through an adapter (model/dma_transfers.cpp): AllocateAdapterChannel runs the
// driver's AdapterControl routine at DISPATCH_LEVEL with the device object's current IRP, a
// MapRegisterBase and its context, and honours the IO_ALLOCATION_ACTION it returns; MapTransfer
// gives the logical address at CurrentVa and shortens *Length to what is contiguous and fits the
// map registers; FlushAdapterBuffers, FreeMapRegisters and FreeAdapterChannel give everything
// back. Microsoft's pages: "PALLOCATE_ADAPTER_CHANNEL callback function", "DRIVER_CONTROL
// callback function", "IO_ALLOCATION_ACTION enumeration", "PMAP_TRANSFER callback function",
// "PFLUSH_ADAPTER_BUFFERS callback function", "PFREE_MAP_REGISTERS callback function" and
// "PFREE_ADAPTER_CHANNEL callback function".
#include <cstdint>
#include <vector>

#include "dma_buffers.hpp"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::dma::AdapterControl;
using ::kemu::testing::dma::AtDispatch;
using ::kemu::testing::dma::BusMaster;
using ::kemu::testing::dma::kPage;
using ::kemu::testing::dma::Logical;
using ::kemu::testing::dma::Mapped;
using ::kemu::testing::dma::MdlBuffer;
using ::kemu::testing::dma::Packet;
using ::testing::HasSubstr;

class PacketDmaTest : public kemu::testing::dma::DmaDeviceTest {};

TEST_P(PacketDmaTest, TheAdapterControlRoutineMapsTheMdlPageRunByPageRun) {
  Packet packet{.adapter = Get()};
  // Pages 0 and 1 contiguous, page 2 elsewhere: two runs.
  MdlBuffer buffer(0x800, 0x2000, /*first_asked=*/2);
  packet.mdl = buffer.mdl();
  EXPECT_EQ(Allocate(&packet, 3), STATUS_SUCCESS);
  ASSERT_EQ(packet.calls, 1);
  EXPECT_EQ(packet.device, &fdo_);
  EXPECT_EQ(packet.irp, fdo_.CurrentIrp);
  EXPECT_EQ(packet.irql, DISPATCH_LEVEL);
  EXPECT_NE(packet.map_register_base, nullptr);
  EXPECT_EQ(packet.mapped, (std::vector<Mapped>{{Logical(buffer.base()) + 0x800, 0x1800},
                                                {Logical(buffer.base() + 2 * kPage), 0x800}}));
  // The device reaches each run by its logical address.
  EXPECT_EQ(machine().HostAddressOf(packet.mapped[0].logical, packet.mapped[0].length),
            buffer.base() + 0x800);
  EXPECT_EQ(machine().HostAddressOf(packet.mapped[1].logical, packet.mapped[1].length),
            buffer.base() + 2 * kPage);
  // DeallocateObjectKeepRegisters: the channel is free, the registers the driver's until
  // FreeMapRegisters; a second transfer may allocate the channel meanwhile.
  AtDispatch([&] {
    EXPECT_TRUE(packet.adapter->DmaOperations->FlushAdapterBuffers(
        packet.adapter, buffer.mdl(), packet.map_register_base, buffer.va(), buffer.length(),
        TRUE));
    packet.adapter->DmaOperations->FreeMapRegisters(packet.adapter, packet.map_register_base, 3);
  });
  buffer.Free();
  packet.adapter->DmaOperations->PutDmaAdapter(packet.adapter);
  machine().Shutdown();
  EXPECT_FALSE(machine().crashed());
}

// MapTransfer maps at most the pages its map registers cover, from CurrentVa's page on; the
// driver flushes each piece before mapping the next through the same registers.
TEST_P(PacketDmaTest, MapTransferShortensLengthToTheMapRegistersAllocated) {
  Packet packet{.adapter = Get(), .flush_each = true};
  MdlBuffer buffer(0x100, 0x3000);  // four pages, contiguous
  packet.mdl = buffer.mdl();
  EXPECT_EQ(Allocate(&packet, 2), STATUS_SUCCESS);
  // Two registers: 0x2000 - 0x100 bytes a call, then the rest.
  const std::uint64_t base = Logical(buffer.base());
  EXPECT_EQ(packet.mapped, (std::vector<Mapped>{{base + 0x100, 0x1F00}, {base + 0x2000, 0x1100}}));
  AtDispatch([&] {
    packet.adapter->DmaOperations->FreeMapRegisters(packet.adapter, packet.map_register_base, 2);
  });
  buffer.Free();
  packet.adapter->DmaOperations->PutDmaAdapter(packet.adapter);
  EXPECT_FALSE(machine().crashed());
}

// KeepObject: the channel and the registers stay allocated until FreeAdapterChannel, after which
// the next AllocateAdapterChannel gets the channel again.
TEST_P(PacketDmaTest, KeepObjectHoldsTheChannelUntilFreeAdapterChannel) {
  Packet packet{.adapter = Get(), .action = KeepObject};
  EXPECT_EQ(Allocate(&packet, 1), STATUS_SUCCESS);
  AtDispatch([&] { packet.adapter->DmaOperations->FreeAdapterChannel(packet.adapter); });
  Packet next{.adapter = packet.adapter, .action = DeallocateObject};
  EXPECT_EQ(Allocate(&next, 1), STATUS_SUCCESS);
  EXPECT_EQ(next.calls, 1);
  EXPECT_NE(next.map_register_base, packet.map_register_base);
  packet.adapter->DmaOperations->PutDmaAdapter(packet.adapter);
  EXPECT_FALSE(machine().crashed());
}

// DeallocateObject gives both back at once: the registers are no longer the driver's to free.
TEST_P(PacketDmaTest, DeallocateObjectReleasesTheChannelAndTheRegisters) {
  Packet packet{.adapter = Get(), .action = DeallocateObject};
  EXPECT_EQ(Allocate(&packet, 2), STATUS_SUCCESS);
  packet.adapter->DmaOperations->PutDmaAdapter(packet.adapter);  // nothing held: silent
  EXPECT_FALSE(machine().crashed());
}

// Microsoft documents three actions; kemu does not guess what another value means.
TEST_P(PacketDmaTest, AnActionThatIsNoIoAllocationActionStopsTheTest) {
  Packet packet{.adapter = Get(), .action = static_cast<IO_ALLOCATION_ACTION>(7)};
  try {
    (void)Allocate(&packet, 1);
    FAIL() << "AllocateAdapterChannel returned";
  } catch (const kemu::Error& error) {
    EXPECT_THAT(error.what(), HasSubstr("returned 7, which is no IO_ALLOCATION_ACTION"));
  }
  KeLowerIrql(PASSIVE_LEVEL);  // the error left the call at DISPATCH_LEVEL
  // The channel and registers were given back before the error: the adapter goes quietly.
  packet.adapter->DmaOperations->PutDmaAdapter(packet.adapter);
  EXPECT_FALSE(machine().crashed());
}

// A system DMA channel's transfer is the system DMA controller's, which kemu does not emulate.
TEST_P(PacketDmaTest, MapTransferOnASystemDmaChannelStopsByName) {
  DEVICE_DESCRIPTION description = BusMaster();
  description.Master = FALSE;
  description.Dma32BitAddresses = FALSE;
  description.InterfaceType = Isa;
  PDMA_ADAPTER adapter = Get(description);
  MdlBuffer buffer(0, kPage);
  ULONG length = kPage;
  try {
    (void)adapter->DmaOperations->MapTransfer(adapter, buffer.mdl(), nullptr, buffer.va(), &length,
                                              FALSE);
    FAIL() << "MapTransfer returned";
  } catch (const kemu::NotModelled& error) {
    EXPECT_THAT(error.what(), HasSubstr("MapTransfer on a system DMA channel"));
  }
  buffer.Free();
  adapter->DmaOperations->PutDmaAdapter(adapter);
  EXPECT_FALSE(machine().crashed());
}

// What kemu still does not model stops by name (the version 3 entries, ReadDmaCounter,
// BuildMdlFromScatterGatherList).
TEST_P(PacketDmaTest, BuildMdlFromScatterGatherListStillStopsByName) {
  PDMA_ADAPTER adapter = Get(BusMaster(DEVICE_DESCRIPTION_VERSION2));
  if (adapter == nullptr) return;  // Windows 2000: no version 2
  PMDL target = nullptr;
  try {
    (void)adapter->DmaOperations->BuildMdlFromScatterGatherList(adapter, nullptr, nullptr, &target);
    FAIL() << "BuildMdlFromScatterGatherList returned";
  } catch (const kemu::NotModelled& error) {
    EXPECT_THAT(error.what(), HasSubstr("BuildMdlFromScatterGatherList"));
  }
  adapter->DmaOperations->PutDmaAdapter(adapter);
}

INSTANTIATE_TEST_SUITE_P(AllWindows, PacketDmaTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

}  // namespace
