// Fuzz target: kemu's own C ABI. The input is a program of WDK calls in fuzzer-chosen order with
// fuzzer-chosen arguments, made from the test thread, from ISRs, DPCs, KeSynchronizeExecution
// routines and work items, and (kernel_api_sync_ops.cpp, kernel_api_system_ops.cpp,
// kernel_api_memory_ops.cpp, kernel_api_exec_ops.cpp) from threaded DPCs, system threads, IPI
// workers, EX_TIMER callbacks and bug-check callbacks, on a fuzzer-chosen personality and
// kernel mode. Pointers always point at valid memory (kemu cannot survive a wild pointer any more
// than Windows can), but of every other kind: zeroed objects never initialised, objects of the
// wrong kind, objects in use.
// Every outcome must be a return value, a kemu::BugCheck (the machine crashed, as Windows would),
// or a kemu::Error naming what kemu does not model; anything else escaping, a crash, a hang or a
// sanitizer report is a finding.
#include "kernel_api_fuzzer.hpp"
// After wdm.h: the library routines of Iointex.lib, for the pre-Vista personalities.
#include <iointex.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace kemu_fuzz {

thread_local Run* current = nullptr;

void NestedOps(unsigned most) {
  if (current != nullptr) Ops(*current, current->depth + 1, current->in.Pick(most));
}

LARGE_INTEGER Timeout(Bytes& in) {
  LARGE_INTEGER timeout;
  // Relative (negative, 100 ns units) or 0 (poll); an absolute time now and then.
  switch (in.Pick(3)) {
    case 0:
      timeout.QuadPart = 0;
      break;
    case 1:
      timeout.QuadPart = -static_cast<LONGLONG>(in.U32() % 1000000);
      break;
    default:
      timeout.QuadPart = static_cast<LONGLONG>(in.U32());
      break;
  }
  return timeout;
}

