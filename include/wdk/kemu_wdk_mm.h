// kemu_wdk_mm.h — pool, contiguous memory, I/O-space mapping, MDLs for nonpaged buffers and
// system-routine lookup.
//
// Pool blocks are real host memory owned by the emulated kernel: the machine checks the IRQL,
// tag and double-free rules Windows checks, reports what is still allocated at shutdown, and
// can be told to fail chosen allocations (kemu::Fault with a tag).
//
// MmGetSystemRoutineAddress answers from the emulated OS's export table, so probing for a routine
// behaves as on the Windows version under test.
//
//   UNICODE_STRING name = RTL_CONSTANT_STRING(L"IoConnectInterruptEx");
//   if (MmGetSystemRoutineAddress(&name) == NULL) { /* pre-Vista kernel: use Iointex.lib path */ }
//   PVOID buffer = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'umek');
//   ExFreePoolWithTag(buffer, 'umek');
#ifndef KEMU_WDK_MM_H_
#define KEMU_WDK_MM_H_

#include "kemu_wdk_base.h"

typedef enum _POOL_TYPE KEMU_WDK_ENUM_INT {
  NonPagedPool = 0,
  NonPagedPoolExecute = 0,
  PagedPool = 1,
  NonPagedPoolMustSucceed = 2,
  DontUseThisType = 3,
  NonPagedPoolCacheAligned = 4,
  PagedPoolCacheAligned = 5,
  NonPagedPoolCacheAlignedMustS = 6,
  MaxPoolType = 7,
  NonPagedPoolNx = 512,
  NonPagedPoolNxCacheAligned = 516
} POOL_TYPE;

// Modifier bits a POOL_TYPE may carry (bit 0 alone says paged or not).
// Pages: x64's 4 KiB.
#define PAGE_SIZE 0x1000
#define PAGE_SHIFT 12L
/// Offset of an address within its page.
#define BYTE_OFFSET(Va) ((ULONG)((ULONG_PTR)(Va) & (PAGE_SIZE - 1)))
/// The address of the page an address is in.
#define PAGE_ALIGN(Va) ((PVOID)((ULONG_PTR)(Va) & ~((ULONG_PTR)PAGE_SIZE - 1)))
/// Pages needed to hold Size bytes starting at a page boundary.
#define BYTES_TO_PAGES(Size) \
  ((ULONG)(((ULONG_PTR)(Size) >> PAGE_SHIFT) + (((ULONG_PTR)(Size) & (PAGE_SIZE - 1)) != 0)))
/// Size rounded up to whole pages.
#define ROUND_TO_PAGES(Size) (((ULONG_PTR)(Size) + PAGE_SIZE - 1) & ~((ULONG_PTR)PAGE_SIZE - 1))
/// Pages that Size bytes starting at Va touch.
#define ADDRESS_AND_SIZE_TO_SPAN_PAGES(Va, Size) \
  ((ULONG)((BYTE_OFFSET(Va) + (ULONG_PTR)(Size) + (PAGE_SIZE - 1)) >> PAGE_SHIFT))

#define POOL_QUOTA_FAIL_INSTEAD_OF_RAISE 8
#define POOL_RAISE_IF_ALLOCATION_FAILURE 16
/// A hint only (kemu ignores it).
#define POOL_COLD_ALLOCATION 256
/// Asks the kernel to zero the block: Windows 10 version 2004 and later do; older kernels hand
/// it out uninitialised. The ExAllocatePool*Zero helpers below set it.
#define POOL_ZERO_ALLOCATION 1024
/// Set in a tag, it makes the block freeable only by ExFreePoolWithTag with the same tag.
#define PROTECTED_POOL 0x80000000

/// ExAllocatePool2 flags. The low 32 bits are requirements (an unknown one fails the allocation),
/// the high 32 bits hints.
typedef ULONG64 POOL_FLAGS;
#define POOL_FLAG_USE_QUOTA 0x0000000000000001ULL
#define POOL_FLAG_UNINITIALIZED 0x0000000000000002ULL
#define POOL_FLAG_SESSION 0x0000000000000004ULL
#define POOL_FLAG_CACHE_ALIGNED 0x0000000000000008ULL
#define POOL_FLAG_RAISE_ON_FAILURE 0x0000000000000020ULL
#define POOL_FLAG_NON_PAGED 0x0000000000000040ULL
#define POOL_FLAG_NON_PAGED_EXECUTE 0x0000000000000080ULL
#define POOL_FLAG_PAGED 0x0000000000000100ULL

