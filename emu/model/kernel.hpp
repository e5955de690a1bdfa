// The emulated kernel behind a kemu::Machine: vCPUs, virtual clock, PRNG, the trace and
// one object per kernel area. ABI shims reach it through Machine::Current().kernel().
#ifndef KEMU_EMU_MODEL_KERNEL_HPP_
#define KEMU_EMU_MODEL_KERNEL_HPP_

#include <array>
#include <bitset>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kemu/bugcheck.hpp"
#include "kemu/machine.hpp"
#include "kemu/registry.hpp"
#include "model/affinity.hpp"
#include "model/bugcheck_callbacks.hpp"
#include "model/cpu.hpp"
#include "model/devices.hpp"
#include "model/dispatcher.hpp"
#include "model/dma_adapters.hpp"
#include "model/dpcs.hpp"
#include "model/error_log.hpp"
#include "model/ex_spin_locks.hpp"
#include "model/faults.hpp"
#include "model/generic_calls.hpp"
#include "model/handles.hpp"
#include "model/interrupts.hpp"
#include "model/io_space.hpp"
#include "model/ipi_calls.hpp"
#include "model/irql.hpp"
#include "model/lookasides.hpp"
#include "model/nmi_callbacks.hpp"
#include "model/physical_memory.hpp"
#include "model/pool.hpp"
#include "model/prng.hpp"
#include "model/registry_keys.hpp"
#include "model/resources.hpp"
#include "model/scheduler.hpp"
#include "model/spin_locks.hpp"
#include "model/system_threads.hpp"
#include "model/timers.hpp"
#include "model/trace.hpp"
#include "model/virtual_clock.hpp"
#include "model/work_items.hpp"
#include "personality/export_manifest.hpp"
#include "race/detector.hpp"
#include "verifier/verifier.hpp"

namespace kemu::model {

class Kernel final : public verifier::Host, public race::Host {
 public:
  explicit Kernel(const MachineOptions& options);
  /// Ends the vCPU workers first: their stacks unwind through the model.
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  const MachineOptions& options() const { return options_; }
  const Personality& personality() const override { return personality_; }

  // vCPUs.
  /// The running vCPU: a pointer kept beside current_, since nearly every kernel call asks.
  Cpu& cpu() { return *current_cpu_; }
  const Cpu& cpu() const { return *current_cpu_; }
  Cpu& cpu(unsigned index) { return *cpus_.at(index); }
  const Cpu& cpu(unsigned index) const { return *cpus_.at(index); }
  unsigned processor_count() const { return static_cast<unsigned>(cpus_.size()); }
  unsigned current_processor() const override { return current_; }
  /// Affinity mask of every vCPU.
  KAFFINITY active_processors() const override;
  unsigned test_processor() const override;
  KIRQL current_irql() const override { return cpu().irql; }
  /// The vCPU whose context holds the baton (the scheduler's; see model/scheduler.hpp).
  void SetCurrentProcessor(unsigned index) {
    current_ = index;
    current_cpu_ = cpus_.at(index).get();
  }
  Scheduler& scheduler() { return scheduler_; }
  const Scheduler& scheduler() const { return scheduler_; }

  // Areas.
  Irql& irql() { return irql_; }
  SpinLocks& spin_locks() { return spin_locks_; }
  ExSpinLocks& ex_spin_locks() { return ex_spin_locks_; }
  /// Spin locks of every kind vCPU `cpu` holds (ordinary, queued and reader/writer): what an ISR
  /// or DPC routine must give back before it returns.
  std::size_t SpinLocksHeldBy(unsigned cpu) const {
    return spin_locks_.HeldBy(cpu) + ex_spin_locks_.HeldBy(cpu);
  }
  Dpcs& dpcs() { return dpcs_; }
  Devices& devices() { return devices_; }
  const Devices& devices() const { return devices_; }
  Interrupts& interrupts() { return interrupts_; }
  IoSpace& io_space() { return io_space_; }
  Faults& faults() { return faults_; }
  Pool& pool() { return pool_; }
  const Pool& pool() const { return pool_; }
  DmaAdapters& dma_adapters() { return dma_adapters_; }
  const DmaAdapters& dma_adapters() const { return dma_adapters_; }
  PhysicalMemory& physical_memory() { return physical_memory_; }
  const PhysicalMemory& physical_memory() const { return physical_memory_; }
  Dispatcher& dispatcher() { return dispatcher_; }
  Resources& resources() { return resources_; }
  const Resources& resources() const { return resources_; }
  Timers& timers() { return timers_; }
  const Timers& timers() const { return timers_; }
  WorkItems& work_items() { return work_items_; }
  SystemThreads& system_threads() { return system_threads_; }
  /// Every handle a driver holds, whatever it names (threads, registry keys).
  Handles& handles() { return handles_; }
  /// The machine's registry (the test's view) and the keys drivers hold open in it.
  kemu::Registry& registry() { return registry_; }
  RegistryKeys& registry_keys() { return registry_keys_; }
  const RegistryKeys& registry_keys() const { return registry_keys_; }
  const SystemThreads& system_threads() const { return system_threads_; }
  const WorkItems& work_items() const { return work_items_; }
  Lookasides& lookasides() { return lookasides_; }
  GenericCalls& generic_calls() { return generic_calls_; }
  IpiCalls& ipi_calls() { return ipi_calls_; }
  Affinity& affinity() { return affinity_; }
  const Affinity& affinity() const { return affinity_; }
  ErrorLog& error_log() { return error_log_; }
  BugCheckCallbacks& bugcheck_callbacks() { return bugcheck_callbacks_; }
  const BugCheckCallbacks& bugcheck_callbacks() const { return bugcheck_callbacks_; }
  NmiCallbacks& nmi_callbacks() { return nmi_callbacks_; }
  const NmiCallbacks& nmi_callbacks() const { return nmi_callbacks_; }
  const ErrorLog& error_log() const { return error_log_; }
  const Lookasides& lookasides() const { return lookasides_; }
  verifier::Verifier& verifier() { return verifier_; }
  VirtualClock& clock() { return clock_; }
  const VirtualClock& clock() const { return clock_; }
  Prng& prng() { return prng_; }
  const Trace& trace() const { return trace_; }
  std::uint64_t trace_sequence() const override { return trace_.sequence(); }
  race::Detector& race() { return race_; }

