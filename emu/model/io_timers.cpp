// I/O timers (see io_timers.hpp).
#include "model/io_timers.hpp"

#include "model/freed_objects.hpp"
#include "model/kernel.hpp"

namespace kemu::model {
namespace {

constexpr LONGLONG kOneSecond = 10 * 1000 * 1000;  // 100 ns units
constexpr const char* kExpected = "a device object whose timer IoInitializeTimer set up";

}  // namespace

IoTimers::~IoTimers() = default;

void IoTimers::Initialize(PDEVICE_OBJECT device, PIO_TIMER_ROUTINE routine, PVOID context) {
  Entry* entry = nullptr;
  if (const auto found = by_device_.find(device); found != by_device_.end()) {
    // Microsoft says once per device object; what a second call does is UNCONFIRMED. kemu keeps
    // the one timer (a device object has one Timer field) with the new routine and context.
    entry = found->second;
  } else {
    auto made = std::make_unique<Entry>();
    entry = made.get();
    entry->device = device;
    kernel_.timers().Initialize(&entry->timer, NotificationTimer);
    kernel_.dpcs().Initialize(&entry->dpc, &Expired, entry, /*threaded=*/false);
    ktimers_.insert(&entry->timer);
    entries_.push_back(std::move(made));
    by_device_.emplace(device, entry);
  }
  entry->routine = routine;
  entry->context = context;
  kernel_.race().NameCallbackDpc(&entry->dpc, "IoTimer routine",
                                 reinterpret_cast<const void*>(routine), "device object", device);
  // Opaque to drivers: what the field holds says only that the device has a timer.
  device->Timer = reinterpret_cast<PIO_TIMER>(entry);
}

IoTimers::Entry& IoTimers::Lookup(const char* routine, PDEVICE_OBJECT device) {
  if (const auto found = by_device_.find(device); found != by_device_.end()) {
    return *found->second;
  }
  // Windows follows DeviceObject->Timer. Memory the driver freed is reported as such before kemu
  // reads the field.
  RejectIfInFreedPool(kernel_, routine, kExpected, device);
  kernel_.verifier().Dereferenced(routine, device->Timer, "DeviceObject->Timer");
  RejectInvalidObject(kernel_, routine, kExpected, device);
}

void IoTimers::Start(PDEVICE_OBJECT device) {
  Entry& entry = Lookup("IoStartTimer", device);
  if (entry.running) return;
  entry.running = true;
  // The phase of Windows' one-second I/O timer tick is undocumented (UNCONFIRMED): kemu calls the
  // routine one second after the start and every second after that.
  kernel_.timers().Arm("IoStartTimer", &entry.timer, -kOneSecond, kOneSecond, &entry.dpc);
}

void IoTimers::Stop(PDEVICE_OBJECT device) {
  Entry& entry = Lookup("IoStopTimer", device);
  entry.running = false;
  kernel_.timers().Cancel("IoStopTimer", &entry.timer);
}

void IoTimers::ForgetRange(const void* begin, const void* end) {
  if (by_device_.empty()) return;  // every pool free asks
  auto it = by_device_.lower_bound(static_cast<PDEVICE_OBJECT>(const_cast<void*>(begin)));
  while (it != by_device_.end() && static_cast<const void*>(it->first) < end) {
    Entry& entry = *it->second;
    entry.running = false;
    kernel_.timers().Cancel("ExFreePool", &entry.timer);
    entry.device = nullptr;
    it = by_device_.erase(it);
  }
}

VOID IoTimers::Expired(PKDPC, PVOID context, PVOID, PVOID) {
  const Entry& entry = *static_cast<const Entry*>(context);
  // Stopped, or its device object freed, after this expiry was queued: Windows' I/O timer tick
  // looks at each timer's state when it runs, so the routine is not called.
  if (!entry.running || entry.device == nullptr) return;
  entry.routine(entry.device, entry.context);
}

}  // namespace kemu::model