/// How much an allocation may ask of a pool that runs low (ExAllocatePool3's priority).
typedef enum _EX_POOL_PRIORITY KEMU_WDK_ENUM_INT {
  LowPoolPriority = 0,
  LowPoolPrioritySpecialPoolOverrun = 8,
  LowPoolPrioritySpecialPoolUnderrun = 9,
  NormalPoolPriority = 16,
  NormalPoolPrioritySpecialPoolOverrun = 24,
  NormalPoolPrioritySpecialPoolUnderrun = 25,
  HighPoolPriority = 32,
  HighPoolPrioritySpecialPoolOverrun = 40,
  HighPoolPrioritySpecialPoolUnderrun = 41
} EX_POOL_PRIORITY;

/// A NUMA node number, or MM_ANY_NODE_OK.
typedef ULONG POOL_NODE_REQUIREMENT;
#define MM_ANY_NODE_OK 0x80000000

typedef enum POOL_EXTENDED_PARAMETER_TYPE KEMU_WDK_ENUM_INT {
  PoolExtendedParameterInvalidType = 0,
  PoolExtendedParameterPriority,
  PoolExtendedParameterSecurePool,
  PoolExtendedParameterNumaNode,
  PoolExtendedParameterMax
} POOL_EXTENDED_PARAMETER_TYPE,
    *PPOOL_EXTENDED_PARAMETER_TYPE;

#define POOL_EXTENDED_PARAMETER_TYPE_BITS 8
#define POOL_EXTENDED_PARAMETER_REQUIRED_FIELD_BITS 1
#define POOL_EXTENDED_PARAMETER_RESERVED_BITS \
  (64 - POOL_EXTENDED_PARAMETER_TYPE_BITS - POOL_EXTENDED_PARAMETER_REQUIRED_FIELD_BITS)

#define SECURE_POOL_FLAGS_NONE 0x0
#define SECURE_POOL_FLAGS_FREEABLE 0x1
#define SECURE_POOL_FLAGS_MODIFIABLE 0x2

typedef struct _POOL_EXTENDED_PARAMS_SECURE_POOL {
  HANDLE SecurePoolHandle;
  PVOID Buffer;
  ULONG_PTR Cookie;
  ULONG SecurePoolFlags;
} POOL_EXTENDED_PARAMS_SECURE_POOL;

/// One ExAllocatePool3 parameter: its type, whether the kernel may ignore it (Optional), and its
/// value (16 bytes on x64).
typedef struct _POOL_EXTENDED_PARAMETER {
  KEMU_WDK_EXTENSION struct {
    ULONG64 Type : POOL_EXTENDED_PARAMETER_TYPE_BITS;
    ULONG64 Optional : POOL_EXTENDED_PARAMETER_REQUIRED_FIELD_BITS;
    ULONG64 Reserved : POOL_EXTENDED_PARAMETER_RESERVED_BITS;
  };
  KEMU_WDK_EXTENSION union {
    ULONG64 Reserved2;
    PVOID Reserved3;
    EX_POOL_PRIORITY Priority;
    POOL_EXTENDED_PARAMS_SECURE_POOL *SecurePoolParams;
    POOL_NODE_REQUIREMENT PreferredNode;
  };
} POOL_EXTENDED_PARAMETER, *PPOOL_EXTENDED_PARAMETER;
typedef const POOL_EXTENDED_PARAMETER *PCPOOL_EXTENDED_PARAMETER;

typedef enum _MEMORY_CACHING_TYPE KEMU_WDK_ENUM_INT {
  MmNonCached = 0,
  MmCached = 1,
  MmWriteCombined = 2,
  MmFrameBufferCached = 2,
  MmHardwareCoherentCached = 3,
  MmNonCachedUnordered = 4,
  MmUSWCCached = 5,
  MmMaximumCacheType = 6
} MEMORY_CACHING_TYPE;

/// A physical page number: a physical address shifted right by PAGE_SHIFT.
typedef ULONG_PTR PFN_NUMBER, *PPFN_NUMBER;

