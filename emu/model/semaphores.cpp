// Semaphores: a count of signals, each satisfied wait taking one (docs/kernel.md, "Semaphores and
// mutexes").
#include <limits>

#include "model/dispatcher.hpp"
#include "model/kernel.hpp"

namespace kemu::model {

void Dispatcher::InitializeSemaphore(PRKSEMAPHORE semaphore, LONG count, LONG limit) {
  InitializeHeader(semaphore->Header, SemaphoreObject, sizeof(KSEMAPHORE), count);
  semaphore->Limit = limit;
  NewObject(&semaphore->Header);
}

LONG Dispatcher::ReleaseSemaphore(const char* routine, PRKSEMAPHORE semaphore, LONG adjustment) {
  CheckObject(routine, semaphore, kSemaphores);
  DISPATCHER_HEADER& header = semaphore->Header;
  const LONG previous = header.SignalState;
  // Checked without overflowing: the count stays as it was when the routine raises.
  if (adjustment < 0 || previous > semaphore->Limit - adjustment) {
    kernel_.verifier().SemaphoreLimitExceeded(routine, semaphore, previous, adjustment,
                                              semaphore->Limit);
  }
  kernel_.race().Release(&header);
  header.SignalState = previous + adjustment;
  WakeWaiters(&header);
  return previous;
}

}  // namespace kemu::model
