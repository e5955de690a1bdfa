// Processor and virtual-time exports.
#include <wdm.h>

#include "abi/entry.hpp"
#include "abi/processor_number.hpp"

namespace {

constexpr USHORT kAllProcessorGroups = ALL_PROCESSOR_GROUPS;
/// The clock tick: 15.625 ms, the default timer resolution of x64 Windows.
constexpr ULONG kClockTick100ns = 156250;
constexpr LONGLONG kPerformanceFrequency = 10000000;

// kemu machines have one processor group (at most 64 vCPUs): group 0, or every group, holds them
// all; any other group none.
ULONG ProcessorsIn(USHORT group, unsigned processors) {
  return group == 0 || group == kAllProcessorGroups ? processors : 0;
}

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

ULONG KeQueryActiveProcessorCountEx(USHORT GroupNumber) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeQueryActiveProcessorCountEx, KEMU_ARG(GroupNumber));
  return ProcessorsIn(GroupNumber, kernel.processor_count());
}

USHORT KeQueryActiveGroupCount(VOID) {
  KEMU_ENTER(KeQueryActiveGroupCount);
  return 1;
}

// No processor is ever hot-added: the maximum is the machine's processor count.
ULONG KeQueryMaximumProcessorCount(VOID) {
  return KEMU_ENTER(KeQueryMaximumProcessorCount).processor_count();
}

ULONG KeQueryMaximumProcessorCountEx(USHORT GroupNumber) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeQueryMaximumProcessorCountEx, KEMU_ARG(GroupNumber));
  return ProcessorsIn(GroupNumber, kernel.processor_count());
}

USHORT KeQueryMaximumGroupCount(VOID) {
  KEMU_ENTER(KeQueryMaximumGroupCount);
  return 1;
}

// One NUMA node, node 0, holds every vCPU (any IRQL).
USHORT KeGetCurrentNodeNumber(VOID) {
  KEMU_ENTER(KeGetCurrentNodeNumber);
  return 0;
}

USHORT KeQueryHighestNodeNumber(VOID) {
  KEMU_ENTER(KeQueryHighestNodeNumber);
  return 0;
}

// The header's KeNumberProcessors macro calls this function of the same name; the name must not
// expand here. A machine has at most 64 vCPUs, so the count fits a CCHAR.
#undef KeNumberProcessors
CCHAR KeNumberProcessors(VOID) {
  return static_cast<CCHAR>(KEMU_ENTER(KeNumberProcessors).processor_count());
}

ULONG KeGetCurrentProcessorNumber(VOID) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeGetCurrentProcessorNumber);
  kernel.race().NoteProcessorAsked();
  return kernel.current_processor();
}

// In the one group, a processor's number in its group is its system-wide index.
ULONG KeGetCurrentProcessorNumberEx(PPROCESSOR_NUMBER ProcNumber) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeGetCurrentProcessorNumberEx, KEMU_ARG(ProcNumber));
  kernel.race().NoteProcessorAsked();
  const unsigned index = kernel.current_processor();
  if (ProcNumber != nullptr) kemu::abi::WriteProcessorNumber(ProcNumber, index);
  return index;
}

ULONG KeGetProcessorIndexFromNumber(PPROCESSOR_NUMBER ProcNumber) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeGetProcessorIndexFromNumber, KEMU_ARG(ProcNumber));
  kernel.verifier().Dereferenced("KeGetProcessorIndexFromNumber", ProcNumber, "ProcNumber");
  const int index = kemu::abi::ProcessorIndex(*ProcNumber, kernel.processor_count());
  return index < 0 ? INVALID_PROCESSOR_INDEX : static_cast<ULONG>(index);
}

NTSTATUS KeGetProcessorNumberFromIndex(ULONG ProcIndex, PPROCESSOR_NUMBER ProcNumber) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeGetProcessorNumberFromIndex, KEMU_ARG(ProcIndex), KEMU_ARG(ProcNumber));
  kernel.verifier().Dereferenced("KeGetProcessorNumberFromIndex", ProcNumber, "ProcNumber");
  if (ProcIndex >= kernel.processor_count()) return STATUS_INVALID_PARAMETER;
  kemu::abi::WriteProcessorNumber(ProcNumber, ProcIndex);
  return STATUS_SUCCESS;
}

VOID KeStallExecutionProcessor(ULONG MicroSeconds) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeStallExecutionProcessor, KEMU_ARG(MicroSeconds));
  kernel.AdvanceTime(MicroSeconds);
  // A stall is how drivers busy-wait: let another vCPU make the progress this one polls for. A
  // DPC this vCPU queued for another one counts too: the default schedule otherwise keeps it
  // until this vCPU drops below DISPATCH_LEVEL, which a poll at DISPATCH_LEVEL never does.
  kernel.dpcs().HandOffOthers();
  kernel.scheduler().Yield();
}

ULONGLONG KeQueryInterruptTime(VOID) {
  return KEMU_ENTER(KeQueryInterruptTime).clock().now_100ns();
}

// A kemu machine never sleeps or hibernates, so no time is ever left out.
ULONGLONG KeQueryUnbiasedInterruptTime(VOID) {
  return KEMU_ENTER(KeQueryUnbiasedInterruptTime).clock().now_100ns();
}

// System time is the boot time (kBootSystemTime) plus the interrupt time: the system clock never
// drifts or jumps in kemu.
VOID KeQuerySystemTime(PLARGE_INTEGER CurrentTime) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeQuerySystemTime, KEMU_ARG(CurrentTime));
  kernel.verifier().Dereferenced("KeQuerySystemTime", CurrentTime, "CurrentTime");
  CurrentTime->QuadPart =
      static_cast<LONGLONG>(kemu::model::kBootSystemTime + kernel.clock().now_100ns());
}

VOID KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeQuerySystemTimePrecise, KEMU_ARG(CurrentTime));
  kernel.verifier().Dereferenced("KeQuerySystemTimePrecise", CurrentTime, "CurrentTime");
  CurrentTime->QuadPart =
      static_cast<LONGLONG>(kemu::model::kBootSystemTime + kernel.clock().now_100ns());
}

// The performance counter is the interrupt time (below), so the stamp equals the result.
ULONG64 KeQueryInterruptTimePrecise(PULONG64 QpcTimeStamp) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeQueryInterruptTimePrecise, KEMU_ARG(QpcTimeStamp));
  kernel.verifier().Dereferenced("KeQueryInterruptTimePrecise", QpcTimeStamp, "QpcTimeStamp");
  const ULONG64 now = kernel.clock().now_100ns();
  *QpcTimeStamp = now;
  return now;
}

ULONG KeQueryTimeIncrement(VOID) {
  KEMU_ENTER(KeQueryTimeIncrement);
  return kClockTick100ns;
}

VOID KeQueryTickCount(PLARGE_INTEGER CurrentCount) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeQueryTickCount, KEMU_ARG(CurrentCount));
  kernel.verifier().Dereferenced("KeQueryTickCount", CurrentCount, "CurrentCount");
  CurrentCount->QuadPart = static_cast<LONGLONG>(kernel.clock().now_100ns() / kClockTick100ns);
}

// The performance counter is the interrupt time itself: 10 MHz, the frequency Windows 10 reports
// on most machines.
LARGE_INTEGER KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeQueryPerformanceCounter, KEMU_ARG(PerformanceFrequency));
  if (PerformanceFrequency != nullptr) PerformanceFrequency->QuadPart = kPerformanceFrequency;
  LARGE_INTEGER counter;
  counter.QuadPart = static_cast<LONGLONG>(kernel.clock().now_100ns());
  return counter;
}

}  // extern "C"
