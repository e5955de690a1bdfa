// HostContext as fibers: every context of a group runs on the thread that created the group, each
// worker on a stack of its own (mmap'd, with a guard page below it), switched by FiberRegisters.
//
// What the host keeps per thread is switched along: the C++ runtime's exception state (the
// exceptions being handled and the count std::uncaught_exceptions() reads, which a context
// unwinding or inside a catch block must not see change under it), and AddressSanitizer's idea of
// the current stack. kemu's own per-thread state is the scheduler's to switch (kSharesThread).
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <new>
#include <utility>

#include "model/address_sanitizer.hpp"
#include "model/fiber_registers.hpp"
#include "model/host_context.hpp"

#ifdef KEMU_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

// The C++ runtime's per-thread exception state, as both libstdc++ (libsupc++) and libc++abi
// export it; libc++abi's <cxxabi.h> does not declare it, so it is declared here.
namespace __cxxabiv1 {
struct __cxa_eh_globals;
extern "C" __cxa_eh_globals* __cxa_get_globals() noexcept;
}  // namespace __cxxabiv1

namespace kemu::model {

const bool HostContext::kSharesThread = true;

namespace {

// What a host thread gets by default (ulimit -s): interrupts serviced while another vCPU is handed
// work nest the emulator's frames, deeply under a storm and more so under AddressSanitizer. Only
// the pages a context touches are ever backed.
constexpr std::size_t kStackBytes = std::size_t{8} << 20;

// The Itanium C++ ABI's per-thread exception state (__cxa_eh_globals), whose layout the ABI gives:
// the exceptions being handled, innermost first, and how many are in flight.
struct ExceptionState {
  void* caught = nullptr;
  unsigned int uncaught = 0;
};

ExceptionState& ThreadExceptionState() {
  return *reinterpret_cast<ExceptionState*>(__cxxabiv1::__cxa_get_globals());
}

// A mapping for a worker's stack: kStackBytes with a guard page below them.
struct StackMapping {
  void* base = nullptr;
  std::size_t bytes = 0;
};

// Stacks of ended fibers, kept for the next machine's workers on this thread: a fuzzer makes a
// machine per input, and mapping a stack and faulting its first pages in costs more than the rest
// of a short input's vCPU switches. Only memory is kept; nothing in it is read again (a new fiber
// writes its frames before it reads them, and under AddressSanitizer its shadow is cleared first).
//
// A machine that outlives the cache (a static one, destroyed after the thread's thread_local
// objects) gives its stacks straight back to the system: `stack_cache_gone`, trivially
// destructible, stays readable after the cache is gone.
thread_local bool stack_cache_gone = false;

class StackCache {
 public:
  static constexpr std::size_t kKept = 8;

  ~StackCache() {
    stack_cache_gone = true;
    for (std::size_t i = 0; i < count_; ++i) munmap(kept_[i].base, kept_[i].bytes);
  }
  StackMapping Take() {
    if (count_ > 0) return kept_[--count_];
    return Map();
  }
  void Give(StackMapping stack) {
    if (count_ < kKept) {
      kept_[count_++] = stack;
      return;
    }
    munmap(stack.base, stack.bytes);
  }

  static StackMapping Map() {
    const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    StackMapping stack{.base = nullptr, .bytes = kStackBytes + page};
    stack.base = mmap(nullptr, stack.bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (stack.base == MAP_FAILED) throw std::bad_alloc();
    // An overflow faults on the guard page instead of writing over whatever lies below.
    mprotect(stack.base, page, PROT_NONE);
    return stack;
  }

 private:
  StackMapping kept_[kKept];
  std::size_t count_ = 0;
};

thread_local StackCache stack_cache;

StackMapping TakeStack() { return stack_cache_gone ? StackCache::Map() : stack_cache.Take(); }

void GiveStack(StackMapping stack) {
  if (stack_cache_gone) {
    munmap(stack.base, stack.bytes);
  } else {
    stack_cache.Give(stack);
  }
}

}  // namespace

struct HostContext::Impl {
  FiberRegisters registers;
  Body body;
  /// The mapping a worker's stack lies in (guard page first); none for the thread's own.
  StackMapping mapping;
  /// The thread's exception state while this context does not run.
  ExceptionState exceptions;
  /// The context that last switched to this one.
  Impl* came_from = nullptr;
  /// AddressSanitizer: this context's stack (learnt for the thread's own when it is left) and the
  /// fake frames of its suspended switch.
  const void* stack_bottom = nullptr;
  std::size_t stack_bytes = 0;
  void* fake_stack = nullptr;

  /// Before leaving for `next`; `dying`: this context never runs again.
  void Leave(Impl& next, bool dying) {
    if (!dying) exceptions = ThreadExceptionState();
    ThreadExceptionState() = next.exceptions;
    next.came_from = this;
#ifdef KEMU_ASAN
    __sanitizer_start_switch_fiber(dying ? nullptr : &fake_stack, next.stack_bottom,
                                   next.stack_bytes);
#endif
  }
  /// First thing after this context runs again (or for the first time).
  void Arrived() {
#ifdef KEMU_ASAN
    const void* from_bottom = nullptr;
    std::size_t from_bytes = 0;
    __sanitizer_finish_switch_fiber(fake_stack, &from_bottom, &from_bytes);
    came_from->stack_bottom = from_bottom;
    came_from->stack_bytes = from_bytes;
#endif
  }

  static void Start(void* argument) {
    Impl& self = *static_cast<Impl*>(argument);
    self.Arrived();
    Impl& next = *self.body()->impl_;
    self.Leave(next, /*dying=*/true);
    self.registers.JumpTo(next.registers);
  }
};

HostContext::HostContext() : impl_(std::make_unique<Impl>()) {}

HostContext::HostContext(HostContext& /*group*/, Body body) : impl_(std::make_unique<Impl>()) {
  Impl& self = *impl_;
  self.body = std::move(body);
  self.mapping = TakeStack();
  self.stack_bytes = kStackBytes;
  self.stack_bottom = static_cast<char*>(self.mapping.base) + (self.mapping.bytes - kStackBytes);
#ifdef KEMU_ASAN
  // A stack used before (kept, or mapped where an old one lay) may still be marked with the
  // frames it held: cleared once here (Leave and Arrived tell ASan of every switch).
  __asan_unpoison_memory_region(self.stack_bottom, self.stack_bytes);
#endif
  self.registers.Prepare(const_cast<void*>(self.stack_bottom), self.stack_bytes, &Impl::Start,
                         &self);
}

HostContext::~HostContext() {
  if (impl_->mapping.base != nullptr) GiveStack(impl_->mapping);
}

void HostContext::SwitchTo(HostContext& next) {
  Impl& self = *impl_;
  self.Leave(*next.impl_, /*dying=*/false);
  self.registers.SwitchTo(next.impl_->registers);
  self.Arrived();
}

}  // namespace kemu::model
