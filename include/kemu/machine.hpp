// kemu/machine.hpp — one emulated Windows machine.
//
// Constructing a Machine makes it the current machine of the calling thread: every WDK routine the
// driver calls from that thread runs against it. Destroying it restores the previous one; machines
// may be destroyed in any order (destroying one that is not current leaves the current one alone).
//
//   kemu::Machine machine({.os = kemu::Os::kWindowsXP, .processors = 2});
//   KIRQL old;
//   KeRaiseIrql(DISPATCH_LEVEL, &old);         // driver code, unchanged
//   assert(machine.CurrentIrql() == DISPATCH_LEVEL);
//   KeLowerIrql(old);
//   machine.Shutdown();                        // bug-checks if the driver left anything behind
#ifndef KEMU_MACHINE_HPP_
#define KEMU_MACHINE_HPP_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kemu/bugcheck.hpp"
#include "kemu/crash_dump.hpp"
#include "kemu/device.hpp"
#include "kemu/driver_imports.hpp"
#include "kemu/error_log.hpp"
#include "kemu/os.hpp"
#include "kemu/personality.hpp"
#include "kemu/registry.hpp"
#include "kemu/schedule.hpp"

namespace kemu {

namespace model {
class Kernel;
}  // namespace model

/// A kernel call made to fail: calls `nth`, `nth`+1, ... of `routine` (counting from when the
/// fault is injected) return `status` instead of running, `count` times (0: every call from
/// `nth` on), each with probability `probability` drawn from the machine's seeded PRNG.
///
///   machine.InjectFault({.routine = "IoConnectInterruptEx",
///                        .status = STATUS_INSUFFICIENT_RESOURCES});   // the next call fails
///   machine.InjectFault({.routine = "ExAllocatePoolWithTag", .count = 0,
///                        .probability = 0.1, .tag = 0x7852634E});   // 'xRcN' only
struct Fault {
  std::string routine;
  std::int32_t status = 0;
  std::uint64_t nth = 1;
  std::uint64_t count = 1;
  double probability = 1.0;
  /// Pool allocators only: count and fail only allocations with this tag (0: any tag). An
  /// allocator fails by returning NULL, so `status` does not matter for them.
  std::uint32_t tag = 0;
};

/// How to build a Machine.
struct MachineOptions {
  Os os = Os::kWindows10;
  /// Number of virtual processors (1..64). Each has its own execution context; one runs at a time
  /// (see `schedule`).
  unsigned processors = 1;
  /// Driver Verifier: misuse raises 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION with its sub-code.
  /// Off: the classic bug check a checked kernel raises (or a retail kernel's silence, below).
  bool verifier = true;
  /// With the verifier off, behave as a checked (debug) kernel: IRQL and spin-lock misuse raise
  /// the classic codes. False models a retail kernel, which does not validate IRQL direction
  /// (conformance IRQL-8) and lets KeAcquireSpinLock run above DISPATCH_LEVEL (SL-6).
  bool checked_build = true;
  /// Seed of every random choice the machine makes; printed in every report.
  std::uint64_t seed = 0;
  BugCheckAction on_bug_check = BugCheckAction::kThrow;
  /// Deliveries of one vector beyond the first that an interrupt burst may make before kemu
  /// declares an interrupt storm (bug check 0xF2). A burst lasts while anything is deliverable,
  /// before the interrupted code or any DPC runs again; a line dropped and raised again, an edge
  /// re-pulsed or a message re-signalled during the service all count. So do deliveries in a row
  /// that each left the vector still pending, on whichever vCPUs they ran (a stuck line an
  /// exploring schedule sends to vCPUs in turn). Windows' own threshold and counting are not
  /// documented (UNCONFIRMED).
  unsigned storm_threshold = 1000;
  /// The DPC watchdog's allotment for one ISR or DPC routine, in microseconds: a routine that
  /// runs longer is bug check 0x133 DPC_WATCHDOG_VIOLATION with Arg1 0, where Windows would
  /// stop it, instead of a test that never ends. kemu cannot time driver code, so a routine's run
  /// time is the virtual time that passes inside it (KeStallExecutionProcessor, waits) plus 1 us
  /// for each kernel call it makes (a register poll without a stall is caught too). The default
  /// is the 20 s (0x500 clock ticks) of Microsoft's bug-check example; 0 turns the check off.
  std::uint64_t dpc_time_limit_us = 20'000'000;
  /// What happens to an interrupt that arrives while its ISR is reported inactive
  /// (IoReportInterruptInactive). Windows leaves this undocumented.
  enum class InactiveInterrupts {
    kDeliver,
    kDrop,
    kBugCheck
  } inactive_interrupts = InactiveInterrupts::kDeliver;
  /// Kernel calls remembered for reports (the last N).
  unsigned call_history = 32;
  /// Record a trace of everything the machine does (kernel calls, IRQL changes, spin-lock
  /// acquires and releases, interrupt deliveries, ISR and DPC entry and exit, device line
  /// actions, bug checks), for TraceJson()/WriteTrace(). Off, or with trace_capacity 0, only
  /// the last `call_history` kernel calls are kept, which is cheaper.
  bool trace = true;
  /// Events the trace keeps (a ring: the newest win). Reserved when the machine is built, 96
  /// bytes each; recording never allocates.
  unsigned trace_capacity = 65536;
  /// DbgPrint output is also written to stderr.
  bool echo_debug_print = false;
  /// How the vCPUs interleave (kemu/schedule.hpp). The default runs work handed to another vCPU
  /// at once and to completion; kRandom and kPct explore interleavings from their own seed.
  ScheduleOptions schedule = {};
  /// Check the memory accesses of driver code built with kemu_instrument_driver() for data races
  /// (kemu/data_race.hpp). Only instrumented code is checked, and in a program that contains none
  /// the detector keeps no books at all.
  bool race_detection = true;
  /// Threaded DPCs (KeInitializeThreadedDpc, Windows Vista and later) are enabled, as Windows
  /// ships: they run at PASSIVE_LEVEL, after the vCPU's ordinary DPCs. False models the registry
  /// switch that disables them (ThreadDpcEnable = 0): they run as ordinary DPCs at DISPATCH_LEVEL.
  bool threaded_dpcs = true;
};

/// The kernel a machine models, as one choice over MachineOptions::verifier and checked_build:
///   kRetail    what ships: misuse the retail kernel does not check runs on (IRQL-8, SL-6)
///   kChecked   a checked (debug) kernel: misuse raises the classic bug checks
///   kVerifier  Driver Verifier on: misuse raises 0xC4 with its sub-code
/// kemu::testing::AllMachines() runs a suite on all three.
enum class KernelMode : std::uint8_t { kRetail, kChecked, kVerifier };

/// Every KernelMode, in the order above.
inline constexpr KernelMode kAllKernelModes[] = {KernelMode::kRetail, KernelMode::kChecked,
                                                 KernelMode::kVerifier};

/// "retail", "checked", "verifier".
std::string_view KernelModeName(KernelMode mode);

/// `options` with verifier and checked_build set for `mode`.
MachineOptions WithKernelMode(MachineOptions options, KernelMode mode);

/// The mode `options` model: kVerifier whenever the verifier is on, else checked or retail.
KernelMode KernelModeOf(const MachineOptions& options);

/// An emulated Windows machine; RAII scope of the thread's current machine. Not copyable.
class Machine {
 public:
  explicit Machine(Os os);
  explicit Machine(MachineOptions options);
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  Os os() const;
  const Personality& personality() const;
  const MachineOptions& options() const;