  /// The personality provides routine `id` to a driver that calls it (a bit per export, from
  /// the manifest, so the check on every call is a load).
  bool callable(personality::ExportId id) const { return callable_[static_cast<std::size_t>(id)]; }
  /// After Machine::Shutdown or Abandon (`how` names which): the emulated system is off, so no
  /// routine is callable any more and abi::Refuse says why (a leak check that ran before the
  /// driver's last calls would have missed what they left).
  void Stop(const char* how) {
    stopped_by_ = how;
    callable_.reset();
  }
  /// What stopped the machine (Stop), or nullptr while it runs.
  const char* stopped_by() const { return stopped_by_; }
  /// Entry of every kernel routine the driver calls: refuses to run on a crashed machine and
  /// records the call. Every kernel call is also a point where pending work may be delivered.
  /// Inline: it runs on every call, and what it finds to do on most is nothing.
  // Always inlined, as abi::Enter is: the special-pool check made GCC outline it, which cost a
  // spin-lock pair 140 instructions (a third).
  /// `args` is the argument list the export writes out: an array, so that its length is a
  /// constant and recording it costs no loop (Trace::Record).
  template <std::size_t N>
  [[gnu::always_inline]] void EnterCall(const char* routine, const CallArg (&args)[N]) {
    if (crashed() || race_.pending()) [[unlikely]] {
      EnterAfterFailure();
    }
    trace_.Record(TraceKind::kCall, current_, cpu().irql, clock_.now_100ns(), routine, args);
    AfterEnter(routine, std::span<const CallArg, N>(args));
  }
  /// EnterCall for a routine without arguments.
  [[gnu::always_inline]] void EnterCall(const char* routine) {
    if (crashed() || race_.pending()) [[unlikely]] {
      EnterAfterFailure();
    }
    trace_.Record(TraceKind::kCall, current_, cpu().irql, clock_.now_100ns(), routine);
    AfterEnter(routine, std::span<const CallArg, 0>());
  }
  /// Traces an event that is not a driver call (a lock taken, a DPC routine starting, ...) on
  /// the running vCPU.
  template <std::size_t N>
  void Note(TraceKind kind, const char* name, const CallArg (&args)[N]) {
    trace_.Record(kind, current_, cpu().irql, clock_.now_100ns(), name, args);
  }
  void Note(TraceKind kind, const char* name) {
    trace_.Record(kind, current_, cpu().irql, clock_.now_100ns(), name);
  }
  /// Writes `cpu`'s IRQL and traces the change, without delivering what became deliverable: the
  /// kernel's own transitions around ISRs and DPCs. Irql::Set is this plus delivery.
  void WriteIrql(Cpu& cpu, KIRQL irql) {
    const KIRQL old = cpu.irql;
    if (old == irql) return;
    cpu.irql = irql;
    if (!trace_.Keeps(TraceKind::kIrql)) {
      trace_.Skip();
      return;
    }
    trace_.RecordIrql(cpu.index, old, irql, clock_.now_100ns());
  }
  /// Note for the events of hot paths (everything but kernel calls, interrupt deliveries and DPC
  /// starts, which reports list): `args()` returns the arguments as a std::array<CallArg, N>, and
  /// is called only when the trace keeps the event. With tracing off the event is only numbered.
  template <typename ArgsFn>
  void NoteLazily(TraceKind kind, const char* name, ArgsFn&& args) {
    if (!trace_.Keeps(kind)) {
      trace_.Skip();
      return;
    }
    const auto list = args();
    trace_.Record(kind, current_, cpu().irql, clock_.now_100ns(), name,
                  std::span<const CallArg>(list));
  }
  /// Traces a spin lock taken or dropped (kLockAcquire, kLockRelease) by `routine` on the running
  /// vCPU.
  void NoteLock(TraceKind kind, const char* routine, const void* lock) {
    NoteLazily(kind, routine, [lock] {
      return std::array{AddressArg("Lock", reinterpret_cast<std::uintptr_t>(lock))};
    });
  }
  /// Virtual time moved (KeStallExecutionProcessor): scheduled device events may be due.
  void AdvanceTime(std::uint64_t microseconds);
  /// Moves the clock to interrupt time `target_100ns` (never back), stopping at every timer due
  /// on the way to expire it, then performs the device events now due.
  void AdvanceTimeTo(std::uint64_t target_100ns);
  /// The DPC watchdog (model/allotment.hpp): bug check 0x133 / 0 if the ISR or DPC routine
  /// running on this vCPU has used its allotment; otherwise the call count at which it will have.
  void CheckAllotment();
  /// Run time `allotment`'s routine has used so far, in microseconds: the virtual time since it
  /// began plus 1 us per kernel call (model/allotment.hpp). The DPC watchdog's one measure.
  std::uint64_t AllotmentUsedUs(const Allotment& allotment) const {
    return (clock_.now_100ns() - allotment.began_100ns) / 10 +
           (trace_.calls() - allotment.began_calls);
  }
  /// Kernel calls an ISR or DPC routine may make before the DPC watchdog looks at it: the
  /// allotment in microseconds, or a count no routine reaches when the watchdog is off.
  std::uint64_t allotment_calls() const { return allotment_calls_; }

