// The header surface the conformance catalogue requires (docs/conformance.md §4, "what the headers
// must offer"): every type, constant, macro and routine an interrupt-handling WDM driver and the
// catalogue's behaviours name, used once. Compiled (not run) as C17 here and as C++20 through
// header_surface.cpp, for the newest target; a name missing from kemu's headers fails the build.
// Numbered queued locks (KSPIN_LOCK_QUEUE_NUMBER) are left out with SL-11, which the catalogue
// skips.
#include <iointex.h>
#include <ntddk.h>
#include <ntstrsafe.h>
#include <wdm.h>

#define KEMU_USE(x) ((void)(x))

// Base types and helpers.
static void SurfaceTypes(void) {
  PVOID pointer = NULL;
  BOOLEAN yes = TRUE, no = FALSE;
  CHAR c = 0;
  UCHAR uc = 0;
  CCHAR cc = 0;
  SHORT s = 0;
  CSHORT cs = 0;
  USHORT us = 0;
  LONG l = 0;
  ULONG ul = 0;
  LONGLONG ll = 0;
  ULONGLONG ull = 0;
  LONG_PTR lp = 0;
  ULONG_PTR ulp = 0;
  SIZE_T size = 0;
  LOGICAL logical = 0;
  NTSTATUS status = STATUS_SUCCESS;
  HANDLE handle = NULL;
  KIRQL irql = PASSIVE_LEVEL;
  PKIRQL pirql = &irql;
  KAFFINITY affinity = 0;
  KPRIORITY priority = 0;
  KPROCESSOR_MODE mode = KernelMode;
  LARGE_INTEGER large;
  PLARGE_INTEGER plarge = &large;
  PHYSICAL_ADDRESS physical;
  LIST_ENTRY entry;
  PLIST_ENTRY pentry = &entry;
  SINGLE_LIST_ENTRY single;
  UNICODE_STRING string;
  GROUP_AFFINITY group;
  PUCHAR puc = &uc;
  PULONG pul = &ul;
  PLONG pl = &l;
  KEMU_USE(pointer), KEMU_USE(yes), KEMU_USE(no), KEMU_USE(c), KEMU_USE(cc), KEMU_USE(s);
  KEMU_USE(cs), KEMU_USE(us), KEMU_USE(ll), KEMU_USE(ull), KEMU_USE(lp), KEMU_USE(ulp);
  KEMU_USE(size), KEMU_USE(logical), KEMU_USE(status), KEMU_USE(handle), KEMU_USE(pirql);
  KEMU_USE(affinity), KEMU_USE(priority), KEMU_USE(mode), KEMU_USE(plarge),
      KEMU_USE(sizeof(physical));
  KEMU_USE(pentry), KEMU_USE(sizeof(single)), KEMU_USE(sizeof(string)), KEMU_USE(sizeof(group));
  KEMU_USE(puc);
  KEMU_USE(pul), KEMU_USE(pl);
}

// Constants: IRQLs (x64), statuses, interrupt, resource, DPC, object and versioning values.
extern const long long KemuSurfaceConstants[];
const long long KemuSurfaceConstants[] = {
    PASSIVE_LEVEL,
    LOW_LEVEL,
    APC_LEVEL,
    DISPATCH_LEVEL,
    CMCI_LEVEL,
    CLOCK_LEVEL,
    IPI_LEVEL,
    DRS_LEVEL,
    POWER_LEVEL,
    PROFILE_LEVEL,
    HIGH_LEVEL,
    SYNCH_LEVEL,
    STATUS_SUCCESS,
    STATUS_PENDING,
    STATUS_TIMEOUT,
    STATUS_WAIT_0,
    STATUS_UNSUCCESSFUL,
    STATUS_NOT_SUPPORTED,
    STATUS_NOT_FOUND,
    STATUS_INVALID_PARAMETER,
    STATUS_INVALID_PARAMETER_1,
    STATUS_INVALID_PARAMETER_10,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_INVALID_DEVICE_STATE,
    STATUS_INSUFFICIENT_RESOURCES,
    STATUS_DEVICE_BUSY,
    STATUS_IO_TIMEOUT,
    STATUS_ACCESS_VIOLATION,
    STATUS_REVISION_MISMATCH,
    STATUS_DELETE_PENDING,
    STATUS_CANCELLED,
    LevelSensitive,
    Latched,
    InterruptPolarityUnknown,
    InterruptActiveHigh,
    InterruptActiveLow,
    CONNECT_FULLY_SPECIFIED,
    CONNECT_LINE_BASED,
    CONNECT_MESSAGE_BASED,
    CONNECT_FULLY_SPECIFIED_GROUP,
    CONNECT_MESSAGE_BASED_PASSIVE,
    CONNECT_CURRENT_VERSION,
    CmResourceShareUndetermined,
    CmResourceShareDeviceExclusive,
    CmResourceShareDriverExclusive,
    CmResourceShareShared,
    CmResourceTypePort,
    CmResourceTypeInterrupt,
    CmResourceTypeMemory,
    CM_RESOURCE_INTERRUPT_LEVEL_SENSITIVE,
    CM_RESOURCE_INTERRUPT_LATCHED,
    CM_RESOURCE_INTERRUPT_MESSAGE,
    CM_RESOURCE_INTERRUPT_POLICY_INCLUDED,
    LowImportance,
    MediumImportance,
    HighImportance,
    DpcObject,
    DeviceQueueObject,
    NotificationEvent,
    SynchronizationEvent,
    NotificationTimer,
    SynchronizationTimer,
    IO_NO_INCREMENT,
    EVENT_INCREMENT,
    NTDDI_VERSION,
    NTDDI_WS03,
    NTDDI_LONGHORN,
    NTDDI_VISTA,
    NTDDI_WIN7,
    NTDDI_WIN8,
};