/// A memory descriptor list: the virtual range of a buffer (StartVa, the page it starts in, plus
/// ByteOffset; ByteCount bytes) followed in memory by the PFN_NUMBER of each page the range
/// spans. Size is the structure and that array together, in bytes.
typedef struct _MDL {
  struct _MDL *Next;
  CSHORT Size;
  CSHORT MdlFlags;
  struct _EPROCESS *Process;
  PVOID MappedSystemVa;
  PVOID StartVa;
  ULONG ByteCount;
  ULONG ByteOffset;
} MDL, *PMDL;

// MdlFlags.
#define MDL_MAPPED_TO_SYSTEM_VA 0x0001
#define MDL_PAGES_LOCKED 0x0002
#define MDL_SOURCE_IS_NONPAGED_POOL 0x0004
#define MDL_ALLOCATED_FIXED_SIZE 0x0008
#define MDL_PARTIAL 0x0010
#define MDL_PARTIAL_HAS_BEEN_MAPPED 0x0020
#define MDL_IO_PAGE_READ 0x0040
#define MDL_WRITE_OPERATION 0x0080

/// How much a mapping may ask of a system low on page table entries; from Windows 8 the value
/// may carry MdlMappingNoWrite or MdlMappingNoExecute.
typedef enum _MM_PAGE_PRIORITY KEMU_WDK_ENUM_INT {
  LowPagePriority = 0,
  NormalPagePriority = 16,
  HighPagePriority = 32
} MM_PAGE_PRIORITY;
#define MdlMappingNoWrite 0x80000000
#define MdlMappingNoExecute 0x40000000

/// The buffer's first byte, as the MDL describes it.
#define MmGetMdlVirtualAddress(Mdl) ((PVOID)((PCHAR)((Mdl)->StartVa) + (Mdl)->ByteOffset))
/// The buffer's length in bytes.
#define MmGetMdlByteCount(Mdl) ((Mdl)->ByteCount)
/// The buffer's offset within its first page.
#define MmGetMdlByteOffset(Mdl) ((Mdl)->ByteOffset)
/// The physical page numbers that follow the MDL.
#define MmGetMdlPfnArray(Mdl) ((PPFN_NUMBER)((Mdl) + 1))
/// A system address for the buffer: the one the MDL already has when it is mapped or describes
/// nonpaged pool (MmBuildMdlForNonPagedPool), else a new mapping of its locked pages (which kemu
/// does not model: MmMapLockedPagesSpecifyCache fails by name).
#define MmGetSystemAddressForMdlSafe(Mdl, Priority)                                 \
  (((Mdl)->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL)) != 0 \
       ? (Mdl)->MappedSystemVa                                                      \
       : MmMapLockedPagesSpecifyCache((Mdl), KernelMode, MmCached, NULL, FALSE, (Priority)))

KEMU_WDK_BEGIN_DECLS

NTKERNELAPI PVOID NTAPI ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
/// Charges the allocation to the current process's quota; on failure it raises an exception
/// (kemu: bug check 0x1E, since a driver's handler cannot run) unless PoolType carries
/// POOL_QUOTA_FAIL_INSTEAD_OF_RAISE.
NTKERNELAPI PVOID NTAPI ExAllocatePoolWithQuotaTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes,
                                                   ULONG Tag);
/// ExAllocatePoolWithTag with a priority. kemu's pool runs low only when a fault is injected,
/// which no priority escapes, so Priority changes nothing.
NTKERNELAPI PVOID NTAPI ExAllocatePoolWithTagPriority(POOL_TYPE PoolType, SIZE_T NumberOfBytes,
                                                      ULONG Tag, EX_POOL_PRIORITY Priority);
NTKERNELAPI VOID NTAPI ExFreePoolWithTag(PVOID P, ULONG Tag);
NTKERNELAPI VOID NTAPI ExFreePool(PVOID P);

