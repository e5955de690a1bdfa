// I/O timers (IoInitializeTimer, IoStartTimer, IoStopTimer; docs/kernel.md, "I/O timers"): the
// one-second timer a device object may have, whose IoTimer routine runs at DISPATCH_LEVEL once a
// second while the timer runs. kemu owns each timer's memory: a KTIMER, periodic at one second
// while the timer runs, and a KDPC whose routine calls the driver's routine. Both live in the
// kernel timers' wheel and DPC queues (timers.hpp, dpcs.hpp); no second timer model.
//
// Timers are keyed by the device object's address, not found through DeviceObject->Timer: kemu
// sees no IoCreateDevice, so a test's device object may reach IoInitializeTimer with whatever
// bytes its memory held. Freeing the pool that holds a device object ends its timer, as
// IoDeleteDevice does on Windows. A timer's memory is kept until the machine ends, so a DPC
// already queued for it never runs from freed memory and an address never names two timers.
#ifndef KEMU_EMU_MODEL_IO_TIMERS_HPP_
#define KEMU_EMU_MODEL_IO_TIMERS_HPP_

#include <wdm.h>

#include <map>
#include <memory>
#include <set>
#include <vector>

namespace kemu::model {

class Kernel;

class IoTimers {
 public:
  explicit IoTimers(Kernel& kernel) : kernel_(kernel) {}
  IoTimers(const IoTimers&) = delete;
  IoTimers& operator=(const IoTimers&) = delete;
  ~IoTimers();

  /// IoInitializeTimer (the caller checked IRQL and arguments). A second call for the same device
  /// object keeps its timer, running or not, and replaces the routine and context.
  void Initialize(PDEVICE_OBJECT device, PIO_TIMER_ROUTINE routine, PVOID context);
  /// IoStartTimer: the routine runs one second from now and every second after. Starting a
  /// running timer changes nothing.
  void Start(PDEVICE_OBJECT device);
  /// IoStopTimer: the routine is not called again, even for an expiry already queued.
  void Stop(PDEVICE_OBJECT device);
  /// Pool [begin, end) is being freed: the timers of device objects in it end.
  void ForgetRange(const void* begin, const void* end);
  /// Whether `timer` is the KTIMER inside one of these timers.
  bool Owns(const KTIMER* timer) const { return ktimers_.contains(timer); }

 private:
  struct Entry {
    KTIMER timer;
    KDPC dpc;
    PDEVICE_OBJECT device = nullptr;
    PIO_TIMER_ROUTINE routine = nullptr;
    PVOID context = nullptr;
    bool running = false;
  };

  static VOID Expired(PKDPC dpc, PVOID context, PVOID argument1, PVOID argument2);
  /// The timer IoInitializeTimer gave `device`. A device object without one is what Windows would
  /// dereference: its NULL Timer (0x1E), or kemu's invalid-object report for other bytes.
  Entry& Lookup(const char* routine, PDEVICE_OBJECT device);

  Kernel& kernel_;
  std::map<PDEVICE_OBJECT, Entry*> by_device_;
  std::vector<std::unique_ptr<Entry>> entries_;  ///< every timer ever made, in order
  std::set<const KTIMER*> ktimers_;              ///< their KTIMERs (Owns)
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_IO_TIMERS_HPP_
