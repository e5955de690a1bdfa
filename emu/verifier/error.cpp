#include "kemu/error.hpp"

#include <utility>

namespace kemu {
namespace {

// What ending the machine inside a driver callback adds to the message.
std::string Ended(const std::string& called_from) {
  if (called_from.empty()) return "";
  return " It was called from " + called_from +
         ", whose kernel frames cannot be completed: the machine has ended there, as after a "
         "bug check, and later kernel calls throw this error again.";
}

}  // namespace

NotModelled::NotModelled(std::string routine, const std::string& called_from)
    : Error("kemu does not model " + routine +
            " yet; the driver called it, and kemu never fakes a result (see the coverage table "
            "in kemu's docs/coverage.md)." +
            Ended(called_from)),
      routine_(std::move(routine)) {}

MissingExport::MissingExport(std::string routine, std::string os_name,
                             const std::string& called_from)
    : Error(routine + " is not available on " + os_name +
            ": a driver that imports it would not load there. Resolve it with "
            "MmGetSystemRoutineAddress and handle NULL, or run a newer personality." +
            Ended(called_from)),
      routine_(std::move(routine)) {}

NoMachine::NoMachine(std::string routine)
    : Error(routine +
            " was called on a thread with no current kemu::Machine; construct one "
            "(or use kemu::testing::PersonalityTest) before calling driver code") {}

}  // namespace kemu
