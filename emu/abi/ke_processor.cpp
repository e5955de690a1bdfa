// Processor and virtual-time exports.
#include <wdm.h>

#include "abi/entry.hpp"

namespace {

constexpr USHORT kAllProcessorGroups = ALL_PROCESSOR_GROUPS;

}  // namespace

extern "C" {

KAFFINITY KeQueryActiveProcessors(VOID) {
  return KEMU_ENTER(KeQueryActiveProcessors).active_processors();
}

ULONG KeQueryActiveProcessorCount(PKAFFINITY ActiveProcessors) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeQueryActiveProcessorCount, KEMU_ARG(ActiveProcessors));
  if (ActiveProcessors != nullptr) *ActiveProcessors = kernel.active_processors();
  return kernel.processor_count();
}

// kemu machines have one processor group (at most 64 vCPUs).
ULONG KeQueryActiveProcessorCountEx(USHORT GroupNumber) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeQueryActiveProcessorCountEx, KEMU_ARG(GroupNumber));
  return GroupNumber == 0 || GroupNumber == kAllProcessorGroups ? kernel.processor_count() : 0;
}

USHORT KeQueryActiveGroupCount(VOID) {
  KEMU_ENTER(KeQueryActiveGroupCount);
  return 1;
}

ULONG KeGetCurrentProcessorNumber(VOID) {
  return KEMU_ENTER(KeGetCurrentProcessorNumber).current_processor();
}

VOID KeStallExecutionProcessor(ULONG MicroSeconds) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeStallExecutionProcessor, KEMU_ARG(MicroSeconds));
  kernel.AdvanceTime(MicroSeconds);
  // A stall is how drivers busy-wait: let another vCPU make the progress this one polls for.
  kernel.scheduler().Yield();
}

ULONGLONG KeQueryInterruptTime(VOID) {
  return KEMU_ENTER(KeQueryInterruptTime).clock().now_100ns();
}

}  // extern "C"
