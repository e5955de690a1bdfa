// Helpers the DMA transfer tests share: an adapter description, a driver buffer in nonpaged pool
// described by an MDL built for it (as a bus-master driver hands one to its adapter), and the
// driver's AdapterControl and AdapterListControl routines, which record what they were given;
// and DmaDeviceTest, the fixture of a device with a functional device object to get adapters
// for.
#ifndef KEMU_TESTS_UNIT_DMA_BUFFERS_HPP_
#define KEMU_TESTS_UNIT_DMA_BUFFERS_HPP_

#include <ntddk.h>  // MmGetPhysicalAddress

#include <cstdint>
#include <type_traits>
#include <vector>

#include "kemu/testing/gtest.hpp"

namespace kemu::testing::dma {

inline constexpr ULONG kPage = 0x1000;

/// A PCI bus master reaching 32 bits, with scatter/gather, transfers up to `maximum` bytes.
inline DEVICE_DESCRIPTION BusMaster(ULONG version = DEVICE_DESCRIPTION_VERSION,
                                    ULONG maximum = 0x10000) {
  DEVICE_DESCRIPTION description{};
  description.Version = version;
  description.Master = TRUE;
  description.ScatterGather = TRUE;
  description.Dma32BitAddresses = TRUE;
  description.InterfaceType = PCIBus;
  description.MaximumLength = maximum;
  description.DmaAddressWidth = 32;  // read by version 3 only
  return description;
}

inline std::uint64_t Logical(const void* address) {
  return static_cast<std::uint64_t>(MmGetPhysicalAddress(const_cast<void*>(address)).QuadPart);
}

/// `length` bytes at offset `offset` of a page-aligned run of nonpaged pool, and an MDL for them.
/// `first_asked`: a page of the run (by index) whose physical page is asked for before the MDL
/// is built, so that it gets its physical page first (the pages are then not all in order).
class MdlBuffer {
 public:
  MdlBuffer(ULONG offset, ULONG length, int first_asked = -1) {
    const ULONG pages = (offset + length + kPage - 1) / kPage;
    block_ = ExAllocatePoolWithTag(NonPagedPool, (pages + 1) * kPage, 'tseT');
    const auto address = reinterpret_cast<std::uintptr_t>(block_);
    base_ = reinterpret_cast<unsigned char*>((address + kPage - 1) & ~std::uintptr_t{kPage - 1});
    for (ULONG i = 0; i < (pages + 1) * kPage - (base_ - static_cast<unsigned char*>(block_));
         ++i) {
      base_[i] = static_cast<unsigned char>(i * 7);
    }
    if (first_asked >= 0) (void)Logical(base_ + first_asked * kPage);
    mdl_ = IoAllocateMdl(base_ + offset, length, FALSE, FALSE, nullptr);
    MmBuildMdlForNonPagedPool(mdl_);
  }
  MdlBuffer(const MdlBuffer&) = delete;
  MdlBuffer& operator=(const MdlBuffer&) = delete;
  /// Frees the MDL and the pool (call it before checking for leaks).
  void Free() {
    if (mdl_ != nullptr) IoFreeMdl(mdl_);
    if (block_ != nullptr) ExFreePoolWithTag(block_, 'tseT');
    mdl_ = nullptr;
    block_ = nullptr;
  }

  PMDL mdl() const { return mdl_; }
  unsigned char* base() const { return base_; }
  PVOID va() const { return MmGetMdlVirtualAddress(mdl_); }
  ULONG length() const { return MmGetMdlByteCount(mdl_); }

