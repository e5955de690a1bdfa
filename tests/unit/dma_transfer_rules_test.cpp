// DMA verification's rules for packet-based DMA and scatter/gather lists
// (verifier/rules_dma_transfer.cpp), each triggered once with its exact code and parameters and
// once used correctly, silent. The codes and parameters are the ones Microsoft's "Bug Check 0xE6:
// DRIVER_VERIFIER_DMA_VIOLATION" page lists; the IRQLs are each routine's page's.
#include <cstdint>
#include <set>

#include "dma_buffers.hpp"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;
using ::kemu::testing::dma::AdapterControl;
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

class DmaTransferRulesTest : public ::testing::Test {
 protected:
  explicit DmaTransferRulesTest(kemu::MachineOptions options = {.os = kemu::Os::kWindows10})
      : machine_(options), device_(machine_.AddDevice({.name = "dma0"})) {}

  PDMA_ADAPTER Get(ULONG maximum = 0x10000) {
    DEVICE_DESCRIPTION description = BusMaster(DEVICE_DESCRIPTION_VERSION, maximum);
    ULONG registers = 0;
    return IoGetDmaAdapter(device_.pdo(), &description, &registers);
  }
  NTSTATUS Allocate(Packet* packet, ULONG registers) {
    return AtDispatch([&] {
      return packet->adapter->DmaOperations->AllocateAdapterChannel(
          packet->adapter, &fdo_, registers, &AdapterControl, packet);
    });
  }
  NTSTATUS GetList(PDMA_ADAPTER adapter, const MdlBuffer& buffer, Seen* seen) {
    return AtDispatch([&] {
      return adapter->DmaOperations->GetScatterGatherList(
          adapter, &fdo_, buffer.mdl(), buffer.va(), buffer.length(), &ListControl, seen, TRUE);
    });
  }

  kemu::Machine machine_;
  kemu::Device& device_;
  DEVICE_OBJECT fdo_{};
};

// 0x04: "The driver freed too many DMA adapter channels"; parameter 2, how many more.
TEST_F(DmaTransferRulesTest, FreeingAnAdapterChannelNotAllocatedIsTooManyChannelsFreed) {
  Packet packet{.adapter = Get()};  // DeallocateObjectKeepRegisters: the channel is free again
  ASSERT_EQ(Allocate(&packet, 1), STATUS_SUCCESS);
  const kemu::BugCheck crash = CrashOf([&] {
    AtDispatch([&] { packet.adapter->DmaOperations->FreeAdapterChannel(packet.adapter); });
  });
  EXPECT_THAT(crash, BugCheckIs(kDma, dv::kAdapterChannelFreedTwice, 1, 0, 0));
  EXPECT_THAT(crash.what(), HasSubstr("whose adapter channel is not allocated"));
}

TEST_F(DmaTransferRulesTest, FreeingTheChannelAKeepObjectRoutineKeptIsSilent) {
  Packet packet{.adapter = Get(), .action = KeepObject};
  ASSERT_EQ(Allocate(&packet, 1), STATUS_SUCCESS);
  AtDispatch([&] { packet.adapter->DmaOperations->FreeAdapterChannel(packet.adapter); });
  packet.adapter->DmaOperations->PutDmaAdapter(packet.adapter);
  EXPECT_FALSE(machine_.crashed());
}

// 0x05: "The driver freed too many DMA map registers"; parameter 2, how many more.
TEST_F(DmaTransferRulesTest, FreeingMapRegistersTwiceIsTooManyMapRegistersFreed) {
  Packet packet{.adapter = Get()};
  ASSERT_EQ(Allocate(&packet, 3), STATUS_SUCCESS);
  PDMA_OPERATIONS ops = packet.adapter->DmaOperations;
  AtDispatch([&] { ops->FreeMapRegisters(packet.adapter, packet.map_register_base, 3); });
  EXPECT_FALSE(machine_.crashed());  // once: silent
  EXPECT_THAT(
      CrashOf([&] {
        AtDispatch([&] { ops->FreeMapRegisters(packet.adapter, packet.map_register_base, 3); });
      }),
      BugCheckIs(kDma, dv::kMapRegistersFreedTwice, 3, 0, 0));
}

