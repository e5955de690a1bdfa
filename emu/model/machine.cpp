// kemu::Machine: the RAII face of model::Kernel and the thread's current-machine scope.
#include "kemu/machine.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <fstream>
#include <utility>

#include "kemu/error.hpp"
#include "model/current_machine.hpp"
#include "model/kernel.hpp"

namespace kemu {

thread_local constinit Machine* model::current_machine = nullptr;

namespace {

using model::current_machine;

// Reserved when the machine is built: far beyond any test's need, and small enough to allocate.
constexpr unsigned kMaxCallHistory = 1u << 20;
constexpr unsigned kMaxTraceCapacity = 1u << 24;

MachineOptions Validated(MachineOptions options) {
  if (static_cast<std::size_t>(options.os) >= kOsCount) {
    throw Error("kemu: MachineOptions::os is not one of the kemu::Os values, got " +
                std::to_string(static_cast<unsigned>(options.os)));
  }
  if (options.call_history > kMaxCallHistory) {
    throw Error("kemu: MachineOptions::call_history must be at most " +
                std::to_string(kMaxCallHistory) + ", got " + std::to_string(options.call_history));
  }
  if (options.trace_capacity > kMaxTraceCapacity) {
    throw Error("kemu: MachineOptions::trace_capacity must be at most " +
                std::to_string(kMaxTraceCapacity) + " events, got " +
                std::to_string(options.trace_capacity));
  }
  if (options.processors == 0 || options.processors > 64) {
    throw Error("kemu: MachineOptions::processors must be 1..64, got " +
                std::to_string(options.processors));
  }
  if (options.schedule.depth == 0 || options.schedule.depth > 16) {
    throw Error("kemu: ScheduleOptions::depth must be 1..16, got " +
                std::to_string(options.schedule.depth));
  }
  return options;
}

/// What a driver left behind at shutdown, pool aside, and the first leaked object.
struct Leaks {
  std::vector<std::string> lines;
  std::uint64_t first_object = 0;

