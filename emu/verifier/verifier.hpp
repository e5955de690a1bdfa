// The rules that turn driver misuse into Windows bug checks. Each rule knows the code Driver
// Verifier raises (MachineOptions::verifier), the classic code a checked kernel raises, and
// whether a retail kernel notices at all; model code calls the rule and carries on only if the
// rule returns.
#ifndef KEMU_EMU_VERIFIER_VERIFIER_HPP_
#define KEMU_EMU_VERIFIER_VERIFIER_HPP_

#include <wdm.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kemu/machine.hpp"
#include "verifier/host.hpp"
#include "verifier/lock_order.hpp"
#include "verifier/violation.hpp"

namespace kemu::verifier {

enum class CheckMode {
  kVerifier,  ///< Driver Verifier on: 0xC4 sub-codes
  kChecked,   ///< checked kernel: classic codes
  kRetail,    ///< retail kernel: only what Windows itself cannot survive
};

/// A connection that shares an interrupt spin lock with a higher DIRQL than its SynchronizeIrql
/// (Verifier::InterruptOnHeldLock): the vector it was connected on, its DIRQL and that
/// SynchronizeIrql.
struct LowSynchronizeIrql {
  ULONG vector = 0;
  KIRQL dirql = 0;
  KIRQL synchronize_irql = 0;
};

class Verifier {
 public:
  /// Checks the machine `host` is, in the mode `options` select (verifier, checked or retail).
  Verifier(Host& host, const MachineOptions& options);

  CheckMode mode() const { return mode_; }
  /// Driver Verifier's Deadlock Detection, from Windows XP on: recursive acquires, lock order,
  /// uninitialised locks and releases of locks not held (0xC4 / 0x1000-0x1009). Windows 2000's
  /// Verifier had none of it; there the kernel's own checks (a checked kernel's) apply.
  bool deadlock_detection() const { return deadlock_detection_; }

  // IRQL (rules_irql.cpp).
  /// KeRaiseIrql (or a raise-to routine) asked for a level below the current one.
  void RaiseBelowCurrent(const char* routine, KIRQL current, KIRQL requested);
  /// An IRQL above HIGH_LEVEL was requested; no kernel can continue.
  [[noreturn]] void IrqlOutOfRange(const char* routine, KIRQL current, KIRQL requested);
  /// KeLowerIrql asked for a level above the current one.
  void LowerAboveCurrent(KIRQL current, KIRQL requested);
  /// A DPC routine lowered the IRQL below DISPATCH_LEVEL.
  void LowerInsideDpc(KIRQL current, KIRQL requested);
  /// `routine` requires IRQL <= `maximum`. `verifier_code` is the documented 0xC4 sub-code, or
  /// 0 to use 0xE5 (kernel API called at the wrong IRQL).
  void IrqlAboveMaximum(const char* routine, KIRQL current, KIRQL maximum,
                        std::uint64_t verifier_code = 0);
  /// `routine` requires IRQL >= `minimum` (the device-queue routines: exactly DISPATCH_LEVEL).
  void IrqlBelowMinimum(const char* routine, KIRQL current, KIRQL minimum);
  /// A routine at an IRQL it does not allow (above `limit` when `above`, else below it) for which
  /// Driver Verifier has a sub-code of its own: 0xC4 / `code` with Arg2-Arg4 `arguments` (named
  /// by `names`, Arg1's first) under Verifier on a release that checks it (`has_code`); otherwise
  /// what IrqlAboveMaximum / IrqlBelowMinimum give. Returns only under kRecord or where nothing
  /// looks.
  void IrqlRuleWithCode(const char* routine, KIRQL current, KIRQL limit, bool above, bool has_code,
                        std::uint64_t code, const std::array<std::uint64_t, 3>& arguments,
                        const std::array<const char*, 4>& names);
  /// PAGED_CODE() ran above APC_LEVEL.
  [[noreturn]] void PagedCodeAtRaisedIrql(const char* file, int line, KIRQL current);
  /// A driver ASSERT failed.
  [[noreturn]] void AssertionFailed(const char* expression, const char* file, int line);
  /// DbgBreakPoint (or KdBreakPoint) with no kernel debugger attached.
  [[noreturn]] void BreakPoint(const char* routine);
  /// The driver called KeBugCheck(Ex).
  [[noreturn]] void DriverBugCheck(std::uint32_t code, const std::uint64_t (&parameters)[4]);
  /// The kernel calls `routine_field` of the `object_kind` at `object` at `irql`, and it is NULL:
  /// 0xD1 (0, IRQL, 8 execute, 0) at DISPATCH_LEVEL and above, else the access violation 0x1E.
  [[noreturn]] void CallThroughNull(const char* routine_field, const char* object_kind,
                                    const void* object, KIRQL irql);
  /// A NULL pointer where the routine dereferences one.
  [[noreturn]] void NullArgument(const char* routine, const char* parameter);
  /// Windows never maps the first 64 KiB, so a pointer there (NULL, or a member of a NULL
  /// structure pointer: &Extension->Event) is an access violation when the kernel dereferences it.
  static constexpr std::uintptr_t kNullPageEnd = 0x10000;
  /// `routine` dereferences `pointer` (its `parameter`): the access violation (0x1E, or 0xA at
  /// DISPATCH_LEVEL and above) when it lies in the first 64 KiB; one compare otherwise.
  void Dereferenced(const char* routine, const volatile void* pointer, const char* parameter) {
    if (reinterpret_cast<std::uintptr_t>(pointer) < kNullPageEnd) [[unlikely]] {
      NullPageArgument(routine, parameter, reinterpret_cast<std::uintptr_t>(pointer));
    }
  }
  /// A routine pointer the kernel keeps to call later: only NULL is refused here (the call
  /// through it is checked where it happens).
  template <typename Result, typename... Args>
  void Dereferenced(const char* routine, Result (*function)(Args...), const char* parameter) {
    if (function == nullptr) [[unlikely]]
      NullArgument(routine, parameter);
  }
  /// Dereferenced's report: NullArgument for NULL itself.
  [[noreturn]] void NullPageArgument(const char* routine, const char* parameter,
                                     std::uintptr_t address);
  /// `routine` reads `bytes` bytes of `parameter`, and the host has no readable memory at
  /// `address` among them: the access violation (0x1E, or 0xA at DISPATCH_LEVEL and above) the
  /// kernel's copy would take, rather than kemu's own process faulting.
  [[noreturn]] void UnreadableArgument(const char* routine, const char* parameter,
                                       std::uint64_t bytes, std::uint64_t address);

