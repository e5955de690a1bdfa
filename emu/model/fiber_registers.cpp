// The two ways a fiber's registers are switched (see fiber_registers.hpp for which one is built).
#include "model/fiber_registers.hpp"

#include <cstdint>

namespace kemu::model {

#ifdef KEMU_FIBER_OWN_SWITCH

// What the System V x86-64 ABI has a called function preserve: rbx, rbp, r12-r15, the stack
// pointer, and the control bits of MXCSR and of the x87 FPU. They are pushed on the stack being
// left, whose pointer is stored; the stack being resumed holds the same layout, from its own
// suspension or from Prepare:
//
//   stack pointer + 0   x87 control word (2 bytes)
//                 + 8   MXCSR (4 bytes)
//                 + 16  r15, r14, r13, r12, rbx, rbp
//                 + 64  where `ret` continues
//
// A fresh fiber continues at kemu_fiber_start, which calls entry (r12) with the argument (r13) on a
// 16-byte-aligned stack, as a call must. Its return address is marked undefined so that debuggers
// and unwinders end a fiber's backtrace there.
asm(R"(
  .text
  .globl kemu_fiber_switch
  .hidden kemu_fiber_switch
  .type kemu_fiber_switch, @function
  .p2align 4
kemu_fiber_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $16, %rsp
  fnstcw (%rsp)
  stmxcsr 8(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  fldcw (%rsp)
  ldmxcsr 8(%rsp)
  addq $16, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size kemu_fiber_switch, .-kemu_fiber_switch

  .globl kemu_fiber_start
  .hidden kemu_fiber_start
  .type kemu_fiber_start, @function
  .p2align 4
kemu_fiber_start:
  .cfi_startproc
  .cfi_undefined rip
  movq %r13, %rdi
  callq *%r12
  ud2
  .cfi_endproc
  .size kemu_fiber_start, .-kemu_fiber_start
)");

extern "C" __attribute__((visibility("hidden"))) void kemu_fiber_start();

void FiberRegisters::Prepare(void* bottom, std::size_t bytes, void (*entry)(void*),
                             void* argument) {
  // The frame kemu_fiber_switch pops, below a 16-byte-aligned stack pointer for kemu_fiber_start.
  const auto top = (reinterpret_cast<std::uintptr_t>(bottom) + bytes) & ~std::uintptr_t{15};
  auto* frame = reinterpret_cast<std::uint64_t*>(top - 16 - 72);
  // The new fiber starts with the floating-point modes of the fiber preparing it, as a new thread
  // starts with its creator's.
  std::uint16_t x87_control = 0;
  asm volatile("fnstcw %0" : "=m"(x87_control));
  frame[0] = x87_control;
  frame[1] = __builtin_ia32_stmxcsr();
  frame[2] = 0;                                           // r15
  frame[3] = 0;                                           // r14
  frame[4] = reinterpret_cast<std::uintptr_t>(argument);  // r13
  frame[5] = reinterpret_cast<std::uintptr_t>(entry);     // r12
  frame[6] = 0;                                           // rbx
  frame[7] = 0;                                           // rbp
  frame[8] = reinterpret_cast<std::uintptr_t>(&kemu_fiber_start);
  stack_pointer_ = frame;
}

#else  // ucontext

namespace {

// makecontext passes int arguments only: the entry and its argument travel as halves.
struct Start {
  void (*entry)(void*);
  void* argument;
};

void StartFromHalves(unsigned int high, unsigned int low) {
  const Start start = *reinterpret_cast<Start*>((std::uintptr_t{high} << 32) | low);
  start.entry(start.argument);
}

}  // namespace

void FiberRegisters::Prepare(void* bottom, std::size_t bytes, void (*entry)(void*),
                             void* argument) {
  // Kept at the top of the fiber's own stack, which lasts as long as the fiber.
  auto* start = reinterpret_cast<Start*>(
      ((reinterpret_cast<std::uintptr_t>(bottom) + bytes) & ~std::uintptr_t{15}) - 16);
  *start = Start{entry, argument};
  getcontext(&context_);
  context_.uc_stack.ss_sp = bottom;
  context_.uc_stack.ss_size = bytes - 16;
  context_.uc_link = nullptr;  // entry never returns
  const auto address = reinterpret_cast<std::uintptr_t>(start);
  makecontext(&context_, reinterpret_cast<void (*)()>(&StartFromHalves), 2,
              static_cast<unsigned int>(address >> 32), static_cast<unsigned int>(address));
  // makecontext has put the stack pointer into the context; swapcontext does not need the stack
  // again, and AddressSanitizer's swapcontext would clear the whole stack's shadow on every switch
  // if it saw it (the host context tells ASan of each switch itself).
  context_.uc_stack.ss_sp = nullptr;
  context_.uc_stack.ss_size = 0;
}

#endif

}  // namespace kemu::model
