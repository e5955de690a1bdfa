// Device-queue rules.
#include <fmt/format.h>

#include "kemu/bugcheck.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {

void Verifier::UninitializedDeviceQueue(const char* routine, const KDEVICE_QUEUE* queue) {
  const std::string summary = fmt::format(
      "{} was given a KDEVICE_QUEUE at {} with Type {} and Size {}; KeInitializeDeviceQueue "
      "writes Type DeviceQueueObject (20) and Size {}. Initialise the queue before using it.",
      routine, static_cast<const void*>(queue), queue->Type, queue->Size, sizeof(KDEVICE_QUEUE));
  switch (mode_) {
    case CheckMode::kVerifier:
      host_.BugCheck({.code = bugcheck::kDriverVerifierDetectedViolation,
                      .parameters = {verifier_code::kUninitializedDeviceQueue, Address(queue),
                                     static_cast<std::uint16_t>(queue->Type),
                                     static_cast<std::uint16_t>(queue->Size)},
                      .parameter_names = {"kemu: device queue not initialised", "KDEVICE_QUEUE",
                                          "Type", "Size"},
                      .summary = summary});
      return;
    case CheckMode::kChecked:
      // A checked kernel asserts the object's type before touching it.
      host_.BugCheck({.code = bugcheck::kKmodeExceptionNotHandled,
                      .parameters = {kStatusAssertionFailure, 0, 0, 0},
                      .parameter_names = {"exception code: STATUS_ASSERTION_FAILURE",
                                          "address of the exception (not available in kemu)",
                                          nullptr, nullptr},
                      .summary = summary});
      return;
    case CheckMode::kRetail:
      return;
  }
}

}  // namespace kemu::verifier
