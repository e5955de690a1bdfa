// A KDPC or KTIMER overwritten while still queued or set (docs/kernel.md, "Overwritten timers
// and DPCs"). kemu keeps its state beside the object (a side table keyed by address), so
// when the object's memory is reused, a stack frame left or a block handed out again, the table
// still says "queued" while the bytes say something else. Windows would call through whatever
// DeferredRoutine the bytes now hold; kemu compares them with what it recorded first.
#include <fmt/format.h>

#include <string>

#include "verifier/verifier.hpp"

namespace kemu::verifier {

// Reads the object's bytes for the report: not instrumented, as the check that found them.
[[gnu::no_sanitize_address]] void Verifier::TimerOrDpcOverwritten(const void* object, bool timer,
                                                                  PKDPC dpc,
                                                                  PKDEFERRED_ROUTINE routine) {
  const auto* bytes = static_cast<const char*>(object);
  const std::size_t size = timer ? sizeof(KTIMER) : sizeof(KDPC);
  // What the memory holds now, so the reader sees it is not a KDPC/KTIMER any more.
  const std::string found =
      timer ? fmt::format("Type {}, Dpc {}", static_cast<const KTIMER*>(object)->Header.Type,
                          static_cast<const void*>(static_cast<const KTIMER*>(object)->Dpc))
            : fmt::format(
                  "Type {}, DeferredRoutine {}", static_cast<const KDPC*>(object)->Type,
                  reinterpret_cast<const void*>(static_cast<const KDPC*>(object)->DeferredRoutine));
  const std::string recorded =
      timer ? fmt::format("set by KeSetTimer with the KDPC at {} (routine {})",
                          static_cast<const void*>(dpc), reinterpret_cast<const void*>(routine))
            : fmt::format("initialised by KeInitializeDpc with routine {}",
                          reinterpret_cast<const void*>(routine));
  // Parameters 3 and 4 are the memory range checked: here the object's own bytes.
  host_.Crash(TimerOrDpcInRange(
      timer, object, bytes, bytes + size, "start of the memory range checked (the object)",
      fmt::format(
          "kemu was about to {} at {}, {}, but its memory no longer holds it ({}): the {} was "
          "overwritten while it was still {}. Most likely it lies in a stack frame that was left "
          "(a routine returned with it {}), or in memory reused while it was {}. Windows would "
          "call through whatever the bytes hold now. Keep KTIMERs and KDPCs in memory that "
          "outlives them (a device extension, nonpaged pool, a global), and {} before that "
          "memory goes.",
          timer ? "expire the KTIMER" : "run the DPC", object, recorded, found,
          timer ? "KTIMER" : "KDPC", timer ? "set" : "queued", timer ? "set" : "queued",
          timer ? "set" : "queued",
          timer ? "cancel the timer (KeCancelTimer) and wait for its DPC (KeFlushQueuedDpcs)"
                : "remove the DPC (KeRemoveQueueDpc) or wait for it (KeFlushQueuedDpcs)")));
}

}  // namespace kemu::verifier