  // Spin locks (rules_spinlock.cpp).
  void AcquireAboveDispatch(const char* routine, PKSPIN_LOCK lock, KIRQL current);
  void AtDpcLevelBelowDispatch(const char* routine, PKSPIN_LOCK lock, KIRQL current,
                               bool acquiring);
  void ReleaseNotAtDispatch(const char* routine, PKSPIN_LOCK lock, KIRQL current, bool queued,
                            KIRQL old_irql);
  /// `freed_block`: where the lock lay if it is in pool the driver freed (Pool::DescribeFreed), or
  /// "".
  [[noreturn]] void AcquireUninitialized(const char* routine, PKSPIN_LOCK lock,
                                         const std::string& freed_block = "");
  /// Returns only in retail mode for KeTryToAcquireSpinLockAtDpcLevel (which then fails).
  void AcquireOwnedBySelf(const char* routine, PKSPIN_LOCK lock, bool try_only);
  /// An interrupt became deliverable to vCPU `cpu`, which holds the interrupt's spin lock `lock`
  /// at `irql`, below the interrupt's `dirql`: its dispatch would spin on a lock its own processor
  /// holds. `low`: a connection sharing the lock whose SynchronizeIrql is that low (the cause),
  /// else the holder lowered its IRQL.
  [[noreturn]] void InterruptOnHeldLock(PKSPIN_LOCK lock, unsigned cpu, KIRQL irql, ULONG vector,
                                        KIRQL dirql, std::optional<LowSynchronizeIrql> low);
  void ReleaseNotOwned(const char* routine, PKSPIN_LOCK lock);
  /// KeReleaseSpinLock was given `new_irql`, not the `old_irql` its KeAcquireSpinLock returned:
  /// DDI compliance rule IrqlKeReleaseSpinLock (0xC4 / 0x20015) under Verifier from Windows 8 on;
  /// nothing otherwise (the kernel lowers to what it is given).
  void ReleaseToOtherIrql(const char* routine, PKSPIN_LOCK lock, KIRQL new_irql, KIRQL old_irql);
  /// `routine` freed the pool block [begin, end) while `lock` in it (`kind`: "spin lock",
  /// "reader/writer spin lock") is held by `owner_thread`: 0xC4 / 0x100B under Verifier's
  /// deadlock detection from Windows 7 on; nothing otherwise.
  void FreedHeldLock(const char* routine, const void* lock, const char* kind,
                     std::uintptr_t owner_thread, const void* begin, const void* end);
  /// `routine` initialised the `kind` at `object` in paged pool (`where`: the block): Force IRQL
  /// Checking's 0xC4 / 0xE1 under Verifier from Vista on; nothing otherwise.
  void SyncObjectPageable(const char* routine, const char* kind, const void* object,
                          const std::string& where);
  void ReleaseByOtherProcessor(const char* routine, PKSPIN_LOCK lock, std::uintptr_t owner_thread,
                               std::uintptr_t current_thread);
  void MismatchedLockApi(const char* routine, PKSPIN_LOCK lock, bool acquiring,
                         const char* lock_kind);
  /// An in-stack queued lock released through a KLOCK_QUEUE_HANDLE other than the one its acquire
  /// was given (a copy). `acquired_with` is that handle's address; it is never dereferenced.
  [[noreturn]] void QueuedReleaseThroughOtherHandle(const char* routine, PKSPIN_LOCK lock,
                                                    const void* passed,
                                                    std::uintptr_t acquired_with);

  // Reader/writer spin locks (rules_ex_spinlock.cpp). The ordinary rules above serve them too,
  // given the EX_SPIN_LOCK's address (IRQL, recursion, a release by a vCPU that does not hold it).
  /// First use of a lock whose word is not zero (there is no initialisation routine: zero is
  /// free): 0xC4 / 0x1002 under Verifier, 0xF SPIN_LOCK_ALREADY_OWNED otherwise.
  [[noreturn]] void ExSpinLockNotZeroed(const char* routine, const void* lock, LONG word);
  /// `routine` needs the running vCPU to hold `lock` in mode `wanted` (1 shared, 2 exclusive),
  /// and it holds it in mode `held` (0: not at all). A release (`release`): 0xC4 / 0x1009 under
  /// Verifier, kemu's 0xC4 / 0x4B450019 otherwise; ExTryConvertSharedSpinLockExclusive: kemu's
  /// 0xC4 / 0x4B450019 in every mode. Returns only under kRecord.
  void ExSpinLockWrongMode(const char* routine, const void* lock, unsigned held, unsigned wanted,
                           bool release);

  // Concurrent vCPUs (rules_concurrency.cpp). `contexts` says what every vCPU runs, holds and
  // waits for (Scheduler::DescribeContexts).
  /// `waiter` spins on `lock` and nothing can ever release it: every vCPU that could is waiting
  /// too, or the lock's owner is parked by the test. `waiter` names who spins: "vCPU 1", or the
  /// system thread on it (Host::RunningContext).
  [[noreturn]] void SpinLockDeadlock(PKSPIN_LOCK lock, const std::string& waiter,
                                     const std::vector<std::string>& contexts);
  /// `waiter` (on vCPU `cpu`, or last on it for a system thread that gave it back) waits for
  /// `what` (KeFlushQueuedDpcs, ...), and no vCPU can ever provide it.
  [[noreturn]] void WaitNeverCompletes(unsigned cpu, const std::string& waiter,
                                       const std::string& what,
                                       const std::vector<std::string>& contexts);

  // Lock order: Driver Verifier's deadlock detection (rules_lock_order.cpp). Each records only
  // under Verifier.
  /// The running vCPU, `cpu`, took `lock` in `routine` (the lock is already its own) at trace
  /// event `sequence`; `waited` is false for KeTryToAcquireSpinLockAtDpcLevel, the one acquire
  /// that gives up instead of spinning. Bug-checks 0xC4 / 0x1001 when that inverts an order
  /// recorded before; returns only under kRecord. The caller passes what it knows already: this
  /// runs on every acquire.
  void LockAcquired(const char* routine, PKSPIN_LOCK lock, unsigned cpu, std::uint64_t sequence,
                    bool waited = true) {
    if (mode_ != CheckMode::kVerifier) return;
    // Inline for the common case, a lock taken with no other held: nothing can be out of order.
    if (lock_order_.AcquiredAlone(cpu, reinterpret_cast<std::uintptr_t>(lock), routine, sequence)) {
      return;
    }
    LockAcquiredWhileHolding(routine, lock, cpu, sequence, waited);
  }
  /// `cpu` (the running vCPU) released `lock`.
  void LockReleased(PKSPIN_LOCK lock, unsigned cpu) {
    if (mode_ != CheckMode::kVerifier) return;
    lock_order_.Released(reinterpret_cast<std::uintptr_t>(lock), cpu);
  }
  /// KeInitializeSpinLock: whatever lived at this address before had its own order.
  void LockInitialized(PKSPIN_LOCK lock);
  /// Mutexes (kernel, fast, guarded; `kind` names which), held by threads: `thread`, running on
  /// vCPU `cpu`, is about to wait for `mutex` in `routine`. Records the order against the mutexes
  /// the thread holds and bug-checks 0xC4 / 0x1001 when it inverts one already seen (Driver
  /// Verifier's deadlock detection covers mutexes too); returns only under kRecord. Called for
  /// an acquire that waits, not for a try.
  void MutexOrder(const char* routine, const char* kind, const void* mutex, std::uintptr_t thread,
                  unsigned cpu, std::uint64_t sequence);
  /// `thread` owns `mutex` from now on (its first acquisition; a kernel mutex's recursive ones do
  /// not count), taken by `routine` at trace event `sequence`.
  void MutexHeld(const void* mutex, std::uintptr_t thread, const char* routine,
                 std::uint64_t sequence) {
    if (mode_ != CheckMode::kVerifier) return;
    lock_order_.MutexHeld(thread, reinterpret_cast<std::uintptr_t>(mutex), routine, sequence);
  }
  /// `thread` released `mutex` for the last time: it is free.
  void MutexReleased(const void* mutex, std::uintptr_t thread) {
    if (mode_ != CheckMode::kVerifier) return;
    lock_order_.MutexReleased(thread, reinterpret_cast<std::uintptr_t>(mutex));
  }
  /// A mutex initialised: a new object with no order, held by nobody.
  void MutexInitialized(const void* mutex);
  /// Pool in [begin, end) was freed: forget the order of the locks in it.
  void LocksFreed(const void* begin, const void* end);
  /// A DPC routine returned with more locks held than it was called with; `started` is the trace
  /// sequence before it ran. Returns without Verifier: the locks stay held by the vCPU.
  void DpcReturnedHoldingLock(PKDPC dpc, std::uint64_t started);