// Interrupt connection types, resource descriptors, DPC, lock, event and queue objects, with the
// members drivers and the catalogue's probes read.
static void SurfaceStructures(void) {
  PKSERVICE_ROUTINE isr = NULL;
  PKMESSAGE_SERVICE_ROUTINE message_isr = NULL;
  PKSYNCHRONIZE_ROUTINE synchronize = NULL;
  PKDEFERRED_ROUTINE deferred = NULL;
  PIO_DPC_ROUTINE io_dpc = NULL;
  PKINTERRUPT interrupt = NULL;
  PRKINTERRUPT rinterrupt = NULL;
  IO_CONNECT_INTERRUPT_PARAMETERS connect;
  PIO_CONNECT_INTERRUPT_PARAMETERS pconnect = &connect;
  IO_DISCONNECT_INTERRUPT_PARAMETERS disconnect;
  IO_INTERRUPT_MESSAGE_INFO info;
  IO_INTERRUPT_MESSAGE_INFO_ENTRY message;
  CM_RESOURCE_LIST resources;
  CM_FULL_RESOURCE_DESCRIPTOR full;
  CM_PARTIAL_RESOURCE_LIST partial_list;
  CM_PARTIAL_RESOURCE_DESCRIPTOR partial;
  KDPC dpc;
  PRKDPC rdpc = &dpc;
  KSPIN_LOCK lock = 0;
  PKSPIN_LOCK plock = &lock;
  KLOCK_QUEUE_HANDLE queue_handle;
  KSPIN_LOCK_QUEUE queue;
  KEVENT event;
  PRKEVENT revent = &event;
  KTIMER timer;
  KDEVICE_QUEUE device_queue;
  KDEVICE_QUEUE_ENTRY queue_entry;
  DEVICE_OBJECT device;
  KINTERRUPT_MODE interrupt_mode = LevelSensitive;
  KINTERRUPT_POLARITY polarity = InterruptPolarityUnknown;
  CM_SHARE_DISPOSITION share = CmResourceShareShared;
  KDPC_IMPORTANCE importance = MediumImportance;
  EVENT_TYPE event_type = NotificationEvent;
  TIMER_TYPE timer_type = NotificationTimer;

  KEMU_USE(isr), KEMU_USE(message_isr), KEMU_USE(synchronize), KEMU_USE(deferred);
  KEMU_USE(io_dpc), KEMU_USE(interrupt), KEMU_USE(rinterrupt), KEMU_USE(pconnect);
  KEMU_USE(rdpc), KEMU_USE(plock), KEMU_USE(revent), KEMU_USE(interrupt_mode);
  KEMU_USE(polarity), KEMU_USE(share), KEMU_USE(importance), KEMU_USE(event_type);
  KEMU_USE(timer_type), KEMU_USE(sizeof(timer)), KEMU_USE(sizeof(queue));
  KEMU_USE(sizeof(connect.FullySpecified.Group));
  KEMU_USE(sizeof(connect.LineBased.FloatingSave));
  KEMU_USE(sizeof(connect.MessageBased.FallBackServiceRoutine));
  KEMU_USE(sizeof(connect.MessageBased.ConnectionContext.InterruptMessageTable));
  KEMU_USE(sizeof(disconnect.ConnectionContext.InterruptObject));
  KEMU_USE(sizeof(info.UnifiedIrql)), KEMU_USE(sizeof(info.MessageInfo[0]));
  KEMU_USE(sizeof(message.MessageAddress.QuadPart)), KEMU_USE(sizeof(message.TargetProcessorSet));
  KEMU_USE(sizeof(message.Polarity)), KEMU_USE(sizeof(resources.Count));
  KEMU_USE(sizeof(full.PartialResourceList)), KEMU_USE(sizeof(partial_list.Revision));
  KEMU_USE(sizeof(partial.u.MessageInterrupt.Raw.MessageCount));
  KEMU_USE(sizeof(partial.u.MessageInterrupt.Translated.Affinity));
  KEMU_USE(sizeof(partial.u.Port.Start)), KEMU_USE(sizeof(partial.u.Memory.Length));
  KEMU_USE(sizeof(dpc.Type)), KEMU_USE(sizeof(dpc.Importance)), KEMU_USE(sizeof(dpc.Number));
  KEMU_USE(sizeof(dpc.DpcListEntry)), KEMU_USE(sizeof(dpc.DeferredRoutine));
  KEMU_USE(sizeof(dpc.DeferredContext)), KEMU_USE(sizeof(dpc.SystemArgument2));
  KEMU_USE(sizeof(dpc.DpcData)), KEMU_USE(sizeof(queue_handle.LockQueue.Next));
  KEMU_USE(sizeof(queue_handle.LockQueue.Lock)), KEMU_USE(sizeof(queue_handle.OldIrql));
  KEMU_USE(sizeof(device_queue.Type)), KEMU_USE(sizeof(device_queue.Size));
  KEMU_USE(sizeof(device_queue.DeviceListHead)), KEMU_USE(sizeof(device_queue.Busy));
  KEMU_USE(sizeof(queue_entry.DeviceListEntry)), KEMU_USE(sizeof(queue_entry.SortKey));
  KEMU_USE(sizeof(queue_entry.Inserted)), KEMU_USE(sizeof(device.Dpc));
  KEMU_USE(sizeof(device.DeviceExtension)), KEMU_USE(sizeof(device.Flags));
  {
    PCI_COMMON_CONFIG pci;
    PCI_SLOT_NUMBER slot;
    BUS_DATA_TYPE bus = PCIConfiguration;
    PCI_CAPABILITIES_HEADER capability;
    slot.u.AsULONG = 0;
    KEMU_USE(sizeof(pci.u.type0.BaseAddresses)), KEMU_USE(sizeof(pci.u.type1.SecondaryBus));
    KEMU_USE(sizeof(pci.DeviceSpecific)), KEMU_USE(slot.u.bits.FunctionNumber), KEMU_USE(bus);
    KEMU_USE(sizeof(capability.Next)), KEMU_USE(PCI_COMMON_HDR_LENGTH);
  }
}

