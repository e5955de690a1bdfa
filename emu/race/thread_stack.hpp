// Per execution context: the shadow call stack of instrumented driver functions (the compiler's
// __tsan_func_entry/exit), so a race report shows who called the racing access, and where the
// driver's own frames begin, so they are not tracked.
#ifndef KEMU_EMU_RACE_THREAD_STACK_HPP_
#define KEMU_EMU_RACE_THREAD_STACK_HPP_

#include <array>
#include <cstdint>

namespace kemu::race {

struct ThreadStack {
  static constexpr unsigned kDepth = 64;
  /// Call sites of the instrumented functions entered, outermost first. Deeper calls are counted
  /// but not kept.
  std::array<std::uintptr_t, kDepth> callers{};
  unsigned depth = 0;
  /// Frame address of the outermost instrumented function entered from uninstrumented code (the
  /// test calling into the driver): the driver's own frames lie below it, its caller's above.
  std::uintptr_t driver_base = 0;

  /// `frame`: the entered function's frame address.
  void Enter(std::uintptr_t call_site, std::uintptr_t frame) {
    if (depth == 0) driver_base = frame;
    if (depth < kDepth) callers[depth] = call_site;
    ++depth;
  }
  void Exit() {
    if (depth > 0) --depth;
  }
  /// The call site `n` frames out from the innermost (0 = the innermost function's caller).
  std::uintptr_t Caller(unsigned n) const {
    if (n >= depth) return 0;
    const unsigned index = depth - 1 - n;
    return index < kDepth ? callers[index] : 0;
  }
};

/// The running execution context's: the one SetCurrentThreadStack named, else the host thread's.
ThreadStack& CurrentThreadStack();
/// Where vCPU contexts share a host thread (fibers), the scheduler names the running one's stack
/// at every switch; nullptr names the host thread's own (the test's context).
void SetCurrentThreadStack(ThreadStack* stack);

}  // namespace kemu::race

#endif  // KEMU_EMU_RACE_THREAD_STACK_HPP_
