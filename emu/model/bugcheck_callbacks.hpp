// Bug-check callbacks (KeRegisterBugCheckCallback, KeDeregisterBugCheckCallback): routines kemu
// calls when the machine stops on a bug check, newest registration first, on the vCPU that
// crashed, raised to HIGH_LEVEL, with the other vCPUs stopped (the scheduler is held). They run
// before the bug check is thrown (or the process aborts), so what a callback writes to its
// buffer or its device's registers is there for the test to see. A bug check recorded under
// BugCheckAction::kRecord does not stop the machine and calls none. A callback still registered
// at Machine::Shutdown is a leak: an unloading driver must deregister it.
//
// Reason callbacks (KeRegisterBugCheckReasonCallback) run at the same moment, before the plain
// ones (UNCONFIRMED order; Windows writes the dump, which asks the reason callbacks, before it
// calls the plain ones): kemu models KbCallbackSecondaryDumpData, whose data it keeps for
// Machine::secondary_dump_data(). The other reasons fail as kemu::NotModelled at registration.
//
// kemu keeps its own copy of each registration and never reads the driver's record after
// registering it unless the record still holds that registration: a driver that frees the pool
// block holding a registered record, or registers one in a stack frame it then leaves, must not
// make kemu read freed memory or write into a dead frame (which may by then be kemu's own).
#ifndef KEMU_EMU_MODEL_BUGCHECK_CALLBACKS_HPP_
#define KEMU_EMU_MODEL_BUGCHECK_CALLBACKS_HPP_

#include <wdm.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kemu/crash_dump.hpp"

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
  /// KeRegisterBugCheckReasonCallback: FALSE as Register; a reason kemu does not model throws
  /// kemu::NotModelled naming it.
  BOOLEAN RegisterReason(PKBUGCHECK_REASON_CALLBACK_RECORD record,
                         PKBUGCHECK_REASON_CALLBACK_ROUTINE routine,
                         KBUGCHECK_CALLBACK_REASON reason, PUCHAR component);
  /// KeDeregisterBugCheckReasonCallback: FALSE when the record is not registered.
  BOOLEAN DeregisterReason(PKBUGCHECK_REASON_CALLBACK_RECORD record);
  /// Calls every registered routine, reason callbacks first, for the crash `code`; a no-op while
  /// they run (a bug check inside one). A record whose memory was freed, or that no longer holds
  /// its registration, is passed over.
  void Run(std::uint32_t code);
  /// Pool block [begin, end) is being freed (by `routine`): registered records inside it are gone.
  void Freed(const void* begin, const void* end, const char* routine);

  /// While a callback runs: "the bug-check callback routine 0x... (KeRegisterBugCheckCallback,
  /// record 0x..., component "kemu-nic"), which kemu ran at HIGH_LEVEL for the bug check 0xE2
  /// that stopped the machine", for the report of a rule the callback breaks; "" otherwise.
  const std::string& running_callback() const { return running_callback_; }
  /// The report of the bug check a callback raised while Run ran (kemu stopped calling callbacks
  /// there), up to the machine's description; taken once.
  std::optional<std::string> TakeNested();

  const std::vector<SecondaryDumpData>& secondary_dump_data() const { return secondary_; }
  std::vector<std::string> DescribeLeaks() const;
  std::uintptr_t FirstLeak() const;

 private:
  /// kemu's copy of a plain registration.
  struct Registration {
    PKBUGCHECK_CALLBACK_RECORD record;
    PKBUGCHECK_CALLBACK_ROUTINE routine;
    PVOID buffer;
    ULONG length;
    std::string component;           ///< copied at registration
    const char* freed_by = nullptr;  ///< the routine that freed the record's pool block
  };
  /// kemu's copy of a reason registration.
  struct ReasonRegistration {
    PKBUGCHECK_REASON_CALLBACK_RECORD record;
    PKBUGCHECK_REASON_CALLBACK_ROUTINE routine;
    KBUGCHECK_CALLBACK_REASON reason;
    std::string component;
    const char* freed_by = nullptr;
  };

  /// The driver's record still holds the registration (it was not freed, moved or overwritten).
  static bool Intact(const Registration& registration);
  static bool Intact(const ReasonRegistration& registration);

  Kernel& kernel_;
  std::vector<Registration> registered_;      ///< registration order
  std::vector<ReasonRegistration> reasons_;   ///< registration order
  std::vector<SecondaryDumpData> secondary_;  ///< what the last crash collected

  /// False when a callback ended in a bug check (or harness error): the others are not called.
  bool RunSecondaryDumpData(const ReasonRegistration& registration, std::uint32_t code);
  void RunPlain();
  /// Calls `call`, the callback `description` names, for the bug check `code`; false when it
  /// ended in a bug check (kept for TakeNested) or a harness error.
  template <typename Call>
  bool CallOne(const std::string& description, Call&& call);
  bool running_ = false;
  std::uint32_t code_ = 0;             ///< the bug check the callbacks run for
  std::string running_callback_;       ///< see running_callback()
  std::optional<std::string> nested_;  ///< see TakeNested()
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_BUGCHECK_CALLBACKS_HPP_