// Routines, named (not called): each must be declared with a type a function pointer can take.
static void SurfaceRoutines(void) {
  // Interrupts.
  KEMU_USE(IoConnectInterrupt), KEMU_USE(IoDisconnectInterrupt), KEMU_USE(IoConnectInterruptEx);
  KEMU_USE(IoGetDeviceProperty);
  // The registry.
  KEMU_USE(IoOpenDeviceRegistryKey), KEMU_USE(ZwOpenKey), KEMU_USE(ZwCreateKey);
  KEMU_USE(ZwQueryValueKey), KEMU_USE(ZwEnumerateValueKey), KEMU_USE(ZwSetValueKey);
  KEMU_USE(ZwDeleteValueKey), KEMU_USE(RtlQueryRegistryValues);
  KEMU_USE(ZwQueryKey), KEMU_USE(ZwEnumerateKey), KEMU_USE(ZwDeleteKey), KEMU_USE(ZwFlushKey);
  KEMU_USE(RtlWriteRegistryValue), KEMU_USE(RtlDeleteRegistryValue), KEMU_USE(RtlCheckRegistryKey),
      KEMU_USE(RtlCreateRegistryKey);
  KEMU_USE(IoDisconnectInterruptEx), KEMU_USE(KeSynchronizeExecution);
  KEMU_USE(KeAcquireInterruptSpinLock), KEMU_USE(KeReleaseInterruptSpinLock);
  KEMU_USE(WdmlibIoConnectInterruptEx), KEMU_USE(WdmlibIoDisconnectInterruptEx);
  KEMU_USE(IoGetAffinityInterrupt);
  // IRQL.
  KEMU_USE(KeGetCurrentIrql), KEMU_USE(KeLowerIrql), KEMU_USE(KeRaiseIrqlToDpcLevel);
  KEMU_USE(KeRaiseIrqlToSynchLevel);
  // Spin locks.
  KEMU_USE(KeInitializeSpinLock), KEMU_USE(KeReleaseSpinLock);
  KEMU_USE(KeAcquireSpinLockRaiseToDpc), KEMU_USE(KeAcquireSpinLockRaiseToSynch);
  KEMU_USE(KeAcquireSpinLockAtDpcLevel), KEMU_USE(KeReleaseSpinLockFromDpcLevel);
  KEMU_USE(KeTryToAcquireSpinLockAtDpcLevel), KEMU_USE(KeTestSpinLock);
  KEMU_USE(KeAcquireInStackQueuedSpinLock), KEMU_USE(KeAcquireInStackQueuedSpinLockAtDpcLevel);
  KEMU_USE(KeAcquireInStackQueuedSpinLockForDpc);
  KEMU_USE(KeAcquireInStackQueuedSpinLockRaiseToSynch);
  KEMU_USE(KeReleaseInStackQueuedSpinLock), KEMU_USE(KeReleaseInStackQueuedSpinLockFromDpcLevel);
  KEMU_USE(KeReleaseInStackQueuedSpinLockForDpc);
  // DPCs.
  KEMU_USE(KeInitializeDpc), KEMU_USE(KeInsertQueueDpc), KEMU_USE(KeRemoveQueueDpc);
  KEMU_USE(KeFlushQueuedDpcs), KEMU_USE(KeSetImportanceDpc), KEMU_USE(KeSetTargetProcessorDpc);
  // Events, waits, timers, critical regions.
  KEMU_USE(KeInitializeEvent), KEMU_USE(KeSetEvent), KEMU_USE(KeResetEvent);
  KEMU_USE(KeClearEvent), KEMU_USE(KePulseEvent), KEMU_USE(KeReadStateEvent);
  KEMU_USE(KeWaitForSingleObject), KEMU_USE(KeWaitForMultipleObjects);
  KEMU_USE(KeDelayExecutionThread), KEMU_USE(KeInitializeTimer), KEMU_USE(KeInitializeTimerEx);
  KEMU_USE(KeSetTimer), KEMU_USE(KeSetTimerEx), KEMU_USE(KeCancelTimer);
  KEMU_USE(KeStallExecutionProcessor), KEMU_USE(KeAreApcsDisabled);
  KEMU_USE(KeEnterCriticalRegion), KEMU_USE(KeLeaveCriticalRegion);
  // Interlocked lists and device queues.
  KEMU_USE(ExInterlockedInsertHeadList), KEMU_USE(ExInterlockedInsertTailList);
  KEMU_USE(ExInterlockedRemoveHeadList), KEMU_USE(ExInterlockedPushEntryList);
  KEMU_USE(ExInterlockedPopEntryList), KEMU_USE(ExInterlockedAddUlong);
  KEMU_USE(ExInterlockedAddLargeInteger);
  KEMU_USE(KeInitializeDeviceQueue), KEMU_USE(KeInsertDeviceQueue);
  KEMU_USE(KeInsertByKeyDeviceQueue), KEMU_USE(KeRemoveDeviceQueue);
  KEMU_USE(KeRemoveEntryDeviceQueue);
  // Personality plumbing.
  KEMU_USE(MmGetSystemRoutineAddress), KEMU_USE(RtlInitUnicodeString);
  KEMU_USE(IoAllocateMdl), KEMU_USE(IoFreeMdl), KEMU_USE(MmBuildMdlForNonPagedPool);
  KEMU_USE(MmMapLockedPagesSpecifyCache);
  KEMU_USE(RtlInitString), KEMU_USE(RtlAnsiStringToUnicodeString);
  KEMU_USE(RtlUnicodeStringToAnsiString), KEMU_USE(RtlFreeUnicodeString),
      KEMU_USE(RtlFreeAnsiString);
  KEMU_USE(KeQueryActiveProcessors), KEMU_USE(KeQueryActiveProcessorCountEx);
  KEMU_USE(KeQueryMaximumProcessorCount), KEMU_USE(KeQueryMaximumProcessorCountEx);
  KEMU_USE(KeQueryMaximumGroupCount), KEMU_USE(KeGetCurrentProcessorNumberEx);
  KEMU_USE(KeGetProcessorIndexFromNumber), KEMU_USE(KeGetProcessorNumberFromIndex);
  KEMU_USE(KeQueryUnbiasedInterruptTime), KEMU_USE(KeSetTargetProcessorDpcEx);
  KEMU_USE(KeAcquireSpinLockForDpc), KEMU_USE(KeReleaseSpinLockForDpc);
  // PCI configuration space through the HAL (ntddk.h).
  KEMU_USE(HalGetBusDataByOffset), KEMU_USE(HalSetBusDataByOffset);
  KEMU_USE(HalGetBusData), KEMU_USE(HalSetBusData), KEMU_USE(HalGetInterruptVector);
  KEMU_USE(HalTranslateBusAddress), KEMU_USE(MmSizeOfMdl);
  KEMU_USE(KeGetCurrentProcessorNumber), KEMU_USE(ExAllocatePoolWithTag);
  KEMU_USE(ExFreePoolWithTag), KEMU_USE(ExQueueWorkItem);
  // Case, counted 8-bit strings, numbers, hashes, GUIDs and conversion sizes (the 8-bit string
  // routines, RtlUpcaseUnicodeString, RtlPrefixUnicodeString and RtlCharToInteger are ntddk.h's),
  // and MmIsAddressValid (ntddk.h).
  KEMU_USE(RtlUpcaseUnicodeChar), KEMU_USE(RtlDowncaseUnicodeChar);
  KEMU_USE(RtlUpcaseUnicodeString), KEMU_USE(RtlUpperChar), KEMU_USE(RtlUpperString);
  KEMU_USE(RtlCompareString), KEMU_USE(RtlEqualString), KEMU_USE(RtlCopyString);
  KEMU_USE(RtlPrefixUnicodeString), KEMU_USE(RtlHashUnicodeString);
  KEMU_USE(RtlCharToInteger), KEMU_USE(RtlInt64ToUnicodeString);
  KEMU_USE(RtlGUIDFromString), KEMU_USE(RtlStringFromGUID);
  KEMU_USE(RtlxUnicodeStringToAnsiSize), KEMU_USE(RtlxAnsiStringToUnicodeSize);
  KEMU_USE(MmIsAddressValid);
  {
    UNICODE_STRING wide = {0, 0, NULL};
    ANSI_STRING narrow = {0, 0, NULL};
    ULONG hash_algorithms[] = {HASH_STRING_ALGORITHM_DEFAULT, HASH_STRING_ALGORITHM_X65599,
                               HASH_STRING_ALGORITHM_INVALID};
    KEMU_USE(hash_algorithms);
    KEMU_USE(RtlUnicodeStringToAnsiSize(&wide)), KEMU_USE(RtlAnsiStringToUnicodeSize(&narrow));
  }
  // The untagged pool routines and the device object's I/O timer.
  KEMU_USE(ExAllocatePool), KEMU_USE(ExAllocatePoolWithQuota);
  KEMU_USE(IoInitializeTimer), KEMU_USE(IoStartTimer), KEMU_USE(IoStopTimer);
  {
    PIO_TIMER_ROUTINE timer_routine = NULL;
    (void)timer_routine;
  }
  {
    // An MDL built in the driver's own memory, and the DMA flush (macros).
    PFN_NUMBER storage[(sizeof(MDL) / sizeof(PFN_NUMBER)) + 2];
    PMDL mdl = (PMDL)storage;
    static char buffer[64];
    MmInitializeMdl(mdl, buffer, sizeof(buffer));
    KeFlushIoBuffers(mdl, TRUE, FALSE);
  }
  {
    // The DMA adapter's transfer entries are typed: a driver's routines and lists fit them.
    PDRIVER_CONTROL adapter_control = NULL;
    PDRIVER_LIST_CONTROL list_control = NULL;
    IO_ALLOCATION_ACTION action = DeallocateObjectKeepRegisters;
    static DMA_OPERATIONS operations;
    static SCATTER_GATHER_LIST list;
    PALLOCATE_ADAPTER_CHANNEL allocate = operations.AllocateAdapterChannel;
    PGET_SCATTER_GATHER_LIST get = operations.GetScatterGatherList;
    PCALCULATE_SCATTER_GATHER_LIST_SIZE calculate = operations.CalculateScatterGatherList;
    PBUILD_SCATTER_GATHER_LIST build = operations.BuildScatterGatherList;
    PBUILD_MDL_FROM_SCATTER_GATHER_LIST build_mdl = operations.BuildMdlFromScatterGatherList;
    KEMU_USE(adapter_control), KEMU_USE(list_control), KEMU_USE(action);
    KEMU_USE(list.Elements[0].Length), KEMU_USE(allocate), KEMU_USE(get), KEMU_USE(calculate);
    KEMU_USE(build), KEMU_USE(build_mdl);
  }
  // Nodes, floating-point state, calendar time.
  KEMU_USE(KeGetCurrentNodeNumber), KEMU_USE(KeQueryHighestNodeNumber);
  KEMU_USE(KeSaveFloatingPointState), KEMU_USE(KeRestoreFloatingPointState);
#if NTDDI_VERSION >= NTDDI_WIN7
  KEMU_USE(KeSaveExtendedProcessorState), KEMU_USE(KeRestoreExtendedProcessorState);
  KEMU_USE(RtlGetEnabledExtendedFeatures);
#endif
  KEMU_USE(RtlTimeToTimeFields), KEMU_USE(RtlTimeFieldsToTime);
  KEMU_USE(ExSystemTimeToLocalTime), KEMU_USE(ExLocalTimeToSystemTime);
  // Version requirements (RtlVerifyVersionInfo and the macro that builds its conditions).
  KEMU_USE(RtlVerifyVersionInfo), KEMU_USE(VerSetConditionMask);
  {
    ULONGLONG conditions = 0;
    VER_SET_CONDITION(conditions, VER_MAJORVERSION | VER_MINORVERSION, VER_GREATER_EQUAL);
    VER_SET_CONDITION(conditions, VER_SUITENAME, VER_AND);
    KEMU_USE(conditions), KEMU_USE(VER_BUILDNUMBER | VER_PLATFORMID | VER_SERVICEPACKMAJOR);
    KEMU_USE(VER_SERVICEPACKMINOR | VER_PRODUCT_TYPE), KEMU_USE(VER_EQUAL + VER_GREATER);
    KEMU_USE(VER_LESS + VER_LESS_EQUAL + VER_OR), KEMU_USE(NTDDI_WS08SP2);
  }
#if NTDDI_VERSION >= NTDDI_WINBLUE
  KEMU_USE(ExAllocateTimer), KEMU_USE(ExSetTimer), KEMU_USE(ExCancelTimer);
  KEMU_USE(ExDeleteTimer);
#endif
#if NTDDI_VERSION >= NTDDI_WIN8
  KEMU_USE(IoCreateSystemThread);
#endif
}