  // DPCs (rules_dpc.cpp).
  [[noreturn]] void UninitializedDpc(const char* routine, PKDPC dpc);
  /// Returns without Verifier: the DPC stays queued with its new routine and context.
  void DpcReinitializedWhileQueued(PKDPC dpc);
  /// A DPC routine returned at `irql`, not at the IRQL it was called at (`expected`:
  /// DISPATCH_LEVEL, or PASSIVE_LEVEL for a threaded DPC run as one): 0xC8.
  [[noreturn]] void DpcReturnedAtWrongIrql(PKDPC dpc, KIRQL irql, KIRQL expected);
  /// A DPC routine returned having changed its thread's APC disable count (`before`, `after`:
  /// critical regions entered plus kernel mutexes owned): 0xC7 / 4 in every mode.
  [[noreturn]] void DpcChangedApcDisable(PKDPC dpc, unsigned before, unsigned after);
  [[noreturn]] void DpcWatchdog(std::uint64_t dpcs_run);
  /// A DPC queued by the last of `chain` DPC routines in a row, each queued by the one before:
  /// DPCs that keep queueing each other (across vCPUs) never let the machine settle.
  [[noreturn]] void DpcChainNeverEnds(PKDPC dpc, std::uint64_t chain);
  /// An ISR or DPC routine ran past the DPC watchdog's allotment (`used_us` of `limit_us`, run
  /// time as model/allotment.hpp counts it): 0x133 with Arg1 0. `threaded`: a threaded DPC run at
  /// PASSIVE_LEVEL.
  [[noreturn]] void RoutineOverran(const void* routine, const void* object, bool isr, bool threaded,
                                   std::uint64_t used_us, std::uint64_t limit_us);
  /// Returns without Verifier: the number is stored, and QueuedOnMissingProcessor ends the
  /// KeInsertQueueDpc that uses it.
  void TargetProcessorOutOfRange(PKDPC dpc, unsigned processor, unsigned count);
  /// KeInsertQueueDpc for a DPC whose target processor does not exist.
  [[noreturn]] void QueuedOnMissingProcessor(PKDPC dpc, unsigned processor, unsigned count);
  /// The KDPC kemu is about to run, or the KTIMER it is about to expire (`timer`), no longer
  /// holds what KeInitializeDpc / KeSetTimer wrote: its memory was reused while it was queued or
  /// set, most likely a stack frame its routine left. `dpc` and `routine` are what kemu recorded
  /// (for a timer, its DPC and that DPC's routine). 0xC7 / 1 (a KDPC) or 0 (a KTIMER) in every
  /// mode: calling through the overwritten routine would crash the test program
  /// (rules_overwritten.cpp).
  [[noreturn]] void TimerOrDpcOverwritten(const void* object, bool timer, PKDPC dpc,
                                          PKDEFERRED_ROUTINE routine);

  // Interrupts (rules_interrupt.cpp).
  [[noreturn]] void InvalidInterruptObject(const char* routine, const void* pointer,
                                           bool disconnected);
  /// Returns unless Driver Verifier is on (kernels without it behave as ReactOS: disconnect).
  void DisconnectMismatch(const char* routine, ULONG passed, ULONG connected, const void* context);
  /// `passed` is part of an interrupt connection (`what` says which part) but not the handle its
  /// connect returned (`handle`), which the routine needs. Verifier only; lenient otherwise.
  void ConnectionPartPassed(const char* routine, const void* passed, const void* handle,
                            const std::string& what);
  [[noreturn]] void IsrChangedIrql(const KINTERRUPT& interrupt, KIRQL before, KIRQL after);
  /// Returns without Verifier: the lock stays held by the vCPU.
  void IsrReturnedHoldingLock(const KINTERRUPT& interrupt);
  /// `deliveries`: ISR passes in the burst so far; `source`: which device keeps it firing.
  [[noreturn]] void InterruptStorm(const KINTERRUPT& first, bool chained, std::uint64_t deliveries,
                                   const std::string& source);
  [[noreturn]] void InterruptWhileInactive(const KINTERRUPT& interrupt);
  [[noreturn]] void InterruptLockOnPassiveIsr(const char* routine, const KINTERRUPT& interrupt);

  // Device register and port space (rules_io.cpp).
  /// MmMapIoSpace above DISPATCH_LEVEL.
  void MapIoSpaceAboveDispatch(KIRQL current, std::uint64_t physical, std::uint64_t bytes);
  /// MmUnmapIoSpace of an address (or size) no mapping has; `mapped_bytes` is the size of the
  /// mapping at that address, 0 when there is none.
  [[noreturn]] void UnmapUnknownIoSpace(const void* address, std::uint64_t bytes,
                                        std::uint64_t mapped_bytes);
  /// READ_/WRITE_REGISTER_* on an address no MmMapIoSpace mapping covers; `why` says what the
  /// driver did wrong (read a mapping it unmapped, overran one, never mapped the range).
  [[noreturn]] void UnmappedRegisterAccess(std::uintptr_t address, unsigned width, bool write,
                                           const std::string& why);

