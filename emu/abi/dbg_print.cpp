// Debug output: DbgPrint, DbgPrintEx and vDbgPrintEx, formatted with Windows' format language
// (dbg_format.hpp) and kept in the machine's debug output; and DbgBreakPoint.
#include <wdm.h>

#include <cstdarg>

#include "abi/counted_string.hpp"
#include "abi/dbg_format.hpp"
#include "abi/entry.hpp"

namespace {

ULONG Print(kemu::model::Kernel& kernel, const char* routine, PCSTR format,
            kemu::abi::DbgArgs& args) {
  kernel.verifier().Dereferenced(routine, format, "Format");
  args.read_check = [&kernel, routine](const void* pointer, const char* what) {
    kemu::abi::CheckReadThrough(kernel, routine, pointer, what);
  };
  const kemu::abi::DbgText text = kemu::abi::FormatDbgPrint(format, args);
  if (text.unicode && kernel.irql().Current() > PASSIVE_LEVEL) {
    kernel.verifier().DbgPrintUnicodeAboveIrql(routine, kernel.irql().Current());
  }
  kernel.AppendDebugOutput(text.text);
  return STATUS_SUCCESS;
}

}  // namespace

extern "C" {

ULONG DbgPrint(PCSTR Format, ...) {
  kemu::model::Kernel& kernel = KEMU_ENTER(DbgPrint, KEMU_ARG(Format));
  kemu::abi::DbgArgs args;
  va_start(args.list, Format);
  const ULONG status = Print(kernel, "DbgPrint", Format, args);
  va_end(args.list);
  return status;
}

ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(DbgPrintEx, KEMU_ARG(ComponentId), KEMU_ARG(Level), KEMU_ARG(Format));
  kemu::abi::DbgArgs args;
  va_start(args.list, Format);
  const ULONG status = Print(kernel, "DbgPrintEx", Format, args);
  va_end(args.list);
  return status;
}

ULONG vDbgPrintEx(ULONG ComponentId, ULONG Level, PCCH Format, va_list arglist) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(vDbgPrintEx, KEMU_ARG(ComponentId), KEMU_ARG(Level), KEMU_ARG(Format));
  kemu::abi::DbgArgs args;
  va_copy(args.list, arglist);
  const ULONG status = Print(kernel, "vDbgPrintEx", Format, args);
  va_end(args.list);
  return status;
}

// No kernel debugger is attached to a test: the breakpoint exception goes unhandled.
VOID DbgBreakPoint(VOID) { KEMU_ENTER(DbgBreakPoint).verifier().BreakPoint("DbgBreakPoint"); }

}  // extern "C"