  /// Raises a bug check. Returns only under BugCheckAction::kRecord; the caller then continues as
  /// a retail kernel would.
  void BugCheck(const verifier::Violation& violation) override;
  /// Raises a bug check after which nothing can continue (deadlock, storm, corruption).
  [[noreturn]] void Crash(const verifier::Violation& violation);
  /// Traces a race the detector found (an instant in the exported timeline).
  void NoteRace(std::uintptr_t address, std::uint64_t size) override;
  /// Raises a data race as `on_bug_check` says: thrown (ending the machine like a harness error
  /// in a callback), recorded, or printed before an abort.
  void RaiseRace(const kemu::DataRace& race) override;
  // race::Host: what the detector reads of the machine.
  bool exploring() const override;
  void QuietSchedulePoint() override;
  std::string DescribePoolAddress(std::uintptr_t address) const override;
  std::string MachineContext() const override;

  /// The driver callback the kernel is running, on the calling vCPU if it runs one ("an ISR on
  /// vCPU 0 at IRQL 7 on Windows 10"), or "" when the test, not the kernel, called the driver.
  std::string RunningCallback() const override;
  std::string DescribeCode(std::uintptr_t pc) const override;
  std::string DescribeLock(std::uintptr_t lock) const override;
  std::string RunningContext() const override;
  /// Ends the machine with a harness error thrown out of a driver callback: the kernel frames
  /// around it (raised IRQL, interrupt lock, DPC state) can never be completed, so the machine is
  /// finished as after a bug check, and every later kernel call throws `error` again.
  template <typename E>
  [[noreturn]] void End(const E& error) {
    ended_ = std::make_exception_ptr(error);
    failed_ = true;
    throw error;
  }
  /// Fails loudly for what kemu does not model: throws kemu::NotModelled naming `what` (the
  /// routine, and how it was called where that is what kemu lacks), ending the machine first when
  /// a driver callback made the call (End).
  [[noreturn]] void ThrowNotModelled(std::string what);
  /// Ends the machine with `failure` (any exception a vCPU worker's callback threw) unless a bug
  /// check already crashed it; the test thread rethrows it.
  void EndWith(std::exception_ptr failure);
  /// Throws the bug check or error that ended the machine, if any.
  void ThrowIfCrashed() const;

  bool crashed() const override { return failed_; }
  const std::vector<kemu::BugCheck>& recorded() const { return recorded_; }

  void AppendDebugOutput(const std::string& text);
  const std::string& debug_output() const { return debug_output_; }

