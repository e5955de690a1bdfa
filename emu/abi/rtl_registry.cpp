// RtlQueryRegistryValues (model/registry_query.cpp; docs/kernel.md, "Registry").
#include <wdm.h>

#include "abi/entry.hpp"
#include "model/registry_keys.hpp"

extern "C" {

NTSTATUS RtlQueryRegistryValues(ULONG RelativeTo, PCWSTR Path, PRTL_QUERY_REGISTRY_TABLE QueryTable,
                                PVOID Context, PVOID Environment) {
  static constexpr const char* kRoutine = "RtlQueryRegistryValues";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlQueryRegistryValues, KEMU_ARG(RelativeTo), KEMU_ARG(Path), KEMU_ARG(QueryTable),
                 KEMU_ARG(Context), KEMU_ARG(Environment));
  kemu::abi::AtMost(kernel, kRoutine, PASSIVE_LEVEL);
  if (QueryTable == nullptr) kernel.verifier().NullArgument(kRoutine, "QueryTable");
  // Environment only feeds the expansion of REG_EXPAND_SZ values, which kemu refuses by name
  // when there is anything to expand.
  return kernel.registry_keys().QueryTable(RelativeTo, Path, QueryTable, Context);
}

}  // extern "C"