 private:
  PVOID block_ = nullptr;
  unsigned char* base_ = nullptr;
  PMDL mdl_ = nullptr;
};

struct Mapped {
  std::uint64_t logical;
  ULONG length;
  bool operator==(const Mapped&) const = default;
};

// The driver's state for one packet: what its AdapterControl routine saw and mapped.
struct Packet {
  PDMA_ADAPTER adapter = nullptr;
  PMDL mdl = nullptr;
  IO_ALLOCATION_ACTION action = DeallocateObjectKeepRegisters;
  int calls = 0;
  PDEVICE_OBJECT device = nullptr;
  PIRP irp = nullptr;
  KIRQL irql = 0;
  PVOID map_register_base = nullptr;
  std::vector<Mapped> mapped{};
  /// FlushAdapterBuffers after each MapTransfer, as a driver whose map registers cover less
  /// than the MDL does between the pieces of its transfer.
  bool flush_each = false;
};

// Maps the whole MDL, piece by piece, as a bus master's AdapterControl routine does.
inline IO_ALLOCATION_ACTION AdapterControl(PDEVICE_OBJECT DeviceObject, PIRP Irp,
                                           PVOID MapRegisterBase, PVOID Context) {
  auto* packet = static_cast<Packet*>(Context);
  ++packet->calls;
  packet->device = DeviceObject;
  packet->irp = Irp;
  packet->irql = KeGetCurrentIrql();
  packet->map_register_base = MapRegisterBase;
  if (packet->mdl != nullptr) {
    auto* va = static_cast<unsigned char*>(MmGetMdlVirtualAddress(packet->mdl));
    ULONG left = MmGetMdlByteCount(packet->mdl);
    while (left > 0) {
      ULONG length = left;
      const PHYSICAL_ADDRESS logical = packet->adapter->DmaOperations->MapTransfer(
          packet->adapter, packet->mdl, MapRegisterBase, va, &length, TRUE);
      packet->mapped.push_back({static_cast<std::uint64_t>(logical.QuadPart), length});
      if (packet->flush_each) {
        (void)packet->adapter->DmaOperations->FlushAdapterBuffers(
            packet->adapter, packet->mdl, MapRegisterBase, va, length, TRUE);
      }
      va += length;
      left -= length;
    }
  }
  return packet->action;
}

struct Element {
  std::uint64_t address;
  ULONG length;
  bool operator==(const Element&) const = default;
};

// What the driver's AdapterListControl routine saw.
struct Seen {
  int calls = 0;
  PDEVICE_OBJECT device = nullptr;
  PIRP irp = nullptr;
  KIRQL irql = 0;
  PSCATTER_GATHER_LIST list = nullptr;
  std::vector<Element> elements{};
};

inline VOID ListControl(PDEVICE_OBJECT DeviceObject, PIRP Irp, PSCATTER_GATHER_LIST ScatterGather,
                        PVOID Context) {
  auto* seen = static_cast<Seen*>(Context);
  ++seen->calls;
  seen->device = DeviceObject;
  seen->irp = Irp;
  seen->irql = KeGetCurrentIrql();
  seen->list = ScatterGather;
  seen->elements.clear();
  for (ULONG i = 0; i < ScatterGather->NumberOfElements; ++i) {
    seen->elements.push_back(
        {static_cast<std::uint64_t>(ScatterGather->Elements[i].Address.QuadPart),
         ScatterGather->Elements[i].Length});
  }
}

/// The calls a driver makes at DISPATCH_LEVEL (its StartIo routine or DPC): `call`'s result.
template <typename Call>
auto AtDispatch(Call call) {
  KIRQL old = 0;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  if constexpr (std::is_void_v<decltype(call())>) {
    call();
    KeLowerIrql(old);
  } else {
    auto result = call();
    KeLowerIrql(old);
    return result;
  }
}

/// A device (its PDO) and the driver's device object, whose CurrentIrp stands for the IRP its
/// StartIo routine is working on, under each personality.
class DmaDeviceTest : public kemu::testing::PersonalityTest {
 protected:
  void SetUp() override {
    PersonalityTest::SetUp();
    device_ = &machine().AddDevice({.name = "dma0"});
    fdo_.CurrentIrp = reinterpret_cast<PIRP>(&irp_);
  }
  PDMA_ADAPTER Get(DEVICE_DESCRIPTION description = BusMaster(), ULONG* registers = nullptr) {
    ULONG count = 0;
    PDMA_ADAPTER adapter = IoGetDmaAdapter(device_->pdo(), &description, &count);
    if (registers != nullptr) *registers = count;
    return adapter;
  }
  /// AllocateAdapterChannel at DISPATCH_LEVEL, as from a StartIo routine.
  NTSTATUS Allocate(Packet* packet, ULONG registers) {
    return AtDispatch([&] {
      return packet->adapter->DmaOperations->AllocateAdapterChannel(
          packet->adapter, &fdo_, registers, &AdapterControl, packet);
    });
  }

  kemu::Device* device_ = nullptr;
  DEVICE_OBJECT fdo_{};
  int irp_ = 0;
};

}  // namespace kemu::testing::dma

#endif  // KEMU_TESTS_UNIT_DMA_BUFFERS_HPP_
