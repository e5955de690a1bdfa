// How a fiber (host_context_fibers.cpp) is suspended and resumed: the registers a function call
// must preserve are saved on the fiber's own stack and another fiber's are restored.
//
// On x86-64 ELF kemu switches with a few instructions of its own (fiber_registers.cpp), without the
// system call `swapcontext` makes to save and restore the signal mask: kemu's contexts never change
// the signal mask, and on a virtual machine with page-table isolation (2 µs a call) those calls
// were most of an interrupt round trip under an exploring schedule (docs/benchmarks.md). Elsewhere,
// and where shadow stacks are compiled in (-fcf-protection with return checks, which a hand-written
// switch would break), the switch is ucontext's.
//
//   FiberRegisters main;                               // filled by its first SwitchTo
//   FiberRegisters worker;
//   worker.Prepare(stack_bottom, stack_bytes, &Entry, arg);
//   main.SwitchTo(worker);  // runs Entry(arg) on the new stack until it switches back to main
#ifndef KEMU_EMU_MODEL_FIBER_REGISTERS_HPP_
#define KEMU_EMU_MODEL_FIBER_REGISTERS_HPP_

#include <cstddef>

#if defined(__x86_64__) && defined(__ELF__) && !(defined(__CET__) && (__CET__ & 2))
#define KEMU_FIBER_OWN_SWITCH 1
#else
#include <ucontext.h>
#endif

namespace kemu::model {

#ifdef KEMU_FIBER_OWN_SWITCH
extern "C" {
/// Pushes the callee-saved registers on the running stack, stores its stack pointer in `*save` and
/// continues from `resume`, a stack pointer stored by an earlier call or by Prepare.
void kemu_fiber_switch(void** save, void* resume);
}
#endif

/// The registers of a suspended fiber.
class FiberRegisters {
 public:
  /// A fiber with the stack [bottom, bottom + bytes) that, when first switched to, calls
  /// entry(argument). `entry` must not return: it ends by switching away for good (JumpTo).
  void Prepare(void* bottom, std::size_t bytes, void (*entry)(void*), void* argument);

  /// Suspends the running fiber into this and resumes `next`; returns when a fiber switches back.
  void SwitchTo(FiberRegisters& next) {
#ifdef KEMU_FIBER_OWN_SWITCH
    kemu_fiber_switch(&stack_pointer_, next.stack_pointer_);
#else
    swapcontext(&context_, &next.context_);
#endif
  }

  /// Resumes `next` from a fiber that never runs again.
  [[noreturn]] void JumpTo(FiberRegisters& next) {
#ifdef KEMU_FIBER_OWN_SWITCH
    kemu_fiber_switch(&stack_pointer_, next.stack_pointer_);
#else
    setcontext(&next.context_);
#endif
    __builtin_unreachable();
  }

 private:
#ifdef KEMU_FIBER_OWN_SWITCH
  void* stack_pointer_ = nullptr;
#else
  ucontext_t context_{};
#endif
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_FIBER_REGISTERS_HPP_