// A MapRegisterBase is never handed out twice, however many transfers follow: one freed
// thousands of allocations ago is still reported, and no later allocation answers for it.
TEST_F(DmaTransferRulesTest, AMapRegisterBaseFreedThousandsOfTransfersAgoIsStillFreedTwice) {
  PDMA_ADAPTER adapter = Get();
  PDMA_OPERATIONS ops = adapter->DmaOperations;
  std::set<PVOID> bases;
  PVOID first = nullptr;
  for (int i = 0; i < 5000; ++i) {
    Packet packet{.adapter = adapter};
    ASSERT_EQ(Allocate(&packet, 2), STATUS_SUCCESS);
    if (i == 0) first = packet.map_register_base;
    bases.insert(packet.map_register_base);
    AtDispatch([&] { ops->FreeMapRegisters(adapter, packet.map_register_base, 2); });
  }
  EXPECT_EQ(bases.size(), 5000u);
  EXPECT_FALSE(machine_.crashed());
  EXPECT_THAT(CrashOf([&] { AtDispatch([&] { ops->FreeMapRegisters(adapter, first, 2); }); }),
              BugCheckIs(kDma, dv::kMapRegistersFreedTwice, 2, 0, 0));
}

// DeallocateObject gave the registers back already: the driver's FreeMapRegisters frees them again.
TEST_F(DmaTransferRulesTest, FreeingRegistersDeallocateObjectReleasedIsTooManyMapRegistersFreed) {
  Packet packet{.adapter = Get(), .action = DeallocateObject};
  ASSERT_EQ(Allocate(&packet, 2), STATUS_SUCCESS);
  EXPECT_THAT(CrashOf([&] {
                AtDispatch([&] {
                  packet.adapter->DmaOperations->FreeMapRegisters(packet.adapter,
                                                                  packet.map_register_base, 2);
                });
              }),
              BugCheckIs(kDma, dv::kMapRegistersFreedTwice, 2, 0, 0));
}

// The page: NumberOfMapRegisters "must match the value that was specified in the call to
// AllocateAdapterChannel". It documents no outcome; kemu stops the test.
TEST_F(DmaTransferRulesTest, FreeingAnotherCountOfMapRegistersStopsTheTest) {
  Packet packet{.adapter = Get()};
  ASSERT_EQ(Allocate(&packet, 3), STATUS_SUCCESS);
  try {
    AtDispatch([&] {
      packet.adapter->DmaOperations->FreeMapRegisters(packet.adapter, packet.map_register_base, 2);
    });
    FAIL() << "FreeMapRegisters returned";
  } catch (const kemu::Error& error) {
    EXPECT_THAT(error.what(), HasSubstr("NumberOfMapRegisters 2"));
    EXPECT_THAT(error.what(), HasSubstr("which holds 3"));
  }
  KeLowerIrql(PASSIVE_LEVEL);  // the error left the call at DISPATCH_LEVEL
  // The registers are still held: freed with the right count, the adapter goes quietly.
  AtDispatch([&] {
    packet.adapter->DmaOperations->FreeMapRegisters(packet.adapter, packet.map_register_base, 3);
  });
  packet.adapter->DmaOperations->PutDmaAdapter(packet.adapter);
  EXPECT_FALSE(machine_.crashed());
}

// 0x06: "The driver freed too many DMA scatter/gather lists": lists allocated, lists freed.
TEST_F(DmaTransferRulesTest, PuttingAScatterGatherListTwiceIsTooManyListsFreed) {
  PDMA_ADAPTER adapter = Get();
  MdlBuffer buffer(0, kPage);
  Seen seen;
  ASSERT_EQ(GetList(adapter, buffer, &seen), STATUS_SUCCESS);
  AtDispatch([&] { adapter->DmaOperations->PutScatterGatherList(adapter, seen.list, TRUE); });
  EXPECT_FALSE(machine_.crashed());  // once: silent
  const kemu::BugCheck crash = CrashOf([&] {
    AtDispatch([&] { adapter->DmaOperations->PutScatterGatherList(adapter, seen.list, TRUE); });
  });
  EXPECT_THAT(crash, BugCheckIs(kDma, dv::kScatterGatherListFreedTwice, 1, 2, 0));
  EXPECT_THAT(crash.what(), HasSubstr("put already"));
}