// Macros and inline helpers, used as drivers write them (compiled, never run).
static void SurfaceMacros(PDEVICE_OBJECT device, PLIST_ENTRY head, PSINGLE_LIST_ENTRY single,
                          PKSPIN_LOCK lock, volatile LONG *value, volatile LONG64 *value64,
                          PUCHAR port, PULONG port32, PVOID pointer) {
  KIRQL old_irql;
  LARGE_INTEGER large;
  ULONG unused = 0;
  KFLOATING_SAVE float_save;
  TIME_FIELDS time_fields;
  WORK_QUEUE_ITEM work_item;
  CCHAR processors = KeNumberProcessors; /* ntddk's legacy global, read as a variable */
  PVOID volatile slot = pointer;

  large.QuadPart = 0;
  KEMU_USE(processors);
  ExInitializeWorkItem(&work_item, NULL, pointer);
#if NTDDI_VERSION >= NTDDI_WINBLUE
  {
    EXT_SET_PARAMETERS set_parameters;
    EXT_DELETE_PARAMETERS delete_parameters;
    ExInitializeSetTimerParameters(&set_parameters);
    ExInitializeDeleteTimerParameters(&delete_parameters);
    KEMU_USE(set_parameters.NoWakeTolerance == EX_TIMER_UNLIMITED_TOLERANCE);
    KEMU_USE(delete_parameters.DeleteCallback);
  }
#endif
  KEMU_USE(KeSaveFloatingPointState(&float_save));
  RtlTimeToTimeFields(&large, &time_fields);
  KEMU_USE(RtlTimeFieldsToTime(&time_fields, &large));
  KeRaiseIrql(DISPATCH_LEVEL, &old_irql);
  KeLowerIrql(old_irql);
  KeAcquireSpinLock(lock, &old_irql);
  KeReleaseSpinLock(lock, old_irql);
  KEMU_USE(NT_SUCCESS(STATUS_SUCCESS)), KEMU_USE(RTL_NUMBER_OF(KemuSurfaceConstants));
  KEMU_USE(FIELD_OFFSET(KDPC, DpcListEntry)), KEMU_USE(CONTAINING_RECORD(head, KDPC, DpcListEntry));
  UNREFERENCED_PARAMETER(unused);
  KEMU_USE(ULongToPtr(unused)), KEMU_USE(PtrToUlong(pointer));
  InitializeListHead(head);
  InsertHeadList(head, head);
  InsertTailList(head, head);
  KEMU_USE(RemoveHeadList(head)), KEMU_USE(RemoveEntryList(head)), KEMU_USE(IsListEmpty(head));
  PushEntryList(single, single);
  KEMU_USE(PopEntryList(single));
  KEMU_USE(InterlockedIncrement(value)), KEMU_USE(InterlockedDecrement(value));
  KEMU_USE(InterlockedExchange(value, 1)), KEMU_USE(InterlockedExchangeAdd(value, 1));
  KEMU_USE(InterlockedCompareExchange(value, 1, 0)), KEMU_USE(InterlockedAnd(value, 1));
  KEMU_USE(InterlockedOr(value, 1)), KEMU_USE(InterlockedXor(value, 1));
  KEMU_USE(InterlockedIncrement64(value64)), KEMU_USE(InterlockedDecrement64(value64));
  KEMU_USE(InterlockedExchange64(value64, 1)), KEMU_USE(InterlockedExchangeAdd64(value64, 1));
  KEMU_USE(InterlockedCompareExchange64(value64, 1, 0)), KEMU_USE(InterlockedAnd64(value64, 1));
  KEMU_USE(InterlockedOr64(value64, 1)), KEMU_USE(InterlockedXor64(value64, 1));
  KEMU_USE(InterlockedExchangePointer(&slot, pointer));
  KEMU_USE(InterlockedCompareExchangePointer(&slot, pointer, pointer));
  KEMU_USE(InterlockedIncrementAcquire(value)), KEMU_USE(InterlockedDecrementRelease(value));
  KEMU_USE(InterlockedCompareExchangeAcquire(value, 1, 0));
  KEMU_USE(InterlockedCompareExchangeRelease(value, 1, 0));
  KEMU_USE(ExInterlockedAddLargeStatistic(&large, 1));
  KEMU_USE(ExInterlockedCompareExchange64(value64, &large.QuadPart, &large.QuadPart, lock));
  KEMU_USE(READ_PORT_UCHAR(port)), KEMU_USE(READ_PORT_USHORT((PUSHORT)port));
  KEMU_USE(READ_PORT_ULONG(port32));
  WRITE_PORT_UCHAR(port, 1);
  WRITE_PORT_USHORT((PUSHORT)port, 1);
  WRITE_PORT_ULONG(port32, 1);
  KEMU_USE(READ_REGISTER_UCHAR(port)), KEMU_USE(READ_REGISTER_ULONG(port32));
  WRITE_REGISTER_ULONG(port32, 1);
  RtlZeroMemory(pointer, 1);
  PAGED_CODE();
  ASSERT(pointer != NULL);
  IoInitializeDpcRequest(device, NULL);
  IoRequestDpc(device, NULL, NULL);
  __analysis_assume(pointer != NULL);
}

