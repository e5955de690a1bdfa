#include "model/faults.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include "kemu/error.hpp"
#include "kemu/fault_routines.hpp"
#include "model/prng.hpp"

namespace kemu {
namespace {

// Routines whose fault fails the pool allocation they make for the caller (an MDL, a converted
// string): they fail as when the pool is exhausted, NULL or STATUS_NO_MEMORY, whatever
// Fault::status says.
bool AllocatesForTheCaller(personality::ExportId routine) {
  return routine == personality::ExportId::kIoAllocateMdl ||
         routine == personality::ExportId::kRtlAnsiStringToUnicodeString ||
         routine == personality::ExportId::kRtlUnicodeStringToAnsiString ||
         routine == personality::ExportId::kRtlUpcaseUnicodeString ||
         routine == personality::ExportId::kRtlStringFromGUID;
}

// Routines that report an injected failure through the status they return; the others return
// NULL instead and ignore Fault::status.
bool ReturnsStatus(personality::ExportId routine) {
  return model::Faults::CanFail(routine) && !model::Faults::IsPoolAllocator(routine) &&
         routine != personality::ExportId::kMmMapIoSpace &&
         routine != personality::ExportId::kMmAllocateContiguousMemory &&
         routine != personality::ExportId::kMmAllocateContiguousMemorySpecifyCache &&
         routine != personality::ExportId::kIoAllocateWorkItem &&
         routine != personality::ExportId::kExAllocateTimer &&
         routine != personality::ExportId::kIoGetDmaAdapter &&
         routine != personality::ExportId::kKeRegisterNmiCallback &&
         !AllocatesForTheCaller(routine);
}

// The export a fault names, if `routine` is one.
std::optional<personality::ExportId> ExportIdOf(std::string_view routine) {
  const personality::ExportInfo* info = personality::FindExport(routine);
  if (info == nullptr) return std::nullopt;
  return static_cast<personality::ExportId>(info - personality::Exports().data());
}

// The table routines a fault may name, in TableRoutine's order; each fails by returning NULL.
constexpr std::string_view kTableRoutines[] = {"AllocateCommonBuffer"};

std::optional<model::TableRoutine> FindTableRoutine(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kTableRoutines); ++i) {
    if (kTableRoutines[i] == name) return static_cast<model::TableRoutine>(i);
  }
  return std::nullopt;
}

}  // namespace

const std::vector<std::string>& FaultRoutines() {
  static const std::vector<std::string> routines = [] {
    std::vector<std::string> names;
    const auto exports = personality::Exports();
    for (std::size_t i = 0; i < exports.size(); ++i) {
      if (model::Faults::CanFail(static_cast<personality::ExportId>(i))) {
        names.emplace_back(exports[i].name);
      }
    }
    names.insert(names.end(), std::begin(kTableRoutines), std::end(kTableRoutines));
    return names;
  }();
  return routines;
}

bool FaultReturnsStatus(std::string_view routine) {
  const std::optional<personality::ExportId> id = ExportIdOf(routine);
  return id.has_value() && ReturnsStatus(*id);
}

bool FaultTakesTag(std::string_view routine) {
  const std::optional<personality::ExportId> id = ExportIdOf(routine);
  return id.has_value() && model::Faults::IsPoolAllocator(*id);
}