/// The untagged originals (obsolete; Microsoft's code analysis flags them, C28147). The exports
/// tag the block "None". A driver built with POOL_TAGGING gets the WDK's macros instead, which
/// tag it "Wdm " through the tagged routines. Free either with ExFreePool.
NTKERNELAPI PVOID NTAPI ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes);
NTKERNELAPI PVOID NTAPI ExAllocatePoolWithQuota(POOL_TYPE PoolType, SIZE_T NumberOfBytes);
#ifdef POOL_TAGGING
/// "Wdm " in memory, written as a number: a multi-character literal draws -Wmultichar.
#define KEMU_WDK_DEFAULT_POOL_TAG ((ULONG)0x206D6457)
#define ExAllocatePool(a, b) ExAllocatePoolWithTag((a), (b), KEMU_WDK_DEFAULT_POOL_TAG)
#define ExAllocatePoolWithQuota(a, b) \
  ExAllocatePoolWithQuotaTag((a), (b), KEMU_WDK_DEFAULT_POOL_TAG)
#endif

#if NTDDI_VERSION >= NTDDI_WIN10_VB
/// Zeroed memory unless POOL_FLAG_UNINITIALIZED; NULL for a zero tag, bad flags or no memory.
NTKERNELAPI PVOID NTAPI ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag);
/// ExAllocatePool2 with extended parameters (priority, NUMA node; secure pool is not modelled).
NTKERNELAPI PVOID NTAPI ExAllocatePool3(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag,
                                        PCPOOL_EXTENDED_PARAMETER ExtendedParameters,
                                        ULONG ExtendedParametersCount);
#endif

// The zeroing helpers of Windows 10 version 2004's WDK, for drivers that still call the
// POOL_TYPE routines. They ask the kernel to zero the block (POOL_ZERO_ALLOCATION), which kernels
// before Windows 10 version 2004 do not do: a driver that also runs on those defines
// POOL_ZERO_DOWN_LEVEL_SUPPORT and calls ExInitializeDriverRuntime once before allocating, and
// the helpers then zero the block themselves unless the kernel does. Without that recipe the
// block comes back uninitialised on older Windows, as it does on Windows.
//
//   #define POOL_ZERO_DOWN_LEVEL_SUPPORT
//   #include <wdm.h>
//   ...
//   ExInitializeDriverRuntime(0);  // in DriverEntry
//   PVOID block = ExAllocatePoolZero(NonPagedPoolNx, 64, 'umek');  // zeroed on every release
#ifdef POOL_ZERO_DOWN_LEVEL_SUPPORT
/// Whether the kernel zeroes on request; ExInitializeDriverRuntime sets it. One per program in
/// kemu (a driver global on Windows).
DECLSPEC_SELECTANY BOOLEAN ExPoolZeroingNativelySupported = FALSE;
#define KEMU_WDK_ZERO_UNLESS_NATIVE(Block, NumberOfBytes)     \
  do {                                                        \
    if (!ExPoolZeroingNativelySupported && (Block) != NULL) { \
      __builtin_memset((Block), 0, (NumberOfBytes));          \
    }                                                         \
  } while (0)
#else
#define KEMU_WDK_ZERO_UNLESS_NATIVE(Block, NumberOfBytes) ((void)0)
#endif

// The helpers' body depends on the driver's build (POOL_ZERO_DOWN_LEVEL_SUPPORT), so each
// translation unit keeps its own (static inline, as the checked list routines).
KEMU_WDK_BUILD_INLINE PVOID ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes,
                                               ULONG Tag) {
  PVOID block =
      ExAllocatePoolWithTag((POOL_TYPE)(PoolType | POOL_ZERO_ALLOCATION), NumberOfBytes, Tag);
  KEMU_WDK_ZERO_UNLESS_NATIVE(block, NumberOfBytes);
  return block;
}

KEMU_WDK_BUILD_INLINE PVOID ExAllocatePoolQuotaZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes,
                                                    ULONG Tag) {
  PVOID block =
      ExAllocatePoolWithQuotaTag((POOL_TYPE)(PoolType | POOL_ZERO_ALLOCATION), NumberOfBytes, Tag);
  KEMU_WDK_ZERO_UNLESS_NATIVE(block, NumberOfBytes);
  return block;
}

KEMU_WDK_BUILD_INLINE PVOID ExAllocatePoolPriorityZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes,
                                                       ULONG Tag, EX_POOL_PRIORITY Priority) {
  PVOID block = ExAllocatePoolWithTagPriority((POOL_TYPE)(PoolType | POOL_ZERO_ALLOCATION),
                                              NumberOfBytes, Tag, Priority);
  KEMU_WDK_ZERO_UNLESS_NATIVE(block, NumberOfBytes);
  return block;
}