  /// Loads a driver as Windows' loader does (docs/personalities.md "Will it load?"): where this
  /// personality does not export every routine in `imports`, throws kemu::LoadFailure naming all it
  /// lacks, as the load would fail with STATUS_DRIVER_ENTRYPOINT_NOT_FOUND. kemu_check_imports
  /// generates the list from the driver library.
  void LoadDriver(const DriverImports& imports);

  /// Adds a device; its resources follow this machine's personality.
  Device& AddDevice(DeviceConfig config);
  /// Arms a fault (see Fault). Routines that can fail: IoConnectInterrupt, IoConnectInterruptEx,
  /// WdmlibIoConnectInterruptEx, IoGetAffinityInterrupt, WdmlibIoGetAffinityInterrupt,
  /// RtlGetVersion, and MmMapIoSpace, ExAllocatePoolWithTag, ExAllocatePoolWithQuotaTag,
  /// ExAllocatePoolWithTagPriority, ExAllocatePool2, ExAllocatePool3, IoAllocateWorkItem,
  /// ExAllocateTimer, MmAllocateContiguousMemory(SpecifyCache), IoGetDmaAdapter,
  /// KeRegisterNmiCallback and a DMA adapter's AllocateCommonBuffer (which return NULL);
  /// kemu::FaultRoutines() lists them. Any other throws kemu::Error.
  void InjectFault(Fault fault);

