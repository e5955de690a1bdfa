// NMI callbacks (KeRegisterNmiCallback, KeDeregisterNmiCallback; Windows Server 2003 and later):
// the routines kemu calls when a test raises a nonmaskable interrupt (Machine::RaiseNmi).
//
// An NMI cannot be masked: it lands on the running vCPU whatever that vCPU is doing (at any IRQL,
// holding spin locks, inside an ISR or DPC), and its callbacks run there at HIGH_LEVEL. As
// Microsoft documents, they run newest registration first; the first is told Handled = FALSE, each
// later one whether an earlier one returned TRUE. When none returns TRUE the HAL's default handler
// stops the machine: bug check 0x80 NMI_HARDWARE_FAILURE. A second NMI raised while the callbacks
// run is held, as the processor holds one until the first returns, and is delivered then.
//
// That is what makes NMI code hard to get right: a callback that takes a spin lock the code it
// interrupted holds spins forever on that processor, and most kernel routines are not callable at
// HIGH_LEVEL. kemu's spin-lock and IRQL rules see both, and their reports name the callback.
//
// A registration still in place at Machine::Shutdown is a leak: an unloading driver must
// deregister, or the next NMI calls into its unloaded image.
#ifndef KEMU_EMU_MODEL_NMI_CALLBACKS_HPP_
#define KEMU_EMU_MODEL_NMI_CALLBACKS_HPP_

#include <wdm.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kemu::model {

class Kernel;

class NmiCallbacks {
 public:
  NmiCallbacks(Kernel& kernel, unsigned processors);
  ~NmiCallbacks();
  NmiCallbacks(const NmiCallbacks&) = delete;
  NmiCallbacks& operator=(const NmiCallbacks&) = delete;

  /// KeRegisterNmiCallback: the opaque handle KeDeregisterNmiCallback takes.
  PVOID Register(PNMI_CALLBACK routine, PVOID context);
  /// KeDeregisterNmiCallback: STATUS_INVALID_HANDLE when `handle` is not a registration.
  NTSTATUS Deregister(PVOID handle);

  /// An NMI on the running vCPU: runs the callbacks at HIGH_LEVEL and returns to the interrupted
  /// IRQL; raises 0x80 when none handled it. Inside a callback the NMI is held for when the
  /// callbacks return.
  void Raise();
  /// NMIs delivered so far, handled or not.
  std::uint64_t delivered() const { return delivered_; }

  /// The callback routine running on vCPU `cpu`, or nullptr: for reports of a rule it breaks.
  const void* running_routine(unsigned cpu) const { return running_[cpu].routine; }

  std::vector<std::string> DescribeLeaks() const;
  std::uintptr_t FirstLeak() const;

 private:
  struct Registration {
    PNMI_CALLBACK routine;
    PVOID context;
  };
  struct Running {
    const void* routine = nullptr;  ///< the callback being called there
    bool active = false;            ///< an NMI's callbacks run there
    bool held = false;              ///< another NMI arrived meanwhile
  };

  /// One NMI's callbacks, newest registration first; true when one handled it.
  bool RunCallbacks(unsigned cpu);

  Kernel& kernel_;
  /// Oldest first. The handle is the Registration's address, stable while it is registered.
  std::vector<std::unique_ptr<Registration>> registered_;
  std::vector<Running> running_;  ///< per vCPU
  std::uint64_t delivered_ = 0;
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_NMI_CALLBACKS_HPP_
