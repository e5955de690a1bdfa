// Concurrent vCPUs under one baton. Each vCPU runs on an execution context of its own (a fiber or a
// host thread, model/host_context.hpp), but exactly one context holds the baton and runs at a time,
// and the baton moves only at
// schedule points: kernel calls (which include register and port accesses), spin-lock waits and
// other waits, and handoffs of work to another vCPU. Which context runs next is the strategy's
// choice (kemu/schedule.hpp), made from its own seeded PRNG, so every interleaving replays.
//
// Contexts: the test thread, bound to one vCPU at a time (vCPU 0 at first; Machine::
// SwitchToProcessor moves it), and one worker per other vCPU, started the first time work is
// handed to that vCPU. A worker services its vCPU — delivers the interrupts routed to it and runs
// its DPCs — then goes idle. A context that waits (a held spin lock, KeFlushQueuedDpcs) lets the
// others run and still takes the interrupts its IRQL allows. When nothing can run, that is a
// deadlock, reported with what every vCPU holds and waits for.
//
// Failures on a worker (bug checks, harness errors) end the machine there and surface in the
// test thread at its next moment on the baton, exactly as if raised there.
//
// System threads (PsCreateSystemThread, model/system_threads.hpp) are contexts of their own that
// run on a vCPU they borrow: one whose own context is idle or blocked below DISPATCH_LEVEL, as a
// real scheduler runs a ready thread on an idle processor, and only on a vCPU of its system
// affinity (SetThreadAffinity). A thread keeps its vCPU until it blocks, ends or moves to honour
// its affinity; meanwhile that vCPU's interrupts and DPCs run on the thread's context, and its
// own context (the test, a worker) cannot resume. See docs/kernel.md, "System threads".
#ifndef KEMU_EMU_MODEL_SCHEDULER_HPP_
#define KEMU_EMU_MODEL_SCHEDULER_HPP_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kemu/schedule.hpp"
#include "model/prng.hpp"

namespace kemu::model {

class HostContext;
class Kernel;

/// What a blocked context waits for. `ready` is evaluated by whichever context holds the baton.
struct WaitFor {
  std::function<bool()> ready;
  /// "the spin lock at 0x... (held by vCPU 1)", for the deadlock report.
  std::string what;
  /// The spin lock waited for, or 0 for any other wait.
  std::uintptr_t lock = 0;
  /// The wait times out by itself (a KeWaitFor* timeout): time moving toward it is progress that
  /// ends, so only steps that do not move time count toward the never-completes report.
  bool has_deadline = false;
};

class Scheduler {
 public:
  Scheduler(Kernel& kernel, const ScheduleOptions& options, unsigned processors);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  /// How a worker's driver code reaches this machine: `exchange(binding)` makes `binding` the
  /// host thread's current machine and returns the one it replaced; `own` is this machine's. A
  /// worker binds `own` while it runs, and the test's context gets back what it had.
  void SetBinding(std::function<void*(void*)> exchange, void* own) {
    exchange_binding_ = std::move(exchange);
    own_binding_ = own;
  }