  void Add(std::vector<std::string> more, std::uintptr_t first) {
    for (std::string& line : more) lines.push_back(std::move(line));
    if (first_object == 0) first_object = first;
  }
};

void AddIrqlLeaks(model::Kernel& kernel, Leaks& leaks) {
  for (unsigned i = 0; i < kernel.processor_count(); ++i) {
    const KIRQL irql = kernel.cpu(i).irql;
    if (irql != PASSIVE_LEVEL) {
      leaks.lines.push_back(
          "vCPU " + std::to_string(i) + " is still at IRQL " + std::to_string(irql) +
          " (expected PASSIVE_LEVEL)" +
          (kernel.dispatcher().WaitNextPending(i)
               ? ": a KeSetEvent, KeReleaseSemaphore or KeReleaseMutex with Wait=TRUE "
                 "left it at DISPATCH_LEVEL, and no KeWaitFor... followed"
               : ""));
    }
  }
}

void AddRegionLeaks(model::Kernel& kernel, Leaks& leaks) {
  for (unsigned i = 0; i < kernel.processor_count(); ++i) {
    if (const int regions = kernel.dispatcher().critical_regions(i); regions > 0) {
      leaks.lines.push_back("the thread on vCPU " + std::to_string(i) + " is still inside " +
                            std::to_string(regions) +
                            " critical region(s) (KeEnterCriticalRegion without "
                            "KeLeaveCriticalRegion)");
    }
    if (const unsigned regions = kernel.dispatcher().guarded_regions(i); regions > 0) {
      leaks.lines.push_back("the thread on vCPU " + std::to_string(i) + " is still inside " +
                            std::to_string(regions) +
                            " guarded region(s) (KeEnterGuardedRegion or KeAcquireGuardedMutex "
                            "without the leave or release)");
    }
  }
}

// Saves an ISR, DPC, work item or system thread left open are reported when their routine
// returns; one made on the test's own thread (a dispatch routine the test called) only here.
void AddFloatingLeaks(model::Kernel& kernel, Leaks& leaks) {
  for (unsigned i = 0; i < kernel.processor_count(); ++i) {
    for (const model::FloatingSave& save : kernel.cpu(i).floating_saves) {
      leaks.Add({fmt::format("the floating-point state saved into {} on vCPU {} at IRQL {} "
                             "(trace event #{}) was never restored (KeSaveFloatingPointState or "
                             "KeSaveExtendedProcessorState without its restore)",
                             save.buffer, i, save.irql, save.sequence)},
                reinterpret_cast<std::uintptr_t>(save.buffer));
    }
  }
}

Leaks LeftBehind(model::Kernel& kernel) {
  Leaks leaks;
  AddIrqlLeaks(kernel, leaks);
  // A vCPU still busy on its own context was left spinning or waiting.
  leaks.Add(kernel.scheduler().DescribeContexts(/*include_test=*/false), 0);
  leaks.Add(kernel.spin_locks().DescribeHeld(), kernel.spin_locks().FirstHeld());
  leaks.Add(kernel.ex_spin_locks().DescribeHeld(), kernel.ex_spin_locks().FirstHeld());
  leaks.Add(kernel.dpcs().DescribeQueued(), kernel.dpcs().FirstQueued());
  leaks.Add(kernel.interrupts().DescribeConnected(), kernel.interrupts().FirstConnected());
  leaks.Add(kernel.io_space().DescribeMapped(), kernel.io_space().FirstMapped());
  leaks.Add(kernel.timers().DescribeSet(), kernel.timers().FirstSet());
  leaks.Add(kernel.timers().ex().DescribeLeaks(), kernel.timers().ex().FirstLeak());
  leaks.Add(kernel.work_items().DescribeLeaks(), kernel.work_items().FirstLeak());
  leaks.Add(kernel.dma_adapters().DescribeLeaks(), kernel.dma_adapters().FirstLeak());
  leaks.Add(kernel.system_threads().DescribeLeaks(), kernel.system_threads().FirstLeak());
  leaks.Add(kernel.registry_keys().DescribeLeaks(), kernel.registry_keys().FirstLeak());
  leaks.Add(kernel.lookasides().DescribeLive(), kernel.lookasides().FirstLive());
  leaks.Add(kernel.dispatcher().DescribeOwned(), kernel.dispatcher().FirstOwned());
  leaks.Add(kernel.resources().DescribeHeld(), kernel.resources().FirstHeld());
  AddRegionLeaks(kernel, leaks);
  AddFloatingLeaks(kernel, leaks);
  leaks.Add(kernel.error_log().DescribeLeaks(), kernel.error_log().FirstLeak());
  leaks.Add(kernel.bugcheck_callbacks().DescribeLeaks(), kernel.bugcheck_callbacks().FirstLeak());
  leaks.Add(kernel.nmi_callbacks().DescribeLeaks(), kernel.nmi_callbacks().FirstLeak());
  if (kernel.affinity().system_set()) {
    leaks.lines.push_back(fmt::format(
        "the test's thread still runs with the system affinity {:#x} a driver set "
        "(KeSetSystemAffinityThread(Ex) or KeSetSystemGroupAffinityThread without the revert)",
        kernel.affinity().system_affinity()));
  }
  return leaks;
}

// What drives the emulated system from the test (time, settling, processors, NMIs) has nothing to
// run on once it is off; like a kernel call then (abi::Refuse), it is the test's mistake.
void RefuseIfStopped(const model::Kernel& kernel, const char* what) {
  if (const char* how = kernel.stopped_by()) {
    throw Error(
        fmt::format("kemu: Machine::{} called after {}: the emulated system is off", what, how));
  }
}

}  // namespace

Machine::Machine(Os os) : Machine(MachineOptions{.os = os}) {}

Machine::Machine(MachineOptions options)
    : kernel_(std::make_unique<model::Kernel>(Validated(options))),
      previous_(current_machine),
      uncaught_at_construction_(std::uncaught_exceptions()) {
  current_machine = this;
  // A vCPU's worker context runs the driver's callbacks: their kernel calls come to this machine.
  kernel_->scheduler().SetBinding(
      [](void* binding) {
        return static_cast<void*>(std::exchange(current_machine, static_cast<Machine*>(binding)));
      },
      this);
}

Machine::~Machine() {
  // Destroyed while another machine is current (machines destroyed in the order they were built):
  // this one is current while it shuts down, so what the shutdown runs calls its kernel, and
  // leaves the thread's stack of machines without itself.
  Machine* const current = current_machine;
  current_machine = this;
  const bool unwinding = std::uncaught_exceptions() > uncaught_at_construction_;
  if (!shut_down_ && !kernel_->crashed() && !unwinding) {
    try {
      Shutdown();
    } catch (const BugCheck& leak) {
      ReportFailure(leak);
    } catch (const std::exception& error) {
      // A harness error another vCPU raised while finishing its work; a destructor cannot throw.
      std::fprintf(stderr, "%s\n", error.what());
    }
  }
  if (current == this) {
    current_machine = previous_;
    return;
  }
  current_machine = current;
  for (Machine* newer = current; newer != nullptr; newer = newer->previous_) {
    if (newer->previous_ == this) {
      newer->previous_ = previous_;
      break;
    }
  }
}

Os Machine::os() const { return kernel_->options().os; }
const Personality& Machine::personality() const { return kernel_->personality(); }
const MachineOptions& Machine::options() const { return kernel_->options(); }

Device& Machine::AddDevice(DeviceConfig config) {
  return kernel_->devices().Add(std::move(config));
}

void Machine::InjectFault(Fault fault) { kernel_->faults().Add(fault); }

std::uint8_t Machine::CurrentIrql() const { return kernel_->cpu().irql; }
unsigned Machine::CurrentProcessor() const { return kernel_->current_processor(); }
void Machine::LoadDriver(const DriverImports& imports) {
  std::vector<std::string> missing = MissingImports(imports, os());
  if (!missing.empty()) {
    throw LoadFailure(imports.driver, std::string(personality().display_name), std::move(missing));
  }
}

void Machine::SwitchToProcessor(unsigned processor) {
  RefuseIfStopped(*kernel_, "SwitchToProcessor");
  kernel_->scheduler().Rebind(processor);
}
void Machine::KeepProcessorBusy(unsigned processor, std::uint8_t irql) {
  kernel_->ThrowIfCrashed();
  RefuseIfStopped(*kernel_, "KeepProcessorBusy");
  kernel_->scheduler().Occupy(processor, irql);
}
void Machine::ReleaseProcessor(unsigned processor) {
  kernel_->ThrowIfCrashed();
  RefuseIfStopped(*kernel_, "ReleaseProcessor");
  kernel_->scheduler().Vacate(processor);
}
void Machine::RunPendingDpcs() {
  RefuseIfStopped(*kernel_, "RunPendingDpcs");
  kernel_->dpcs().RetireAll();
}

void Machine::RaiseNmi() {
  kernel_->ThrowIfCrashed();
  RefuseIfStopped(*kernel_, "RaiseNmi");
  kernel_->nmi_callbacks().Raise();
}

void Machine::Settle() {
  model::Kernel& kernel = *kernel_;
  kernel.ThrowIfCrashed();
  RefuseIfStopped(kernel, "Settle");
  // Until a pass changes nothing: every event is numbered, traced or not.
  for (std::uint64_t before = ~std::uint64_t{0}; before != kernel.trace().sequence();) {
    before = kernel.trace().sequence();
    kernel.irql().DeliverPending(kernel.cpu());
    kernel.dpcs().RetireAll();
    kernel.scheduler().Quiesce();
    kernel.work_items().RunQueued();
  }
}
std::uint64_t Machine::InterruptTime() const { return kernel_->clock().now_100ns(); }

void Machine::AdvanceTime(std::uint64_t microseconds) {
  kernel_->ThrowIfCrashed();
  RefuseIfStopped(*kernel_, "AdvanceTime");
  kernel_->AdvanceTime(microseconds);
}

void Machine::Abandon() {
  shut_down_ = true;
  kernel_->Stop("Machine::Abandon()");
}

void Machine::Shutdown() {
  if (shut_down_ || kernel_->crashed()) return;
  shut_down_ = true;
  model::Kernel& kernel = *kernel_;
  // The test body is done; the other vCPUs finish what they were running first, as the machine
  // would go on running them, and the work the test kept them busy with ends.
  kernel.scheduler().VacateAll();
  kernel.scheduler().Quiesce();
  // A race found after the last kernel call: the test's own call into the driver made it.
  kernel.race().RaisePending();
  // The driver has run its last: once the checks are done, a kernel call is refused (nothing would
  // check what it leaves). Not before: a leak's bug check runs the driver's bug-check callbacks.
  struct StopWhenChecked {
    model::Kernel& kernel;
    ~StopWhenChecked() { kernel.Stop("Machine::Shutdown()"); }
  } stop{kernel};
  // Freed special pool is checked for writes after its free before it goes back to the host.
  kernel.pool().ReleaseQuarantine("Machine::Shutdown");
  Leaks leaks = LeftBehind(kernel);
  std::vector<std::string> pool = kernel.pool().DescribeOutstanding();
  const bool verifier = kernel.verifier().mode() == verifier::CheckMode::kVerifier;
  // Pool left behind alone is what Driver Verifier's pool tracking reports at unload (0xC4/0x62);
  // with anything else left too, or without Verifier, it joins kemu's own leak report.
  if (leaks.lines.empty() && !pool.empty() && verifier) {
    kernel.verifier().PoolLeakedAtShutdown(pool, kernel.pool().FirstOutstanding());
  }
  for (std::string& leak : pool) leaks.lines.push_back(std::move(leak));
  if (leaks.first_object == 0) leaks.first_object = kernel.pool().FirstOutstanding();
  // Driver Verifier's unload check finds a timer that would queue the driver's DPC after unload
  // (0xC7); without Verifier nothing checks, and the crash would come when it fired.
  if (const auto timer = kernel.timers().FirstSetWithDpc(); timer.has_value() && verifier) {
    kernel.verifier().TimerSetAtUnload(timer->timer, timer->dpc,
                                       kernel.dpcs().RoutineOf(timer->dpc), leaks.lines);
  }
  if (!leaks.lines.empty()) kernel.verifier().LeaksAtShutdown(leaks.lines, leaks.first_object);
}

bool Machine::crashed() const { return kernel_->crashed(); }

const char* Machine::PendingRaceReport() const {
  const DataRace* race = kernel_->race().pending_race();
  return race != nullptr ? race->report().c_str() : nullptr;
}
const std::vector<BugCheck>& Machine::bug_checks() const { return kernel_->recorded(); }
const std::string& Machine::debug_output() const { return kernel_->debug_output(); }
const std::vector<ErrorLogEntry>& Machine::error_log() const {
  return kernel_->error_log().written();
}

const std::vector<SecondaryDumpData>& Machine::secondary_dump_data() const {
  return kernel_->bugcheck_callbacks().secondary_dump_data();
}
Registry& Machine::registry() { return kernel_->registry(); }
std::size_t Machine::pool_allocations() const { return kernel_->pool().outstanding(); }

std::size_t Machine::system_threads_created() const { return kernel_->system_threads().created(); }

void* Machine::HostAddressOf(std::uint64_t physical, std::size_t bytes) {
  void* host = kernel_->physical_memory().HostOf(physical, bytes);
  // Physical pages outlive the blocks in them; a device must not reach memory the driver freed.
  if (host == nullptr || !kernel_->pool().Holds(reinterpret_cast<std::uintptr_t>(host), bytes)) {
    return nullptr;
  }
  return host;
}

std::string Machine::TraceJson() const {
  return kernel_->trace().ToChromeJson(personality(), options());
}

void Machine::WriteTrace(const std::string& path) const {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << TraceJson();
  file.close();
  if (!file) throw Error("kemu: cannot write the trace to " + path);
}

Machine& Machine::Current() {
  if (current_machine == nullptr) throw NoMachine("kemu::Machine::Current()");
  return *current_machine;
}

Machine* Machine::CurrentOrNull() { return current_machine; }

}  // namespace kemu