  // Pool (rules_pool.cpp). Each returns only where a kernel carries on (kRecord, or a retail
  // kernel that does not check).
  void PoolAllocateAtBadIrql(const char* routine, KIRQL current, std::uint32_t type,
                             std::uint64_t bytes, bool paged);
  void PoolZeroBytes(const char* routine, KIRQL current, std::uint32_t type, ULONG tag);
  /// NonPagedPoolMustSucceed (or its cache-aligned form): 0xC2 / 0x9A from Windows XP on, in
  /// every mode; Windows 2000 still had a must-succeed reserve.
  void PoolMustSucceed(const char* routine, std::uint32_t type, SIZE_T bytes, ULONG tag);
  /// An allocation that raises on failure failed; no driver handler can catch it in kemu.
  [[noreturn]] void PoolAllocationRaised(const char* routine, std::uint64_t bytes, ULONG tag);
  void PoolFreeAtBadIrql(const char* routine, KIRQL current, std::uint32_t type, const void* block,
                         bool paged);
  void PoolDoubleFree(const char* routine, const void* block);
  /// Special pool (Verifier only): the driver wrote past the end of `block` (the first changed
  /// byte at `corrupted`). 0xC1 / 0x24. Returns only under kRecord.
  void PoolOverrun(const char* routine, const void* block, const void* corrupted, SIZE_T bytes,
                   ULONG tag);
  /// Special pool (Verifier only): the driver wrote before the start of `block` (the changed byte
  /// nearest the block at `corrupted`). 0xC1 / 0x23. Returns only under kRecord.
  void PoolUnderrun(const char* routine, const void* block, const void* corrupted, SIZE_T bytes,
                    ULONG tag);
  void PoolFreeUnknown(const char* routine, const void* block);
  /// ExFreePool(WithTag) of memory MmAllocateContiguousMemory(SpecifyCache) returned: not pool.
  void PoolFreeOfContiguous(const char* routine, const void* block, const char* allocator);
  /// MmFreeContiguousMemory(SpecifyCache) of something else, or with a size or cache type other
  /// than the allocation's (`rule`: kemu::contiguous_free_rule; `expected`: the allocation's).
  void ContiguousFreeMismatch(const char* routine, const void* block, std::uint64_t rule,
                              std::uint64_t expected);
  /// DMA adapters (0xE6 DRIVER_VERIFIER_DMA_VIOLATION, kemu::dma_violation; rules_dma.cpp).
  [[noreturn]] void DmaNullAdapter(const char* routine);
  [[noreturn]] void DmaReleasedAdapter(const char* routine, const void* adapter, bool released);
  void DmaImproperIrql(const char* routine, KIRQL maximum, KIRQL current);
  [[noreturn]] void DmaUnknownDescriptionVersion(const char* routine, ULONG version);
  /// An NMI no callback handled: 0x80 NMI_HARDWARE_FAILURE (the HAL's default handler). Returns
  /// only under kRecord.
  void UnhandledNmi(unsigned cpu, unsigned registered);
  /// NMI callbacks: 0xC4 / kemu 0x4B450022 with the rule broken (model/nmi_callbacks.hpp).
  [[noreturn]] void NmiCallbackChangedIrql(const void* routine, KIRQL after);
  /// Verifier only; returns otherwise.
  void NmiCallbackReturnedHoldingLock(const void* routine);
  /// Bitmaps (RTL_BITMAP): 0xC4 / kemu 0x4B450025 with the rule broken.
  [[noreturn]] void BitmapOutOfRange(const char* routine, const void* header, ULONG start,
                                     std::uint64_t count);
  [[noreturn]] void BitmapBufferMisaligned(const char* routine, const void* header,
                                           const void* buffer);
  [[noreturn]] void BitmapBufferTooSmall(const char* routine, const void* header, ULONG bits,
                                         std::uint64_t available);
  /// `owner`: another adapter whose common buffer it is, or nullptr.
  [[noreturn]] void DmaCommonBufferFreedTwice(const char* routine, const void* virtual_address,
                                              const void* owner);
  void DmaAdapterReleasedWithCommonBuffers(const char* routine, const void* adapter,
                                           std::size_t buffers);
  /// Packet-based DMA and scatter/gather lists (rules_dma_transfer.cpp). A release or free of
  /// what the adapter does not hold: 0xE6 / 0x04, 0x05 (`count` registers) or 0x06 (the lists
  /// the adapter allocated and freed, this one included).
  [[noreturn]] void DmaAdapterChannelFreedTwice(const char* routine, const void* adapter);
  [[noreturn]] void DmaMapRegistersFreedTwice(const char* routine, const void* map_register_base,
                                              ULONG count);
  [[noreturn]] void DmaScatterGatherListFreedTwice(const char* routine, const void* list,
                                                   std::uint64_t allocated, std::uint64_t freed);
  /// PutDmaAdapter with `count` of what `code` names still held (0xE6 / 0x08 adapter channels,
  /// 0x09 map registers, 0x0A scatter/gather lists). Returns only under kRecord.
  void DmaAdapterReleasedWithTransfers(const char* routine, const void* adapter, std::uint64_t code,
                                       std::uint64_t count);
  /// AllocateAdapterChannel while the adapter's channel is allocated (0xE6 / 0x0B).
  [[noreturn]] void DmaTooManyAdapterChannels(const char* routine, const void* adapter);
  /// FlushAdapterBuffers for `asked` bytes where the MDL has `left` from CurrentVa on (0xE6 /
  /// 0x00 / 0x1).
  [[noreturn]] void DmaFlushPastMdlEnd(const char* routine, std::uint64_t left,
                                       std::uint64_t asked);
  /// DMA verification's transfer checks (Verifier only: the caller checks the mode). A transfer
  /// of zero bytes (0x21); CurrentVa before or after its MDL's buffer (0x1F, `after`); a range
  /// running past its end (0x1B, `past` the first address beyond it).
  [[noreturn]] void DmaZeroLengthTransfer(const char* routine);
  [[noreturn]] void DmaBufferOutsideMdl(const char* routine, const void* current_va,
                                        const void* mdl, bool after);
  [[noreturn]] void DmaRangePastMdl(const char* routine, const void* past, const void* mdl,
                                    std::uint64_t length);
  /// MapTransfer of [start, end) while `mapped` is mapped through the same registers (0x1D).
  [[noreturn]] void DmaRangeMappedTwice(const char* routine, const void* start, const void* end,
                                        const void* mapped);
  /// MapTransfer needing more registers than the allocation has unflushed (0x0D): `bytes` would
  /// be mapped, `most` fit at a time.
  [[noreturn]] void DmaBuffersNotFlushed(const char* routine, std::uint64_t bytes,
                                         std::uint64_t most);
  /// Map registers given back with `registers` of them still mapped (0x10).
  [[noreturn]] void DmaFreedWhileMapped(const char* routine, const void* map_register_base,
                                        std::uint64_t registers);
  /// FlushAdapterBuffers through map registers the adapter does not hold (0x20).
  [[noreturn]] void DmaFlushUnmappedRegisters(const char* routine, const void* map_register_base,
                                              const void* current_va, const void* mdl);
  /// AllocateAdapterChannel for more map registers than IoGetDmaAdapter gave (0xE6 / 0x0C).
  /// Returns only under kRecord.
  void DmaTooManyMapRegisters(const char* routine, ULONG required, ULONG maximum);
  /// DMA verification (Verifier only): the padding around a common buffer changed, before it
  /// (`before`) or after it, first at `corrupted`. 0xE6 / 0x0F. Returns only under kRecord.
  void DmaCommonBufferCorrupted(const char* routine, const void* buffer, const void* corrupted,
                                SIZE_T bytes, bool before);
  /// FreeCommonBuffer with a length, logical address or CacheEnabled other than the allocation's
  /// (kemu 0x4B450023; `rule`: kemu::common_buffer_free_rule; `expected`: the allocation's).
  void CommonBufferFreeMismatch(const char* routine, const void* virtual_address,
                                std::uint64_t rule, std::uint64_t expected);
  /// PoolOverrun's report for any special-pool block: `what` names it ("the 64-byte pool block
  /// at 0x... (tag 'Nic ')").
  void SpecialPoolOverrun(const char* routine, const void* block, const void* corrupted,
                          const std::string& what);
  // Freed special pool (Verifier only; rules_freed_pool.cpp). `block` describes the freed block.
  /// `routine` was given `parameter` = `address`, inside a freed block. 0xD5, a read.
  [[noreturn]] void FreedPoolReferenced(const char* routine, const char* parameter,
                                        std::uint64_t address, const std::string& block);
  /// `parameter`'s value is poison: the driver read it out of freed pool at `read_from` (0 when
  /// the block has left the quarantine since). 0xD5, a read.
  [[noreturn]] void FreedPoolValuePassed(const char* routine, const char* parameter,
                                         std::uint64_t value, std::uint64_t read_from,
                                         const std::string& block);
  /// Instrumented driver code is about to read or write (`write`) `address`, `offset` bytes into
  /// the freed `block`. 0xD5 at the access, as special pool faults there.
  /// `pc`: the instrumented access's return address in the driver (0: unknown), named in the
  /// report by source line and routine and given as Arg3.
  [[noreturn]] void FreedPoolAccessed(std::uint64_t address, bool write, std::uint64_t offset,
                                      const std::string& block, std::uintptr_t pc = 0);
  /// Instrumented driver code is about to access `address`, a poison value it read out of freed
  /// pool at `read_from` (0 when the block has left the quarantine) and used as a pointer. 0xD5,
  /// a read at `read_from`: Windows faults on the read that fetched it.
  [[noreturn]] void FreedPoolPoisonFollowed(std::uint64_t address, bool write,
                                            std::uint64_t read_from, const std::string& block,
                                            std::uintptr_t pc = 0);
  /// A byte of a freed block (`changed`) differs from its poison when `routine` releases the
  /// block from the quarantine: the driver wrote to freed pool. 0xD5, a write. Returns only under
  /// kRecord.
  void FreedPoolWritten(const char* routine, const void* changed, const std::string& block);
  /// `routine` found no kernel object of the kind it needs (`expected`) at `object` because the
  /// memory there is pool the driver freed (maybe while `routine` ran, from a DPC or another
  /// vCPU). In special pool's quarantine (`quarantined`) the bytes are poison and Windows' special
  /// pool faults on the access: 0xD5, a read. Otherwise the block went back to the host: kemu's
  /// 0xC4 / 0x4B450011 as for any invalid object, naming the free, since Windows reads whatever
  /// the memory holds now. In every mode.
  [[noreturn]] void KernelObjectInFreedPool(const char* routine, const char* expected,
                                            const void* object, const std::string& block,
                                            bool quarantined);
  /// Driver Verifier's pool tracking (Verifier only): a tag that would make the allocation
  /// untrackable, 0, "BIG" or one with no letter or digit, is 0xC2 / 0x9B, 0x9C or 0x9D.
  void PoolTagUntrackable(const char* routine, std::uint32_t type, SIZE_T bytes, ULONG tag);
  void PoolFreeWrongTag(const char* routine, const void* block, ULONG allocated_tag,
                        ULONG freeing_tag, bool protected_block);
  /// A pool block being freed holds a set KTIMER (`timer`) or a queued KDPC: 0xC4 / 0x15 for a
  /// timer under Verifier, else 0xC7 TIMER_OR_DPC_INVALID. Stops in every mode: the object would
  /// fire from freed memory.
  [[noreturn]] void TimerOrDpcInFreedPool(const char* routine, const void* object, bool timer,
                                          std::uint32_t type, const void* begin, const void* end);
  /// Driver Verifier's pool tracking at unload: only pool was left behind.
  [[noreturn]] void PoolLeakedAtShutdown(const std::vector<std::string>& blocks,
                                         std::uint64_t first_block);

