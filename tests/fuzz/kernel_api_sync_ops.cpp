// Kernel API fuzz target: the waitable objects and locks a driver's passive-level code uses
// (kernel mutexes, semaphores, fast and guarded mutexes, executive resources, critical and
// guarded regions, multiple-object waits), threaded DPCs and the driver's own system threads,
// called in fuzzer-chosen order from wherever the program happens to be: the test, an ISR, a DPC,
// a work item or a system thread. Misuse must end in a return value, a bug check or a kemu::Error.
#include <cstring>

#include "kernel_api_fuzzer.hpp"

namespace kemu_fuzz {
namespace {

VOID FuzzThreadedDpc(PKDPC, PVOID, PVOID, PVOID) { NestedOps(4); }

// A system thread's body: some operations at PASSIVE_LEVEL (or wherever they leave it), then it
// returns or terminates itself.
VOID FuzzThread(PVOID) {
  NestedOps(6);
  if (current != nullptr && current->in.Flag()) PsTerminateSystemThread(STATUS_SUCCESS);
}

void MutexOp(Run& run, std::size_t i) {
  Bytes& in = run.in;
  DriverState& s = run.state;
  switch (in.Pick(4)) {
    case 0:
      KeInitializeMutex(&s.mutexes[i], 0);
      break;
    case 1: {
      LARGE_INTEGER timeout = Timeout(in);
      (void)KeWaitForSingleObject(&s.mutexes[i], Executive, KernelMode, FALSE,
                                  in.Flag() ? nullptr : &timeout);
      break;
    }
    case 2:
      (void)KeReleaseMutex(&s.mutexes[i], FALSE);
      break;
    default:
      (void)KeReadStateMutex(&s.mutexes[i]);
      break;
  }
}

void SemaphoreOp(Run& run, std::size_t i) {
  Bytes& in = run.in;
  DriverState& s = run.state;
  switch (in.Pick(3)) {
    case 0: {
      // Mostly a valid count and limit; now and then a negative or inverted pair.
      const LONG limit =
          in.Flag() ? 1 + static_cast<LONG>(in.Pick(4)) : static_cast<LONG>(in.U32());
      const LONG count = in.Flag() ? static_cast<LONG>(in.Pick(3)) : static_cast<LONG>(in.U32());
      KeInitializeSemaphore(&s.semaphores[i], count, limit);
      break;
    }
    case 1:
      (void)KeReleaseSemaphore(&s.semaphores[i], IO_NO_INCREMENT,
                               in.Flag() ? 1 : static_cast<LONG>(in.U32()), FALSE);
      break;
    default: {
      LARGE_INTEGER timeout = Timeout(in);
      (void)KeWaitForSingleObject(&s.semaphores[i], Executive, KernelMode, FALSE,
                                  in.Flag() ? nullptr : &timeout);
      break;
    }
  }
}

void FastMutexOp(Run& run, std::size_t i) {
  Bytes& in = run.in;
  PFAST_MUTEX mutex = &run.state.fast_mutexes[i];
  switch (in.Pick(6)) {
    case 0:
      ExInitializeFastMutex(mutex);
      break;
    case 1:
      ExAcquireFastMutex(mutex);
      break;
    case 2:
      ExReleaseFastMutex(mutex);
      break;
    case 3:
      (void)ExTryToAcquireFastMutex(mutex);
      break;
    case 4:
      ExAcquireFastMutexUnsafe(mutex);
      break;
    default:
      ExReleaseFastMutexUnsafe(mutex);
      break;
  }
}

void GuardedMutexOp(Run& run, std::size_t i) {
  Bytes& in = run.in;
  if (!AtLeast(run, kemu::Os::kWindowsServer2003)) return;  // guarded mutexes: Server 2003 on
  PKGUARDED_MUTEX mutex = &run.state.guarded_mutexes[i];
  switch (in.Pick(6)) {
    case 0:
      KeInitializeGuardedMutex(mutex);
      break;
    case 1:
      KeAcquireGuardedMutex(mutex);
      break;
    case 2:
      KeReleaseGuardedMutex(mutex);
      break;
    case 3:
      (void)KeTryToAcquireGuardedMutex(mutex);
      break;
    case 4:
      KeAcquireGuardedMutexUnsafe(mutex);
      break;
    default:
      KeReleaseGuardedMutexUnsafe(mutex);
      break;
  }
}

void ResourceOp(Run& run, std::size_t i) {
  Bytes& in = run.in;
  PERESOURCE resource = &run.state.resources[i];
  switch (in.Pick(7)) {
    case 0:
      (void)ExInitializeResourceLite(resource);
      break;
    case 1:
      (void)ExAcquireResourceExclusiveLite(resource, in.Flag());
      break;
    case 2:
      (void)ExAcquireResourceSharedLite(resource, in.Flag());
      break;
    case 3:
      ExReleaseResourceLite(resource);
      break;
    case 4:
      ExConvertExclusiveToSharedLite(resource);
      break;
    case 5:
      (void)ExIsResourceAcquiredExclusiveLite(resource);
      break;
    default:
      (void)ExDeleteResourceLite(resource);
      break;
  }
}

void RegionOp(Run& run) {
  switch (run.in.Pick(4)) {
    case 0:
      KeEnterCriticalRegion();
      break;
    case 1:
      KeLeaveCriticalRegion();
      break;
    case 2:
      if (AtLeast(run, kemu::Os::kWindowsServer2003)) KeEnterGuardedRegion();
      break;
    default:
      if (AtLeast(run, kemu::Os::kWindowsServer2003)) KeLeaveGuardedRegion();
      break;
  }
}

// Any waitable object the program owns, and now and then one that is not waitable at all.
PVOID AnyObject(Run& run) {
  DriverState& s = run.state;
  const std::size_t i = run.in.Pick(kObjects);
  switch (run.in.Pick(6)) {
    case 0:
      return &s.events[i];
    case 1:
      return &s.mutexes[i];
    case 2:
      return &s.semaphores[i];
    case 3:
      return &s.timers[i];
    case 4:
      return s.thread_objects[i] != nullptr ? s.thread_objects[i] : &s.events[i];
    default:
      return &s.locks[i];
  }
}

void MultipleWaitOp(Run& run) {
  Bytes& in = run.in;
  std::array<PVOID, 6> objects{};
  const ULONG count = 1 + in.Pick(static_cast<unsigned>(objects.size()));
  for (ULONG n = 0; n < count; ++n) objects[n] = AnyObject(run);
  LARGE_INTEGER timeout = Timeout(in);
  // Past THREAD_WAIT_OBJECTS a caller must pass its own wait blocks; sometimes it does not.
  // Arguments read last first: one input, one program under any compiler (docs/fuzzing.md).
  PKWAIT_BLOCK blocks = in.Flag() ? run.state.wait_blocks.data() : nullptr;
  PLARGE_INTEGER wait_for = in.Flag() ? nullptr : &timeout;
  const WAIT_TYPE type = in.Flag() ? WaitAll : WaitAny;
  (void)KeWaitForMultipleObjects(count, objects.data(), type, Executive, KernelMode, FALSE,
                                 wait_for, blocks);
}

void ThreadedDpcOp(Run& run, std::size_t i) {
  if (!AtLeast(run, kemu::Os::kWindowsVista)) return;  // threaded DPCs: Vista on
  PKDPC dpc = &run.state.threaded_dpcs[i];
  switch (run.in.Pick(3)) {
    case 0:
      KeInitializeThreadedDpc(dpc, &FuzzThreadedDpc, &run.state);
      break;
    case 1:
      (void)KeInsertQueueDpc(dpc, nullptr, nullptr);
      break;
    default:
      (void)KeRemoveQueueDpc(dpc);
      break;
  }
}

void ThreadOp(Run& run, std::size_t i) {
  Bytes& in = run.in;
  DriverState& s = run.state;
  switch (in.Pick(7)) {
    case 0:
      (void)PsCreateSystemThread(&s.thread_handles[i], THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &FuzzThread, &s);
      break;
    case 1:
      // The handle may be stale (closed), never given, or fine; the type right or NULL.
      (void)ObReferenceObjectByHandle(s.thread_handles[i], THREAD_ALL_ACCESS,
                                      in.Flag() ? *PsThreadType : nullptr, KernelMode,
                                      &s.thread_objects[i], nullptr);
      break;
    case 2:
      (void)ZwClose(s.thread_handles[i]);
      if (in.Flag()) s.thread_handles[i] = nullptr;  // else close it again later
      break;
    case 3:
      if (s.thread_objects[i] != nullptr) {
        LARGE_INTEGER timeout = Timeout(in);
        (void)KeWaitForSingleObject(s.thread_objects[i], Executive, KernelMode, FALSE,
                                    in.Flag() ? nullptr : &timeout);
      }
      break;
    case 4:
      if (s.thread_objects[i] != nullptr) {
        ObDereferenceObject(s.thread_objects[i]);
        if (in.Flag()) s.thread_objects[i] = nullptr;  // else drop it again later
      }
      break;
    case 5:
      if (s.thread_objects[i] != nullptr) ObReferenceObject(s.thread_objects[i]);
      break;
    default:
      // Outside a system thread this is an error status; inside one it ends the thread.
      (void)PsTerminateSystemThread(STATUS_SUCCESS);
      break;
  }
}

}  // namespace

void SyncOp(Run& run, std::size_t i) {
  switch (run.in.Pick(10)) {
    case 0:
      MutexOp(run, i);
      break;
    case 1:
      SemaphoreOp(run, i);
      break;
    case 2:
      FastMutexOp(run, i);
      break;
    case 3:
      GuardedMutexOp(run, i);
      break;
    case 4:
      ResourceOp(run, i);
      break;
    case 5:
      RegionOp(run);
      break;
    case 6:
      MultipleWaitOp(run);
      break;
    case 7:
      ThreadedDpcOp(run, i);
      break;
    default:
      ThreadOp(run, i);
      break;
  }
}

}  // namespace kemu_fuzz