// <ntstrsafe.h>: every routine and flag. Naming an inline routine compiles its body here, under
// these strict warnings, in both languages.
static void SurfaceStrSafe(void) {
  DWORD flags = STRSAFE_IGNORE_NULLS | STRSAFE_FILL_BEHIND_NULL | STRSAFE_FILL_ON_FAILURE |
                STRSAFE_NULL_ON_FAILURE | STRSAFE_NO_TRUNCATION | STRSAFE_FILL_BEHIND |
                STRSAFE_ZERO_LENGTH_ON_FAILURE | STRSAFE_FILL_BYTE(0xAB) |
                STRSAFE_FAILURE_BYTE('x');
  size_t limits[3] = {NTSTRSAFE_MAX_CCH, NTSTRSAFE_MAX_LENGTH, NTSTRSAFE_UNICODE_STRING_MAX_CCH};
  NTSTRSAFE_PSTR a = NULL;
  NTSTRSAFE_PCSTR ca = NULL;
  NTSTRSAFE_PWSTR w = NULL;
  NTSTRSAFE_PCWSTR cw = NULL;
  KEMU_USE(flags), KEMU_USE(limits), KEMU_USE(STRSAFE_GET_FILL_PATTERN(flags));
  KEMU_USE(a), KEMU_USE(ca), KEMU_USE(w), KEMU_USE(cw);
  KEMU_USE(RtlStringCchCopyA), KEMU_USE(RtlStringCchCopyW), KEMU_USE(RtlStringCbCopyA);
  KEMU_USE(RtlStringCbCopyW), KEMU_USE(RtlStringCchCatA), KEMU_USE(RtlStringCchCatW);
  KEMU_USE(RtlStringCbCatA), KEMU_USE(RtlStringCbCatW), KEMU_USE(RtlStringCchLengthA);
  KEMU_USE(RtlStringCchLengthW), KEMU_USE(RtlStringCbLengthA), KEMU_USE(RtlStringCbLengthW);
  KEMU_USE(RtlStringCchCopyNA), KEMU_USE(RtlStringCchCopyNW), KEMU_USE(RtlStringCbCopyNA);
  KEMU_USE(RtlStringCbCopyNW), KEMU_USE(RtlStringCchCatNA), KEMU_USE(RtlStringCchCatNW);
  KEMU_USE(RtlStringCbCatNA), KEMU_USE(RtlStringCbCatNW);
  KEMU_USE(RtlStringCchCopyExA), KEMU_USE(RtlStringCchCopyExW), KEMU_USE(RtlStringCbCopyExA);
  KEMU_USE(RtlStringCbCopyExW), KEMU_USE(RtlStringCchCopyNExA), KEMU_USE(RtlStringCchCopyNExW);
  KEMU_USE(RtlStringCbCopyNExA), KEMU_USE(RtlStringCbCopyNExW), KEMU_USE(RtlStringCchCatExA);
  KEMU_USE(RtlStringCchCatExW), KEMU_USE(RtlStringCbCatExA), KEMU_USE(RtlStringCbCatExW);
  KEMU_USE(RtlStringCchCatNExA), KEMU_USE(RtlStringCchCatNExW), KEMU_USE(RtlStringCbCatNExA);
  KEMU_USE(RtlStringCbCatNExW);
  KEMU_USE(RtlStringCchPrintfA), KEMU_USE(RtlStringCchPrintfW), KEMU_USE(RtlStringCbPrintfA);
  KEMU_USE(RtlStringCbPrintfW), KEMU_USE(RtlStringCchVPrintfA), KEMU_USE(RtlStringCchVPrintfW);
  KEMU_USE(RtlStringCbVPrintfA), KEMU_USE(RtlStringCbVPrintfW);
  KEMU_USE(RtlStringCchPrintfExA), KEMU_USE(RtlStringCchPrintfExW);
  KEMU_USE(RtlStringCbPrintfExA), KEMU_USE(RtlStringCbPrintfExW);
  KEMU_USE(RtlStringCchVPrintfExA), KEMU_USE(RtlStringCchVPrintfExW);
  KEMU_USE(RtlStringCbVPrintfExA), KEMU_USE(RtlStringCbVPrintfExW);
  KEMU_USE(RtlStringCchCopyUnicodeString), KEMU_USE(RtlStringCbCopyUnicodeString);
  KEMU_USE(RtlStringCchCatUnicodeString), KEMU_USE(RtlStringCbCatUnicodeString);
  KEMU_USE(RtlUnicodeStringPrintf), KEMU_USE(RtlUnicodeStringVPrintf);
  KEMU_USE(RtlUnicodeStringInit), KEMU_USE(RtlUnicodeStringInitEx);
  KEMU_USE(RtlUnicodeStringValidate), KEMU_USE(RtlUnicodeStringValidateEx);
  KEMU_USE(RtlUnicodeStringCopy), KEMU_USE(RtlUnicodeStringCopyEx);
  KEMU_USE(RtlUnicodeStringCopyString), KEMU_USE(RtlUnicodeStringCopyStringEx);
  KEMU_USE(RtlUnicodeStringCat), KEMU_USE(RtlUnicodeStringCatEx);
  KEMU_USE(RtlUnicodeStringCatString), KEMU_USE(RtlUnicodeStringCatStringEx);
  KEMU_USE(RtlUnicodeStringCchCopyStringN), KEMU_USE(RtlUnicodeStringCbCopyStringN);
  KEMU_USE(RtlUnicodeStringCchCatStringN), KEMU_USE(RtlUnicodeStringCbCatStringN);
  KEMU_USE(RtlUnicodeStringCchCopyN), KEMU_USE(RtlUnicodeStringCbCopyN);
  KEMU_USE(RtlUnicodeStringCchCatN), KEMU_USE(RtlUnicodeStringCbCatN);
  KEMU_USE(RtlUnicodeStringCchCopyNEx), KEMU_USE(RtlUnicodeStringCbCopyNEx);
  KEMU_USE(RtlUnicodeStringCchCatNEx), KEMU_USE(RtlUnicodeStringCbCatNEx);
  KEMU_USE(RtlUnicodeStringCchCopyStringNEx), KEMU_USE(RtlUnicodeStringCbCopyStringNEx);
  KEMU_USE(RtlUnicodeStringCchCatStringNEx), KEMU_USE(RtlUnicodeStringCbCatStringNEx);
  KEMU_USE(RtlUnicodeStringPrintfEx), KEMU_USE(RtlUnicodeStringVPrintfEx);
  KEMU_USE(RtlStringCchCopyUnicodeStringEx), KEMU_USE(RtlStringCbCopyUnicodeStringEx);
  KEMU_USE(RtlStringCchCatUnicodeStringEx), KEMU_USE(RtlStringCbCatUnicodeStringEx);
}

