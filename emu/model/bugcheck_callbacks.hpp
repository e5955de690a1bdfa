// Bug-check callbacks (KeRegisterBugCheckCallback, KeDeregisterBugCheckCallback): routines kemu
// calls when the machine stops on a bug check, newest registration first, on the vCPU that
// crashed, raised to HIGH_LEVEL, with the other vCPUs stopped (the scheduler is held). They run
// before the bug check is thrown (or the process aborts), so what a callback writes to its
// buffer or its device's registers is there for the test to see. A bug check recorded under
// BugCheckAction::kRecord does not stop the machine and calls none. A callback still registered
// at Machine::Shutdown is a leak: an unloading driver must deregister it.
#ifndef KEMU_EMU_MODEL_BUGCHECK_CALLBACKS_HPP_
#define KEMU_EMU_MODEL_BUGCHECK_CALLBACKS_HPP_

#include <wdm.h>

#include <cstdint>
#include <string>
#include <vector>

namespace kemu::model {

class Kernel;

class BugCheckCallbacks {
 public:
  explicit BugCheckCallbacks(Kernel& kernel) : kernel_(kernel) {}

  /// KeRegisterBugCheckCallback: FALSE when the record is not in the BufferEmpty state
  /// (registered already, or never passed to KeInitializeCallbackRecord).
  BOOLEAN Register(PKBUGCHECK_CALLBACK_RECORD record, PKBUGCHECK_CALLBACK_ROUTINE routine,
                   PVOID buffer, ULONG length, PUCHAR component);
  /// KeDeregisterBugCheckCallback: FALSE when the record is not registered.
  BOOLEAN Deregister(PKBUGCHECK_CALLBACK_RECORD record);
  /// Calls every registered routine; a no-op while they run (a bug check inside one).
  void Run();

  std::vector<std::string> DescribeLeaks() const;
  std::uintptr_t FirstLeak() const;

 private:
  Kernel& kernel_;
  std::vector<PKBUGCHECK_CALLBACK_RECORD> registered_;  ///< registration order
  bool running_ = false;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_BUGCHECK_CALLBACKS_HPP_