  /// A schedule point of the running context: another context may run before this returns.
  /// Inline and a compare when no other vCPU has work: it runs on every kernel call.
  void Point() {
    if (tearing_down_ || (busy_workers_ == 0 && !test_ready_)) return;
    SwitchPoint();
  }
  /// A schedule point inside instrumented driver code, which the compiler built as unable to
  /// throw: another context may run first, but a failure it raised (or teardown) surfaces only at
  /// this context's next kernel call.
  void QuietPoint();
  /// A busy wait (KeStallExecutionProcessor): like Point, but even the default strategy lets any
  /// other runnable context go first, so a vCPU polling for another one's progress gets it.
  void Yield();
  /// A zero-interval KeDelayExecutionThread: Yield, and then a system thread that is ready but
  /// has no vCPU gets this context's until it blocks, yields or ends, as the rest of the time
  /// slice goes to a ready thread on Windows. On one vCPU a loop polling with zero delays for
  /// its new thread would otherwise run for ever (audit round 19, B-S11). Returns at once when
  /// nothing else can run.
  void YieldToThreads();
  /// Blocks the running context until `wait.ready()`; the others run meanwhile. Raises the
  /// deadlock bug check when nothing can run.
  void WaitUntil(WaitFor wait);
  /// As WaitUntil, but returns false instead of raising the deadlock bug check when nothing else
  /// can run (a timed wait then moves the clock on); true once `wait.ready()`.
  bool WaitUntilStuck(const WaitFor& wait);
  /// Work for vCPU `cpu` is available (an interrupt routed there, a DPC queued there): its context
  /// services it. Under kDefault it does so now, to completion or until it must wait.
  void Handoff(unsigned cpu);
  /// The test thread moves to vCPU `cpu`, once that vCPU's worker has finished what it runs.
  void Rebind(unsigned cpu);
  /// vCPU `cpu` is kept busy at `irql` by work the test does not model (Machine::
  /// KeepProcessorBusy): its DPCs and the interrupts its IRQL masks wait until Vacate, or until
  /// nothing else on the machine can run (a wait elsewhere needs it).
  void Occupy(unsigned cpu, std::uint8_t irql);
  /// The busy work on `cpu` ends: it is back at PASSIVE_LEVEL and runs what waited.
  void Vacate(unsigned cpu);
  /// Vacates every vCPU kept busy (Machine::Shutdown: the machine runs on after the test body).
  void VacateAll();
  /// Every vCPU is inside a KeIpiGenericCall broadcast (model/ipi_calls.hpp): while held, no
  /// schedule point switches contexts, and a wait that is not ready at once can never end.
  /// Out of line (in SwitchPoint and the waits), so Point's fast path pays nothing for it.
  void Hold() { ++held_; }
  void Unhold() { --held_; }
  /// The test's own context holds the baton (not a vCPU worker running an ISR or a DPC).
  bool test_running() const { return running_ == test_.get(); }
  /// Lets every other vCPU run until none can (each is idle or waits): the test body has ended and
  /// Machine::Shutdown is about to look at what is left.
  void Quiesce();
  /// One of `count` equally valid choices (interrupt routing): 0 under kDefault, seeded otherwise.
  unsigned Choose(unsigned count);

  /// Ends every worker (their stacks unwind). The machine must be finished with.
  void Teardown();

  /// A new system thread, number `index` of the kernel's SystemThreads, that runs `body` once the
  /// scheduler seats it on a free vCPU. `body` may throw: a failure ends the machine as a
  /// worker's does. SystemThreads::Seat / Unseat swap its per-thread state in and out.
  void AddThread(unsigned index, std::function<void()> body, std::string name);
  /// The running system thread may run only on the vCPUs of `affinity` (a bit each) from now
  /// on, across its waits too (its system affinity). It stays on its vCPU if that is one of
  /// them; otherwise it gives its vCPU back and resumes on the lowest of them once that one is
  /// free, which becomes the current vCPU. Below DISPATCH_LEVEL only.
  void SetThreadAffinity(std::uint64_t affinity);
  /// The system thread the running context is (its index), if it is one.
  std::optional<unsigned> RunningThread() const;
  /// A running system thread that gave its vCPU back to wait takes a free one of its affinity
  /// again; false when none is free. For a wait that moves virtual time because nothing else can
  /// run: the DPCs and interrupts due then run on the thread's context, and while they do their
  /// vCPU must be the thread's, or the vCPU's own context could resume in the middle of them.
  /// True at once for any other context.
  bool SeatRunningThread();
  /// "waits for ..." / "can run" / "is running on vCPU 1" for system thread `index`, or "" once it
  /// has ended.
  std::string DescribeThread(unsigned index) const;
  /// Who runs on vCPU `cpu`, as a report names a waiter or a spin lock's holder: "vCPU 1", or
  /// "the system thread 0x1000 (start routine ..., thread object ...) on vCPU 1" when a system
  /// thread is seated there.
  std::string DescribeProcessor(unsigned cpu) const;
  /// The running context, named as DescribeProcessor names it (a system thread that gave its vCPU
  /// back to wait is named without one).
  std::string DescribeRunning() const;

  bool exploring() const { return options_.strategy != Strategy::kDefault; }
  /// The vCPU the test's own thread is bound to.
  unsigned test_processor() const;
  /// "vCPU 1 waits for the spin lock at 0x...; holds ..." for every vCPU whose context is not
  /// idle, for reports; the test's own context and the system threads only with `include_test`
  /// (the shutdown report names threads left running itself).
  std::vector<std::string> DescribeContexts(bool include_test = true) const;
  /// Whether vCPU `cpu` is running work on its worker (not idle).
  bool Busy(unsigned cpu) const;

 private:
  struct Context;
  /// Thrown into a worker's stack to unwind it at Teardown.
  struct Unwind {};

