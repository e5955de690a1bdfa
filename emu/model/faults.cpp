#include "model/faults.hpp"

#include <string>

#include "kemu/error.hpp"
#include "model/prng.hpp"

namespace kemu::model {

bool Faults::CanFail(personality::ExportId routine) {
  switch (routine) {
    case personality::ExportId::kIoConnectInterrupt:
    case personality::ExportId::kIoConnectInterruptEx:
    case personality::ExportId::kWdmlibIoConnectInterruptEx:
    case personality::ExportId::kIoGetAffinityInterrupt:
    case personality::ExportId::kWdmlibIoGetAffinityInterrupt:
    case personality::ExportId::kRtlGetVersion:
    case personality::ExportId::kMmMapIoSpace:
    case personality::ExportId::kExAllocatePoolWithTag:
    case personality::ExportId::kExAllocatePoolWithQuotaTag:
    case personality::ExportId::kExAllocatePool2:
    case personality::ExportId::kExAllocatePool3:
    case personality::ExportId::kIoAllocateWorkItem:
    case personality::ExportId::kPsCreateSystemThread:
      return true;
    default:
      return false;
  }
}

bool Faults::IsPoolAllocator(personality::ExportId routine) {
  return routine == personality::ExportId::kExAllocatePoolWithTag ||
         routine == personality::ExportId::kExAllocatePoolWithQuotaTag ||
         routine == personality::ExportId::kExAllocatePool2 ||
         routine == personality::ExportId::kExAllocatePool3;
}

void Faults::Add(const Fault& fault) {
  const personality::ExportInfo* info = personality::FindExport(fault.routine);
  if (info == nullptr)
    throw Error("kemu: cannot inject a fault into unknown routine '" + fault.routine + "'");
  const auto id = static_cast<personality::ExportId>(info - personality::Exports().data());
  if (!CanFail(id)) {
    throw Error("kemu: " + fault.routine +
                " has no failure status to inject; faults apply to IoConnectInterrupt, "
                "IoConnectInterruptEx, WdmlibIoConnectInterruptEx, IoGetAffinityInterrupt, "
                "WdmlibIoGetAffinityInterrupt, RtlGetVersion, MmMapIoSpace, "
                "ExAllocatePoolWithTag, ExAllocatePoolWithQuotaTag, ExAllocatePool2, "
                "ExAllocatePool3, IoAllocateWorkItem and PsCreateSystemThread");
  }
  if (fault.tag != 0 && !IsPoolAllocator(id)) {
    throw Error("kemu: Fault::tag applies to pool allocations only, not to " + fault.routine);
  }
  if (fault.nth == 0) throw Error("kemu: Fault::nth counts from 1");
  if (fault.probability < 0.0 || fault.probability > 1.0) {
    throw Error("kemu: Fault::probability must be within [0, 1]");
  }
  armed_.push_back({fault, id});
}

std::optional<NTSTATUS> Faults::Check(personality::ExportId routine, std::uint32_t tag) {
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
    return static_cast<NTSTATUS>(armed.fault.status);
  }
  return std::nullopt;
}

}  // namespace kemu::model