  /// A lookaside list initialized while it is live: 0xC4 / 0xCA (list) under Verifier (Vista+);
  /// returns otherwise (the list starts again empty, its cached entries lost to the driver).
  void LookasideReinitialized(const char* routine, const void* list);
  /// A lookaside list deleted that is not initialized: 0xC4 / 0xCB (list) under Verifier
  /// (Vista+); kemu 0x4B450011 otherwise (Windows would work on whatever the memory holds).
  [[noreturn]] void DeleteUninitializedLookaside(const char* routine, const void* list,
                                                 const char* expected);
  /// A lookaside list for entries smaller than LOOKASIDE_MINIMUM_BLOCK_SIZE: 0xC4 / 0xCD (list,
  /// size, minimum) under Verifier (Vista+); returns otherwise (a free would write the list's
  /// link past such an entry).
  void LookasideBlockTooSmall(const char* routine, const void* list, std::uint64_t size,
                              std::uint64_t minimum);
  /// A pool block being freed holds a lookaside list never deleted: 0xC4 / 0xCC (list, block,
  /// size) under Verifier (Vista+); returns otherwise (the list is forgotten).
  void LookasideInFreedPool(const char* routine, const void* list, const void* block,
                            std::uint64_t bytes);

  // Floating-point state (rules_floating.cpp). Windows documents a bug check for each, not its
  // code: kemu's sub-codes, in every mode.
  /// KeRestoreFloatingPointState with `buffer`, which is not the last unrestored save on the vCPU
  /// (`last`, saved at trace event `saved_at`; nullptr when none is).
  [[noreturn]] void FloatingRestoreMismatch(const char* routine, const void* buffer,
                                            const void* last, std::uint64_t saved_at);
  /// A restore (`nested` false) at `current` of a save made at `saved`, or a save (`nested` true)
  /// at `current` inside one made at the higher `saved`.
  [[noreturn]] void FloatingIrqlMismatch(const char* routine, const void* buffer, KIRQL current,
                                         KIRQL saved, bool nested);
  /// KeSaveExtendedProcessorState with a `mask` naming features outside `enabled`.
  [[noreturn]] void XStateFeatureNotEnabled(const void* buffer, std::uint64_t mask,
                                            std::uint64_t enabled);
  /// `kind` ("DPC routine" ...) at `routine` returned with the save into `buffer` (made at
  /// `irql`, trace event `saved_at`) not restored. Returns only under kRecord.
  void FloatingSaveOpenAtReturn(const char* kind, std::uintptr_t routine, const void* buffer,
                                KIRQL irql, std::uint64_t saved_at);