  bool Block(const WaitFor& wait, bool deadlock);
  /// The context that takes vCPU `cpu`'s interrupts and DPCs: a system thread seated there, else
  /// the test's or the vCPU's worker.
  Context& ContextFor(unsigned cpu);
  /// The test's or the worker's context of vCPU `cpu` (nullptr: a worker never started).
  const Context* OwnContext(unsigned cpu) const;
  /// vCPU `cpu` can take a system thread: no thread on it, and its own context idle or blocked
  /// below DISPATCH_LEVEL outside any ISR or DPC.
  bool Free(unsigned cpu) const;
  /// A vCPU of `thread`'s affinity is free for it.
  bool FreeFor(const Context& thread) const;
  /// Seats system thread `context` on the first free vCPU of its affinity; false if none is.
  bool Seat(Context& context);
  /// The system thread gives its vCPU back (it blocks or ends); work handed to the vCPU meanwhile
  /// goes to the vCPU's own context.
  void Unseat(Context& context);
  /// Marks `context` as having work handed to it (Handoff without the schedule point).
  void MarkReady(Context& context);
  HostContext* ThreadMain(Context& thread);
  /// Every context, test first, then workers by vCPU, then system threads by creation.
  template <typename Fn>
  void ForEachContext(Fn&& fn) const;
  Context& Worker(unsigned cpu);
  bool Runnable(const Context& context) const;
  /// The context to run next, or nullptr when none can (`current` included if it can run).
  Context* Pick();
  /// Hands the baton to `next` and blocks `current` until it is handed back.
  void SwitchTo(Context& current, Context& next);
  /// After `current` got the baton back: surface a failure, unwind at teardown, take own work.
  void Resumed(Context& current);
  void Service(Context& context);
  void Start(Context& worker);
  /// A worker context's body; returns the context it hands the baton to when it has ended.
  HostContext* WorkerMain(Context& worker);
  /// Moves the host thread's per-context state (the current machine, the race detector's shadow
  /// stack) from `from` to `to`, when contexts share a thread.
  void HandOverThreadState(Context& from, Context& to);
  /// A worker that finished its work: waits, idle, until work is handed to it again.
  void Idle(Context& worker);
  /// A Machine call (`routine`) of the test body about vCPU `cpu`: throws Error unless the vCPU
  /// exists and the test body is the caller.
  void CheckTestRequest(unsigned cpu, const char* routine) const;
  /// Waits until vCPU `cpu`'s worker has finished what it runs and no system thread sits there;
  /// `purpose` ends the wait's description ("to switch the test to it").
  void WaitForVcpuFree(unsigned cpu, const char* purpose);
  /// When nothing can run: the lowest vCPU kept busy (Occupy) ends its work and its context is
  /// marked ready to run what waited there; false when none is kept busy.
  bool VacateForWaiters();
  /// When nothing can run: a context blocked in WaitUntilStuck, which must resume to learn that
  /// it is stuck (its caller then runs work items or moves virtual time), or nullptr.
  Context* GivingUp();
  [[noreturn]] void Deadlock(const Context& waiter);
  std::string Describe(const Context& context) const;
  void PctStep(Context& current);
  void AssignPriority(Context& context);
  /// Point past its inline fast path: another context may have work.
  void SwitchPoint();
  /// The only writer of Context::ready: keeps test_ready_ in step for the inline Point.
  void SetReady(Context& context, bool ready);

  Kernel& kernel_;
  ScheduleOptions options_;
  Prng prng_;
  std::function<void*(void*)> exchange_binding_;
  void* own_binding_ = nullptr;
  void* test_binding_ = nullptr;  ///< the test context's binding while a worker runs
  std::vector<std::unique_ptr<Context>> workers_;  ///< index = vCPU
  std::unique_ptr<Context> test_;
  std::vector<std::unique_ptr<Context>> threads_;  ///< system threads, index = SystemThreads'
  std::vector<Context*> seated_;                   ///< per vCPU: the system thread on it
  std::vector<Context*> candidates_;               ///< Pick's scratch space
  Context* running_ = nullptr;
  Context* tearing_down_from_ = nullptr;  ///< where a worker unwound at Teardown hands back
  bool tearing_down_ = false;
  unsigned held_ = 0;           ///< Hold() nesting
  std::uint64_t occupied_ = 0;  ///< vCPUs kept busy by the test (Occupy), a bit each
  unsigned busy_workers_ = 0;
  bool test_ready_ = false;     ///< test_->ready, readable where Context is incomplete
  std::uint64_t stamp_ = 0;     ///< kDefault: order of activation (the last activated runs first)
  std::uint64_t switches_ = 0;  ///< context switches so far (YieldToThreads)
  std::uint64_t steps_ = 0;     ///< kPct: schedule points so far
  std::vector<std::uint64_t> change_points_;  ///< kPct: steps where the runner's priority drops
  std::uint64_t next_low_priority_ = 0;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_SCHEDULER_HPP_