 private:
  /// The rest of EnterCall, once the call is recorded.
  template <std::size_t N>
  [[gnu::always_inline]] void AfterEnter(const char* routine, std::span<const CallArg, N> args) {
    // The DPC watchdog: an ISR or DPC routine that has run past its allotment (allotment.hpp).
    if (trace_.calls() > cpu().allotment.call_limit) [[unlikely]] {
      CheckAllotment();
    }
    // Special pool (Verifier): a pointer into freed pool, or read out of it, faults here.
    if (special_pool_) pool_.CheckArguments(routine, args);
    // Every kernel call is a point where a scheduled interrupt can land (docs/decisions.md,
    // decision 5), and where another vCPU may run.
    interrupts_.RunDueEvents();
    scheduler_.Point();
  }

  void RaiseFatal(const verifier::Violation& violation) override { Crash(violation); }
  kemu::BugCheck MakeBugCheck(const verifier::Violation& violation) const;
  [[noreturn]] void Throw(kemu::BugCheck bug_check);
  void NoteBugCheck(const verifier::Violation& violation);
  /// EnterCall on a machine a failure ended (throws it again) or with a race found in
  /// instrumented code waiting to be raised.
  void EnterAfterFailure();

  MachineOptions options_;
  std::uint64_t allotment_calls_ = 0;
  const Personality& personality_;
  std::bitset<static_cast<std::size_t>(personality::ExportId::kCount)> callable_;
  const char* stopped_by_ = nullptr;  ///< Stop's `how`
  std::vector<std::unique_ptr<Cpu>> cpus_;
  unsigned current_ = 0;
  Cpu* current_cpu_ = nullptr;  ///< cpus_[current_]
  VirtualClock clock_;
  Prng prng_;
  Trace trace_;
  verifier::Verifier verifier_;
  Irql irql_;
  SpinLocks spin_locks_;
  ExSpinLocks ex_spin_locks_;
  Dpcs dpcs_;
  Devices devices_;
  Interrupts interrupts_;
  IoSpace io_space_;
  Faults faults_;
  PhysicalMemory physical_memory_;
  Pool pool_;
  Dispatcher dispatcher_;
  Resources resources_;
  Timers timers_;
  WorkItems work_items_;
  DmaAdapters dma_adapters_;
  Lookasides lookasides_;
  GenericCalls generic_calls_;
  IpiCalls ipi_calls_;
  Affinity affinity_;
  ErrorLog error_log_;
  BugCheckCallbacks bugcheck_callbacks_;
  NmiCallbacks nmi_callbacks_;
  Handles handles_;
  kemu::Registry registry_;
  RegistryKeys registry_keys_;
  SystemThreads system_threads_;
  std::optional<kemu::BugCheck> crash_;
  std::exception_ptr ended_;  ///< a harness error that ended the machine (End)
  /// crash_ or ended_ is set: one flag, read on every kernel call.
  bool failed_ = false;
  /// Driver Verifier's special pool is on: kernel calls check their pointer arguments against
  /// freed pool (Pool::CheckArguments). One flag, read on every kernel call.
  bool special_pool_ = false;
  std::vector<kemu::BugCheck> recorded_;
  std::string debug_output_;
  race::Detector race_;
  Scheduler scheduler_;  ///< last: its workers are ended before anything they may touch
};

// Irql's small members, defined where Kernel is complete: they run on every IRQL change, and
// what lowering finds to deliver is almost always nothing (two compares).
inline KIRQL Irql::Current() const { return kernel_.cpu().irql; }

inline void Irql::Lower(KIRQL new_irql) {
  const KIRQL old = Current();
  if (new_irql > HIGH_LEVEL) [[unlikely]] {
    kernel_.verifier().IrqlOutOfRange("KeLowerIrql", old, new_irql);
  }
  if (new_irql > old) [[unlikely]] {
    kernel_.verifier().LowerAboveCurrent(old, new_irql);
  } else if (const Cpu& cpu = kernel_.cpu(); cpu.dpc_depth > 0 && new_irql < cpu.dpc_irql)
      [[unlikely]] {
    kernel_.verifier().LowerInsideDpc(old, new_irql);
  }
  Set(new_irql);
}

inline void Irql::Set(KIRQL new_irql) {
  Cpu& cpu = kernel_.cpu();
  const KIRQL old = cpu.irql;
  kernel_.WriteIrql(cpu, new_irql);
  if (new_irql < old) {
    DeliverPending(cpu);
    // A processor change deferred at DISPATCH_LEVEL happens after the DPCs the drop lets run.
    if (cpu.deferred_move && cpu.irql < DISPATCH_LEVEL) [[unlikely]] {
      kernel_.affinity().MoveDeferred(cpu);
    }
  }
}

inline void Irql::DeliverPending(Cpu& cpu) {
  kernel_.interrupts().DeliverPending();
  if (cpu.irql < DISPATCH_LEVEL) kernel_.dpcs().Retire(cpu);
}

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_KERNEL_HPP_
