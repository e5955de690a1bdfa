/* Driver-style C17 code for enum_inputs_test.cpp: C lets a driver pass any int where a WDK enum
 * parameter is declared (KINTERRUPT_MODE, KDPC_IMPORTANCE, MEMORY_CACHING_TYPE). kemu must
 * answer with a status or a bug check, never with undefined behaviour of its own C++. */
#include <wdm.h>

#ifdef __cplusplus
#error "enum_inputs.c must be compiled as C"
#endif

NTSTATUS EnumInputsConnect(PKINTERRUPT *InterruptObject, PKSERVICE_ROUTINE ServiceRoutine,
                           ULONG Vector, KIRQL Irql, int Mode) {
  return IoConnectInterrupt(InterruptObject, ServiceRoutine, NULL, NULL, Vector, Irql, Irql,
                            (KINTERRUPT_MODE)Mode, FALSE, (KAFFINITY)1, FALSE);
}

/* CONNECT_FULLY_SPECIFIED through `Connect`: IoConnectInterruptEx or Iointex.lib's routine. */
NTSTATUS EnumInputsConnectFullySpecified(NTSTATUS(NTAPI *Connect)(PIO_CONNECT_INTERRUPT_PARAMETERS),
                                         PDEVICE_OBJECT Pdo, PKINTERRUPT *InterruptObject,
                                         PKSERVICE_ROUTINE ServiceRoutine, ULONG Vector, KIRQL Irql,
                                         int Mode) {
  IO_CONNECT_INTERRUPT_PARAMETERS params;
  RtlZeroMemory(&params, sizeof(params));
  params.Version = CONNECT_FULLY_SPECIFIED;
  params.FullySpecified.PhysicalDeviceObject = Pdo;
  params.FullySpecified.InterruptObject = InterruptObject;
  params.FullySpecified.ServiceRoutine = ServiceRoutine;
  params.FullySpecified.SynchronizeIrql = Irql;
  params.FullySpecified.Vector = Vector;
  params.FullySpecified.Irql = Irql;
  params.FullySpecified.InterruptMode = (KINTERRUPT_MODE)Mode;
  params.FullySpecified.ProcessorEnableMask = 1;
  return Connect(&params);
}

void EnumInputsSetImportance(PKDPC Dpc, int Importance) {
  KeSetImportanceDpc(Dpc, (KDPC_IMPORTANCE)Importance);
}

PVOID EnumInputsMapIoSpace(LONGLONG Physical, SIZE_T Bytes, int CacheType) {
  PHYSICAL_ADDRESS address;
  address.QuadPart = Physical;
  return MmMapIoSpace(address, Bytes, (MEMORY_CACHING_TYPE)CacheType);
}

PVOID EnumInputsAllocateContiguous(SIZE_T Bytes, int CacheType) {
  PHYSICAL_ADDRESS lowest, highest, boundary;
  lowest.QuadPart = 0;
  highest.QuadPart = -1;
  boundary.QuadPart = 0;
  return MmAllocateContiguousMemorySpecifyCache(Bytes, lowest, highest, boundary,
                                                (MEMORY_CACHING_TYPE)CacheType);
}
