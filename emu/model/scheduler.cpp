#include "model/scheduler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <memory>
#include <utility>
#include <vector>

#include "kemu/error.hpp"
#include "model/host_context.hpp"
#include "model/kernel.hpp"
#include "model/scheduler_context.hpp"
#include "race/thread_stack.hpp"

namespace kemu::model {
namespace {

// kPct draws its priority change points among the first this many schedule points: about the
// length of one test's interesting stretch. Points beyond it keep the priorities they have.
constexpr std::uint64_t kPctHorizon = 512;

// Marks a context as waiting for `wait` while in scope (`gives_up`: the wait returns when nothing
// else can run); a wait nested inside the service of an interrupt taken while waiting restores the
// outer one, exceptions included.
template <typename Context>
class WaitingScope {
 public:
  WaitingScope(Context& context, const WaitFor& wait, bool gives_up = false)
      : WaitingScope(context, &wait, gives_up) {}
  /// nullptr: not waiting while in scope (an interrupt serviced inside a wait).
  WaitingScope(Context& context, const WaitFor* wait, bool gives_up)
      : context_(context), saved_(context.wait), saved_gives_up_(context.gives_up) {
    context.wait = wait;
    context.gives_up = gives_up;
  }
  ~WaitingScope() {
    context_.wait = saved_;
    context_.gives_up = saved_gives_up_;
  }
  WaitingScope(const WaitingScope&) = delete;
  WaitingScope& operator=(const WaitingScope&) = delete;

