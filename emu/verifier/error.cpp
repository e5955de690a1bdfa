#include "kemu/error.hpp"

#include <utility>

namespace kemu {

NotModelled::NotModelled(std::string routine)
    : Error("kemu does not model " + routine +
            " yet; the driver called it, and kemu never fakes a result (see the coverage table "
            "in kemu's README)"),
      routine_(std::move(routine)) {}

MissingExport::MissingExport(std::string routine, std::string os_name)
    : Error(routine + " is not available on " + os_name +
            ": a driver that imports it would not load there. Resolve it with "
            "MmGetSystemRoutineAddress and handle NULL, or run a newer personality."),
      routine_(std::move(routine)) {}

NoMachine::NoMachine(std::string routine)
    : Error(routine +
            " was called on a thread with no current kemu::Machine; construct one "
            "(or use kemu::testing::PersonalityTest) before calling driver code") {}

}  // namespace kemu
