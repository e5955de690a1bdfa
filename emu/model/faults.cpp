#include "model/faults.hpp"

#include <string>

#include "kemu/error.hpp"
#include "model/prng.hpp"

namespace kemu::model {

bool Faults::CanFail(abi::ExportId routine) {
  switch (routine) {
    case abi::ExportId::kIoConnectInterrupt:
    case abi::ExportId::kIoConnectInterruptEx:
    case abi::ExportId::kWdmlibIoConnectInterruptEx:
    case abi::ExportId::kIoGetAffinityInterrupt:
    case abi::ExportId::kWdmlibIoGetAffinityInterrupt:
    case abi::ExportId::kRtlGetVersion:
    case abi::ExportId::kMmMapIoSpace:
    case abi::ExportId::kExAllocatePoolWithTag:
    case abi::ExportId::kExAllocatePoolWithQuotaTag:
    case abi::ExportId::kExAllocatePool2:
    case abi::ExportId::kExAllocatePool3:
    case abi::ExportId::kIoAllocateWorkItem:
      return true;
    default:
      return false;
  }
}

bool Faults::IsPoolAllocator(abi::ExportId routine) {
  return routine == abi::ExportId::kExAllocatePoolWithTag ||
         routine == abi::ExportId::kExAllocatePoolWithQuotaTag ||
         routine == abi::ExportId::kExAllocatePool2 || routine == abi::ExportId::kExAllocatePool3;
}

void Faults::Add(const Fault& fault) {
  const abi::ExportInfo* info = abi::FindExport(fault.routine);
  if (info == nullptr)
    throw Error("kemu: cannot inject a fault into unknown routine '" + fault.routine + "'");
  const auto id = static_cast<abi::ExportId>(info - abi::Exports().data());
  if (!CanFail(id)) {
    throw Error("kemu: " + fault.routine +
                " has no failure status to inject; faults apply to IoConnectInterrupt, "
                "IoConnectInterruptEx, WdmlibIoConnectInterruptEx, IoGetAffinityInterrupt, "
                "WdmlibIoGetAffinityInterrupt, RtlGetVersion, MmMapIoSpace, "
                "ExAllocatePoolWithTag, ExAllocatePoolWithQuotaTag, ExAllocatePool2, "
                "ExAllocatePool3 and IoAllocateWorkItem");
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

std::optional<NTSTATUS> Faults::Check(abi::ExportId routine, std::uint32_t tag) {
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
