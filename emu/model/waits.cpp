// Blocking waits: a wait another vCPU can satisfy blocks under the scheduler; when nothing else
// can run, queued work items run on the waiting context, then virtual time jumps to the next
// timer, scheduled device action or wait deadline; a wait nothing can ever satisfy is the
// deadlock report.
#include <fmt/format.h>

#include <cstdint>
#include <list>

#include "model/dispatcher.hpp"
#include "model/kernel.hpp"

namespace kemu::model {
namespace {

// A blocked wait that nothing but periodic timers (or work items that queue themselves again)
// keeps alive would run the host forever where Windows would hang. After this many steps of
// progress without being satisfied, kemu reports it as a wait that never completes. A wait with
// a timeout counts only the steps that leave time where it was (work items queueing themselves).
constexpr std::uint64_t kMaxProgressPerWait = 100000;

}  // namespace

/// Keeps a waiter in the FIFO for as long as its context blocks, exceptions included.
class Dispatcher::Registration {
 public:
  Registration(std::list<Waiter*>& waiters, Waiter& waiter)
      : waiters_(waiters), position_(waiters.insert(waiters.end(), &waiter)) {}
  ~Registration() { waiters_.erase(position_); }
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;

 private:
  std::list<Waiter*>& waiters_;
  std::list<Waiter*>::iterator position_;
};

NTSTATUS Dispatcher::Wait(WaitRequest& request) {
  request.cpu = kernel_.current_processor();
  request.thread = CurrentThread();
  OrderMutexes(request);
  if (std::optional<NTSTATUS> status = TrySatisfy(request)) {
    LearnFromSignals(request, *status);
    return *status;
  }
  const VirtualClock& clock = kernel_.clock();
  if (request.deadline && clock.now_100ns() >= *request.deadline) return STATUS_TIMEOUT;
  Waiter waiter{
      .request = &request, .progress_at_start = progress_, .started_100ns = clock.now_100ns()};
  const Registration registration(waiters_, waiter);
  BlockUntil({.ready =
                  [&waiter, &request, &clock] {
                    return waiter.satisfied ||
                           (request.deadline && clock.now_100ns() >= *request.deadline);
                  },
              .what = Describe(request),
              .has_deadline = request.deadline.has_value()});
  if (!waiter.satisfied) return STATUS_TIMEOUT;
  LearnFromSignals(request, waiter.status);
  return waiter.status;
}

void Dispatcher::BlockUntil(const WaitFor& wait) {
  const VirtualClock& clock = kernel_.clock();
  const std::uint64_t started = clock.now_100ns();
  std::uint64_t steps = 0;
  while (!kernel_.scheduler().WaitUntilStuck(wait)) {
    if (steps >= kMaxProgressPerWait) {
      kernel_.verifier().WaitNeverCompletes(
          kernel_.current_processor(), kernel_.scheduler().DescribeRunning(),
          fmt::format("{}; it is still waiting after {} timer expirations and work items, {} us "
                      "of virtual time",
                      wait.what, kMaxProgressPerWait, (clock.now_100ns() - started) / 10),
          kernel_.scheduler().DescribeContexts());
    }
    // Nothing else can run: raises the deadlock report when nothing can change either.
    const std::uint64_t before = clock.now_100ns();
    if (!MakeProgress()) kernel_.scheduler().WaitUntil(wait);
    // A wait with a timeout ends at it however many timers expire on the way (audit round 17,
    // Y1: a 10 s wait beside a 100 us periodic timer was reported as never completing).
    if (!wait.has_deadline || clock.now_100ns() == before) ++steps;
  }
}

void Dispatcher::OrderMutexes(const WaitRequest& request) {
  // A zero timeout is a try: it never blocks, so it is no side of a deadlock.
  if (request.deadline && kernel_.clock().now_100ns() >= *request.deadline) return;
  for (DISPATCHER_HEADER* object : request.objects) {
    if (object->Type != MutantObject) continue;
    const auto* mutex = reinterpret_cast<const KMUTEX*>(object);
    // A recursive acquisition by its owner waits for nothing and adds no order.
    if (reinterpret_cast<std::uintptr_t>(mutex->OwnerThread) == request.thread) continue;
    kernel_.verifier().MutexOrder(request.routine, "kernel mutex", mutex, request.thread,
                                  request.cpu, kernel_.trace().sequence());
  }
}

void Dispatcher::LearnFromSignals(const WaitRequest& request, NTSTATUS status) {
  // A satisfied wait happens after the signals of the objects it waited on (race detection).
  for (DISPATCHER_HEADER* object : request.objects) kernel_.race().Acquire(object);
  // A mutex the wait acquired is held from here to its release, as a spin lock is.
  const std::size_t first = request.wait_all ? 0 : static_cast<std::size_t>(status - STATUS_WAIT_0);
  const std::size_t end = request.wait_all ? request.objects.size() : first + 1;
  for (std::size_t i = first; i < end && i < request.objects.size(); ++i) {
    if (request.objects[i]->Type == MutantObject) kernel_.race().LockAcquired(request.objects[i]);
  }
}

bool Dispatcher::MakeProgress() {
  // A worker thread would run queued work items while this thread waits. Not on a system
  // thread: it gives its vCPU back while it waits, and the item's worker identity is per vCPU.
  if (!kernel_.scheduler().RunningThread() && kernel_.work_items().RunQueued()) {
    CheckStarvedWaiters();
    return true;
  }
  // The next moment something happens: a wait deadline, a timer, or a device action scheduled
  // for a time (an interrupt the wait may be waiting for).
  std::optional<std::uint64_t> target = EarliestDeadline();
  const std::optional<std::uint64_t> timer = kernel_.timers().NextDue();
  if (timer && (!target || *timer < *target)) target = timer;
  const std::optional<std::uint64_t> event = kernel_.interrupts().NextEventTime();
  if (event && (!target || *event < *target)) target = event;
  if (!target) return false;
  // A system thread moving time runs the timers' DPCs and the device actions due on its own
  // context, as the thread a processor's DPC interrupt preempts: it takes a vCPU for that, so
  // the vCPU's own context (the test) cannot resume inside a DPC or an ISR half run (audit round
  // 18, Z S1: the test resumed at IRQL 2 between a DPC's KeSetEvent and its next call). When no
  // vCPU is free it moves time on the vCPU it last ran on, as before.
  kernel_.scheduler().SeatRunningThread();
  kernel_.AdvanceTimeTo(*target);
  CheckStarvedWaiters();
  return true;
}

void Dispatcher::CheckStarvedWaiters() {
  ++progress_;
  for (const Waiter* waiter : waiters_) {
    const WaitRequest& request = *waiter->request;
    // A wait with a timeout ends by itself; a satisfied one has yet to resume.
    if (waiter->satisfied || request.deadline) continue;
    if (progress_ - waiter->progress_at_start <= kMaxProgressPerWait) continue;
    // Its own loop counts the steps it makes (BlockUntil); these were made by other contexts,
    // such as a system thread polling with timed waits for a stop request the waiter never sent
    // (audit round 18, Z S4: kemu moved time for ever).
    kernel_.verifier().WaitNeverCompletes(
        request.cpu, kernel_.system_threads().DescribeOwner(request.thread, request.cpu),
        fmt::format("{}; it is still waiting after {} steps of progress elsewhere (timer "
                    "expirations, work items, other waits timing out), {} us of virtual time",
                    Describe(request), kMaxProgressPerWait,
                    (kernel_.clock().now_100ns() - waiter->started_100ns) / 10),
        kernel_.scheduler().DescribeContexts());
  }
}

}  // namespace kemu::model
