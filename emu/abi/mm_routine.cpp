// MmGetSystemRoutineAddress (docs/windows-facts.md §10.5, conformance EX-3): resolves a name
// through the export manifest, and only to routines the personality's kernel exports.
#include <iointex.h>
#include <kemu_wdk_generic_dpc.h>
#include <ntddk.h>
#include <ntstrsafe.h>
#include <wdm.h>

#include <array>
#include <string>

#include "abi/entry.hpp"
#include "personality/exports.hpp"

// KeNumberProcessors is an object-like macro over the function of that name: &name must reach the
// function.
#undef KeNumberProcessors

namespace {

// Function-like macros (KeRaiseIrql, KeAcquireSpinLock) are not expanded without a following
// parenthesis, so &name is the function itself.
const std::array<void*, static_cast<std::size_t>(kemu::abi::ExportId::kCount)> kAddresses = {{
#define KEMU_EXPORT(name, area, status, callable, resolvable) reinterpret_cast<void*>(&name),
#include "personality/exports.inc"
#undef KEMU_EXPORT
}};

}  // namespace

extern "C" PVOID MmGetSystemRoutineAddress(PUNICODE_STRING SystemRoutineName) {
  kemu::model::Kernel& kernel = KEMU_ENTER(MmGetSystemRoutineAddress, KEMU_ARG(SystemRoutineName));
  if (SystemRoutineName == nullptr || SystemRoutineName->Buffer == nullptr) {
    kernel.verifier().NullArgument("MmGetSystemRoutineAddress", "SystemRoutineName");
  }
  std::string name;
  const std::size_t count = SystemRoutineName->Length / sizeof(WCHAR);
  for (std::size_t i = 0; i < count; ++i) {
    const WCHAR c = SystemRoutineName->Buffer[i];
    if (c <= 0 || c > 0x7F) return nullptr;  // no kernel export has a non-ASCII name
    name += static_cast<char>(c);
  }
  const kemu::personality::ExportInfo* info = kemu::personality::FindExport(name);
  if (info == nullptr || !kemu::personality::IsResolvable(*info, kernel.personality().os)) {
    return nullptr;
  }
  return kAddresses[static_cast<std::size_t>(info - kemu::personality::Exports().data())];
}
