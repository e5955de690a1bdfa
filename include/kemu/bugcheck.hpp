// kemu/bugcheck.hpp — the emulated system crashing, as a value a test can inspect.
//
// Driver misuse makes kemu raise a Windows bug check: the code and four parameters Windows would
// show, plus a report for humans (what went wrong, the last kernel calls, the personality and the
// seed that replays the run). By default it is thrown as `kemu::BugCheck`:
//
//   try {
//     KeLowerIrql(HIGH_LEVEL);                     // raising through KeLowerIrql is misuse
//   } catch (const kemu::BugCheck& crash) {
//     crash.code();                                // 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION
//     crash.parameter(0);                          // 0x31: bad KeLowerIrql
//     std::cerr << crash.what();                   // the full report
//   }
#ifndef KEMU_BUGCHECK_HPP_
#define KEMU_BUGCHECK_HPP_

#include <array>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

namespace kemu {

/// Windows bug-check codes kemu raises.
namespace bugcheck {
inline constexpr std::uint32_t kApcIndexMismatch = 0x01;
inline constexpr std::uint32_t kIrqlNotGreaterOrEqual = 0x09;
inline constexpr std::uint32_t kIrqlNotLessOrEqual = 0x0A;
inline constexpr std::uint32_t kMaximumWaitObjectsExceeded = 0x0C;
inline constexpr std::uint32_t kSpinLockAlreadyOwned = 0x0F;
inline constexpr std::uint32_t kSpinLockNotOwned = 0x10;
inline constexpr std::uint32_t kTrapCauseUnknown = 0x12;
inline constexpr std::uint32_t kReferenceByPointer = 0x18;
inline constexpr std::uint32_t kKmodeExceptionNotHandled = 0x1E;
inline constexpr std::uint32_t kKernelApcPendingDuringExit = 0x20;
inline constexpr std::uint32_t kPageFaultInNonpagedArea = 0x50;
inline constexpr std::uint32_t kSystemExitOwnedMutex = 0x39;
inline constexpr std::uint32_t kInterruptExceptionNotHandled = 0x3D;
inline constexpr std::uint32_t kSystemThreadExceptionNotHandled = 0x7E;
inline constexpr std::uint32_t kNmiHardwareFailure = 0x80;
inline constexpr std::uint32_t kInvalidKernelHandle = 0x93;
inline constexpr std::uint32_t kAttemptedSwitchFromDpc = 0xB8;
inline constexpr std::uint32_t kSpecialPoolDetectedMemoryCorruption = 0xC1;
inline constexpr std::uint32_t kBadPoolCaller = 0xC2;
inline constexpr std::uint32_t kDriverVerifierDetectedViolation = 0xC4;
inline constexpr std::uint32_t kTimerOrDpcInvalid = 0xC7;
inline constexpr std::uint32_t kIrqlUnexpectedValue = 0xC8;
inline constexpr std::uint32_t kPnpDetectedFatalError = 0xCA;
inline constexpr std::uint32_t kPageFaultBeyondEndOfAllocation = 0xCD;
inline constexpr std::uint32_t kDriverIrqlNotLessOrEqual = 0xD1;
inline constexpr std::uint32_t kDriverPageFaultInFreedSpecialPool = 0xD5;
inline constexpr std::uint32_t kWorkerThreadReturnedAtBadIrql = 0xE1;
inline constexpr std::uint32_t kManuallyInitiatedCrash = 0xE2;
inline constexpr std::uint32_t kResourceNotOwned = 0xE3;
inline constexpr std::uint32_t kWorkerInvalid = 0xE4;
inline constexpr std::uint32_t kDriverVerifierDmaViolation = 0xE6;
inline constexpr std::uint32_t kHardwareInterruptStorm = 0xF2;
inline constexpr std::uint32_t kDpcWatchdogViolation = 0x133;
inline constexpr std::uint32_t kKernelSecurityCheckFailure = 0x139;
/// Windows 8+: Arg1 0x1, a driver asked for the interrupt spin lock of a passive-level interrupt
/// object (Arg2).
inline constexpr std::uint32_t kPassiveInterruptError = 0x13B;
/// Not a Windows code: a data race kemu's race detector found (kemu::DataRace, kemu/data_race.hpp).
inline constexpr std::uint32_t kDataRace = 0x4B45D47A;
}  // namespace bugcheck

/// Parameter-1 sub-codes of 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION kemu raises. The 0x4B45xxxx
/// ("KE") values are kemu's own, for misuse Windows documents no sub-code for.
namespace verifier_code {
inline constexpr std::uint64_t kPoolZeroBytes = 0x00;
inline constexpr std::uint64_t kPagedPoolAboveApc = 0x01;
inline constexpr std::uint64_t kNonPagedPoolAboveDispatch = 0x02;
inline constexpr std::uint64_t kFreeBadPoolAddress = 0x10;
inline constexpr std::uint64_t kFreePagedPoolAboveApc = 0x11;
inline constexpr std::uint64_t kFreeNonPagedPoolAboveDispatch = 0x12;
inline constexpr std::uint64_t kFreePoolAlreadyFreed = 0x13;
inline constexpr std::uint64_t kFreePoolWithActiveTimer = 0x15;
inline constexpr std::uint64_t kPoolLeakedAtUnload = 0x62;
inline constexpr std::uint64_t kRaiseIrqlInvalid = 0x30;
inline constexpr std::uint64_t kLowerIrqlInvalid = 0x31;
inline constexpr std::uint64_t kReleaseSpinLockNotAtDispatch = 0x32;
inline constexpr std::uint64_t kAcquireFastMutexAboveApc = 0x33;
inline constexpr std::uint64_t kReleaseFastMutexNotAtApc = 0x34;
inline constexpr std::uint64_t kAcquireUnsafeMutexApcsEnabled = 0x39;
inline constexpr std::uint64_t kAcquireResourceApcsEnabled = 0x37;
/// An ERESOURCE not 8-byte aligned acquired exclusively.
inline constexpr std::uint64_t kUnalignedResource = 0x3D;
inline constexpr std::uint64_t kReleaseResourceApcsEnabled = 0x38;
inline constexpr std::uint64_t kReleaseUnsafeMutexApcsEnabled = 0x3A;
inline constexpr std::uint64_t kLeaveCriticalRegionNotEntered = 0x3E;
inline constexpr std::uint64_t kAcquireAtDpcLevelBelowDispatch = 0x40;
inline constexpr std::uint64_t kReleaseFromDpcLevelBelowDispatch = 0x41;
inline constexpr std::uint64_t kAcquireSpinLockAboveDispatch = 0x42;
inline constexpr std::uint64_t kMapIoSpaceAboveDispatch = 0x73;
inline constexpr std::uint64_t kUnmapIoSpaceAboveApc = 0x7B;
inline constexpr std::uint64_t kSetEventAboveDispatch = 0x80;
/// A synchronization object (spin lock, event, timer, kernel mutex, semaphore, fast mutex,
/// executive resource) in pageable memory (Vista+, Force IRQL Checking).
inline constexpr std::uint64_t kSyncObjectPageable = 0xE1;
inline constexpr std::uint64_t kKernelApiAtWrongIrql = 0xE5;
/// A lookaside list initialized again while it is live (Vista+).
inline constexpr std::uint64_t kLookasideReinitialized = 0xCA;
/// A lookaside list deleted that is not initialized (never, or deleted already) (Vista+).
inline constexpr std::uint64_t kDeleteUninitializedLookaside = 0xCB;
/// A pool block freed while it holds a lookaside list never deleted (Vista+).
inline constexpr std::uint64_t kFreePoolWithActiveLookaside = 0xCC;
/// A lookaside list initialized with entries below LOOKASIDE_MINIMUM_BLOCK_SIZE (Vista+).
inline constexpr std::uint64_t kLookasideBlockTooSmall = 0xCD;
inline constexpr std::uint64_t kResourceReinitialized = 0xD0;
inline constexpr std::uint64_t kDeleteUninitializedResource = 0xD1;
inline constexpr std::uint64_t kFreePoolWithActiveResource = 0xD2;
inline constexpr std::uint64_t kIsrCorruptedFloatingState = 0x110;
inline constexpr std::uint64_t kIsrChangedIrql = 0x111;
inline constexpr std::uint64_t kEnterCriticalRegionAboveApc = 0x11A;
inline constexpr std::uint64_t kLeaveCriticalRegionAboveApc = 0x11B;
inline constexpr std::uint64_t kWaitAboveDispatch = 0x120;
inline constexpr std::uint64_t kWaitAtDispatchWithoutTimeout = 0x121;
inline constexpr std::uint64_t kWaitAtDispatchWithTimeout = 0x122;
inline constexpr std::uint64_t kSelfDeadlock = 0x1000;
inline constexpr std::uint64_t kDeadlock = 0x1001;
inline constexpr std::uint64_t kUninitializedResource = 0x1002;
inline constexpr std::uint64_t kWrongThreadRelease = 0x1004;
inline constexpr std::uint64_t kUnacquiredRelease = 0x1007;
inline constexpr std::uint64_t kMismatchedLockAcquire = 0x1008;
inline constexpr std::uint64_t kMismatchedLockRelease = 0x1009;
/// A spin lock freed (its pool block) while a processor still holds it (Windows 7+).
inline constexpr std::uint64_t kDeletedLockOwned = 0x100B;
/// DDI compliance rule IrqlDispatch: IoWriteErrorLogEntry (and the DMA and device-queue routines
/// it lists) above DISPATCH_LEVEL.
inline constexpr std::uint64_t kIrqlDispatch = 0x00020003;
/// DDI compliance rule IrqlExApcLte3: the executive resource routines above APC_LEVEL.
inline constexpr std::uint64_t kIrqlExApcLte3 = 0x00020007;
/// DDI compliance rule IrqlIoPassive2: IoConnectInterrupt (not IoConnectInterruptEx, which no
/// rule lists) above PASSIVE_LEVEL.
inline constexpr std::uint64_t kIrqlIoPassive = 0x0002000B;
/// DDI compliance rule IrqlIoPassive4: IoDisconnectInterrupt above PASSIVE_LEVEL.
inline constexpr std::uint64_t kIrqlIoPassive4 = 0x0002000D;
/// DDI compliance rule IrqlIoPassive5: IoInitializeTimer (and the other I/O manager routines it
/// lists) above PASSIVE_LEVEL.
inline constexpr std::uint64_t kIrqlIoPassive5 = 0x0002000E;
/// DDI compliance rule IrqlKeDispatchLte: KeSetTimer(Ex), KeCancelTimer, KeResetEvent and the other
/// dispatcher routines it lists above DISPATCH_LEVEL.
inline constexpr std::uint64_t kIrqlKeDispatchLte = 0x00020011;
/// DDI compliance rule IrqlKeReleaseSpinLock: KeReleaseSpinLock's NewIrql is not the IRQL the
/// acquire returned.
inline constexpr std::uint64_t kIrqlKeReleaseSpinLock = 0x00020015;
/// DDI compliance rule IrqlKeSetEvent: KeSetEvent with Wait=TRUE above APC_LEVEL.
inline constexpr std::uint64_t kIrqlKeSetEvent = 0x00020016;
/// DDI compliance rules IrqlObPassive (ObReferenceObjectByHandle), IrqlPsPassive (the Ps thread
/// routines) and IrqlZwPassive (ZwClose): only at PASSIVE_LEVEL.
inline constexpr std::uint64_t kIrqlObPassive = 0x0002001B;
inline constexpr std::uint64_t kIrqlPsPassive = 0x0002001C;
inline constexpr std::uint64_t kIrqlZwPassive = 0x0002001F;
/// DDI compliance rule IrqlRtlPassive: RtlDeleteRegistryValue (the one routine it lists) above
/// PASSIVE_LEVEL.
inline constexpr std::uint64_t kIrqlRtlPassive = 0x0002001E;
// kemu's own sub-codes.
inline constexpr std::uint64_t kUninitializedDpc = 0x4B450001;
inline constexpr std::uint64_t kDisconnectMismatch = 0x4B450002;
inline constexpr std::uint64_t kLeakAtShutdown = 0x4B450003;
inline constexpr std::uint64_t kInvalidInterruptObject = 0x4B450005;
inline constexpr std::uint64_t kDpcReinitializedWhileQueued = 0x4B450006;
inline constexpr std::uint64_t kDpcTargetOutOfRange = 0x4B450007;
inline constexpr std::uint64_t kIsrReturnedHoldingLock = 0x4B450008;
inline constexpr std::uint64_t kInterruptWhileInactive = 0x4B450009;
/// No longer raised: the interrupt spin lock of a passive-level ISR is the documented 0x13B
/// PASSIVE_INTERRUPT_ERROR (bugcheck::kPassiveInterruptError) in every mode.
inline constexpr std::uint64_t kInterruptLockOnPassiveIsr = 0x4B45000A;
inline constexpr std::uint64_t kUnmapUnknownIoSpace = 0x4B45000B;
inline constexpr std::uint64_t kQueuedReleaseThroughOtherHandle = 0x4B45000C;
inline constexpr std::uint64_t kEnumArgumentOutOfRange = 0x4B45000D;
inline constexpr std::uint64_t kDpcReturnedHoldingLock = 0x4B45000E;
inline constexpr std::uint64_t kWaitNeverCompletes = 0x4B45000F;
inline constexpr std::uint64_t kUninitializedDeviceQueue = 0x4B450010;
inline constexpr std::uint64_t kInvalidKernelObject = 0x4B450011;
inline constexpr std::uint64_t kMisalignedSListEntry = 0x4B450012;
inline constexpr std::uint64_t kResourceDeletedWhileOwned = 0x4B450013;
inline constexpr std::uint64_t kResourceConvertedByNonOwner = 0x4B450014;
/// DPC routines that keep queueing each other (across vCPUs) for ever.
inline constexpr std::uint64_t kDpcChainNeverEnds = 0x4B450015;
/// KeRestoreFloatingPointState given a buffer that is not the last unrestored
/// KeSaveFloatingPointState on the vCPU (Windows documents a bug check, not its code).
inline constexpr std::uint64_t kFloatingRestoreMismatch = 0x4B450016;
/// A floating-point save restored at another IRQL than it was saved at, or a save nested at a
/// lower IRQL than the one it nests in (Windows documents a bug check, not its code).
inline constexpr std::uint64_t kFloatingSaveIrqlMismatch = 0x4B450017;
/// An error log entry written or freed that is not a live IoAllocateErrorLogEntry entry.
inline constexpr std::uint64_t kInvalidErrorLogEntry = 0x4B450018;
/// A reader/writer spin lock (EX_SPIN_LOCK) released or converted in a mode the processor does
/// not hold it in.
inline constexpr std::uint64_t kExSpinLockWrongMode = 0x4B450019;
/// A lookaside list's cached entries changed behind its back: the driver wrote into an entry it
/// had freed to the list, or over the list's header.
inline constexpr std::uint64_t kLookasideEntryChanged = 0x4B45001A;
/// ExReleaseRundownProtection(Ex) released more run-down protection than was acquired.
inline constexpr std::uint64_t kRundownReleaseNotAcquired = 0x4B45001B;
/// KeSetPriorityThread with a priority outside 1..31.
inline constexpr std::uint64_t kThreadPriorityOutOfRange = 0x4B45001C;
/// KeSaveExtendedProcessorState with a Mask naming features the system has not enabled
/// (kemu's: Windows documents the rule, not what breaking it does).
inline constexpr std::uint64_t kXStateFeatureNotEnabled = 0x4B45001D;
/// A floating-point or extended-state save still unrestored when the DPC, ISR, work item or
/// thread routine that made it returned (kemu's: Windows documents a bug check, not its code).
inline constexpr std::uint64_t kFloatingSaveOpenAtReturn = 0x4B45001E;
/// An EX_TIMER routine given an argument Microsoft documents as a bug check without naming the
/// code (kemu's): parameter 4 says which rule (ex_timer_rule).
inline constexpr std::uint64_t kExTimerArgument = 0x4B45001F;
/// An EX_TIMER used after ExDeleteTimer finished deleting it: Windows has freed the object.
inline constexpr std::uint64_t kExTimerDeleted = 0x4B450021;
/// MmFreeContiguousMemory(SpecifyCache) given what no contiguous allocation returned, or a size
/// or cache type other than the allocation's (kemu's: Windows documents the rule, not what
/// breaking it does): parameter 3 says which (contiguous_free_rule).
inline constexpr std::uint64_t kContiguousFree = 0x4B450024;
/// A DMA adapter's FreeCommonBuffer given a length, logical address or CacheEnabled other than
/// the allocation's (kemu's: Microsoft documents that they must match, not what breaking it does):
/// parameter 3 says which (common_buffer_free_rule), parameter 4 is the allocation's value.
/// An NMI callback (KeRegisterNmiCallback) broke a rule: parameter 2 is the callback routine,
/// parameter 3 says which (nmi_rule), parameter 4 a value by rule.
inline constexpr std::uint64_t kNmiCallback = 0x4B450022;
inline constexpr std::uint64_t kCommonBufferFree = 0x4B450023;
/// A bitmap routine given a range past the bitmap, or RtlInitializeBitMap a misaligned or too
/// small buffer (kemu's: Microsoft documents the rules, not what breaking them does): parameter 2
/// is the RTL_BITMAP header, parameter 3 says which (bitmap_rule), parameter 4 a value by rule.
inline constexpr std::uint64_t kBitmap = 0x4B450025;
}  // namespace verifier_code

/// Parameter 3 of 0xC4 / kemu 0x4B450023 (kCommonBufferFree): what did not match the allocation.
namespace common_buffer_free_rule {
inline constexpr std::uint64_t kLength = 1;
inline constexpr std::uint64_t kLogicalAddress = 2;
inline constexpr std::uint64_t kCacheEnabled = 3;
}  // namespace common_buffer_free_rule

/// Parameter 1 of 0xE6 DRIVER_VERIFIER_DMA_VIOLATION: the DMA rule broken (Microsoft's codes).
namespace dma_violation {
/// A miscellaneous DMA error; parameter 2 says which (0x1: FlushAdapterBuffers asked to flush
/// past the end of the MDL's buffer: then the bytes the MDL has from CurrentVa on, and the bytes
/// asked).
inline constexpr std::uint64_t kMiscellaneous = 0x00;
inline constexpr std::uint64_t kFlushPastMdlEnd = 0x1;
/// More common buffers freed than allocated (a buffer freed twice); parameter 2: how many more.
inline constexpr std::uint64_t kCommonBufferFreedTwice = 0x03;
/// More adapter channels freed than allocated (FreeAdapterChannel with none held); parameter 2:
/// how many more.
inline constexpr std::uint64_t kAdapterChannelFreedTwice = 0x04;
/// More map registers freed than allocated (FreeMapRegisters of registers not held); parameter 2:
/// how many more.
inline constexpr std::uint64_t kMapRegistersFreedTwice = 0x05;
/// More scatter/gather lists freed than allocated (PutScatterGatherList of a list not held):
/// lists allocated, lists freed (this one included), 0.
inline constexpr std::uint64_t kScatterGatherListFreedTwice = 0x06;
/// PutDmaAdapter with common buffers still allocated: adapter, how many, 0.
inline constexpr std::uint64_t kAdapterReleasedWithCommonBuffers = 0x07;
/// PutDmaAdapter with the adapter channel still allocated: adapter, how many, 0.
inline constexpr std::uint64_t kAdapterReleasedWithAdapterChannels = 0x08;
/// PutDmaAdapter with map registers still allocated: adapter, how many registers, 0.
inline constexpr std::uint64_t kAdapterReleasedWithMapRegisters = 0x09;
/// PutDmaAdapter with scatter/gather lists never put: adapter, how many, 0.
inline constexpr std::uint64_t kAdapterReleasedWithScatterGatherLists = 0x0A;
/// A second adapter channel requested while one is allocated (one per adapter): how many are
/// outstanding.
inline constexpr std::uint64_t kTooManyAdapterChannels = 0x0B;
/// More map registers requested at once than IoGetDmaAdapter gave: required, maximum.
inline constexpr std::uint64_t kTooManyMapRegisters = 0x0C;
/// Map registers were mapped again before FlushAdapterBuffers gave them back: the bytes mapped
/// (this call's included), the most the allocation maps at a time (Verifier only).
inline constexpr std::uint64_t kAdapterBuffersNotFlushed = 0x0D;
/// The driver or the hardware wrote outside its DMA buffer (found at FreeCommonBuffer under
/// Verifier): parameter 2 is a kemu::dma_buffer_corruption code, then the buffer's start and the
/// corrupted byte.
inline constexpr std::uint64_t kWroteOutsideBuffer = 0x0F;
/// Map registers freed (FreeMapRegisters, FreeAdapterChannel, DeallocateObject) while
/// MapTransfer's mappings through them were never flushed: how many registers are mapped
/// (Verifier only).
inline constexpr std::uint64_t kFreedWhileMapped = 0x10;
/// A DMA routine at an improper IRQL: parameter 2 is 0x02 (higher than allowed), then the
/// highest IRQL allowed and the current one.
inline constexpr std::uint64_t kImproperIrql = 0x13;
/// An operation through an adapter already released (or never returned): adapter, 0.
inline constexpr std::uint64_t kReleasedAdapter = 0x18;
/// A NULL DMA adapter passed to a DMA routine.
inline constexpr std::uint64_t kNullAdapter = 0x19;
/// A transfer's range runs past the end of its MDL's buffer: the first address past it, the MDL
/// (Verifier only).
inline constexpr std::uint64_t kAddressOutsideMdl = 0x1B;
/// MapTransfer of a range already mapped through the same map registers and not flushed since:
/// the range's start and end, the first address already mapped (Verifier only).
inline constexpr std::uint64_t kRangeMappedTwice = 0x1D;
/// An invalid DMA buffer: parameter 2 is kBufferBeforeMdl or kBufferAfterMdl, then CurrentVa and
/// the MDL (Verifier only).
inline constexpr std::uint64_t kInvalidDmaBuffer = 0x1F;
inline constexpr std::uint64_t kBufferBeforeMdl = 0x01;
inline constexpr std::uint64_t kBufferAfterMdl = 0x02;
/// FlushAdapterBuffers through map registers the adapter does not hold (never allocated, or
/// freed): the MapRegisterBase, CurrentVa, the MDL (Verifier only).
inline constexpr std::uint64_t kFlushUnmappedRegisters = 0x20;
/// A transfer of zero bytes (MapTransfer, GetScatterGatherList, BuildScatterGatherList): 0
/// (Verifier only).
inline constexpr std::uint64_t kZeroLengthTransfer = 0x21;
/// IoGetDmaAdapter given a DEVICE_DESCRIPTION version it does not know.
inline constexpr std::uint64_t kUnknownDescriptionVersion = 0x25;
}  // namespace dma_violation

/// Parameter 2 of 0xE6 / 0x0F (dma_violation::kWroteOutsideBuffer): where the write landed.
/// Microsoft's codes; kemu guards with padding only, so it reports these two (the tag codes 0x01
/// and 0x02 and the map-register code 0x03 never occur).
namespace dma_buffer_corruption {
/// The padding before the buffer changed: buffer start, corrupted byte.
inline constexpr std::uint64_t kPaddingBefore = 0x04;
/// The padding after the buffer changed: buffer start, corrupted byte.
inline constexpr std::uint64_t kPaddingAfter = 0x05;
}  // namespace dma_buffer_corruption

/// Parameter 3 of 0xC4 / kemu 0x4B450025 (kBitmap): the bitmap rule broken.
namespace bitmap_rule {
/// A bit or range past SizeOfBitMap (parameter 4: the first index past the range).
inline constexpr std::uint64_t kOutOfRange = 1;
/// RtlInitializeBitMap: the buffer is not ULONG-aligned (parameter 4: the buffer).
inline constexpr std::uint64_t kMisalignedBuffer = 2;
/// RtlInitializeBitMap: the pool block holding the buffer is too small for the bits (parameter 4:
/// the bytes the block has from the buffer on).
inline constexpr std::uint64_t kBufferTooSmall = 3;
}  // namespace bitmap_rule

/// Parameter 3 of 0xC4 / kemu 0x4B450022 (kNmiCallback): the NMI callback rule broken.
namespace nmi_rule {
/// It returned at another IRQL than HIGH_LEVEL (parameter 4: the IRQL it returned at).
inline constexpr std::uint64_t kChangedIrql = 1;
/// It returned holding a spin lock it acquired (Driver Verifier only).
inline constexpr std::uint64_t kReturnedHoldingLock = 2;
}  // namespace nmi_rule

/// Parameter 3 of 0xC4 / kemu 0x4B450024 (kContiguousFree): what was wrong with the free.
namespace contiguous_free_rule {
/// No allocation returned the address (a pointer into a block, a stack or static address).
inline constexpr std::uint64_t kUnknown = 0;
/// A pool block: ExFreePool(WithTag) frees it.
inline constexpr std::uint64_t kPoolBlock = 1;
/// MmFreeContiguousMemorySpecifyCache: NumberOfBytes is not the allocation's (parameter 4).
inline constexpr std::uint64_t kBytes = 2;
/// MmFreeContiguousMemorySpecifyCache: CacheType is not the allocation's (parameter 4).
inline constexpr std::uint64_t kCacheType = 3;
/// MmFreeContiguousMemorySpecifyCache given what MmAllocateContiguousMemory returned (its page:
/// the buffer must come from an MmAllocateContiguousMemorySpecifyCacheXxx call).
inline constexpr std::uint64_t kNotSpecifyCache = 4;
/// MmFreeContiguousMemory(SpecifyCache) given a DMA adapter's common buffer: the adapter's
/// FreeCommonBuffer frees it (the adapter must forget it too).
inline constexpr std::uint64_t kCommonBuffer = 5;
}  // namespace contiguous_free_rule

/// Parameter 4 of 0xC4 / kemu 0x4B45001F (kExTimerArgument): the EX_TIMER rule broken.
namespace ex_timer_rule {
/// ExAllocateTimer: EX_TIMER_HIGH_RESOLUTION with EX_TIMER_NO_WAKE, or an unknown bit.
inline constexpr std::uint64_t kAttributes = 1;
/// ExSetTimer: a high-resolution timer given an absolute (non-negative) DueTime.
inline constexpr std::uint64_t kHighResolutionAbsoluteDueTime = 2;
/// ExSetTimer: a Period outside 0..MAXLONG.
inline constexpr std::uint64_t kPeriodOutOfRange = 3;
/// ExSetTimer: a negative NoWakeTolerance other than EX_TIMER_UNLIMITED_TOLERANCE.
inline constexpr std::uint64_t kNegativeNoWakeTolerance = 4;
/// ExSetTimer / ExDeleteTimer: parameters whose Version is not 0.
inline constexpr std::uint64_t kParametersVersion = 5;
/// ExCancelTimer: Parameters not NULL.
inline constexpr std::uint64_t kCancelParameters = 6;
/// ExDeleteTimer: Wait TRUE with Cancel FALSE.
inline constexpr std::uint64_t kWaitWithoutCancel = 7;
}  // namespace ex_timer_rule

/// Parameter-1 sub-codes of 0xC2 BAD_POOL_CALLER: a kernel without Driver Verifier checking pool
/// calls.
namespace bad_pool_caller {
inline constexpr std::uint64_t kZeroBytes = 0x00;
inline constexpr std::uint64_t kAlreadyFreed = 0x07;
inline constexpr std::uint64_t kAllocateAtBadIrql = 0x08;
inline constexpr std::uint64_t kFreeAtBadIrql = 0x09;
inline constexpr std::uint64_t kWrongTag = 0x0A;
inline constexpr std::uint64_t kNeverInAnyPool = 0x42;
inline constexpr std::uint64_t kMustSucceed = 0x9A;  ///< must-succeed pool, no longer offered
inline constexpr std::uint64_t kZeroTag = 0x9B;      ///< a tag of 0
inline constexpr std::uint64_t kBigTag = 0x9C;       ///< the tag "BIG"
inline constexpr std::uint64_t kTagWithoutLettersOrDigits = 0x9D;
}  // namespace bad_pool_caller

/// Parameter-1 sub-codes of 0xE4 WORKER_INVALID.
namespace worker_invalid {
inline constexpr std::uint64_t kActiveItemFreed = 0x0;  ///< in a pool block freed
inline constexpr std::uint64_t kActiveItemQueued = 0x1;
inline constexpr std::uint64_t kQueuedItemFreed = 0x2;  ///< by the I/O work item routines
inline constexpr std::uint64_t kInvalidQueueType = 0x6;
inline constexpr std::uint64_t kInvalidWorkerRoutine = 0x7;
}  // namespace worker_invalid

/// What a machine does when the emulated system crashes.
enum class BugCheckAction {
  kThrow,   ///< throw kemu::BugCheck (default): the driver's frames unwind, the test sees it
  kRecord,  ///< record it in Machine::bug_checks() and go on as a retail kernel would where that
            ///< is defined (e.g. an IRQL direction error); misuse with no defined outcome
            ///< (deadlock, storm) still throws
  kAbort,   ///< print the report on stderr and abort the process
};

/// The Windows symbolic name of a bug-check code ("IRQL_NOT_LESS_OR_EQUAL"), or "" if unknown.
std::string_view BugCheckName(std::uint32_t code);

/// A Windows bug check raised by the emulated kernel.
class BugCheck : public std::exception {
 public:
  BugCheck(std::uint32_t code, std::array<std::uint64_t, 4> parameters, std::string report);

  std::uint32_t code() const { return code_; }
  /// Parameter `index` (0..3), as the debugger shows Arg1..Arg4.
  std::uint64_t parameter(int index) const;
  const std::array<std::uint64_t, 4>& parameters() const { return parameters_; }
  std::string_view name() const { return BugCheckName(code_); }
  /// The human-readable report.
  const char* what() const noexcept override { return report_.c_str(); }
  const std::string& report() const { return report_; }

 private:
  std::uint32_t code_;
  std::array<std::uint64_t, 4> parameters_;
  std::string report_;
};

/// Called for problems found where nothing can be thrown: a Machine destroyed with leaks.
using FailureHandler = void (*)(const BugCheck& failure);

/// Installs `handler` for this thread (nullptr restores the default: report on stderr, then
/// abort) and returns the previous one. kemu::gtest installs one that records a test failure.
FailureHandler SetFailureHandler(FailureHandler handler);

/// Hands `failure` to this thread's FailureHandler.
void ReportFailure(const BugCheck& failure);

}  // namespace kemu

#endif  // KEMU_BUGCHECK_HPP_