  /// IRQL of the vCPU currently running.
  std::uint8_t CurrentIrql() const;
  /// Index of the vCPU currently running.
  unsigned CurrentProcessor() const;
  /// Makes `processor` the running vCPU (the one the next driver call runs on).
  void SwitchToProcessor(unsigned processor);
  /// Keeps vCPU `processor` busy at `irql` (DISPATCH_LEVEL to HIGH_LEVEL) with work the test does
  /// not model, such as another driver's long DPC: the DPCs queued there and the interrupts its
  /// IRQL masks wait, and no system thread runs there. The work ends (the vCPU drops to
  /// PASSIVE_LEVEL and runs what waited) at ReleaseProcessor, at Shutdown, or by itself at the
  /// first moment nothing else on the machine can run: a KeFlushQueuedDpcs that waits for a DPC
  /// queued there then returns once it has run, where a vCPU the test raised with KeRaiseIrql
  /// would make it the report of a wait that never ends. `processor` must not be the test's
  /// vCPU, and must be at PASSIVE_LEVEL; what it runs now finishes first.
  ///
  ///   machine.KeepProcessorBusy(1);   // vCPU 1 busy: the DPC the ISR targets there waits
  ///   nic.AssertLine();               // ISR on vCPU 0, its DPC queued on vCPU 1
  ///   MyUnload(driver);               // KeFlushQueuedDpcs waits; vCPU 1 finishes and runs it
  void KeepProcessorBusy(unsigned processor, std::uint8_t irql = DISPATCH_LEVEL);
  /// Ends KeepProcessorBusy's work on `processor` now.
  void ReleaseProcessor(unsigned processor);
  /// A nonmaskable interrupt on the running vCPU, now: the driver's NMI callbacks
  /// (KeRegisterNmiCallback) run there at HIGH_LEVEL, newest first, whatever the vCPU was doing;
  /// when none returns TRUE the machine stops with bug check 0x80 NMI_HARDWARE_FAILURE. To land one
  /// inside driver code (holding a lock, in an ISR), raise it from a scheduled hardware event:
  ///
  ///   device.ScheduleAfterCalls(3, [&] { machine.RaiseNmi(); });  // at the driver's 3rd call
  void RaiseNmi();
  /// Runs every DPC queued on every vCPU whose IRQL is below DISPATCH_LEVEL.
  void RunPendingDpcs();
  /// Lets the machine run until nothing more can happen without the test: pending interrupts are
  /// delivered and DPCs run on every vCPU that can take them, queued work items run (on the
  /// running vCPU, if it is at PASSIVE_LEVEL), and the other vCPUs finish what they run or reach
  /// a wait. Virtual time does not move. A concurrency test calls it before checking a count the
  /// other vCPUs may still be adding to.
  void Settle();
  /// Virtual time since boot, in 100 ns units (KeQueryInterruptTime).
  std::uint64_t InterruptTime() const;
  /// Moves virtual time on by `microseconds`, as if the running vCPU idled that long: timers due
  /// on the way expire and scheduled device events happen at their own times, in time order
  /// (timer DPCs run if the vCPU is below DISPATCH_LEVEL; at the same moment the device acts
  /// first).
  void AdvanceTime(std::uint64_t microseconds);

