// Run-time library, assertions, and the bug checks and exceptions a driver raises itself.
#include <wdm.h>

#include <cstdio>
#include <cwchar>

#include "abi/entry.hpp"
#include "kemu/error.hpp"
#include "kemu/machine.hpp"

extern "C" {

VOID RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(RtlInitUnicodeString, KEMU_ARG(DestinationString), KEMU_ARG(SourceString));
  kernel.verifier().Dereferenced("RtlInitUnicodeString", DestinationString, "DestinationString");
  if (SourceString == nullptr) {
    DestinationString->Length = 0;
    DestinationString->MaximumLength = 0;
    DestinationString->Buffer = nullptr;
    return;
  }
  // A string whose size with its terminator would pass MAX_USTRING (0xFFFE) is clamped as Windows
  // documents: Length MAX_USTRING - 2, MaximumLength MAX_USTRING, which no longer describe it.
  constexpr std::size_t kMaxUstring = 0xFFFE;
  std::size_t length = std::wcslen(SourceString) * sizeof(WCHAR);
  std::size_t maximum = length + sizeof(WCHAR);
  if (maximum > kMaxUstring) {
    length = kMaxUstring - 2;
    maximum = kMaxUstring;
  }
  DestinationString->Length = static_cast<USHORT>(length);
  DestinationString->MaximumLength = static_cast<USHORT>(maximum);
  DestinationString->Buffer = const_cast<PWCH>(SourceString);
}

SIZE_T RtlCompareMemory(const VOID* Source1, const VOID* Source2, SIZE_T Length) {
  KEMU_ENTER(RtlCompareMemory, KEMU_ARG(Source1), KEMU_ARG(Source2), KEMU_ARG(Length));
  const auto* a = static_cast<const unsigned char*>(Source1);
  const auto* b = static_cast<const unsigned char*>(Source2);
  SIZE_T same = 0;
  while (same < Length && a[same] == b[same]) ++same;
  return same;
}

VOID KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR BugCheckParameter1, ULONG_PTR BugCheckParameter2,
                  ULONG_PTR BugCheckParameter3, ULONG_PTR BugCheckParameter4) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeBugCheckEx, KEMU_ARG(BugCheckCode), KEMU_ARG(BugCheckParameter1),
                 KEMU_ARG(BugCheckParameter2), KEMU_ARG(BugCheckParameter3));
  const std::uint64_t parameters[4] = {BugCheckParameter1, BugCheckParameter2, BugCheckParameter3,
                                       BugCheckParameter4};
  kernel.verifier().DriverBugCheck(BugCheckCode, parameters);
}

VOID KeBugCheck(ULONG BugCheckCode) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeBugCheck, KEMU_ARG(BugCheckCode));
  const std::uint64_t parameters[4] = {0, 0, 0, 0};
  kernel.verifier().DriverBugCheck(BugCheckCode, parameters);
}

// Documented for IRQL <= APC_LEVEL (DDI rule IrqlExPassive). The IRQL rule comes first: above
// APC_LEVEL that is the misuse a test should see, whatever it raises.
VOID ExRaiseStatus(NTSTATUS Status) {
  kemu::model::Kernel& kernel = KEMU_ENTER(ExRaiseStatus, KEMU_ARG(Status));
  kemu::abi::AtMost(kernel, "ExRaiseStatus", APC_LEVEL);
  kernel.verifier().StatusRaised("ExRaiseStatus", Status);
}

// ASSERT() and PAGED_CODE() are macros of kemu's wdm.h; these are their run-time halves.
void KemuAssertFailed(const char* expression, const char* file, int line) {
  kemu::Machine* machine = kemu::Machine::CurrentOrNull();
  if (machine == nullptr) {
    std::fprintf(stderr, "kemu: ASSERT(%s) failed at %s:%d with no machine current\n", expression,
                 file, line);
    throw kemu::NoMachine("ASSERT");
  }
  machine->kernel().verifier().AssertionFailed(expression, file, line);
}

void KemuPagedCode(const char* file, int line) {
  kemu::Machine* machine = kemu::Machine::CurrentOrNull();
  if (machine == nullptr) throw kemu::NoMachine("PAGED_CODE");
  kemu::model::Kernel& kernel = machine->kernel();
  const KIRQL irql = kernel.irql().Current();
  if (irql > APC_LEVEL) {
    // A crashed machine keeps the IRQL its crash left: that is not the driver's pageable code.
    kernel.ThrowIfCrashed();
    kernel.verifier().PagedCodeAtRaisedIrql(file, line, irql);
  }
}

}  // extern "C"
