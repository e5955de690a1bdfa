// A driver library for the load check's tests (driver_imports_test.cpp and the
// kemu_check_imports entries in CMakeLists.txt): it imports DbgPrintEx, which Windows 2000 does
// not export, KeInitializeDpc and MmGetSystemRoutineAddress; KeFlushQueuedDpcs it only looks up.
#include <wdm.h>

static KDEFERRED_ROUTINE XpOnlyDpc;

static VOID XpOnlyDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2) {
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(Context);
  UNREFERENCED_PARAMETER(Argument1);
  UNREFERENCED_PARAMETER(Argument2);
}

VOID XpOnlyDriverStart(PKDPC Dpc) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(L"KeFlushQueuedDpcs");
  KeInitializeDpc(Dpc, XpOnlyDpc, NULL);
  (void)DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "started; flush %s\n",
                   MmGetSystemRoutineAddress(&name) != NULL ? "found" : "missing");
}