 private:
  Context& context_;
  const WaitFor* saved_;
  bool saved_gives_up_;
};

}  // namespace

Scheduler::Scheduler(Kernel& kernel, const ScheduleOptions& options, unsigned processors)
    : kernel_(kernel), options_(options), prng_(options.seed) {
  workers_.resize(processors);
  seated_.resize(processors, nullptr);
  test_ = std::make_unique<Context>();
  test_->is_test = true;
  test_->started = true;
  test_->busy = true;
  test_->host = std::make_unique<HostContext>();
  running_ = test_.get();
  if (options_.strategy == Strategy::kPct) {
    AssignPriority(*test_);
    for (unsigned i = 1; i < options_.depth; ++i) {
      change_points_.push_back(1 + prng_.Below(kPctHorizon));
    }
  }
}

Scheduler::~Scheduler() { Teardown(); }

Scheduler::Context& Scheduler::Worker(unsigned cpu) {
  std::unique_ptr<Context>& slot = workers_.at(cpu);
  if (!slot) {
    slot = std::make_unique<Context>();
    slot->cpu = cpu;
  }
  return *slot;
}

Scheduler::Context& Scheduler::ContextFor(unsigned cpu) {
  if (Context* thread = seated_.at(cpu)) return *thread;
  return test_->cpu == cpu ? *test_ : Worker(cpu);
}

const Scheduler::Context* Scheduler::OwnContext(unsigned cpu) const {
  return test_->cpu == cpu ? test_.get() : workers_.at(cpu).get();
}

template <typename Fn>
void Scheduler::ForEachContext(Fn&& fn) const {
  fn(*test_);
  for (const auto& worker : workers_) {
    if (worker) fn(*worker);
  }
  for (const auto& thread : threads_) fn(*thread);
}

bool Scheduler::Runnable(const Context& context) const {
  if (context.finished || !context.started || !context.busy) return false;
  if (context.is_thread) {
    // It runs on a vCPU of its own or one of its affinity it can take.
    if (!context.on_cpu && !context.ready && !FreeFor(context)) return false;
  } else if (seated_[context.cpu] != nullptr) {
    return false;  // a system thread runs on its vCPU: it resumes once the thread gives it back
  }
  return context.ready || context.wait == nullptr || context.wait->ready();
}

bool Scheduler::Busy(unsigned cpu) const {
  const Context* worker = cpu < workers_.size() ? workers_[cpu].get() : nullptr;
  return worker != nullptr && worker->busy;
}

Scheduler::Context* Scheduler::Pick() {
  candidates_.clear();
  ForEachContext([this](const Context& c) {
    if (Runnable(c)) candidates_.push_back(const_cast<Context*>(&c));
  });
  Context** candidates = candidates_.data();
  const auto count = static_cast<unsigned>(candidates_.size());
  if (count == 0) return nullptr;
  switch (options_.strategy) {
    case Strategy::kRandom:
      return candidates[prng_.Below(count)];
    case Strategy::kPct:
      return *std::max_element(candidates, candidates + count,
                               [](Context* a, Context* b) { return a->priority < b->priority; });
    case Strategy::kDefault:
      break;
  }
  // Run to completion: work just handed over first (as if the call that handed it were nested),
  // then whoever was activated last, which finishes before what it preempted resumes.
  Context* best = nullptr;
  for (unsigned i = 0; i < count; ++i) {
    Context* c = candidates[i];
    if (c->ready && (best == nullptr || !best->ready || c->ready_stamp > best->ready_stamp)) {
      best = c;
    }
  }
  if (best != nullptr) return best;
  return *std::max_element(candidates, candidates + count,
                           [](Context* a, Context* b) { return a->stamp < b->stamp; });
}

void Scheduler::SwitchTo(Context& current, Context& next) {
  // Only the schedule point that hands the baton on reads the flag when it gets it back: one a
  // context did not read before it moved on is stale.
  current.yielded_to = false;
  // A system thread about to run takes a free vCPU (Runnable promised one), unless it resumes only
  // to learn that it is stuck (GivingUp): its wait then seats it when it is over.
  if (next.is_thread && !tearing_down_) Seat(next);
  running_ = &next;
  ++switches_;
  kernel_.SetCurrentProcessor(next.cpu);
  HandOverThreadState(current, next);
  current.host->SwitchTo(*next.host);
}

void Scheduler::HandOverThreadState(Context& from, Context& to) {
  if (!HostContext::kSharesThread) return;
  if (exchange_binding_) {
    void* replaced = exchange_binding_(to.is_test ? test_binding_ : own_binding_);
    if (from.is_test) test_binding_ = replaced;
  }
  race::SetCurrentThreadStack(to.is_test ? nullptr : &to.race_stack);
}

void Scheduler::Resumed(Context& current) {
  if (!current.is_test && (current.unwind || kernel_.crashed())) throw Unwind{};
  // A failure on a worker handed the baton here: raise it in the test as if raised here.
  if (current.is_test) kernel_.ThrowIfCrashed();
  if (current.ready) Service(current);
}

void Scheduler::SetReady(Context& context, bool ready) {
  context.ready = ready;
  if (&context == test_.get()) test_ready_ = ready;
}

void Scheduler::Service(Context& context) {
  SetReady(context, false);
  // An ISR taken inside a wait runs; it does not wait. Until it returns the context is runnable,
  // and a report names what the ISR itself waits for, not the wait it interrupted.
  const WaitingScope servicing(context, nullptr, /*gives_up=*/false);
  Cpu& cpu = kernel_.cpu(context.cpu);
  kernel_.irql().DeliverPending(cpu);
}

void Scheduler::SwitchPoint() {
  if (held_ > 0) return;
  Context& me = *running_;
  if (options_.strategy == Strategy::kPct) PctStep(me);
  for (;;) {
    Context* next = Pick();
    if (next == nullptr || next == &me) return;
    SwitchTo(me, *next);
    // A busy wait elsewhere let this context go first: it runs on now. Picking again would hand
    // the baton straight back to the context activated last, the one polling, and the poll
    // would never see this context's progress (audit round 15, R1).
    const bool yielded_to = std::exchange(me.yielded_to, false);
    Resumed(me);
    if (yielded_to) return;
  }
}

void Scheduler::QuietPoint() {
  if (tearing_down_ || held_ > 0 || (busy_workers_ == 0 && !test_->ready)) return;
  Context& me = *running_;
  if (options_.strategy == Strategy::kPct) PctStep(me);
  Context* next = Pick();
  if (next == nullptr || next == &me) return;
  SwitchTo(me, *next);
  // No Resumed(): it may throw. Work handed here meanwhile is serviced at the next kernel call.
  if (me.is_test || (!me.unwind && !kernel_.crashed())) return;
  // Resumed to end (teardown, or a failure ended the machine) inside driver code built as unable
  // to throw: its stack cannot unwind, and returning into it would run the driver on past the
  // bug check, following what the failure left behind (a pointer the test already cleared: audit
  // round 15, R2). The context ends here without returning and is never resumed; Teardown keeps
  // its host context, whose stack still holds the suspended frames.
  me.abandoned = true;
  if (me.is_thread) Unseat(me);
  me.finished = true;
  if (me.busy) {
    me.busy = false;
    --busy_workers_;
  }
  for (;;) SwitchTo(me, tearing_down_ ? *tearing_down_from_ : *test_);
}

unsigned Scheduler::test_processor() const { return test_->cpu; }

void Scheduler::Yield() {
  if (tearing_down_ || held_ > 0 || (busy_workers_ == 0 && !test_->ready)) return;
  if (options_.strategy != Strategy::kDefault) return Point();
  Context& me = *running_;
  // Someone else first: the latest activated other context that can run.
  Context* other = nullptr;
  auto consider = [&](Context* c) {
    if (c != &me && Runnable(*c) && (other == nullptr || c->stamp > other->stamp)) other = c;
  };
  ForEachContext([&](const Context& c) { consider(const_cast<Context*>(&c)); });
  if (other == nullptr) return;
  other->yielded_to = true;
  SwitchTo(me, *other);
  Resumed(me);
}

void Scheduler::YieldToThreads() {
  if (options_.strategy == Strategy::kPct && !tearing_down_) {
    // PCT runs the highest-priority context until it blocks. A zero delay gives up the time
    // slice, so the yielder drops below every other context, as at a priority change point:
    // otherwise two contexts polling with zero delays hand the vCPUs to each other for ever
    // while the lower-priority DPC that ends both polls never runs (audit round 20, F1).
    // Priorities stay distinct (a tie would always go to the same one): when the lowest is
    // already 1, every other context moves up one, their order kept.
    Context& me = *running_;
    std::uint64_t lowest = UINT64_MAX;
    ForEachContext([&](const Context& c) {
      if (&c != &me && c.priority != 0) lowest = std::min(lowest, c.priority);
    });
    if (lowest != UINT64_MAX && me.priority >= lowest) {
      if (lowest <= 1) {
        ForEachContext([&](const Context& c) {
          if (&c != &me && c.priority != 0) ++const_cast<Context&>(c).priority;
        });
        ++lowest;
      }
      me.priority = lowest - 1;
    }
  }
  Yield();
  if (tearing_down_ || held_ > 0) return;
  // Blocked until another context has run: the vCPU this one gives up is free for a system
  // thread waiting for one. Nothing else runnable: back at once (stuck, not deadlocked).
  const std::uint64_t before = switches_;
  if (Block({.ready = [this, before] { return switches_ != before; },
             .what = "a zero-interval KeDelayExecutionThread (giving up its time slice)",
             .lock = 0,
             .has_deadline = false},
            /*deadlock=*/false)) {
    return;
  }
  // A system thread gave its vCPU back in Block and takes one again before it runs on: unseated
  // it would run with the vCPU's own IRQL and regions (its end then counted one critical region
  // too few: 0x20 under PCT, audit round 20).
  if (!SeatRunningThread()) {
    (void)Block({.ready = [] { return true; },
                 .what = "a vCPU to run on again after giving up its time slice",
                 .lock = 0,
                 .has_deadline = false},
                /*deadlock=*/true);
  }
}

void Scheduler::WaitUntil(WaitFor wait) { Block(wait, /*deadlock=*/true); }

bool Scheduler::WaitUntilStuck(const WaitFor& wait) { return Block(wait, /*deadlock=*/false); }

bool Scheduler::Block(const WaitFor& wait, bool deadlock) {
  // A system thread that gave its vCPU back in an earlier round of this wait needs one again.
  if (wait.ready() && (!running_->is_thread || Seat(*running_))) return true;
  if (tearing_down_) {
    // A worker unwinding at teardown cannot wait for anyone; the machine is gone.
    if (std::uncaught_exceptions() == 0) throw Unwind{};
    return true;
  }
  Context& me = *running_;
  // Every vCPU is in a KeIpiGenericCall routine: nothing that could make the wait ready runs.
  if (held_ > 0) {
    if (!deadlock) return false;
    const WaitingScope waiting(me, wait, /*gives_up=*/false);
    Deadlock(me);
  }
  const WaitingScope waiting(me, wait, /*gives_up=*/!deadlock);
  for (;;) {
    // A system thread resumes only on a vCPU: the one it kept, or a free one.
    if (wait.ready() && (!me.is_thread || Seat(me))) return true;
    // A system thread that blocks gives its vCPU back, so the vCPU's own context may run; one
    // that spins at DISPATCH_LEVEL or above (a spin lock) keeps it, as a processor would.
    if (me.is_thread && me.on_cpu && !wait.ready() && kernel_.cpu(me.cpu).irql < DISPATCH_LEVEL) {
      Unseat(me);
    }
    if (options_.strategy == Strategy::kPct) PctStep(me);
    Context* next = Pick();
    // A vCPU the test keeps busy finishes its work before anything is declared stuck.
    if (next == nullptr && VacateForWaiters()) continue;
    if (next == nullptr) {
      if (!deadlock) return false;
      // A wait elsewhere that gives up when stuck may yet run a work item or move time.
      next = GivingUp();
      if (next == nullptr) Deadlock(me);
    }
    if (next == &me) {
      // Runnable only for work handed to it (interrupts its IRQL still takes), or a system thread
      // whose wait is over and that a vCPU has come free for.
      if (!me.is_thread || me.ready) Service(me);
      continue;
    }
    SwitchTo(me, *next);
    Resumed(me);
  }
}

void Scheduler::Handoff(unsigned cpu) {
  if (tearing_down_) return;
  Context& target = ContextFor(cpu);
  if (&target == running_ || target.finished) return;
  MarkReady(target);
  Point();
}

void Scheduler::MarkReady(Context& target) {
  SetReady(target, true);
  target.ready_stamp = ++stamp_;
  if (!target.busy) {
    target.busy = true;
    target.stamp = stamp_;
    ++busy_workers_;
  }
  if (options_.strategy == Strategy::kPct && target.priority == 0) AssignPriority(target);
  if (!target.started) Start(target);
}

void Scheduler::CheckTestRequest(unsigned cpu, const char* routine) const {
  if (cpu >= workers_.size()) {
    throw Error(fmt::format("kemu: no vCPU {} (the machine has {})", cpu, workers_.size()));
  }
  if (running_ != test_.get()) {
    throw Error(fmt::format("kemu: Machine::{} is for the test body; it was called from {}",
                            routine, kernel_.RunningCallback()));
  }
}

void Scheduler::WaitForVcpuFree(unsigned cpu, const char* purpose) {
  const Context* worker = workers_[cpu].get();
  auto vcpu_free = [this, worker, cpu] {
    return (worker == nullptr || !worker->busy) && seated_[cpu] == nullptr;
  };
  if (!vcpu_free()) {
    WaitUntil({.ready = vcpu_free,
               .what = fmt::format("vCPU {} to finish what it runs, {}", cpu, purpose)});
  }
}

void Scheduler::Rebind(unsigned cpu) {
  CheckTestRequest(cpu, "SwitchToProcessor");
  if (cpu == test_->cpu) return;
  if (((occupied_ >> cpu) & 1) != 0) {
    throw Error(fmt::format(
        "kemu: vCPU {} is kept busy (Machine::KeepProcessorBusy); ReleaseProcessor({}) first", cpu,
        cpu));
  }
  WaitForVcpuFree(cpu, "to switch the test to it");
  test_->cpu = cpu;
  kernel_.SetCurrentProcessor(cpu);
}

void Scheduler::Quiesce() {
  if (tearing_down_ || busy_workers_ == 0 || running_ != test_.get()) return;
  // The test body has ended: what it waits for from here on is the others finishing.
  auto none_runnable = [this] {
    for (const auto& worker : workers_) {
      if (worker && Runnable(*worker)) return false;
    }
    for (const auto& thread : threads_) {
      if (Runnable(*thread)) return false;
    }
    return true;
  };
  // The test waits for the others from here on, so its vCPU is free for a system thread; Free()
  // must not ask the test's wait, which asks whether that thread can run.
  struct Quiescing {
    explicit Quiescing(bool& flag) : flag(flag) { flag = true; }
    ~Quiescing() { flag = false; }
    bool& flag;
  } quiescing(test_->quiescing);
  if (none_runnable()) return;
  Context& me = *test_;
  const WaitFor wait{.ready = none_runnable, .what = "the other vCPUs to finish"};
  const WaitingScope waiting(me, wait);
  // Not WaitUntil: the test is not runnable meanwhile, and "nothing else can run" is the end.
  while (!none_runnable()) {
    Context* next = Pick();
    if (next == nullptr) break;
    if (next == &me) {
      Service(me);  // work handed to the test's own vCPU meanwhile
      continue;
    }
    SwitchTo(me, *next);
    Resumed(me);
  }
}

unsigned Scheduler::Choose(unsigned count) {
  if (count <= 1 || options_.strategy == Strategy::kDefault) return 0;
  return static_cast<unsigned>(prng_.Below(count));
}

void Scheduler::Start(Context& worker) {
  worker.started = true;
  worker.host =
      std::make_unique<HostContext>(*test_->host, [this, &worker] { return WorkerMain(worker); });
}

HostContext* Scheduler::WorkerMain(Context& worker) {
  // Its own host thread: bound to this machine once, for good.
  if (!HostContext::kSharesThread && exchange_binding_) exchange_binding_(own_binding_);
  if (!worker.unwind) {
    try {
      for (;;) {
        Service(worker);
        if (!worker.ready) Idle(worker);
      }
    } catch (const Unwind&) {
    } catch (...) {
      kernel_.EndWith(std::current_exception());
    }
  }
  worker.finished = true;
  if (worker.busy) {
    worker.busy = false;
    --busy_workers_;
  }
  // A failure surfaces in the test's context, which waits for the baton; at teardown, whoever
  // tears down waits for this worker to have unwound.
  Context& back = tearing_down_ ? *tearing_down_from_ : *test_;
  running_ = &back;
  kernel_.SetCurrentProcessor(back.cpu);
  HandOverThreadState(worker, back);
  return back.host.get();
}

void Scheduler::Idle(Context& worker) {
  worker.busy = false;
  --busy_workers_;
  while (!worker.busy) {
    if (worker.unwind) throw Unwind{};  // finished its work while the machine is torn down
    Context* next = Pick();
    // A vCPU the test keeps busy finishes its work before anything is declared stuck, as in
    // Block: the wait that can no longer run (the test's flush) switched here to let this vCPU run,
    // and this vCPU, done, is the last to see that nothing else can (audit round 14).
    if (next == nullptr && VacateForWaiters()) continue;
    if (next == nullptr) next = GivingUp();
    if (next == nullptr) {
      // Nothing can run: whoever waits, waits forever.
      const Context* waiter = test_->wait != nullptr ? test_.get() : nullptr;
      for (const auto& other : workers_) {
        if (waiter == nullptr && other && other->busy && other->wait != nullptr) {
          waiter = other.get();
        }
      }
      for (const auto& thread : threads_) {
        if (waiter == nullptr && thread->busy && !thread->finished && thread->wait != nullptr) {
          waiter = thread.get();
        }
      }
      Deadlock(waiter != nullptr ? *waiter : *test_);
    }
    SwitchTo(worker, *next);
    if (worker.unwind || kernel_.crashed()) throw Unwind{};
  }
}

Scheduler::Context* Scheduler::GivingUp() {
  if (test_->wait != nullptr && test_->gives_up) return test_.get();
  for (const auto& worker : workers_) {
    if (worker && worker->busy && !worker->finished && worker->wait != nullptr &&
        worker->gives_up) {
      return worker.get();
    }
  }
  for (const auto& thread : threads_) {
    if (thread->busy && !thread->finished && thread->started && thread->host &&
        thread->wait != nullptr && thread->gives_up) {
      return thread.get();
    }
  }
  return nullptr;
}

void Scheduler::Deadlock(const Context& found_by) {
  std::vector<std::string> lines = DescribeContexts();
  // Nothing can run, so a context spinning on a spin lock spins for good: that lock's deadlock is
  // the cause every other stuck wait (a disconnect waiting for an ISR, a flush) waits behind.
  // Which context finds that nothing can run depends on the schedule; the report names the spin
  // whichever did, so every seed gives the same code (audit round 15, R5).
  const Context* waiter = &found_by;
  auto consider = [&waiter](const Context* c) {
    const auto spins = [](const Context* x) {
      return x != nullptr && x->busy && !x->finished && x->wait != nullptr && x->wait->lock != 0;
    };
    if (!spins(waiter) && spins(c)) waiter = c;
  };
  consider(test_.get());
  for (const auto& worker : workers_) consider(worker.get());
  for (const auto& thread : threads_) consider(thread.get());
  const WaitFor* wait = waiter->wait;
  if (wait != nullptr && wait->lock != 0) {
    kernel_.verifier().SpinLockDeadlock(reinterpret_cast<PKSPIN_LOCK>(wait->lock),
                                        Describe(*waiter), lines);
  }
  kernel_.verifier().WaitNeverCompletes(waiter->cpu, Describe(*waiter),
                                        wait != nullptr ? wait->what : "work", lines);
}

std::vector<std::string> Scheduler::DescribeContexts(bool include_test) const {
  std::vector<std::string> lines;
  auto describe = [&](const Context& c) {
    if (!c.busy || c.finished) return;
    std::string line = c.Name();
    // The running context may be the one that found the deadlock: it waits, it does not run.
    if (c.wait != nullptr) {
      line += " waits for " + c.wait->what;
    } else if (&c == running_) {
      line += " is running";
    } else {
      line += " can run";
    }
    // A system thread off its vCPU holds no spin lock (it blocked below DISPATCH_LEVEL).
    if (!c.is_thread || c.on_cpu) {
      for (const std::string& held : kernel_.spin_locks().DescribeHeldBy(c.cpu)) {
        line += "; holds " + held;
      }
      for (const std::string& held : kernel_.ex_spin_locks().DescribeHeldBy(c.cpu)) {
        line += "; holds " + held;
      }
    }
    lines.push_back(std::move(line));
  };
  // vCPU order, whichever context serves each.
  for (unsigned cpu = 0; cpu < workers_.size(); ++cpu) {
    if (test_->cpu == cpu && include_test) describe(*test_);
    if (workers_[cpu]) describe(*workers_[cpu]);
  }
  if (include_test) {
    for (const auto& thread : threads_) describe(*thread);
  }
  return lines;
}

void Scheduler::AssignPriority(Context& context) {
  // Initial priorities lie above every change-point priority (1 .. depth - 1), distinct by the
  // low bits so the order among contexts is a seeded permutation.
  context.priority = (options_.depth + 1 + prng_.Below(1u << 20)) * 128 + context.cpu + 1;
}

void Scheduler::PctStep(Context& current) {
  ++steps_;
  for (std::size_t i = 0; i < change_points_.size(); ++i) {
    if (change_points_[i] == steps_) current.priority = options_.depth - 1 - i;
  }
}

void Scheduler::Teardown() {
  if (tearing_down_) return;
  tearing_down_ = true;
  tearing_down_from_ = running_;
  // One at a time: a worker unwinding its stack may still touch the model. Each hands the baton
  // back when its body has ended.
  for (auto& worker : workers_) {
    if (!worker || !worker->started || worker->finished || worker.get() == running_) continue;
    worker->unwind = true;
    SwitchTo(*tearing_down_from_, *worker);
  }
  // A system thread whose body began unwinds as a worker does; one that never ran is dropped.
  for (auto& thread : threads_) {
    if (thread->finished || thread.get() == running_) continue;
    thread->unwind = true;
    if (thread->began) SwitchTo(*tearing_down_from_, *thread);
  }
  const auto end_host = [](Context& context) {
    if (!context.abandoned) {
      context.host.reset();
      return;
    }
    // Its body never returned (QuietPoint abandoned it): ending the host context would join a
    // host thread that never ends, or free a stack still in use. Kept for the life of the
    // process, and reachable, so no leak checker reports it.
    static auto* const kept = new std::vector<std::unique_ptr<HostContext>>;
    kept->push_back(std::move(context.host));
  };
  for (auto& worker : workers_) {
    if (worker) end_host(*worker);  // a worker's host thread ends here
  }
  for (auto& thread : threads_) end_host(*thread);
}

}  // namespace kemu::model
