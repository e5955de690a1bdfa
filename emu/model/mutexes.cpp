// Kernel mutexes: owned by the thread whose wait acquired them, recursively, released by that
// thread only (docs/kernel.md, "Semaphores and mutexes"). The shutdown report lists the mutexes,
// kernel and fast, still owned.
#include <fmt/format.h>

#include "model/dispatcher.hpp"
#include "model/kernel.hpp"

namespace kemu::model {

void Dispatcher::InitializeMutex(PRKMUTEX mutex) {
  InitializeHeader(mutex->Header, MutantObject, sizeof(KMUTEX), 1);
  InitializeListHead(&mutex->MutantListEntry);
  mutex->OwnerThread = nullptr;
  mutex->Abandoned = FALSE;
  mutex->ApcDisable = 1;  // a kernel mutex disables its owner's normal kernel APCs
  // A mutex initialized over one still owned (a driver's bug) is a new, free mutex, and for the
  // race detector a new lock.
  owned_.erase(reinterpret_cast<std::uintptr_t>(mutex));
  NewObject(&mutex->Header);
  kernel_.race().LockInitialized(&mutex->Header, "kernel mutex");
  kernel_.verifier().MutexInitialized(mutex);
}

LONG Dispatcher::ReleaseMutex(const char* routine, PRKMUTEX mutex) {
  CheckObject(routine, mutex, kMutexes);
  const std::uintptr_t thread = CurrentThread();
  const auto owner = reinterpret_cast<std::uintptr_t>(mutex->OwnerThread);
  if (owner != thread || mutex->Header.SignalState > 0) {
    kernel_.verifier().MutexNotOwned(routine, mutex, mutex->Header.SignalState > 0 ? 0 : owner,
                                     thread);
  }
  // The KeReleaseMutex page: released at the IRQL class the acquiring wait ran at (audit round
  // 19, B-S1).
  if (const auto owned = owned_.find(reinterpret_cast<std::uintptr_t>(mutex));
      owned != owned_.end()) {
    const KIRQL irql = kernel_.irql().Current();
    if (owned->second.at_dispatch != (irql >= DISPATCH_LEVEL)) {
      kernel_.verifier().MutexReleasedAtOtherIrql(routine, mutex, owned->second.at_dispatch, irql);
    }
  }
  const LONG previous = mutex->Header.SignalState;
  kernel_.race().Release(&mutex->Header);
  kernel_.race().LockReleased(&mutex->Header);
  if (++mutex->Header.SignalState == 1) {  // the last release: free for the first waiter
    mutex->OwnerThread = nullptr;
    owned_.erase(reinterpret_cast<std::uintptr_t>(mutex));
    kernel_.verifier().MutexReleased(mutex, thread);
    WakeWaiters(&mutex->Header);
  }
  return previous;
}

unsigned Dispatcher::kernel_mutexes_owned(unsigned cpu) const {
  const std::uintptr_t thread = ThreadOn(cpu);
  unsigned count = 0;
  for (const auto& [address, owned] : owned_) count += owned.kernel_mutex && owned.thread == thread;
  return count;
}

std::uintptr_t Dispatcher::FirstKernelMutexOwned(unsigned cpu) const {
  const std::uintptr_t thread = ThreadOn(cpu);
  for (const auto& [address, owned] : owned_) {
    if (owned.kernel_mutex && owned.thread == thread) return address;
  }
  return 0;
}

std::vector<std::string> Dispatcher::DescribeOwned() const {
  std::vector<std::string> lines;
  for (const auto& [address, owned] : owned_) {
    lines.push_back(fmt::format("the {} at {:#x} is still owned by {} ({})", owned.kind, address,
                                kernel_.system_threads().DescribeOwner(owned.thread, owned.cpu),
                                owned.routine));
  }
  return lines;
}

std::uintptr_t Dispatcher::FirstOwned() const { return owned_.empty() ? 0 : owned_.begin()->first; }

}  // namespace kemu::model
