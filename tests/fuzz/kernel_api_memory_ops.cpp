// Kernel API fuzz target: memory a driver hands to its device and the pool around it. Contiguous
// memory (both allocators and both frees, with the allocation's size and cache type or others),
// physical addresses of whatever the driver holds, a device double's DMA into them through
// Machine::HostAddressOf, the newer pool allocators, the Ex and paged lookaside lists and the
// PDO's properties, MDLs (with the fields a driver may change between allocating and building
// one) and the string conversions that allocate, called in fuzzer-chosen order from wherever the
// program happens to be.
// Misuse must end in a return value, a bug check or a kemu::Error; a device double must never
// reach memory the driver has freed.
#include <cstring>

#include "kernel_api_fuzzer.hpp"

namespace kemu_fuzz {
namespace {

constexpr ULONG kTag = 'zzuF';

// Sizes a driver asks for: a page or a few, now and then an odd, zero or enormous one.
SIZE_T Size(Bytes& in) {
  switch (in.Pick(4)) {
    case 0:
      return 4096 * (1 + in.Pick(4));
    case 1:
      return 1 + in.Pick(200);
    case 2:
      return 0;
    default:
      return static_cast<SIZE_T>(in.U64());
  }
}

PHYSICAL_ADDRESS Physical(Bytes& in) {
  static constexpr LONGLONG kLimits[] = {0, 0xFFFFFF, 0xFFFFFFFF, 0x7FFFFFFFFFFFFFFF};
  PHYSICAL_ADDRESS address;
  address.QuadPart = in.Flag() ? kLimits[in.Pick(4)] : static_cast<LONGLONG>(in.U64());
  return address;
}

MEMORY_CACHING_TYPE CacheType(Bytes& in) {
  return in.Flag() ? static_cast<MEMORY_CACHING_TYPE>(in.Pick(3))
                   : static_cast<MEMORY_CACHING_TYPE>(in.U32());
}

void ContiguousOp(Run& run, std::size_t i) {
  Bytes& in = run.in;
  DriverState& s = run.state;
  switch (in.Pick(5)) {
    case 0: {
      const SIZE_T bytes = Size(in);
      s.contiguous[i] = MmAllocateContiguousMemory(bytes, Physical(in));
      s.contiguous_bytes[i] = bytes;
      break;
    }
    case 1: {
      const SIZE_T bytes = Size(in);
      const PHYSICAL_ADDRESS lowest = Physical(in);
      const PHYSICAL_ADDRESS highest = Physical(in);
      PHYSICAL_ADDRESS boundary;
      boundary.QuadPart = in.Flag() ? 0 : LONGLONG{1} << in.Pick(40);
      if (in.Flag()) boundary.QuadPart = static_cast<LONGLONG>(in.U32());
      s.contiguous[i] =
          MmAllocateContiguousMemorySpecifyCache(bytes, lowest, highest, boundary, CacheType(in));
      s.contiguous_bytes[i] = bytes;
      break;
    }
    case 2:
      // Freed, or freed again, or a pool block or nothing freed as contiguous memory.
      MmFreeContiguousMemory(in.Flag() ? s.contiguous[i] : s.blocks[i]);
      if (in.Flag()) s.contiguous[i] = nullptr;
      break;
    case 3: {
      // Arguments read last first: one input, one program under any compiler (docs/fuzzing.md).
      const MEMORY_CACHING_TYPE cache = in.Flag() ? MmCached : CacheType(in);
      const SIZE_T bytes = in.Flag() ? s.contiguous_bytes[i] : Size(in);
      MmFreeContiguousMemorySpecifyCache(s.contiguous[i], bytes, cache);
    }
      if (in.Flag()) s.contiguous[i] = nullptr;
      break;
    default:
      // Contiguous memory given back as pool.
      if (s.contiguous[i] != nullptr) ExFreePoolWithTag(s.contiguous[i], 0);
      break;
  }
}

// The physical address of something the driver has (or had), and a device double's DMA there.
void PhysicalOp(Run& run, std::size_t i) {
  Bytes& in = run.in;
  DriverState& s = run.state;
  void* targets[] = {s.contiguous[i], s.blocks[i], &s.events[i], nullptr, s.pool2[i]};
  void* target = targets[in.Pick(5)];
  const std::size_t offset = in.Pick(5000);
  if (target != nullptr && in.Flag()) target = static_cast<char*>(target) + offset;
  const PHYSICAL_ADDRESS physical = MmGetPhysicalAddress(target);
  // The double writes what the driver gave it, or a range around it: HostAddressOf answers only
  // for memory the driver still owns, in one piece.
  const std::uint64_t at = static_cast<std::uint64_t>(physical.QuadPart) +
                           (in.Flag() ? 0 : in.U32() % 0x3000) - (in.Flag() ? 0 : 16);
  const std::size_t bytes = in.Flag() ? 1 + in.Pick(64) : in.U32() % 0x4000;
  if (void* host = run.machine.HostAddressOf(at, bytes)) std::memset(host, in.Byte(), bytes);
}

POOL_FLAGS PoolFlags(Bytes& in) {
  static constexpr POOL_FLAGS kCommon[] = {POOL_FLAG_NON_PAGED, POOL_FLAG_PAGED,
                                           POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED,
                                           POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE};
  return in.Flag() ? kCommon[in.Pick(4)] : in.U64();
}

void PoolOp(Run& run, std::size_t i) {
  Bytes& in = run.in;
  DriverState& s = run.state;
  const SIZE_T bytes = in.Flag() ? 1 + in.Pick(512) : Size(in);
  const ULONG tag = in.Flag() ? kTag : in.U32();
  switch (in.Pick(4)) {
    case 0:
      if (AtLeast(run, kemu::Os::kWindows10))
        s.pool2[i] = ExAllocatePool2(PoolFlags(in), bytes, tag);
      break;
    case 1:
      if (AtLeast(run, kemu::Os::kWindows10)) {
        s.pool2[i] = ExAllocatePool3(PoolFlags(in), bytes, tag, nullptr, 0);
      }
      break;
    case 2: {
      const auto priority = static_cast<EX_POOL_PRIORITY>(in.Flag() ? in.Pick(3) * 16 : in.U32());
      const POOL_TYPE type = in.Flag() ? NonPagedPool : static_cast<POOL_TYPE>(in.Pick(64));
      s.pool2[i] = ExAllocatePoolWithTagPriority(type, bytes, tag, priority);
    } break;
    default:
      if (s.pool2[i] != nullptr) ExFreePoolWithTag(s.pool2[i], in.Flag() ? tag : 0);
      if (in.Flag()) s.pool2[i] = nullptr;  // else free it again later
      break;
  }
}

PVOID FuzzLookasideAllocate(POOL_TYPE type, SIZE_T bytes, ULONG tag, PLOOKASIDE_LIST_EX) {
  NestedOps(2);
  return ExAllocatePoolWithTag(type, bytes, tag);
}

VOID FuzzLookasideFree(PVOID buffer, PLOOKASIDE_LIST_EX) { ExFreePoolWithTag(buffer, 0); }

void LookasideExOp(Run& run, std::size_t i) {
  if (!AtLeast(run, kemu::Os::kWindowsVista)) return;
  Bytes& in = run.in;
  DriverState& s = run.state;
  switch (in.Pick(5)) {
    case 0: {
      const bool own = in.Flag();
      const SIZE_T size = in.Flag() ? 64 : Size(in);
      const ULONG flags = in.Flag() ? 0 : in.U32();
      const POOL_TYPE type = in.Flag() ? NonPagedPool : PagedPool;
      (void)ExInitializeLookasideListEx(&s.lookaside_ex, own ? &FuzzLookasideAllocate : nullptr,
                                        own ? &FuzzLookasideFree : nullptr, type, flags, size, kTag,
                                        0);
      break;
    }
    case 1:
      s.lookaside_ex_entries[i] = ExAllocateFromLookasideListEx(&s.lookaside_ex);
      break;
    case 2:
      if (s.lookaside_ex_entries[i] != nullptr) {
        ExFreeToLookasideListEx(&s.lookaside_ex, s.lookaside_ex_entries[i]);
        if (in.Flag()) s.lookaside_ex_entries[i] = nullptr;
      }
      break;
    case 3:
      ExFlushLookasideListEx(&s.lookaside_ex);
      break;
    default:
      ExDeleteLookasideListEx(&s.lookaside_ex);
      break;
  }
}

void PagedLookasideOp(Run& run, std::size_t i) {
  Bytes& in = run.in;
  DriverState& s = run.state;
  switch (in.Pick(4)) {
    case 0:
      ExInitializePagedLookasideList(&s.paged_lookaside, nullptr, nullptr, 0,
                                     in.Flag() ? 48 : Size(in), kTag, 0);
      break;
    case 1:
      s.paged_entries[i] = ExAllocateFromPagedLookasideList(&s.paged_lookaside);
      break;
    case 2:
      if (s.paged_entries[i] != nullptr) {
        ExFreeToPagedLookasideList(&s.paged_lookaside, s.paged_entries[i]);
        if (in.Flag()) s.paged_entries[i] = nullptr;
      }
      break;
    default:
      ExDeletePagedLookasideList(&s.paged_lookaside);
      break;
  }
}

void DevicePropertyOp(Run& run, std::size_t i) {
  Bytes& in = run.in;
  DriverState& s = run.state;
  // The PDO, or something else passed as a device object.
  PDEVICE_OBJECT device =
      in.Pick(4) != 0 ? run.device.pdo() : reinterpret_cast<PDEVICE_OBJECT>(&s.events[i]);
  const auto property = static_cast<DEVICE_REGISTRY_PROPERTY>(in.Flag() ? in.Pick(0x18) : in.U32());
  const ULONG length = in.Flag() ? in.Pick(sizeof s.property_buffer + 1)
                                 : static_cast<ULONG>(sizeof s.property_buffer);
  ULONG result = 0;
  (void)IoGetDeviceProperty(device, property, length, s.property_buffer.data(), &result);
}

// An MDL for pool the driver holds or an address no allocation covers; then built, its counts
// changed as a careless driver changes them, read and freed. kemu must never write past the MDL.
void MdlOp(Run& run, std::size_t i) {
  Bytes& in = run.in;
  DriverState& s = run.state;
  switch (in.Pick(5)) {
    case 0: {
      void* targets[] = {s.blocks[i], s.contiguous[i], s.pool2[i],
                         reinterpret_cast<void*>(std::uintptr_t{0x7F0000000000} + in.U32())};
      // Up to 1 MiB: building the MDL gives every page a physical one, and a run must stay fast.
      const ULONG length = in.Flag() ? 1 + in.Pick(3 * 4096) : in.U32() & 0xFFFFF;
      s.mdls[i] = IoAllocateMdl(targets[in.Pick(4)], length, FALSE, FALSE, nullptr);
      break;
    }
    case 1:
      if (s.mdls[i] == nullptr) break;
      if (in.Flag()) {
        s.mdls[i]->ByteCount =
            in.Flag() ? s.mdls[i]->ByteCount + 4096 * in.Pick(4) : in.U32() & 0xFFFFF;
      } else {
        s.mdls[i]->ByteOffset = in.U32() & 0xFFF;
      }
      break;
    case 2:
      MmBuildMdlForNonPagedPool(s.mdls[i]);
      break;
    case 3:
      if (s.mdls[i] != nullptr && (s.mdls[i]->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL) != 0) {
        (void)MmGetSystemAddressForMdlSafe(s.mdls[i], NormalPagePriority);
      }
      break;
    default:
      IoFreeMdl(s.mdls[i]);
      s.mdls[i] = nullptr;
      break;
  }
}

// Conversions into a buffer they allocate or the driver's own, and the frees. The sources are
// the driver's own 64-character buffers, so the lengths stay inside them.
void StringOp(Run& run, std::size_t i) {
  Bytes& in = run.in;
  DriverState& s = run.state;
  const bool allocate = in.Flag();
  switch (in.Pick(4)) {
    case 0: {
      for (char& c : s.ansi_text) c = static_cast<char>(in.Byte());
      ANSI_STRING source{static_cast<USHORT>(in.Pick(65)), 64, s.ansi_text.data()};
      if (!allocate) s.wide_strings[i] = {0, static_cast<USHORT>(in.Pick(129)), s.wide_text.data()};
      const NTSTATUS status = RtlAnsiStringToUnicodeString(&s.wide_strings[i], &source, allocate);
      if (!allocate || !NT_SUCCESS(status)) s.wide_strings[i] = {};
      break;
    }
    case 1: {
      for (WCHAR& c : s.wide_text) c = static_cast<WCHAR>(in.U32() & 0x1FFFF);
      UNICODE_STRING source{static_cast<USHORT>(in.Pick(65) * sizeof(WCHAR)), 64 * sizeof(WCHAR),
                            s.wide_text.data()};
      if (!allocate) s.ansi_strings[i] = {0, static_cast<USHORT>(in.Pick(65)), s.ansi_text.data()};
      const NTSTATUS status = RtlUnicodeStringToAnsiString(&s.ansi_strings[i], &source, allocate);
      if (!allocate || !NT_SUCCESS(status)) s.ansi_strings[i] = {};
      break;
    }
    case 2:
      RtlFreeUnicodeString(&s.wide_strings[i]);
      break;
    default:
      RtlFreeAnsiString(&s.ansi_strings[i]);
      break;
  }
}

}  // namespace

void MemoryOp(Run& run, std::size_t i) {
  switch (run.in.Pick(9)) {
    case 0:
    case 1:
      ContiguousOp(run, i);
      break;
    case 2:
      PhysicalOp(run, i);
      break;
    case 3:
      PoolOp(run, i);
      break;
    case 4:
      LookasideExOp(run, i);
      break;
    case 5:
      PagedLookasideOp(run, i);
      break;
    case 6:
      MdlOp(run, i);
      break;
    case 7:
      StringOp(run, i);
      break;
    default:
      DevicePropertyOp(run, i);
      break;
  }
}

}  // namespace kemu_fuzz