// kemu knows each list: a second put is stopped even while other lists are held, where the
// freed count (this put included) is still below the lists allocated (audit round 20).
TEST_F(DmaTransferRulesTest, ASecondPutWhileOtherListsAreHeldIsStoppedAtOnce) {
  PDMA_ADAPTER adapter = Get();
  MdlBuffer buffer(0, kPage);
  Seen first;
  Seen second;
  Seen third;
  ASSERT_EQ(GetList(adapter, buffer, &first), STATUS_SUCCESS);
  ASSERT_EQ(GetList(adapter, buffer, &second), STATUS_SUCCESS);
  ASSERT_EQ(GetList(adapter, buffer, &third), STATUS_SUCCESS);
  AtDispatch([&] { adapter->DmaOperations->PutScatterGatherList(adapter, first.list, TRUE); });
  const kemu::BugCheck crash = CrashOf([&] {
    AtDispatch([&] { adapter->DmaOperations->PutScatterGatherList(adapter, first.list, TRUE); });
  });
  EXPECT_THAT(crash, BugCheckIs(kDma, dv::kScatterGatherListFreedTwice, 3, 2, 0));
  EXPECT_THAT(crash.what(), HasSubstr("stops here even while other lists are held"));
}

// 0x08: the adapter released with its adapter channel allocated (adapter, count, 0).
TEST_F(DmaTransferRulesTest, ReleasingTheAdapterWithItsChannelAllocatedIsReported) {
  Packet packet{.adapter = Get(), .action = KeepObject};
  ASSERT_EQ(Allocate(&packet, 1), STATUS_SUCCESS);
  EXPECT_THAT(
      CrashOf([&] { packet.adapter->DmaOperations->PutDmaAdapter(packet.adapter); }),
      BugCheckIs(kDma, dv::kAdapterReleasedWithAdapterChannels, Address(packet.adapter), 1, 0));
}

// 0x09: the adapter released with map registers allocated (adapter, registers, 0).
TEST_F(DmaTransferRulesTest, ReleasingTheAdapterWithMapRegistersAllocatedIsReported) {
  Packet packet{.adapter = Get()};
  ASSERT_EQ(Allocate(&packet, 3), STATUS_SUCCESS);  // DeallocateObjectKeepRegisters
  const kemu::BugCheck crash =
      CrashOf([&] { packet.adapter->DmaOperations->PutDmaAdapter(packet.adapter); });
  EXPECT_THAT(
      crash, BugCheckIs(kDma, dv::kAdapterReleasedWithMapRegisters, Address(packet.adapter), 3, 0));
  EXPECT_THAT(crash.what(), HasSubstr("FreeMapRegisters"));
}

TEST_F(DmaTransferRulesTest, ReleasingTheAdapterAfterFreeMapRegistersIsSilent) {
  Packet packet{.adapter = Get()};
  ASSERT_EQ(Allocate(&packet, 3), STATUS_SUCCESS);
  AtDispatch([&] {
    packet.adapter->DmaOperations->FreeMapRegisters(packet.adapter, packet.map_register_base, 3);
  });
  packet.adapter->DmaOperations->PutDmaAdapter(packet.adapter);
  EXPECT_FALSE(machine_.crashed());
}

// 0x0A: the adapter released with scatter/gather lists never put (adapter, lists, 0).
TEST_F(DmaTransferRulesTest, ReleasingTheAdapterWithAListNeverPutIsReported) {
  PDMA_ADAPTER adapter = Get();
  MdlBuffer buffer(0, kPage);
  Seen seen;
  ASSERT_EQ(GetList(adapter, buffer, &seen), STATUS_SUCCESS);
  EXPECT_THAT(CrashOf([&] { adapter->DmaOperations->PutDmaAdapter(adapter); }),
              BugCheckIs(kDma, dv::kAdapterReleasedWithScatterGatherLists, Address(adapter), 1, 0));
}