namespace {

BOOLEAN FuzzIsr(PKINTERRUPT, PVOID) {
  if (current == nullptr) return FALSE;
  const bool claim = current->in.Flag();
  NestedOps(4);
  return claim ? TRUE : FALSE;
}

BOOLEAN FuzzMessageIsr(PKINTERRUPT interrupt, PVOID context, ULONG) {
  return FuzzIsr(interrupt, context);
}

VOID FuzzDpc(PKDPC, PVOID, PVOID, PVOID) { NestedOps(4); }

BOOLEAN FuzzSynchronized(PVOID) {
  NestedOps(3);
  return TRUE;
}

VOID FuzzWorkItem(PDEVICE_OBJECT, PVOID) { NestedOps(3); }

void Connect(Run& run, std::size_t slot) {
  Bytes& in = run.in;
  if (run.state.interrupts[slot] != nullptr) return;
  PKINTERRUPT* target = &run.state.interrupts[slot];
  const kemu::LineInterrupt& line = *run.device.config().line;
  if (in.Flag()) {
    // IoConnectInterrupt with values near the device's and out of range alike.
    const ULONG vector = in.Flag() ? line.vector : in.U32();
    const KIRQL irql = in.Flag() ? line.irql : in.Byte();
    const KIRQL sync = in.Flag() ? irql : in.Byte();
    KINTERRUPT_MODE mode;
    const int raw_mode = in.Flag() ? 0 : static_cast<int>(in.U32());
    std::memcpy(&mode, &raw_mode, sizeof(mode));
    // Arguments read last first: one input, one program under any compiler (docs/fuzzing.md).
    const KAFFINITY affinity = in.Flag() ? ~KAFFINITY{0} : in.U64();
    const BOOLEAN shared = in.Flag();
    PKSPIN_LOCK lock = in.Flag() ? &run.state.locks[0] : nullptr;
    (void)IoConnectInterrupt(target, &FuzzIsr, &run.state, lock, vector, irql, sync, mode, shared,
                             affinity, FALSE);
    return;
  }
  IO_CONNECT_INTERRUPT_PARAMETERS parameters;
  std::memset(&parameters, 0, sizeof(parameters));
  parameters.Version = in.Pick(7);
  switch (parameters.Version) {
    case CONNECT_FULLY_SPECIFIED:
    case CONNECT_FULLY_SPECIFIED_GROUP:
      parameters.FullySpecified.PhysicalDeviceObject = run.device.pdo();
      parameters.FullySpecified.InterruptObject = target;
      parameters.FullySpecified.ServiceRoutine = &FuzzIsr;
      parameters.FullySpecified.Vector = in.Flag() ? line.vector : in.U32();
      parameters.FullySpecified.Irql = in.Flag() ? line.irql : in.Byte();
      parameters.FullySpecified.SynchronizeIrql = in.Flag() ? line.irql : in.Byte();
      parameters.FullySpecified.ShareVector = in.Flag();
      parameters.FullySpecified.ProcessorEnableMask = in.Flag() ? ~KAFFINITY{0} : in.U64();
      parameters.FullySpecified.Group = in.Byte();
      break;
    case CONNECT_LINE_BASED:
      parameters.LineBased.PhysicalDeviceObject = in.Flag() ? run.device.pdo() : nullptr;
      parameters.LineBased.InterruptObject = target;
      parameters.LineBased.ServiceRoutine = &FuzzIsr;
      parameters.LineBased.SynchronizeIrql = in.Byte();
      break;
    default:  // message based, passive, and versions that do not exist
      parameters.MessageBased.PhysicalDeviceObject = in.Flag() ? run.device.pdo() : nullptr;
      parameters.MessageBased.ConnectionContext.InterruptObject = target;
      parameters.MessageBased.MessageServiceRoutine = &FuzzMessageIsr;
      parameters.MessageBased.FallBackServiceRoutine = in.Flag() ? &FuzzIsr : nullptr;
      parameters.MessageBased.SynchronizeIrql = in.Byte();
      break;
  }
  // Before Vista a driver reaches it through Iointex.lib (what <iointex.h> maps it to for XP).
  const bool library = run.machine.os() < kemu::Os::kWindowsVista;
  const NTSTATUS status =
      library ? WdmlibIoConnectInterruptEx(&parameters) : IoConnectInterruptEx(&parameters);
  if (status == STATUS_SUCCESS && parameters.Version == CONNECT_MESSAGE_BASED) {
    // A message table, not an interrupt object: keep the first message's object.
    auto* table = reinterpret_cast<PIO_INTERRUPT_MESSAGE_INFO>(*target);
    IO_DISCONNECT_INTERRUPT_PARAMETERS disconnect;
    std::memset(&disconnect, 0, sizeof(disconnect));
    disconnect.Version = CONNECT_MESSAGE_BASED;
    disconnect.ConnectionContext.InterruptMessageTable = table;
    if (in.Flag()) {
      IoDisconnectInterruptEx(&disconnect);  // Vista on: only there is a message table granted
      *target = nullptr;
    } else {
      *target = table->MessageInfo[0].InterruptObject;
    }
  }
}

void Op(Run& run) {
  Bytes& in = run.in;
  DriverState& s = run.state;
  const std::size_t i = in.Pick(kObjects);
  KIRQL old_irql = 0;
  // New families go after the old ones. Widening this choice changes what the checked-in corpus
  // decodes to, so its inputs are re-encoded with it to keep their programs (docs/fuzzing.md).
  switch (in.Pick(44)) {
    case 0:
      KeRaiseIrql(static_cast<KIRQL>(in.Pick(16)), &s.old_irqls[i]);
      break;
    case 1:
      KeLowerIrql(in.Flag() ? s.old_irqls[i] : static_cast<KIRQL>(in.Pick(16)));
      break;
    case 2:
      KeInitializeSpinLock(&s.locks[i]);
      break;
    case 3:
      KeAcquireSpinLock(&s.locks[i], &s.old_irqls[i]);
      break;
    case 4:
      KeReleaseSpinLock(&s.locks[i], s.old_irqls[i]);
      break;
    case 5:
      if (in.Flag()) {
        KeAcquireSpinLockAtDpcLevel(&s.locks[i]);
      } else {
        KeReleaseSpinLockFromDpcLevel(&s.locks[i]);
      }
      break;
    case 6:
      if (run.machine.os() == kemu::Os::kWindows2000) break;  // in-stack queued locks: XP on
      if (in.Flag()) {
        KeAcquireInStackQueuedSpinLock(&s.locks[i], &s.queue_handles[i]);
      } else {
        KeReleaseInStackQueuedSpinLock(&s.queue_handles[in.Pick(kObjects)]);
      }
      break;
    case 7:
      KeInitializeDpc(&s.dpcs[i], &FuzzDpc, &s);
      break;
    case 8:
      (void)KeInsertQueueDpc(&s.dpcs[i], nullptr, nullptr);
      break;
    case 9:
      (void)KeRemoveQueueDpc(&s.dpcs[i]);
      break;
    case 10: {
      KDPC_IMPORTANCE importance;
      const int raw = in.Flag() ? in.Pick(3) : static_cast<int>(in.U32());
      std::memcpy(&importance, &raw, sizeof(importance));
      KeSetImportanceDpc(&s.dpcs[i], importance);
      break;
    }
    case 11:
      KeSetTargetProcessorDpc(&s.dpcs[i], static_cast<CCHAR>(in.Byte()));
      break;
    case 12:
      if (run.machine.os() != kemu::Os::kWindows2000) KeFlushQueuedDpcs();  // XP on
      break;
    case 13:
      Connect(run, i);
      break;
    case 14:
      if (s.interrupts[i] != nullptr) {
        IoDisconnectInterrupt(s.interrupts[i]);
        if (in.Flag()) s.interrupts[i] = nullptr;  // else keep the stale pointer
      }
      break;
    case 15:
      if (s.interrupts[i] != nullptr || in.Flag()) {
        // A null or stale interrupt, or a pointer to something that is not one.
        PKINTERRUPT interrupt = s.interrupts[i] != nullptr
                                    ? s.interrupts[i]
                                    : reinterpret_cast<PKINTERRUPT>(&s.events[i]);
        (void)KeSynchronizeExecution(interrupt, &FuzzSynchronized, &s);
      }
      break;
    case 16:
      if (s.interrupts[i] != nullptr) {
        old_irql = KeAcquireInterruptSpinLock(s.interrupts[i]);
        if (in.Flag()) KeReleaseInterruptSpinLock(s.interrupts[i], old_irql);
      }
      break;
    case 17:
      run.device.AssertLine();
      break;
    case 18:
      run.device.DeassertLine();
      break;
    case 19:
      run.device.PulseLine();
      break;
    case 20:
      // Only messages the PnP manager granted exist; asking for another is the harness's mistake.
      if (run.device.granted_messages() > 0) {
        run.device.SignalMessage(in.Pick(run.device.granted_messages()));
      }
      break;
    case 21: {
      EVENT_TYPE type;
      const int raw = in.Flag() ? in.Pick(2) : static_cast<int>(in.U32());
      std::memcpy(&type, &raw, sizeof(type));
      KeInitializeEvent(&s.events[i], type, in.Flag());
      break;
    }
    case 22:
      switch (in.Pick(4)) {
        case 0:
          (void)KeSetEvent(&s.events[i], IO_NO_INCREMENT, FALSE);
          break;
        case 1:
          (void)KeResetEvent(&s.events[i]);
          break;
        case 2:
          KeClearEvent(&s.events[i]);
          break;
        default:
          (void)KeReadStateEvent(&s.events[i]);
          break;
      }
      break;
    case 23: {
      LARGE_INTEGER timeout = Timeout(in);
      (void)KeWaitForSingleObject(&s.events[i], Executive, KernelMode, FALSE,
                                  in.Flag() ? nullptr : &timeout);
      break;
    }
    case 24:
      if (in.Flag()) {
        KeInitializeTimerEx(&s.timers[i], in.Flag() ? NotificationTimer : SynchronizationTimer);
      } else {
        LARGE_INTEGER due = Timeout(in);
        PKDPC dpc = in.Flag() ? &s.dpcs[i] : nullptr;
        const auto period = static_cast<LONG>(in.Byte());
        (void)KeSetTimerEx(&s.timers[i], due, period, dpc);
      }
      break;
    case 25:
      (void)KeCancelTimer(&s.timers[i]);
      break;
    case 26:
      if (run.depth == 0) run.machine.AdvanceTime(in.U32() % 100000);
      break;
    case 27: {
      POOL_TYPE type;
      const int raw = in.Flag() ? in.Pick(2) : static_cast<int>(in.U32() % 64);
      std::memcpy(&type, &raw, sizeof(type));
      if (s.blocks[i] == nullptr) {
        const ULONG tag = in.Flag() ? 'zzuF' : in.U32();
        s.blocks[i] = ExAllocatePoolWithTag(type, in.U32() % 4096, tag);
      }
      break;
    }
    case 28:
      if (s.blocks[i] != nullptr) {
        ExFreePoolWithTag(s.blocks[i], in.Flag() ? 'zzuF' : in.U32());
        if (in.Flag()) s.blocks[i] = nullptr;  // else free it again later
      }
      break;
    case 29:
      if (in.Flag()) {
        (void)ExInterlockedInsertTailList(&s.list, &s.entries[i], &s.list_lock);
      } else {
        (void)ExInterlockedRemoveHeadList(&s.list, &s.list_lock);
      }
      break;
    case 30:
      if (s.bar != nullptr) {
        if (in.Flag()) {
          const ULONG value = in.U32();
          WRITE_REGISTER_ULONG(reinterpret_cast<PULONG>(s.bar + (in.Pick(kBarBytes / 4) * 4)),
                               value);
        } else {
          (void)READ_REGISTER_ULONG(reinterpret_cast<PULONG>(s.bar + (in.Pick(kBarBytes / 4) * 4)));
        }
      }
      break;
    case 31:
      if (s.work_item == nullptr) {
        s.work_item = IoAllocateWorkItem(run.device.pdo());
      } else if (in.Flag()) {
        IoQueueWorkItem(s.work_item, &FuzzWorkItem, DelayedWorkQueue, &s);
      } else {
        IoFreeWorkItem(s.work_item);
        if (in.Flag()) s.work_item = nullptr;
      }
      break;
    case 32:
    case 33:
    case 34:
    case 35:
      SyncOp(run, i);
      break;
    case 36:
    case 37:
    case 38:
    case 39:
      SystemOp(run, i);
      break;
    case 40:
    case 41:
    case 42:
      MemoryOp(run, i);
      break;
    default:
      ExecOp(run, i);
      break;
  }
}

}  // namespace