namespace model {

bool Faults::CanFail(personality::ExportId routine) {
  switch (routine) {
    case personality::ExportId::kIoConnectInterrupt:
    case personality::ExportId::kIoConnectInterruptEx:
    case personality::ExportId::kWdmlibIoConnectInterruptEx:
    case personality::ExportId::kIoGetAffinityInterrupt:
    case personality::ExportId::kWdmlibIoGetAffinityInterrupt:
    case personality::ExportId::kRtlGetVersion:
    case personality::ExportId::kMmMapIoSpace:
    case personality::ExportId::kMmAllocateContiguousMemory:
    case personality::ExportId::kMmAllocateContiguousMemorySpecifyCache:
    case personality::ExportId::kExAllocatePoolWithTag:
    case personality::ExportId::kExAllocatePoolWithQuotaTag:
    case personality::ExportId::kExAllocatePoolWithTagPriority:
    case personality::ExportId::kExAllocatePool2:
    case personality::ExportId::kExAllocatePool3:
    case personality::ExportId::kExAllocatePool:
    case personality::ExportId::kExAllocatePoolWithQuota:
    case personality::ExportId::kIoInitializeTimer:
    case personality::ExportId::kIoAllocateWorkItem:
    case personality::ExportId::kPsCreateSystemThread:
    case personality::ExportId::kIoCreateSystemThread:
    case personality::ExportId::kExAllocateTimer:
    case personality::ExportId::kIoGetDmaAdapter:
    case personality::ExportId::kKeRegisterNmiCallback:
    case personality::ExportId::kIoAllocateMdl:
    case personality::ExportId::kRtlAnsiStringToUnicodeString:
    case personality::ExportId::kRtlUnicodeStringToAnsiString:
    case personality::ExportId::kRtlUpcaseUnicodeString:
    case personality::ExportId::kRtlStringFromGUID:
      return true;
    default:
      return false;
  }
}

bool Faults::IsPoolAllocator(personality::ExportId routine) {
  return routine == personality::ExportId::kExAllocatePoolWithTag ||
         routine == personality::ExportId::kExAllocatePoolWithQuotaTag ||
         routine == personality::ExportId::kExAllocatePoolWithTagPriority ||
         routine == personality::ExportId::kExAllocatePool2 ||
         routine == personality::ExportId::kExAllocatePool3 ||
         routine == personality::ExportId::kExAllocatePool ||
         routine == personality::ExportId::kExAllocatePoolWithQuota;
}

void Faults::Add(const Fault& fault) {
  if (const auto table_routine = FindTableRoutine(fault.routine)) {
    if (fault.tag != 0) {
      throw Error("kemu: Fault::tag applies to pool allocations only, not to " + fault.routine);
    }
    AddChecked(fault, KeyOf(*table_routine));
    return;
  }
  const std::optional<personality::ExportId> found = ExportIdOf(fault.routine);
  if (!found) {
    throw Error("kemu: cannot inject a fault into unknown routine '" + fault.routine + "'");
  }
  const personality::ExportId id = *found;
  if (!CanFail(id)) {
    // The list is FaultRoutines() itself, so it cannot fall behind CanFail.
    throw Error(fmt::format("kemu: {} has no failure status to inject; faults apply to {}",
                            fault.routine, fmt::join(FaultRoutines(), ", ")));
  }
  if (fault.tag != 0 && !IsPoolAllocator(id)) {
    throw Error("kemu: Fault::tag applies to pool allocations only, not to " + fault.routine);
  }
  if (ReturnsStatus(id) && NT_SUCCESS(fault.status)) {
    // The call would "succeed" without doing the work (a connect with no interrupt object): no
    // Windows routine does that, and the driver would go on to use outputs never filled.
    throw Error(fmt::format(
        "kemu: Fault::status {:#010x} is not a failure (NT_SUCCESS accepts it): a fault must make "
        "{} fail, and Windows never returns success without doing the work; give an error "
        "status such as STATUS_INSUFFICIENT_RESOURCES",
        static_cast<std::uint32_t>(fault.status), fault.routine));
  }
  AddChecked(fault, static_cast<Key>(id));
}

void Faults::AddChecked(const Fault& fault, Key routine) {
  if (fault.nth == 0) throw Error("kemu: Fault::nth counts from 1");
  // Written so that NaN, which every comparison calls false, is refused too.
  if (!(fault.probability >= 0.0 && fault.probability <= 1.0)) {
    throw Error("kemu: Fault::probability must be within [0, 1]");
  }
  armed_.push_back({fault, routine});
}

std::optional<NTSTATUS> Faults::CheckKey(Key routine, std::uint32_t tag) {
  // Every armed fault counts every call of its routine from when it was armed (kemu::Fault), so
  // the loop never stops at the first fault that fires: one armed after it would count this call
  // late. When several fire on one call, the call fails once, with the earliest armed one's status.
  std::optional<NTSTATUS> status;
  for (Armed& armed : armed_) {
    if (armed.routine != routine) continue;
    if (armed.fault.tag != 0 && armed.fault.tag != tag) continue;
    ++armed.calls;
    if (armed.calls < armed.fault.nth) continue;
    if (armed.fault.count != 0 && armed.failed >= armed.fault.count) continue;
    if (armed.fault.probability < 1.0) {
      // 2^53 steps: the PRNG's draw as a double in [0, 1).
      const double draw = static_cast<double>(prng_.Next() >> 11) * (1.0 / 9007199254740992.0);
      if (draw >= armed.fault.probability) continue;
    }
    ++armed.failed;
    if (!status) status = static_cast<NTSTATUS>(armed.fault.status);
  }
  return status;
}

}  // namespace model
}  // namespace kemu