TEST_F(DmaTransferRulesTest, ReleasingTheAdapterAfterPuttingItsListsIsSilent) {
  PDMA_ADAPTER adapter = Get();
  MdlBuffer buffer(0, kPage);
  Seen seen;
  ASSERT_EQ(GetList(adapter, buffer, &seen), STATUS_SUCCESS);
  AtDispatch([&] { adapter->DmaOperations->PutScatterGatherList(adapter, seen.list, FALSE); });
  adapter->DmaOperations->PutDmaAdapter(adapter);
  buffer.Free();
  machine_.Shutdown();
  EXPECT_FALSE(machine_.crashed());
}

// An adapter never released is a leak at shutdown; the report names the transfer left unfinished.
TEST_F(DmaTransferRulesTest, TheShutdownLeakReportNamesTheListsAndRegistersAnAdapterHolds) {
  Packet packet{.adapter = Get()};
  ASSERT_EQ(Allocate(&packet, 2), STATUS_SUCCESS);  // the registers kept
  MdlBuffer buffer(0, kPage);
  Seen seen;
  ASSERT_EQ(GetList(packet.adapter, buffer, &seen), STATUS_SUCCESS);
  buffer.Free();
  const kemu::BugCheck leak = CrashOf([&] { machine_.Shutdown(); });
  EXPECT_THAT(leak.what(), HasSubstr("never released (PutDmaAdapter), with 2 map register(s) "
                                     "still allocated, 1 scatter/gather list(s) never put"));
}

// 0x0B: a second adapter channel while one is allocated (only one per adapter): outstanding
// channels.
TEST_F(DmaTransferRulesTest, AllocatingASecondChannelWhileOneIsHeldIsTooManyChannels) {
  Packet first{.adapter = Get(), .action = KeepObject};
  ASSERT_EQ(Allocate(&first, 1), STATUS_SUCCESS);
  Packet second{.adapter = first.adapter};
  EXPECT_THAT(CrashOf([&] { (void)Allocate(&second, 1); }),
              BugCheckIs(kDma, dv::kTooManyAdapterChannels, 1, 0, 0));
  EXPECT_EQ(second.calls, 0);
}

// 0x0C: "tried to allocate too many map registers at the same time": required, maximum.
TEST_F(DmaTransferRulesTest, AskingMoreMapRegistersThanTheAdapterHasIsTooManyMapRegisters) {
  Packet packet{.adapter = Get(2 * kPage)};  // three map registers
  EXPECT_THAT(CrashOf([&] { (void)Allocate(&packet, 4); }),
              BugCheckIs(kDma, dv::kTooManyMapRegisters, 4, 3, 0));
  EXPECT_EQ(packet.calls, 0);
}

TEST_F(DmaTransferRulesTest, AskingAllTheMapRegistersTheAdapterHasIsSilent) {
  Packet packet{.adapter = Get(2 * kPage), .action = DeallocateObject};
  EXPECT_EQ(Allocate(&packet, 3), STATUS_SUCCESS);
  EXPECT_EQ(packet.calls, 1);
  packet.adapter->DmaOperations->PutDmaAdapter(packet.adapter);
  EXPECT_FALSE(machine_.crashed());
}

// 0x00 / 0x1: "tried to flush too many bytes to the end of the map register file": the bytes
// left in the MDL, the bytes asked.
TEST_F(DmaTransferRulesTest, FlushingPastTheEndOfTheMdlIsReported) {
  Packet packet{.adapter = Get()};
  MdlBuffer buffer(0x100, 0x1800);
  packet.mdl = buffer.mdl();
  ASSERT_EQ(Allocate(&packet, 2), STATUS_SUCCESS);
  PDMA_OPERATIONS ops = packet.adapter->DmaOperations;
  auto* middle = static_cast<unsigned char*>(buffer.va()) + 0x800;
  // What the MDL has from CurrentVa on: silent.
  EXPECT_TRUE(AtDispatch([&] {
    return ops->FlushAdapterBuffers(packet.adapter, buffer.mdl(), packet.map_register_base, middle,
                                    0x1000, TRUE);
  }));
  EXPECT_FALSE(machine_.crashed());
  EXPECT_THAT(CrashOf([&] {
                (void)AtDispatch([&] {
                  return ops->FlushAdapterBuffers(packet.adapter, buffer.mdl(),
                                                  packet.map_register_base, middle, 0x1001, TRUE);
                });
              }),
              BugCheckIs(kDma, dv::kMiscellaneous, dv::kFlushPastMdlEnd, 0x1000, 0x1001));
}

