// The consumer's fuzz program: the few lines README "Fuzzing your driver" asks of a driver project,
// built with the installed package's kemu_add_driver_fuzzer (a replay program under GCC, a
// libFuzzer program with KEMU_BUILD_FUZZERS=ON or $LIB_FUZZING_ENGINE under clang).
#include <kemu/fuzz.hpp>
#include <memory>

#include "tiny_adapter.hpp"

void kemu::fuzz::ConfigureFuzzer(kemu::fuzz::FuzzTarget& target) {
  target.name = "tiny";  // the adapter's name in tiny_scenarios, so an emitted scenario runs there
  target.factory = [] { return std::make_unique<TinyAdapter>(); };
  target.device = {.name = "tiny0"};
  // The device has no registers, so its ISR runs only for raw line events on it.
  target.raw_events_on_driver_device = true;
}