  // System-allocated timers (rules_ex_timer.cpp).
  /// `routine` broke EX_TIMER rule `rule` (kemu::ex_timer_rule) with `value` on `timer` (nullptr
  /// for ExAllocateTimer): 0xC4 / kemu 0x4B45001F. Returns only under kRecord.
  void ExTimerArgument(const char* routine, const void* timer, std::uint64_t value,
                       std::uint64_t rule);
  /// `routine` was given an EX_TIMER whose deletion had finished: 0xC4 / kemu 0x4B450021.
  /// Returns only under kRecord.
  void ExTimerDeleted(const char* routine, const void* timer);

  // Device queues (rules_queue.cpp).
  /// A KDEVICE_QUEUE whose Type/Size KeInitializeDeviceQueue did not write. Returns only on a
  /// retail kernel, which works with the structure as it is.
  void UninitializedDeviceQueue(const char* routine, const KDEVICE_QUEUE* queue);

  // Doubly linked lists (rules_list.cpp).
  /// An ExInterlocked list routine met a link no processor can follow (null, or not canonical:
  /// the checked kernel's poison in an entry already removed): 0x1E in every mode.
  [[noreturn]] void ListLinkFaults(const char* routine, const void* head, std::uint64_t link);
  /// Windows 8 and later: the links around `entry` disagree (an entry inserted twice, or used
  /// after its removal). 0x139 KERNEL_SECURITY_CHECK_FAILURE / 3 in every mode.
  [[noreturn]] void CorruptListEntry(const char* routine, const void* head, const void* entry);
  /// The inline list routines of a driver built for Windows 8 or later (FatalListEntryError):
  /// `neighbour` of `entry` links to `link` instead of back. 0x139 / 3 in every mode.
  [[noreturn]] void ListLinksDisagree(const void* entry, const void* neighbour, const void* link);
  /// RtlFailFast(code): 0x139 KERNEL_SECURITY_CHECK_FAILURE with `code`, in every mode.
  [[noreturn]] void FailFast(std::uint64_t code);
  /// KeInitialize{Event,Semaphore,Mutex,Timer(Ex)} (`routine`) on the `kind` at `object`, which
  /// `waiter` (a wait routine's name) still waits on: the new header's empty wait list orphans the
  /// wait block, which corrupts the list when it is unlinked. 0x139 / 3 in every mode, at the
  /// initialisation.
  [[noreturn]] void ObjectInitializedWhileWaitedOn(const char* routine, const char* kind,
                                                   const void* object, const char* waiter);

  // Sequenced lists (rules_list.cpp).
  /// An SLIST_HEADER not 16-byte aligned: the x64 compare-exchange faults (0x1E in every mode).
  [[noreturn]] void MisalignedSListHeader(const char* routine, const void* head);
  /// An SLIST_ENTRY pushed at an address not 16-byte aligned. Windows would lose its low four bits
  /// and corrupt memory later; kemu stops in every mode.
  [[noreturn]] void MisalignedSListEntry(const char* routine, const void* head, const void* entry);
  /// A lookaside list's cached entries no longer link as kemu left them: the driver wrote into
  /// `entry` (found linking to `link` where kemu left `expected`) after freeing it to `list`, or
  /// overwrote the list's header (`entry` is then the header). Windows follows the link it finds;
  /// kemu stops in every mode: kemu's 0xC4 / 0x4B45001A.
  [[noreturn]] void LookasideEntryChanged(const char* routine, const void* list, const void* entry,
                                          const void* link, const void* expected);

  /// ExReleaseRundownProtection(Ex) of `released` references on `ref`, which holds only `held`.
  /// Windows' count would wrap and the run-down never end (UNCONFIRMED); kemu stops in every
  /// mode: kemu's 0xC4 / 0x4B45001B (rules_sync_objects.cpp).
  [[noreturn]] void RundownReleaseNotAcquired(const char* routine, const void* ref,
                                              std::uint64_t held, std::uint64_t released);

  /// KeSetPriorityThread on `thread` with `priority` outside 1..31 (0 is the system's). A checked
  /// Windows asserts, a retail one stores it (UNCONFIRMED); kemu stops in every mode: kemu's
  /// 0xC4 / 0x4B45001C (rules_threads.cpp).
  [[noreturn]] void ThreadPriorityOutOfRange(const char* routine, const void* thread,
                                             KPRIORITY priority);

  // Events, waits, critical regions and work items (rules_wait.cpp).
  /// A routine was given something that is not the kind of object it needs (`expected`), or one
  /// never initialized. Windows would corrupt memory; kemu stops in every mode.
  [[noreturn]] void InvalidKernelObject(const char* routine, const char* expected,
                                        const void* object);
  /// KeSetEvent/KePulseEvent above DISPATCH_LEVEL. Returns unless the mode checks it.
  void SetEventAboveDispatch(const char* routine, KIRQL current, const void* event);
  /// A wait at DISPATCH_LEVEL would have to block (its timeout is not zero): the thread cannot
  /// be switched out at that level, in any mode. Inside a DPC routine (`in_dpc`) that is 0xB8
  /// ATTEMPTED_SWITCH_FROM_DPC naming `thread`; elsewhere the IRQL fault.
  [[noreturn]] void WaitBlocksAtDispatch(const char* routine, KIRQL current, bool in_dpc,
                                         std::uintptr_t thread);
  /// More than MAXIMUM_WAIT_OBJECTS objects, or more than THREAD_WAIT_OBJECTS without a
  /// KWAIT_BLOCK array.
  [[noreturn]] void TooManyWaitObjects(ULONG count, bool have_wait_blocks);
  /// KeLeaveCriticalRegion without a matching KeEnterCriticalRegion. Returns only under kRecord.
  /// KeLeaveCriticalRegion outside any critical region: 0xC4 / 0x3E under Verifier, 0x1
  /// APC_INDEX_MISMATCH otherwise (`count` the region count before the call).
  void CriticalRegionUnderflow(int count);
  /// A work item queued again before it ran. Returns only under kRecord (the item stays queued
  /// once).
  void WorkItemQueuedTwice(const char* routine, const void* item, int queue_type);
  /// A queued I/O work item freed or re-initialized by the I/O work item routines: 0xE4 / 0x2.
  /// Returns only under kRecord (it is dequeued).
  void QueuedWorkItemFreed(const char* routine, const void* item, std::uintptr_t worker);
  /// A pool block freed with a queued work item (either kind) in it: 0xE4 / 0x0. Returns only
  /// under kRecord (it is dequeued).
  void ActiveWorkItemInFreedPool(const char* routine, const void* item, const void* begin,
                                 const void* end);
  /// ExQueueWorkItem or IoQueueWorkItem(Ex) (`routine`) with a queue type no worker queue has
  /// (0xE4 / 0x6), or ExQueueWorkItem with no routine (0xE4 / 0x7). Return only under kRecord
  /// (nothing is queued).
  void InvalidWorkQueueType(const char* routine, const void* item, int queue_type);
  void InvalidWorkerRoutine(const void* item, int queue_type);
  [[noreturn]] void WorkItemReturnedAtRaisedIrql(std::uintptr_t routine, KIRQL irql,
                                                 const void* context, const void* item);
  /// A work item routine returned with a different KeEnterCriticalRegion nesting.
  [[noreturn]] void WorkItemApcIndexMismatch(std::uintptr_t routine, int critical_regions);
  /// A work item routine returned still owning a kernel mutex it acquired (the worker thread
  /// would keep it for good): 0x39 (routine, its parameter, the work item, 0), every mode.
  [[noreturn]] void WorkItemReturnedOwningMutex(std::uintptr_t routine, const void* context,
                                                const void* item, std::uintptr_t mutex);
  /// A system thread ended (its start routine returned, or PsTerminateSystemThread) at a raised
  /// IRQL or with normal kernel APCs still disabled by the driver: 0x20.
  [[noreturn]] void ThreadExitedWithApcsDisabled(std::uintptr_t routine, int apc_disable,
                                                 KIRQL irql);
  /// ObfDereferenceObject on an object (of type `object_type`, what *PsThreadType points to)
  /// whose references the driver has all dropped: 0x18 REFERENCE_BY_POINTER in every mode.
  void ObjectOverDereferenced(const char* routine, const void* object, const void* object_type);
  /// ZwClose of a handle that is not open (never given out, or closed already): 0x93
  /// INVALID_KERNEL_HANDLE (handle, 1, 0, 0) in every mode. Returns only under kRecord.
  void InvalidHandleClosed(const char* routine, HANDLE handle);
  /// ExRaiseStatus: an exception for a structured exception handler kemu cannot run, so unhandled
  /// (0x1E with `status` as the exception code; 0x7E in a system thread) in every mode.
  [[noreturn]] void StatusRaised(const char* routine, NTSTATUS status);