/// The routine it wraps, named to say the block is not zeroed.
KEMU_WDK_INLINE PVOID ExAllocatePoolUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes,
                                                  ULONG Tag) {
  return ExAllocatePoolWithTag(PoolType, NumberOfBytes, Tag);
}

KEMU_WDK_INLINE PVOID ExAllocatePoolQuotaUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes,
                                                       ULONG Tag) {
  return ExAllocatePoolWithQuotaTag(PoolType, NumberOfBytes, Tag);
}

KEMU_WDK_INLINE PVOID ExAllocatePoolPriorityUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes,
                                                          ULONG Tag, EX_POOL_PRIORITY Priority) {
  return ExAllocatePoolWithTagPriority(PoolType, NumberOfBytes, Tag, Priority);
}

/// NULL when the emulated OS does not export SystemRoutineName.
NTKERNELAPI PVOID NTAPI MmGetSystemRoutineAddress(PUNICODE_STRING SystemRoutineName);

/// Maps device memory (a CmResourceTypeMemory range) for READ_/WRITE_REGISTER_*. kemu maps only
/// ranges inside an emulated device's BAR and returns NULL for anything else.
NTKERNELAPI PVOID NTAPI MmMapIoSpace(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes,
                                     MEMORY_CACHING_TYPE CacheType);
NTKERNELAPI VOID NTAPI MmUnmapIoSpace(PVOID BaseAddress, SIZE_T NumberOfBytes);

/// Page-aligned nonpaged memory with one contiguous physical range, for a device to reach by
/// DMA; NULL when no free range meets the limits. kemu gives every run the same physical
/// addresses, and a device model reaches the memory through kemu::Machine::HostAddressOf.
NTKERNELAPI PVOID NTAPI MmAllocateContiguousMemory(SIZE_T NumberOfBytes,
                                                   PHYSICAL_ADDRESS HighestAcceptableAddress);
/// The same within [LowestAcceptableAddress, HighestAcceptableAddress], crossing no multiple of
/// BoundaryAddressMultiple (a power of two, or 0 for none).
NTKERNELAPI PVOID NTAPI MmAllocateContiguousMemorySpecifyCache(
    SIZE_T NumberOfBytes, PHYSICAL_ADDRESS LowestAcceptableAddress,
    PHYSICAL_ADDRESS HighestAcceptableAddress, PHYSICAL_ADDRESS BoundaryAddressMultiple,
    MEMORY_CACHING_TYPE CacheType);
NTKERNELAPI VOID NTAPI MmFreeContiguousMemory(PVOID BaseAddress);
/// NumberOfBytes and CacheType must be the allocation's.
NTKERNELAPI VOID NTAPI MmFreeContiguousMemorySpecifyCache(PVOID BaseAddress, SIZE_T NumberOfBytes,
                                                          MEMORY_CACHING_TYPE CacheType);
/// IRQL <= DISPATCH_LEVEL. An MDL, from nonpaged pool, for Length bytes at VirtualAddress; free
/// it with IoFreeMdl. NULL when it cannot be allocated. kemu models no IRPs: a non-NULL Irp
/// fails by name.
NTKERNELAPI PMDL NTAPI IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer,
                                     BOOLEAN ChargeQuota, PIRP Irp);
/// IRQL <= DISPATCH_LEVEL. Frees an MDL IoAllocateMdl returned.
NTKERNELAPI VOID NTAPI IoFreeMdl(PMDL Mdl);
/// IRQL <= DISPATCH_LEVEL. Completes an MDL for a buffer in nonpaged memory: its physical pages
/// and its system address (MappedSystemVa, with MDL_SOURCE_IS_NONPAGED_POOL).
NTKERNELAPI VOID NTAPI MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList);
/// Any IRQL. The bytes an MDL describing Length bytes at Base takes: the structure and one
/// PFN_NUMBER per page the range spans. Base need not be mapped: only its page offset counts.
NTKERNELAPI SIZE_T NTAPI MmSizeOfMdl(PVOID Base, SIZE_T Length);
/// Maps an MDL's locked pages. Not modelled: kemu's MDLs describe nonpaged memory only.
NTKERNELAPI PVOID NTAPI MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList,
                                                     KPROCESSOR_MODE AccessMode,
                                                     MEMORY_CACHING_TYPE CacheType,
                                                     PVOID RequestedAddress,
                                                     ULONG BugCheckOnFailure, ULONG Priority);

