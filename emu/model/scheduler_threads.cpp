// The scheduler's system threads (docs/decisions.md, decision 13): a context that borrows a
// free vCPU, swapping its per-thread state in while it runs there (SystemThreads::Seat/Unseat).
#include <fmt/format.h>

#include <bit>
#include <exception>

#include "model/host_context.hpp"
#include "model/kernel.hpp"
#include "model/scheduler.hpp"
#include "model/scheduler_context.hpp"

namespace kemu::model {

bool Scheduler::Free(unsigned cpu) const {
  if (seated_[cpu] != nullptr) return false;
  if (const Context* own = OwnContext(cpu); own != nullptr && own->busy && !own->finished) {
    // Running (it waits for nothing then), or able to run: its vCPU is not free. The test in
    // Quiesce waits for the others, a wait that asks back.
    if (own->ready) return false;
    const bool quiescing = own == test_.get() && own->quiescing;
    if (!quiescing && (own->wait == nullptr || own->wait->ready())) return false;
  }
  const Cpu& state = kernel_.cpu(cpu);
  return state.irql < DISPATCH_LEVEL && state.dpc_depth == 0 && state.dispatching == 0;
}

bool Scheduler::FreeFor(const Context& thread) const {
  for (unsigned cpu = 0; cpu < seated_.size(); ++cpu) {
    if (((thread.affinity >> cpu) & 1) != 0 && Free(cpu)) return true;
  }
  return false;
}

bool Scheduler::Seat(Context& context) {
  if (context.on_cpu) return true;
  for (unsigned cpu = 0; cpu < seated_.size(); ++cpu) {
    if (((context.affinity >> cpu) & 1) == 0 || !Free(cpu)) continue;
    seated_[cpu] = &context;
    context.cpu = cpu;
    context.on_cpu = true;
    kernel_.system_threads().Seat(context.thread, cpu);
    // A running thread whose wait ends takes a vCPU here, maybe not the one it gave back when it
    // blocked: from now on it runs on this one (its IRQL, regions and processor number).
    if (running_ == &context) kernel_.SetCurrentProcessor(cpu);
    return true;
  }
  return false;
}

void Scheduler::Unseat(Context& context) {
  if (!context.on_cpu) return;
  kernel_.system_threads().Unseat(context.thread, context.cpu);
  seated_[context.cpu] = nullptr;
  context.on_cpu = false;
  if (context.ready && !tearing_down_) {
    // Interrupts or DPCs handed to the vCPU it leaves: its own context takes them now.
    SetReady(context, false);
    MarkReady(ContextFor(context.cpu));
  }
}

void Scheduler::SetThreadAffinity(std::uint64_t affinity) {
  Context& me = *running_;
  // Affinity calls this only on a seated system thread, with a valid set, below DISPATCH_LEVEL.
  me.affinity = affinity;
  if (((affinity >> me.cpu) & 1) != 0) return;
  // Only the lowest vCPU of the set takes it now, so every run moves the same way; once seated
  // there, its waits may seat it on any vCPU of the set.
  const auto target = static_cast<unsigned>(std::countr_zero(affinity));
  struct Widen {
    ~Widen() { thread.affinity = affinity; }
    Context& thread;
    std::uint64_t affinity;
  } widen{me, affinity};
  me.affinity = std::uint64_t{1} << target;
  Unseat(me);
  WaitUntil(
      {.ready = [] { return true; },
       .what = fmt::format("vCPU {} to be free, to move there (its system affinity)", target)});
}

void Scheduler::AddThread(unsigned index, std::function<void()> body, std::string name) {
  auto context = std::make_unique<Context>();
  Context& thread = *context;
  thread.is_thread = true;
  thread.thread = index;
  thread.run = std::move(body);
  thread.name = std::move(name);
  thread.started = true;
  thread.busy = true;
  thread.stamp = ++stamp_;
  ++busy_workers_;
  if (options_.strategy == Strategy::kPct) AssignPriority(thread);
  thread.host =
      std::make_unique<HostContext>(*test_->host, [this, &thread] { return ThreadMain(thread); });
  if (threads_.size() <= index) threads_.resize(index + 1);
  threads_[index] = std::move(context);
}

HostContext* Scheduler::ThreadMain(Context& thread) {
  if (!HostContext::kSharesThread && exchange_binding_) exchange_binding_(own_binding_);
  thread.began = true;
  if (!thread.unwind) {
    try {
      thread.run();
    } catch (const Unwind&) {
    } catch (...) {
      kernel_.EndWith(std::current_exception());
    }
  }
  Unseat(thread);
  thread.finished = true;
  thread.busy = false;
  --busy_workers_;
  // Whoever can run next (a waiter on the thread's end, say); at teardown, whoever tears down;
  // otherwise the test, which raises a failure or finds out that nothing can run.
  Context* next = tearing_down_ ? tearing_down_from_ : nullptr;
  if (next == nullptr && !kernel_.crashed()) next = Pick();
  if (next == nullptr) next = test_.get();
  if (next->is_thread && !tearing_down_) Seat(*next);
  running_ = next;
  kernel_.SetCurrentProcessor(next->cpu);
  HandOverThreadState(thread, *next);
  return next->host.get();
}

bool Scheduler::SeatRunningThread() {
  if (running_ == nullptr || !running_->is_thread) return true;
  return Seat(*running_);
}

std::optional<unsigned> Scheduler::RunningThread() const {
  if (running_ == nullptr || !running_->is_thread) return std::nullopt;
  return running_->thread;
}

std::string Scheduler::DescribeThread(unsigned index) const {
  if (index >= threads_.size() || !threads_[index]) return "";
  const Context& c = *threads_[index];
  if (c.finished || !c.busy) return "";
  if (&c == running_) return fmt::format("is running on vCPU {}", c.cpu);
  if (c.wait != nullptr) return "waits for " + c.wait->what;
  return c.on_cpu ? fmt::format("can run (on vCPU {})", c.cpu) : "can run (has not yet started)";
}

std::string Scheduler::Describe(const Context& context) const {
  if (!context.is_thread) return fmt::format("vCPU {}", context.cpu);
  std::string name = kernel_.system_threads().Describe(context.thread);
  if (context.on_cpu) name += fmt::format(" on vCPU {}", context.cpu);
  return name;
}

std::string Scheduler::DescribeProcessor(unsigned cpu) const {
  if (cpu < seated_.size() && seated_[cpu] != nullptr) return Describe(*seated_[cpu]);
  return fmt::format("vCPU {}", cpu);
}

std::string Scheduler::DescribeRunning() const { return Describe(*running_); }

}  // namespace kemu::model
