// Kernel API fuzz target: the routines around processors and the machine's end (affinity,
// KeIpiGenericCall, stalls and delays, error log entries, bug-check callbacks) and lookaside
// lists, called in fuzzer-chosen order from wherever the program happens to be. A bug-check
// callback runs more operations at HIGH_LEVEL while the machine stops: whatever they do, the
// machine must end with a report, never a crash.
#include "kernel_api_fuzzer.hpp"

namespace kemu_fuzz {
namespace {

ULONG_PTR FuzzIpiWorker(ULONG_PTR) {
  NestedOps(2);
  return 0;
}

VOID FuzzBugCheckCallback(PVOID, ULONG) { NestedOps(2); }

void AffinityOp(Run& run, std::size_t i) {
  Bytes& in = run.in;
  DriverState& s = run.state;
  // The machine's processors, one of them, or processors it does not have.
  const KAFFINITY affinity = in.Flag() ? KAFFINITY{1} << in.Pick(3) : in.U64();
  switch (in.Pick(4)) {
    case 0:
      if (AtLeast(run, kemu::Os::kWindowsVista)) {
        s.affinities[i] = KeSetSystemAffinityThreadEx(affinity);
      }
      break;
    case 1:
      if (AtLeast(run, kemu::Os::kWindowsVista)) {
        KeRevertToUserAffinityThreadEx(in.Flag() ? s.affinities[i] : affinity);
      }
      break;
    case 2:
      KeSetSystemAffinityThread(affinity);
      break;
    default:
      KeRevertToUserAffinityThread();
      break;
  }
}

void ErrorLogOp(Run& run, std::size_t i) {
  Bytes& in = run.in;
  DriverState& s = run.state;
  switch (in.Pick(3)) {
    case 0:
      if (s.log_entries[i] == nullptr) {
        // A size from none to past ERROR_LOG_MAXIMUM_SIZE; the I/O object the device's or none.
        // Arguments read last first: one input, one program under any compiler.
        const auto size = static_cast<UCHAR>(in.Byte());
        s.log_entries[i] = IoAllocateErrorLogEntry(in.Flag() ? run.device.pdo() : nullptr, size);
      }
      break;
    case 1:
      if (s.log_entries[i] != nullptr) {
        IoWriteErrorLogEntry(s.log_entries[i]);
        if (in.Flag()) s.log_entries[i] = nullptr;  // else write or free it again later
      }
      break;
    default:
      if (s.log_entries[i] != nullptr && AtLeast(run, kemu::Os::kWindowsXP)) {
        IoFreeErrorLogEntry(s.log_entries[i]);
        if (in.Flag()) s.log_entries[i] = nullptr;
      }
      break;
  }
}

void BugCheckCallbackOp(Run& run, std::size_t i) {
  Bytes& in = run.in;
  DriverState& s = run.state;
  static UCHAR component[] = "kemu_fuzz";
  switch (in.Pick(3)) {
    case 0:
      KeInitializeCallbackRecord(&s.callbacks[i]);
      break;
    case 1:
      (void)KeRegisterBugCheckCallback(
          &s.callbacks[i], &FuzzBugCheckCallback, s.callback_buffer.data(),
          in.Flag() ? static_cast<ULONG>(s.callback_buffer.size()) : in.U32(), component);
      break;
    default:
      (void)KeDeregisterBugCheckCallback(&s.callbacks[i]);
      break;
  }
}

void LookasideOp(Run& run, std::size_t i) {
  Bytes& in = run.in;
  DriverState& s = run.state;
  switch (in.Pick(4)) {
    case 0:
      // Initialising a list in use is the driver's bug; the size is sometimes 0 or huge.
      // Arguments read last first: one input, one program under any compiler.
      {
        const auto depth = static_cast<USHORT>(in.Pick(8));
        ExInitializeNPagedLookasideList(&s.lookaside, nullptr, nullptr, 0,
                                        in.Flag() ? 64 : in.U32() % 8192, 'kzuF', depth);
      }
      s.lookaside_ready = true;
      break;
    case 1:
      if (s.lookaside_ready && s.lookaside_entries[i] == nullptr) {
        s.lookaside_entries[i] = ExAllocateFromNPagedLookasideList(&s.lookaside);
      }
      break;
    case 2:
      if (s.lookaside_ready && s.lookaside_entries[i] != nullptr) {
        ExFreeToNPagedLookasideList(&s.lookaside, s.lookaside_entries[i]);
        if (in.Flag()) s.lookaside_entries[i] = nullptr;  // else free it twice
      }
      break;
    default:
      if (s.lookaside_ready) {
        ExDeleteNPagedLookasideList(&s.lookaside);
        s.lookaside_ready = in.Flag();  // else delete or use it again
      }
      break;
  }
}

void TimeOp(Run& run) {
  Bytes& in = run.in;
  if (in.Flag()) {
    KeStallExecutionProcessor(in.Flag() ? in.Pick(100) : in.U32() % 100000);
  } else {
    LARGE_INTEGER interval = Timeout(in);
    (void)KeDelayExecutionThread(KernelMode, FALSE, &interval);
  }
}

}  // namespace

void SystemOp(Run& run, std::size_t i) {
  switch (run.in.Pick(6)) {
    case 0:
      AffinityOp(run, i);
      break;
    case 1:
      if (AtLeast(run, kemu::Os::kWindowsServer2003)) {
        (void)KeIpiGenericCall(&FuzzIpiWorker, reinterpret_cast<ULONG_PTR>(&run.state));
      }
      break;
    case 2:
      ErrorLogOp(run, i);
      break;
    case 3:
      BugCheckCallbackOp(run, i);
      break;
    case 4:
      LookasideOp(run, i);
      break;
    default:
      TimeOp(run);
      break;
  }
}

}  // namespace kemu_fuzz