void Ops(Run& run, int depth, unsigned count) {
  // System threads block and resume in the middle of their operations, so `depth` can be reset
  // under a context that is still nested; operations open in every context together are bounded
  // too, to keep each context's recursion bounded whatever the interleaving.
  static int open = 0;
  if (depth > kMaxDepth || open > 3 * kMaxDepth) return;
  struct Open {
    Open() { ++open; }
    ~Open() { --open; }
  } guard;
  const int saved = run.depth;
  run.depth = depth;
  for (unsigned n = 0; n < count && !run.in.done(); ++n) Op(run);
  run.depth = saved;
}

namespace {

void RunProgram(Bytes& in) {
  // KEMU_FUZZ_VERBOSE=1: say how each program ended.
  static const bool verbose = std::getenv("KEMU_FUZZ_VERBOSE") != nullptr;
  DriverState state;  // outlives the machine
  kemu::RegisterFile registers(kBarBytes);
  const kemu::Os os = kemu::AllOs()[in.Pick(kemu::kOsCount)];
  const unsigned mode = in.Pick(3);
  kemu::MachineOptions options{.os = os,
                               .processors = 1 + in.Pick(2),
                               .verifier = mode == 2,
                               .checked_build = mode == 1,
                               .seed = in.Byte()};
  options.storm_threshold = 20;
  // Programs are short: a small ring keeps tracing on and wraps it often (so keeping the events
  // reports still need is fuzzed too), without the default 6 MB ring per program, whose shadow
  // AddressSanitizer writes when it is mapped and again when it is freed.
  options.trace_capacity = 256;
  std::optional<kemu::Machine> machine;
  try {
    machine.emplace(options);
    kemu::Device& device = machine->AddDevice(
        {.name = "fuzz0",
         .line =
             kemu::LineInterrupt{.vector = 0x51,
                                 .irql = static_cast<std::uint8_t>(3 + in.Pick(9)),
                                 .mode = in.Flag() ? kemu::Trigger::kLevel : kemu::Trigger::kEdge,
                                 .shared = in.Flag()},
         .messages = in.Pick(5),
         .memory_bytes = kBarBytes,
         .hardware = &registers});
    PHYSICAL_ADDRESS base;
    base.QuadPart = static_cast<LONGLONG>(device.memory_base());
    state.bar = static_cast<PUCHAR>(MmMapIoSpace(base, kBarBytes, MmNonCached));
    InitializeListHead(&state.list);
    // Usually start from initialised objects, so programs get past the first call; sometimes not,
    // since using an object never initialised is a driver bug kemu must report, not trip over.
    if (in.Pick(4) != 0) {
      for (std::size_t i = 0; i < kObjects; ++i) {
        KeInitializeSpinLock(&state.locks[i]);
        KeInitializeDpc(&state.dpcs[i], &FuzzDpc, &state);
        KeInitializeEvent(&state.events[i], i == 0 ? SynchronizationEvent : NotificationEvent,
                          i == 2);
        KeInitializeTimer(&state.timers[i]);
      }
    }
    Run run{in, state, *machine, device};
    current = &run;
    Ops(run, 0, 64);
    current = nullptr;
    machine->Shutdown();  // leaks are bug checks too
  } catch (const kemu::BugCheck& crash) {
    // The emulated system crashed, as Windows would have.
    if (verbose) {
      std::fprintf(stderr, "bug check 0x%X (0x%llX)%s\n", static_cast<unsigned>(crash.code()),
                   static_cast<unsigned long long>(crash.parameter(0)),
                   std::getenv("KEMU_FUZZ_VERBOSE")[0] == '2' ? crash.what() : "");
    }
  } catch (const kemu::Error& error) {
    // A routine kemu does not model, or arguments it refuses by name.
    if (verbose) std::fprintf(stderr, "kemu::Error: %s\n", error.what());
  }
  current = nullptr;
  // The destructor must not throw or crash whatever state the machine is in; after a kemu::Error
  // it still checks for leaks, reported through the failure handler (ignored here).
  machine.reset();
}

}  // namespace
}  // namespace kemu_fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // What a test framework's failure handler would do with a leak found by a destructor: note it.
  static const bool handler_installed = [] {
    kemu::SetFailureHandler([](const kemu::BugCheck&) {});
    return true;
  }();
  (void)handler_installed;
  kemu_fuzz::Bytes in(data, size);
  kemu_fuzz::RunProgram(in);
  return 0;
}