// SAL annotations and the calling-convention and inline macros compile away.
_Use_decl_annotations_ _IRQL_requires_max_(DISPATCH_LEVEL)
    _IRQL_requires_min_(PASSIVE_LEVEL) _IRQL_saves_ _IRQL_raises_(DISPATCH_LEVEL)
_IRQL_restores_ _Requires_lock_not_held_(*lock) _Acquires_lock_(*lock) _Must_inspect_result_
    _IRQL_requires_(PASSIVE_LEVEL) static LONG NTAPI
    SurfaceSal(_In_ PKSPIN_LOCK lock, _In_opt_ PVOID in, _Inout_ PLONG both, _Out_ PLONG out,
               _Out_opt_ PLONG maybe) {
  KEMU_USE(lock), KEMU_USE(in), KEMU_USE(both), KEMU_USE(out), KEMU_USE(maybe);
  return 0;
}

static FORCEINLINE LONG FASTCALL SurfaceInline(IN LONG a, OUT PLONG b, OPTIONAL PLONG c) {
  KEMU_USE(b), KEMU_USE(c);
  return a;
}

static __forceinline LONG SurfaceForceInline(LONG a) { return a; }

void KemuHeaderSurface(void);
void KemuHeaderSurface(void) {
  SurfaceTypes();
  SurfaceStructures();
  SurfaceRoutines();
  SurfaceStrSafe();
  SurfaceMacros(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
  KEMU_USE(SurfaceSal(NULL, NULL, NULL, NULL, NULL));
  KEMU_USE(SurfaceInline(0, NULL, NULL));
  KEMU_USE(SurfaceForceInline(0));
}