/// The access MmProbeAndLockPages checks and locks for.
typedef enum _LOCK_OPERATION { IoReadAccess, IoWriteAccess, IoModifyAccess } LOCK_OPERATION;
/// Not modelled (kemu's MDLs describe nonpaged memory, built by MmBuildMdlForNonPagedPool): each
/// fails by name (kemu::NotModelled), and MmGetSystemRoutineAddress finds them, as on Windows, so
/// a driver that probes for one reaches the same stop rather than a fallback path.
NTKERNELAPI VOID NTAPI MmProbeAndLockPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
                                           LOCK_OPERATION Operation);
NTKERNELAPI VOID NTAPI MmUnlockPages(PMDL MemoryDescriptorList);
NTKERNELAPI VOID NTAPI MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList);
NTKERNELAPI VOID NTAPI IoBuildPartialMdl(PMDL SourceMdl, PMDL TargetMdl, PVOID VirtualAddress,
                                         ULONG Length);

/// MmInitializeMdl's work (kemu's name): the header fields of an MDL the caller placed in memory
/// of its own, at least MmSizeOfMdl(BaseVa, Length) bytes; the PFN array is left to
/// MmBuildMdlForNonPagedPool.
KEMU_WDK_INLINE VOID KemuInitializeMdl(PMDL Mdl, PVOID BaseVa, SIZE_T Length) {
  Mdl->Next = NULL;
  Mdl->Size =
      (CSHORT)(sizeof(MDL) + sizeof(PFN_NUMBER) * ADDRESS_AND_SIZE_TO_SPAN_PAGES(BaseVa, Length));
  Mdl->MdlFlags = 0;
  Mdl->Process = NULL;
  Mdl->MappedSystemVa = NULL;
  Mdl->StartVa = PAGE_ALIGN(BaseVa);
  Mdl->ByteOffset = BYTE_OFFSET(BaseVa);
  Mdl->ByteCount = (ULONG)Length;
}

KEMU_WDK_END_DECLS

/// Describes Length bytes at BaseVa in an MDL the driver allocated itself (a macro, as in the
/// WDK; each argument is evaluated once):
///
///   PMDL mdl = ExAllocatePoolWithTag(NonPagedPoolNx, MmSizeOfMdl(buffer, bytes), 'ldMx');
///   MmInitializeMdl(mdl, buffer, bytes);
///   MmBuildMdlForNonPagedPool(mdl);
#define MmInitializeMdl(MemoryDescriptorList, BaseVa, Length) \
  KemuInitializeMdl((MemoryDescriptorList), (PVOID)(BaseVa), (SIZE_T)(Length))

/// Makes a buffer an MDL describes coherent with the processors' caches before or after a DMA
/// transfer. x64 keeps DMA coherent in hardware, so, as in the x64 WDK, this does nothing; the
/// arguments are still evaluated once, so a driver's variables count as used.
#define KeFlushIoBuffers(Mdl, ReadOperation, DmaOperation) \
  ((void)(Mdl), (void)(ReadOperation), (void)(DmaOperation))

KEMU_WDK_STATIC_ASSERT(sizeof(POOL_TYPE) == 4, "POOL_TYPE is a 4-byte enum");
KEMU_WDK_STATIC_ASSERT(sizeof(MEMORY_CACHING_TYPE) == 4, "MEMORY_CACHING_TYPE is a 4-byte enum");
KEMU_WDK_STATIC_ASSERT(sizeof(MDL) == 48 && offsetof(MDL, MappedSystemVa) == 24 &&
                           offsetof(MDL, ByteOffset) == 44,
                       "MDL is 48 bytes on x64");
KEMU_WDK_STATIC_ASSERT(sizeof(MM_PAGE_PRIORITY) == 4, "MM_PAGE_PRIORITY is a 4-byte enum");
KEMU_WDK_STATIC_ASSERT(sizeof(POOL_EXTENDED_PARAMETER) == 16,
                       "POOL_EXTENDED_PARAMETER is 16 bytes");

#endif  // KEMU_WDK_MM_H_
