// A C17 bus-master driver (dma_sg_driver.c) sends buffers by scatter/gather and by packet-based
// DMA; a device double reads each descriptor's bytes through Machine::HostAddressOf, as it reads
// a common buffer, and finds the driver's data. Microsoft's pages: "PGET_SCATTER_GATHER_LIST
// callback function", "PALLOCATE_ADAPTER_CHANNEL callback function", "PMAP_TRANSFER callback
// function".
#include "dma_sg_driver.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include "dma_buffers.hpp"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::dma::kPage;
using ::kemu::testing::dma::Logical;
using ::kemu::testing::dma::MdlBuffer;

class DmaSgDriverTest : public kemu::testing::PersonalityTest {
 protected:
  void SetUp() override {
    PersonalityTest::SetUp();
    kemu::Device& nic = machine().AddDevice({.name = "nic0"});
    fdo_.CurrentIrp = reinterpret_cast<PIRP>(&irp_);
    driver_.Fdo = &fdo_;
    ASSERT_EQ(SgDrvStart(&driver_, nic.pdo(), 0x10000), STATUS_SUCCESS);
    EXPECT_EQ(driver_.MapRegisters, 17u);
  }
  // The device: gathers the bytes the ring describes, up to the descriptor marked last.
  std::vector<unsigned char> Gather() {
    std::vector<unsigned char> bytes;
    for (ULONG i = 0; i < driver_.Descriptors; ++i) {
      const SG_DRV_DESCRIPTOR& d = driver_.Ring[i];
      const auto* host =
          static_cast<const unsigned char*>(machine().HostAddressOf(d.Address, d.Length));
      if (host == nullptr) {
        ADD_FAILURE() << "the device cannot reach descriptor " << i;
        return {};
      }
      bytes.insert(bytes.end(), host, host + d.Length);
      if ((d.Flags & SG_DRV_LAST) != 0) break;
    }
    return bytes;
  }
  static std::vector<unsigned char> Bytes(const MdlBuffer& buffer) {
    const auto* va = static_cast<const unsigned char*>(buffer.va());
    return {va, va + buffer.length()};
  }

  DEVICE_OBJECT fdo_{};
  int irp_ = 0;
  SG_DRV_DEVICE driver_{};
};

TEST_P(DmaSgDriverTest, TheDeviceGathersTheScatterGatherListsBytes) {
  MdlBuffer buffer(0x234, 0x2A00, /*first_asked=*/1);  // page 1 elsewhere: three runs
  ASSERT_EQ(SgDrvSend(&driver_, buffer.mdl()), STATUS_SUCCESS);
  EXPECT_EQ(driver_.RoutineIrp, fdo_.CurrentIrp);
  EXPECT_EQ(driver_.RoutineIrql, DISPATCH_LEVEL);
  ASSERT_EQ(driver_.Descriptors, 3u);
  EXPECT_EQ(driver_.Ring[0].Address, Logical(buffer.base()) + 0x234);
  EXPECT_EQ(driver_.Ring[0].Length, kPage - 0x234);
  EXPECT_EQ(driver_.Ring[1].Address, Logical(buffer.base() + kPage));
  EXPECT_EQ(driver_.Ring[1].Length, kPage);
  EXPECT_EQ(driver_.Ring[2].Address, Logical(buffer.base() + 2 * kPage));
  EXPECT_EQ(driver_.Ring[2].Length, 0x2A00 - (2 * kPage - 0x234));
  EXPECT_EQ(driver_.Ring[2].Flags, static_cast<ULONG>(SG_DRV_LAST));
  EXPECT_EQ(Gather(), Bytes(buffer));
  SgDrvSendComplete(&driver_);
  buffer.Free();
  SgDrvStop(&driver_);
  machine().Shutdown();
  EXPECT_FALSE(machine().crashed());
}

TEST_P(DmaSgDriverTest, TheDeviceGathersThePacketMapTransferMapped) {
  MdlBuffer buffer(0x10, 0x1800);  // two pages, in order: one run
  ASSERT_EQ(SgDrvSendPacket(&driver_, buffer.mdl()), STATUS_SUCCESS);
  EXPECT_EQ(driver_.RoutineIrp, fdo_.CurrentIrp);
  EXPECT_EQ(driver_.RoutineIrql, DISPATCH_LEVEL);
  EXPECT_EQ(driver_.PacketRegisters, 2u);
  ASSERT_EQ(driver_.Descriptors, 1u);
  EXPECT_EQ(driver_.Ring[0].Address, Logical(buffer.base()) + 0x10);
  EXPECT_EQ(driver_.Ring[0].Length, 0x1800u);
  EXPECT_EQ(Gather(), Bytes(buffer));
  SgDrvSendPacketComplete(&driver_);
  buffer.Free();
  SgDrvStop(&driver_);
  machine().Shutdown();
  EXPECT_FALSE(machine().crashed());
}

INSTANTIATE_TEST_SUITE_P(AllWindows, DmaSgDriverTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

}  // namespace