  // Semaphores, kernel mutexes and fast mutexes (rules_sync_objects.cpp).
  /// KeReleaseSemaphore pushed the count past the limit: the routine raises
  /// STATUS_SEMAPHORE_LIMIT_EXCEEDED, unhandled under kemu (0x1E) in every mode.
  [[noreturn]] void SemaphoreLimitExceeded(const char* routine, const void* semaphore, LONG count,
                                           LONG adjustment, LONG limit);
  /// KeReleaseMutex by a thread that does not own the mutex: STATUS_MUTANT_NOT_OWNED raised,
  /// unhandled under kemu (0x1E) in every mode.
  [[noreturn]] void MutexNotOwned(const char* routine, const void* mutex, std::uintptr_t owner,
                                  std::uintptr_t current);
  /// KeReleaseMutex by its owner at another IRQL class than the acquisition's: acquired at
  /// DISPATCH_LEVEL (a zero-timeout wait) and released below it, or the reverse.
  /// STATUS_MUTANT_NOT_OWNED raised, unhandled under kemu (0x1E) in every mode.
  [[noreturn]] void MutexReleasedAtOtherIrql(const char* routine, const void* mutex,
                                             bool acquired_at_dispatch, KIRQL current);
  /// A fast or guarded mutex (`kind`) acquired again by its owner: 0xC4 / 0x1000 under
  /// Verifier, the hang report otherwise.
  [[noreturn]] void MutexAcquiredBySelf(const char* routine, const char* kind, const void* mutex,
                                        const std::vector<std::string>& contexts);
  /// KeLeaveGuardedRegion (or a guarded mutex's release) without a guarded region to leave:
  /// 0x1 APC_INDEX_MISMATCH (UNCONFIRMED which code Windows shows). Returns only under kRecord.
  void GuardedRegionUnderflow(const char* routine);
  /// ExAcquireFastMutexUnsafe / ExReleaseFastMutexUnsafe (`acquiring`) below APC_LEVEL outside
  /// any critical region: 0xC4 / 0x39 or 0x3A under Verifier; returns in the other modes.
  void UnsafeMutexWithApcsEnabled(const char* routine, const void* mutex, KIRQL current,
                                  bool acquiring);
  /// A fast or guarded mutex (`kind`) released by a thread that does not own it: 0xC4 / 0x1004
  /// or 0x1007 under Verifier; returns in the other modes (nothing looks).
  void MutexReleasedByNonOwner(const char* routine, const char* kind, const void* mutex,
                               std::uintptr_t owner, std::uintptr_t current);

  // Executive resources (rules_resources.cpp). Driver Verifier's deadlock detection does not
  // watch ERESOURCEs, so they record no lock order.
  /// A release for a thread (`thread`) that does not own the resource: 0xE3 RESOURCE_NOT_OWNED in
  /// every mode.
  [[noreturn]] void ResourceNotOwned(const char* routine, const void* resource,
                                     std::uintptr_t thread);
  /// An acquire (`acquiring`) or release below APC_LEVEL with normal kernel APCs enabled: 0xC4 /
  /// 0x37 or 0x38 under Verifier; returns in the other modes.
  void ResourceWithApcsEnabled(const char* routine, const void* resource, KIRQL current,
                               bool acquiring);
  /// An exclusive acquire of a resource not 8-byte aligned: 0xC4 / 0x3D (0, 0, resource) under
  /// Verifier; returns otherwise (x64 runs it, unaligned interlocked operations and all).
  void UnalignedResource(const char* routine, const void* resource);
  /// ExInitializeResourceLite on a resource initialized already: 0xC4 / 0xD0 under Verifier
  /// (Vista+); returns otherwise (the resource starts again).
  void ResourceReinitialized(const char* routine, const void* resource);
  /// ExDeleteResourceLite on a resource not initialized: 0xC4 / 0xD1 under Verifier (Vista+),
  /// kemu's invalid-object stop otherwise.
  [[noreturn]] void DeleteUninitializedResource(const char* routine, const void* resource);
  /// A pool block freed with an initialized resource in it: 0xC4 / 0xD2 under Verifier (Vista+);
  /// returns otherwise (the resource is forgotten).
  void ResourceInFreedPool(const char* routine, const void* resource, const void* block,
                           std::uint64_t bytes);
  /// ExDeleteResourceLite on a resource a thread (`owner`) holds: kemu 0x4B450013, every mode.
  [[noreturn]] void ResourceDeletedWhileOwned(const char* routine, const void* resource,
                                              std::uintptr_t owner);
  /// ExConvertExclusiveToSharedLite by a thread without exclusive ownership: kemu 0x4B450014.
  [[noreturn]] void ResourceConvertedByNonOwner(const char* routine, const void* resource,
                                                std::uintptr_t thread);
  /// An exclusive acquire that waits, by a thread holding the resource shared: the hang report.
  [[noreturn]] void ResourceExclusiveBySharedOwner(const char* routine, const void* resource,
                                                   const std::vector<std::string>& contexts);