  /// Checks for what the driver left behind (held spin locks, IRQL above PASSIVE_LEVEL, queued
  /// DPCs, connected interrupts, timers still set, work items queued or never freed, critical
  /// regions never left) and raises a bug check naming each leak. Idempotent. The
  /// destructor runs it too, unless the machine crashed or is being destroyed by an exception
  /// (a failing test has already said what went wrong). The emulated system is then off: a
  /// later kernel call, or Settle, AdvanceTime, RunPendingDpcs, SwitchToProcessor,
  /// KeepProcessorBusy, ReleaseProcessor or RaiseNmi, throws kemu::Error naming it (what it did
  /// would never be checked); reading the trace, statistics and bug checks still works.
  void Shutdown();
  /// Ends the machine without Shutdown's checks, for a harness that stops a test early on an
  /// error of its own (a bad scenario step): what the driver still holds then is what the steps
  /// never run would have released, not the driver's bug. Later Shutdown calls and the
  /// destructor do nothing; the machine stays usable for reading its trace and statistics, and
  /// refuses kernel calls as after Shutdown.
  void Abandon();

  /// True once the emulated system crashed, or a kemu::NotModelled / kemu::MissingExport thrown
  /// inside a driver callback (ISR, DPC, KeSynchronizeExecution routine) ended it. A crashed
  /// machine runs no more kernel code: every later kernel call raises the same bug check (or
  /// throws the same error) again.
  bool crashed() const;
  /// The report of a data race the detector found but has not raised yet (it raises it at the
  /// racing context's next kernel call or schedule point), or nullptr. The handler kemu::gtest_main
  /// installs for a fatal signal prints it: driver code may fault on what it raced on first.
  const char* PendingRaceReport() const;
  /// Bug checks recorded under BugCheckAction::kRecord, oldest first.
  const std::vector<BugCheck>& bug_checks() const;
  /// Everything the driver printed with DbgPrint.
  const std::string& debug_output() const;
  /// The error log entries the driver wrote with IoWriteErrorLogEntry, oldest first.
  const std::vector<ErrorLogEntry>& error_log() const;
  /// What the driver's KbCallbackSecondaryDumpData callbacks supplied when the machine crashed
  /// (KeRegisterBugCheckReasonCallback), in the order they ran; empty before a crash.
  const std::vector<SecondaryDumpData>& secondary_dump_data() const;
  /// The machine's registry: the driver's service key and any other key, for the test to set
  /// before the driver runs and read after (kemu/registry.hpp). A device's keys are also
  /// Device::registry().
  Registry& registry();
  /// Pool blocks the driver has allocated and not freed yet (contiguous memory included).
  std::size_t pool_allocations() const;
  /// System threads the driver has created (PsCreateSystemThread, IoCreateSystemThread), ended
  /// ones included. With any, even one vCPU has more than one schedule.
  std::size_t system_threads_created() const;
  /// For a device model doing DMA: the host address of the physical range [physical,
  /// physical + bytes) the driver gave the device (MmGetPhysicalAddress of a pool block,
  /// contiguous memory, a common buffer, a MapTransfer address or a scatter/gather element), or
  /// nullptr when no memory the driver still owns holds all of it. A range across pages is
  /// answered when its pages are consecutive both physically and in host memory, as one
  /// scatter/gather element's are; otherwise ask page by page.
  ///
  ///   void* ring = machine.HostAddressOf(ring_physical, 4096);  // in kemu::Hardware::Write
  void* HostAddressOf(std::uint64_t physical, std::size_t bytes);

  /// The trace (see MachineOptions::trace) as Chrome trace-event JSON: open it in
  /// ui.perfetto.dev or chrome://tracing. One track per vCPU with ISRs and DPCs as slices and
  /// kernel calls as instants, and an IRQL counter per vCPU. `ts` is the event's sequence number
  /// in microseconds (virtual time barely moves; it is in each event's args as "t_100ns"). The
  /// same seed and driver give the same bytes.
  std::string TraceJson() const;
  /// Writes TraceJson() to `path`; throws kemu::Error when the file cannot be written.
  void WriteTrace(const std::string& path) const;

  /// The thread's current machine; throws kemu::NoMachine if there is none.
  static Machine& Current();
  /// The thread's current machine, or nullptr.
  static Machine* CurrentOrNull();

  /// The emulated kernel behind this machine (kemu's implementation; not a stable API).
  model::Kernel& kernel() { return *kernel_; }
  const model::Kernel& kernel() const { return *kernel_; }

 private:
  std::unique_ptr<model::Kernel> kernel_;
  Machine* previous_ = nullptr;
  bool shut_down_ = false;
  int uncaught_at_construction_ = 0;
};

}  // namespace kemu

#endif  // KEMU_MACHINE_HPP_
