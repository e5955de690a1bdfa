// Where a vCPU's work runs on the host: an execution context with a stack of its own that runs only
// when another context of its group switches to it. Exactly one context of a group runs at a time
// and control passes only by SwitchTo, so what the contexts share needs no locks.
//
// Two implementations, chosen when kemu is built (KEMU_VCPU_CONTEXTS, docs/concurrency.md):
//   fibers   all contexts on the creating thread, each worker with a stack of its own; a switch
//            saves and restores registers (model/fiber_registers.hpp), a few dozen instructions
//            on x86-64. The default where the C library has ucontext.
//   threads  a host thread per worker, passing a baton (a mutex and a condition variable per
//            context); a switch costs two thread wake-ups. Used on macOS and under ThreadSanitizer,
//            which follows threads but not stack switches.
//
//   HostContext test;                                   // the calling thread as it runs now
//   HostContext worker(test, [&] { work(); return &test; });  // runs when first switched to
//   test.SwitchTo(worker);  // returns when worker switches back to test, or ends handing it back
#ifndef KEMU_EMU_MODEL_HOST_CONTEXT_HPP_
#define KEMU_EMU_MODEL_HOST_CONTEXT_HPP_

#include <functional>
#include <memory>

namespace kemu::model {

class HostContext {
 public:
  /// What a new context runs. It returns the context control passes to when it ends, and must
  /// not throw.
  using Body = std::function<HostContext*()>;

  /// Whether a group's contexts run on one host thread. If so, state the host keeps per thread
  /// (thread_local variables) is shared by all of them, and whoever switches must switch it too.
  static const bool kSharesThread;

  /// The calling thread's own context, running.
  HostContext();
  /// A new context of `group`'s group that runs `body` when it is first switched to.
  HostContext(HostContext& group, Body body);
  /// A context whose body began must have ended (its body returned) before this; one never
  /// switched to is dropped without running its body.
  ~HostContext();
  HostContext(const HostContext&) = delete;
  HostContext& operator=(const HostContext&) = delete;

  /// Suspends this context, which must be the running one, and runs `next`. Returns when a context
  /// switches back to this one.
  void SwitchTo(HostContext& next);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_HOST_CONTEXT_HPP_