// 0x13: above the routine's highest IRQL (DISPATCH_LEVEL for each of these): 0x2, the highest
// allowed, the current IRQL.
TEST_F(DmaTransferRulesTest, GettingAScatterGatherListAboveDispatchLevelIsAnImproperIrql) {
  PDMA_ADAPTER adapter = Get();
  MdlBuffer buffer(0, kPage);
  Seen seen;
  KIRQL old = 0;
  KeRaiseIrql(PROFILE_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] {
                (void)adapter->DmaOperations->GetScatterGatherList(adapter, &fdo_, buffer.mdl(),
                                                                   buffer.va(), buffer.length(),
                                                                   &ListControl, &seen, TRUE);
              }),
              BugCheckIs(kDma, dv::kImproperIrql, 0x2, DISPATCH_LEVEL, PROFILE_LEVEL));
  EXPECT_EQ(seen.calls, 0);
}

TEST_F(DmaTransferRulesTest, FreeingMapRegistersAboveDispatchLevelIsAnImproperIrql) {
  Packet packet{.adapter = Get()};
  ASSERT_EQ(Allocate(&packet, 1), STATUS_SUCCESS);
  KIRQL old = 0;
  KeRaiseIrql(PROFILE_LEVEL, &old);
  EXPECT_THAT(CrashOf([&] {
                packet.adapter->DmaOperations->FreeMapRegisters(packet.adapter,
                                                                packet.map_register_base, 1);
              }),
              BugCheckIs(kDma, dv::kImproperIrql, 0x2, DISPATCH_LEVEL, PROFILE_LEVEL));
}

// 0x18: the new operations check the adapter as the others do.
TEST_F(DmaTransferRulesTest, GettingAListThroughAReleasedAdapterIsReported) {
  PDMA_ADAPTER adapter = Get();
  adapter->DmaOperations->PutDmaAdapter(adapter);
  MdlBuffer buffer(0, kPage);
  Seen seen;
  EXPECT_THAT(CrashOf([&] { (void)GetList(adapter, buffer, &seen); }),
              BugCheckIs(kDma, dv::kReleasedAdapter, Address(adapter), 0, 0));
}

// Without DMA verification the two "at once" rules are Windows' ordinary answers: the documented
// STATUS_INSUFFICIENT_RESOURCES, and a second request queued until FreeAdapterChannel, which kemu
// does not model (it stops by name).
class DmaTransferRetailTest : public DmaTransferRulesTest {
 protected:
  DmaTransferRetailTest()
      : DmaTransferRulesTest(
            {.os = kemu::Os::kWindows10, .verifier = false, .checked_build = false}) {}
};

TEST_F(DmaTransferRetailTest, TooManyMapRegistersIsInsufficientResourcesAndNoRoutineRuns) {
  Packet packet{.adapter = Get(kPage)};  // two map registers
  EXPECT_EQ(Allocate(&packet, 3), STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(packet.calls, 0);
  packet.adapter->DmaOperations->PutDmaAdapter(packet.adapter);
  EXPECT_FALSE(machine_.crashed());
}

TEST_F(DmaTransferRetailTest, ASecondChannelWhileOneIsHeldStopsByName) {
  Packet first{.adapter = Get(), .action = KeepObject};
  ASSERT_EQ(Allocate(&first, 1), STATUS_SUCCESS);
  Packet second{.adapter = first.adapter};
  try {
    (void)Allocate(&second, 1);
    FAIL() << "AllocateAdapterChannel returned";
  } catch (const kemu::NotModelled& error) {
    EXPECT_THAT(error.what(), HasSubstr("queues the request until FreeAdapterChannel"));
  }
  KeLowerIrql(PASSIVE_LEVEL);
  EXPECT_EQ(second.calls, 0);
  AtDispatch([&] { first.adapter->DmaOperations->FreeAdapterChannel(first.adapter); });
  first.adapter->DmaOperations->PutDmaAdapter(first.adapter);
  EXPECT_FALSE(machine_.crashed());
}

}  // namespace