  // Error log entries (rules_io.cpp).
  /// IoWriteErrorLogEntry / IoFreeErrorLogEntry on something that is not a live entry
  /// (written or freed already, or never allocated): kemu 0x4B450018 in every mode.
  /// A routine that requires a PDO was given `pointer`, which is no PDO the PnP manager
  /// enumerated: 0xCA PNP_DETECTED_FATAL_ERROR / 0x2 in every mode.
  [[noreturn]] void InvalidPdo(const char* routine, const void* pointer);
  [[noreturn]] void InvalidErrorLogEntry(const char* routine, const void* entry);
  /// Verifier only: the driver wrote past the `bytes` of the error log entry at `entry` (the
  /// first changed byte at `corrupted`) before `routine` posted or freed it: special pool's
  /// 0xC1 / 0x24, as PoolOverrun. Returns only under kRecord.
  void ErrorLogEntryOverrun(const char* routine, const void* entry, const void* corrupted,
                            SIZE_T bytes);
  /// `routine` (MmBuildMdlForNonPagedPool) was about to write the MDL at `mdl` a PFN array of
  /// `pages` entries, past the end of the `bytes`-byte pool block IoAllocateMdl gave it (the first
  /// entry outside at `beyond`): the driver raised ByteCount or moved StartVa after allocating.
  /// 0xCD (beyond, 1, 0, 0) in every mode, nothing written. Returns only under kRecord.
  void MdlTooSmallForBuffer(const char* routine, const void* mdl, SIZE_T bytes, const void* beyond,
                            ULONG pages);
  /// MmBuildMdlForNonPagedPool of the MDL at `mdl`, whose buffer (`bytes` bytes at `buffer`) runs
  /// past the end of the `block_bytes`-byte pool block at `block` it starts in, the first byte
  /// outside at `beyond`: IoAllocateMdl was given a Length longer than the buffer. Under Driver
  /// Verifier (special pool: the block ends against its guard page) 0xCD (beyond, 0: a read, 0,
  /// 0); silent otherwise, as Windows is (audit round 19, A5). Returns where a kernel carries on.
  void MdlBufferBeyondPoolBlock(const char* routine, const void* mdl, const void* buffer,
                                std::uint64_t bytes, const void* block, SIZE_T block_bytes,
                                const void* beyond);
  /// `routine` was about to write `bytes` bytes of its output `parameter` at `buffer`, which lies
  /// in the `block_bytes`-byte pool block at `block`, and the write runs past the block's end at
  /// `beyond`: special pool's guard page faults in the kernel's copy, 0xCD (beyond, 1, 0, 0). In
  /// every mode: kemu cannot write past a host allocation (audit round 17, X11).
  [[noreturn]] void OutputBeyondPoolBlock(const char* routine, const char* parameter,
                                          const void* buffer, std::uint64_t bytes,
                                          const void* block, SIZE_T block_bytes,
                                          const void* beyond);
  /// The same for a kernel routine reading `bytes` bytes of its input `parameter` (an array the
  /// driver sized by a count): 0xCD (beyond, 0: a read, 0, 0), in every mode, as kemu's own read
  /// past a host allocation would fault its process (audit round 19, B-S7).
  [[noreturn]] void InputBeyondPoolBlock(const char* routine, const char* parameter,
                                         const void* buffer, std::uint64_t bytes, const void* block,
                                         SIZE_T block_bytes, const void* beyond);

  // Debug output (rules_debug.cpp).
  /// A Unicode format code reached DbgPrint(Ex) above PASSIVE_LEVEL.
  void DbgPrintUnicodeAboveIrql(const char* routine, KIRQL current);

  // Arguments (rules_arguments.cpp).
  /// A VOID or pointer-returning routine got a value outside its enum parameter's enumerators
  /// (legal C). Returns unless Driver Verifier is on; the caller then does what Windows does.
  void EnumArgumentOutOfRange(const char* routine, const char* parameter, int value,
                              std::uint64_t object);
  // Shutdown (rules_dpc.cpp).
  [[noreturn]] void LeaksAtShutdown(const std::vector<std::string>& leaks,
                                    std::uint64_t first_object);
  /// Driver Verifier's unload check: `timer` is still set and would queue `dpc`, whose routine is
  /// the driver's code, after the driver is gone. 0xC7 / 2; `leaks` is everything left behind.
  [[noreturn]] void TimerSetAtUnload(PKTIMER timer, PKDPC dpc, PKDEFERRED_ROUTINE routine,
                                     const std::vector<std::string>& leaks);

 private:
  [[noreturn]] void NmiRule(const void* routine, std::uint64_t rule, std::uint64_t value,
                            const std::string& summary);
  [[noreturn]] void BitmapRule(const void* header, std::uint64_t rule, std::uint64_t value,
                               const std::string& summary);
  /// A pool free of an address that is not a pool block: 0xC4 / 0x10 under Verifier, else
  /// 0xC2 / 0x42, with `summary`.
  void FreeOfNonPool(const void* block, const std::string& summary);
  /// A spin lock taken again by the processor that holds it: 0xC4 / 0x1000 under Verifier, 0xF
  /// SPIN_LOCK_ALREADY_OWNED otherwise.
  [[noreturn]] void SelfDeadlock(PKSPIN_LOCK lock, const std::string& summary);
  /// A spin lock (ordinary or reader/writer) used uninitialised at `lock`: 0xC4 / 0x1002 with
  /// `verifier_summary` under Verifier, 0xF SPIN_LOCK_ALREADY_OWNED with `spin_summary` otherwise
  /// (a kernel without Verifier spins on the stray word).
  [[noreturn]] void UninitializedLock(const void* lock, std::string verifier_summary,
                                      std::string spin_summary);
  /// Verifier's "APCs not disabled" check of a lock routine (0x37-0x3A): 0xC4 / `code` (IRQL,
  /// APC disable count 0, `object`) under Verifier; nothing in the other modes.
  void ApcsEnabled(std::uint64_t code, const char* code_name, KIRQL current, const void* object,
                   const char* object_name, std::string summary);
  /// LockAcquired when the vCPU holds other locks: records the orders, checks for a cycle.
  void LockAcquiredWhileHolding(const char* routine, PKSPIN_LOCK lock, unsigned cpu,
                                std::uint64_t sequence, bool waited);
  /// The 0x1001 report: `routine` took `what` ("spin lock", "fast mutex", ...) at `address` in
  /// the running context (trace event `sequence`) while holding a `held_what`, closing `cycle`;
  /// `holders` says who deadlocks ("Processors", "Threads").
  void LockOrderViolated(const char* routine, const char* what, const char* held_what,
                         std::uintptr_t address, const LockOrder::Cycle& cycle,
                         std::uint64_t sequence, const char* holders);

  Host& host_;
  CheckMode mode_;
  bool deadlock_detection_;
  LockOrder lock_order_;
};

}  // namespace kemu::verifier

#endif  // KEMU_EMU_VERIFIER_VERIFIER_HPP_
