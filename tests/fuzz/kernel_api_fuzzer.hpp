// The kernel API fuzz target's shared pieces (kernel_api_fuzzer.cpp is the harness and the
// interrupt-core operations; kernel_api_sync_ops.cpp the waitable objects, executive locks and
// system threads; kernel_api_system_ops.cpp the processor, error-log and bug-check routines;
// kernel_api_memory_ops.cpp device memory and pool; kernel_api_exec_ops.cpp the executive's newer
// building blocks).
// A program is a byte string read front to back: each operation picks a routine and its
// arguments from it, so any input is a whole program.
#ifndef KEMU_TESTS_FUZZ_KERNEL_API_FUZZER_HPP_
#define KEMU_TESTS_FUZZ_KERNEL_API_FUZZER_HPP_

// Windows 10 2004 (NTDDI_WIN10_VB), so the headers declare every routine kemu models,
// ExAllocatePool2 and ExAllocatePool3 included; each operation still checks the machine's
// personality.
#ifndef NTDDI_VERSION
#define NTDDI_VERSION 0x0A000008
#endif
#include <ntddk.h>  // <wdm.h> and MmGetPhysicalAddress

#include <array>
#include <cstddef>
#include <cstdint>

#include "kemu/kemu.hpp"

namespace kemu_fuzz {

// Reads the input front to back; past its end every read is 0, so any input is a whole program.
class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t Byte() { return at_ < size_ ? data_[at_++] : 0; }
  std::uint32_t U32() {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) value = value << 8 | Byte();
    return value;
  }
  std::uint64_t U64() {
    // Two statements: the operands of | are unsequenced, and compilers differ in which they
    // read first.
    const std::uint64_t high = U32();
    return high << 32 | U32();
  }
  /// 0..count-1.
  unsigned Pick(unsigned count) { return count == 0 ? 0 : Byte() % count; }
  bool Flag() { return (Byte() & 1) != 0; }
  bool done() const { return at_ >= size_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

inline constexpr std::size_t kObjects = 3;
inline constexpr std::uint32_t kBarBytes = 0x100;
inline constexpr int kMaxDepth = 2;  // ops run from callbacks, nested at most this deep

// Everything the driver owns; it outlives the machine (declared before it in the run).
struct DriverState {
  std::array<KSPIN_LOCK, kObjects> locks{};
  std::array<KLOCK_QUEUE_HANDLE, kObjects> queue_handles{};
  std::array<KDPC, kObjects> dpcs{};
  std::array<KEVENT, kObjects> events{};
  std::array<KTIMER, kObjects> timers{};
  std::array<PKINTERRUPT, kObjects> interrupts{};
  std::array<PVOID, kObjects> blocks{};
  std::array<KIRQL, kObjects> old_irqls{};
  LIST_ENTRY list{};
  KSPIN_LOCK list_lock = 0;
  std::array<LIST_ENTRY, kObjects> entries{};
  PUCHAR bar = nullptr;
  PIO_WORKITEM work_item = nullptr;

  // Waitable objects and executive locks (kernel_api_sync_ops.cpp).
  std::array<KMUTEX, kObjects> mutexes{};
  std::array<KSEMAPHORE, kObjects> semaphores{};
  std::array<FAST_MUTEX, kObjects> fast_mutexes{};
  std::array<KGUARDED_MUTEX, kObjects> guarded_mutexes{};
  std::array<ERESOURCE, kObjects> resources{};
  std::array<KDPC, kObjects> threaded_dpcs{};
  std::array<KWAIT_BLOCK, MAXIMUM_WAIT_OBJECTS> wait_blocks{};
  // System threads: the handle PsCreateSystemThread gave and the object a reference holds.
  std::array<HANDLE, kObjects> thread_handles{};
  std::array<PVOID, kObjects> thread_objects{};

  // Processors, error log, bug-check callbacks, lookaside lists (kernel_api_system_ops.cpp).
  std::array<KAFFINITY, kObjects> affinities{};
  std::array<PVOID, kObjects> log_entries{};
  std::array<KBUGCHECK_CALLBACK_RECORD, kObjects> callbacks{};
  std::array<std::uint8_t, 64> callback_buffer{};
  NPAGED_LOOKASIDE_LIST lookaside{};
  bool lookaside_ready = false;
  std::array<PVOID, kObjects> lookaside_entries{};

  // Device memory and pool (kernel_api_memory_ops.cpp).
  std::array<PVOID, kObjects> contiguous{};
  std::array<SIZE_T, kObjects> contiguous_bytes{};
  std::array<PVOID, kObjects> pool2{};
  LOOKASIDE_LIST_EX lookaside_ex{};
  std::array<PVOID, kObjects> lookaside_ex_entries{};
  PAGED_LOOKASIDE_LIST paged_lookaside{};
  std::array<PVOID, kObjects> paged_entries{};
  std::array<std::uint8_t, 256> property_buffer{};
  // MDLs and the counted strings that own pool (kernel_api_memory_ops.cpp).
  std::array<PMDL, kObjects> mdls{};
  std::array<char, 64> ansi_text{};
  std::array<WCHAR, 64> wide_text{};
  std::array<UNICODE_STRING, kObjects> wide_strings{};
  std::array<ANSI_STRING, kObjects> ansi_strings{};

  // Executive building blocks (kernel_api_exec_ops.cpp).
  EX_RUNDOWN_REF rundown{};
  std::array<EX_SPIN_LOCK, kObjects> ex_locks{};
  std::array<KIRQL, kObjects> ex_lock_irqls{};
  std::array<PEX_TIMER, kObjects> ex_timers{};
  KDEVICE_QUEUE device_queue{};
  std::array<KDEVICE_QUEUE_ENTRY, kObjects> queue_entries{};
  alignas(16) std::array<std::uint8_t, 256> io_work_item{};
  std::array<WORK_QUEUE_ITEM, kObjects> ex_work_items{};
  std::array<KFLOATING_SAVE, kObjects> float_saves{};
  std::array<XSTATE_SAVE, kObjects> xstate_saves{};
};

struct Run {
  Bytes& in;
  DriverState& state;
  kemu::Machine& machine;
  kemu::Device& device;
  int depth = 0;
};

/// The machine runs `os` or a later release (routines that arrived with it exist).
inline bool AtLeast(const Run& run, kemu::Os os) { return run.machine.os() >= os; }

/// The program being run, for the callbacks kemu calls (ISRs, DPCs, threads); null between runs.
extern thread_local Run* current;

/// Runs up to `count` operations at nesting `depth` (none past kMaxDepth).
void Ops(Run& run, int depth, unsigned count);
/// The callbacks' body: a few more operations, one level deeper.
void NestedOps(unsigned most);

/// A relative, zero or absolute timeout.
LARGE_INTEGER Timeout(Bytes& in);

/// Mutexes, semaphores, fast and guarded mutexes, executive resources, critical and guarded
/// regions, multiple-object waits, threaded DPCs and system threads.
void SyncOp(Run& run, std::size_t i);
/// Affinity, KeIpiGenericCall, error log entries, bug-check callbacks, lookaside lists, stalls
/// and delays.
void SystemOp(Run& run, std::size_t i);
/// Contiguous memory, physical addresses and DMA, the newer pool allocators, Ex and paged
/// lookaside lists, device properties.
void MemoryOp(Run& run, std::size_t i);
/// Run-down protection, executive spin locks, EX_TIMERs, device queues, work items,
/// IoCreateSystemThread, processor state saves, KeGenericCallDpc, interrupt active-state reports.
void ExecOp(Run& run, std::size_t i);

}  // namespace kemu_fuzz

#endif  // KEMU_TESTS_FUZZ_KERNEL_API_FUZZER_HPP_
