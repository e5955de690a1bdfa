// <kemu_race.h>: a driver's own marks for races it means to have. kemu's, not WDK exports.
#include <kemu_race.h>

#include "kemu/machine.hpp"
#include "model/kernel.hpp"

namespace {

kemu::race::Detector* CurrentDetector() {
  kemu::Machine* machine = kemu::Machine::CurrentOrNull();
  return machine != nullptr ? &machine->kernel().race() : nullptr;
}

}  // namespace

extern "C" void KemuRaceIgnoreBegin(void) {
  if (kemu::race::Detector* detector = CurrentDetector()) detector->IgnoreBegin();
}

extern "C" void KemuRaceIgnoreEnd(void) {
  if (kemu::race::Detector* detector = CurrentDetector()) detector->IgnoreEnd();
}

extern "C" void KemuBenignRace(const volatile void* Address, __SIZE_TYPE__ Size,
                               const char* Reason) {
  if (kemu::race::Detector* detector = CurrentDetector()) {
    detector->AddBenignRange(reinterpret_cast<std::uintptr_t>(Address), Size,
                             Reason != nullptr ? Reason : "");
  }
}
