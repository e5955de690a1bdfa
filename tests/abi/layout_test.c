// Layout and constant checks for kemu's WDK headers, seen from a C17 driver's side.
//
// The headers assert their own x64 layouts; this file checks them again as a consumer would, adds
// the constants drivers compare against, and is compiled for several NTDDI_VERSION targets (the
// build passes -DNTDDI_VERSION=...), so the version-dependent layouts are all exercised.
#include <stddef.h>
#include <wdm.h>
// wdm.h first, then iointex.h: the order the Iointex.lib documentation asks for.
#include <iointex.h>

#include "layout_test.h"

#define CHECK_SIZE(type, size) _Static_assert(sizeof(type) == (size), "sizeof(" #type ")")
#define CHECK_OFFSET(type, field, offset) \
  _Static_assert(offsetof(type, field) == (offset), "offsetof(" #type ", " #field ")")

// Basic types are LLP64 on every host.
CHECK_SIZE(ULONG, 4);
CHECK_SIZE(LONG, 4);
CHECK_SIZE(USHORT, 2);
CHECK_SIZE(BOOLEAN, 1);
CHECK_SIZE(KIRQL, 1);
CHECK_SIZE(NTSTATUS, 4);
CHECK_SIZE(LARGE_INTEGER, 8);
CHECK_SIZE(PHYSICAL_ADDRESS, 8);
CHECK_SIZE(KINTERRUPT_MODE, 4);
CHECK_SIZE(KINTERRUPT_POLARITY, 4);
CHECK_SIZE(CM_SHARE_DISPOSITION, 4);
CHECK_SIZE(INTERFACE_TYPE, 4);
CHECK_SIZE(PROCESSOR_NUMBER, 4);
_Static_assert((ULONG)-1 == 0xFFFFFFFFu, "ULONG wraps at 32 bits");

// Constants drivers compare against.
_Static_assert(PASSIVE_LEVEL == 0 && APC_LEVEL == 1 && DISPATCH_LEVEL == 2, "low IRQLs");
_Static_assert(CLOCK_LEVEL == 13 && IPI_LEVEL == 14 && HIGH_LEVEL == 15, "x64 high IRQLs");
_Static_assert(SYNCH_LEVEL == 12 && PROFILE_LEVEL == 15 && POWER_LEVEL == 14, "x64 SYNCH_LEVEL");
_Static_assert(LevelSensitive == 0 && Latched == 1, "KINTERRUPT_MODE");
_Static_assert(InterruptActiveBothTriggerHigh == 4 && InterruptFallingEdge == 2, "polarity");
_Static_assert(DpcObject == 19 && ThreadedDpcObject == 24 && InterruptObject == 22, "KOBJECTS");
_Static_assert(MediumHighImportance == 3, "KDPC_IMPORTANCE");
_Static_assert(EventNotificationObject == 0 && EventSynchronizationObject == 1, "KOBJECTS");
_Static_assert(TimerNotificationObject == 8 && TimerSynchronizationObject == 9, "KOBJECTS");
_Static_assert(NotificationEvent == 0 && SynchronizationEvent == 1, "EVENT_TYPE");
_Static_assert(WaitAll == 0 && WaitAny == 1, "WAIT_TYPE");
_Static_assert(Executive == 0 && DelayExecution == 4, "KWAIT_REASON");
_Static_assert(CriticalWorkQueue == 0 && DelayedWorkQueue == 1, "WORK_QUEUE_TYPE");
_Static_assert(THREAD_WAIT_OBJECTS == 3 && MAXIMUM_WAIT_OBJECTS == 64, "wait object limits");
_Static_assert(MEMORY_ALLOCATION_ALIGNMENT == 16, "x64 pool alignment");
typedef struct DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) {
  SLIST_ENTRY Link;
  ULONG Payload;
} ALIGNED_SLIST_NODE;
_Static_assert(_Alignof(ALIGNED_SLIST_NODE) == 16, "Microsoft's SLIST_ENTRY alignment idiom");
_Static_assert(IO_NO_INCREMENT == 0 && EVENT_INCREMENT == 1, "priority increments");
_Static_assert(CmResourceTypeInterrupt == 2 && CmResourceTypeConnection == 132, "CM types");
_Static_assert(CmResourceShareShared == 3 && PCIBus == 5 && InterfaceTypeUndefined == -1, "CM");
CHECK_SIZE(KEY_VALUE_INFORMATION_CLASS, 4);
CHECK_SIZE(KEY_VALUE_BASIC_INFORMATION, 16);
CHECK_OFFSET(KEY_VALUE_BASIC_INFORMATION, Type, 4);
CHECK_OFFSET(KEY_VALUE_BASIC_INFORMATION, NameLength, 8);
CHECK_OFFSET(KEY_VALUE_BASIC_INFORMATION, Name, 12);
CHECK_SIZE(KEY_VALUE_FULL_INFORMATION, 24);
CHECK_OFFSET(KEY_VALUE_FULL_INFORMATION, DataOffset, 8);
CHECK_OFFSET(KEY_VALUE_FULL_INFORMATION, DataLength, 12);
CHECK_OFFSET(KEY_VALUE_FULL_INFORMATION, NameLength, 16);
CHECK_OFFSET(KEY_VALUE_FULL_INFORMATION, Name, 20);
CHECK_SIZE(KEY_VALUE_PARTIAL_INFORMATION, 16);
CHECK_OFFSET(KEY_VALUE_PARTIAL_INFORMATION, DataLength, 8);
CHECK_OFFSET(KEY_VALUE_PARTIAL_INFORMATION, Data, 12);
CHECK_SIZE(MDL, 48);
CHECK_OFFSET(MDL, Size, 8);
CHECK_OFFSET(MDL, MdlFlags, 10);
CHECK_OFFSET(MDL, Process, 16);
CHECK_OFFSET(MDL, MappedSystemVa, 24);
CHECK_OFFSET(MDL, StartVa, 32);
CHECK_OFFSET(MDL, ByteCount, 40);
CHECK_OFFSET(MDL, ByteOffset, 44);
CHECK_SIZE(PFN_NUMBER, 8);
_Static_assert(MDL_MAPPED_TO_SYSTEM_VA == 1 && MDL_SOURCE_IS_NONPAGED_POOL == 4 &&
                   NormalPagePriority == 16 && HighPagePriority == 32,
               "MDL flags and page priorities");
CHECK_SIZE(SCATTER_GATHER_ELEMENT, 24);
CHECK_OFFSET(SCATTER_GATHER_ELEMENT, Length, 8);
CHECK_OFFSET(SCATTER_GATHER_ELEMENT, Reserved, 16);
CHECK_OFFSET(SCATTER_GATHER_LIST, Reserved, 8);
CHECK_OFFSET(SCATTER_GATHER_LIST, Elements, 16);
CHECK_SIZE(IO_ALLOCATION_ACTION, 4);
_Static_assert(KeepObject == 1 && DeallocateObject == 2 && DeallocateObjectKeepRegisters == 3,
               "IO_ALLOCATION_ACTION values");
CHECK_SIZE(DMA_OPERATIONS, 0x140);
CHECK_OFFSET(DMA_OPERATIONS, AllocateAdapterChannel, 0x20);
CHECK_OFFSET(DMA_OPERATIONS, FlushAdapterBuffers, 0x28);
CHECK_OFFSET(DMA_OPERATIONS, FreeAdapterChannel, 0x30);
CHECK_OFFSET(DMA_OPERATIONS, FreeMapRegisters, 0x38);
CHECK_OFFSET(DMA_OPERATIONS, MapTransfer, 0x40);
CHECK_OFFSET(DMA_OPERATIONS, GetScatterGatherList, 0x58);
CHECK_OFFSET(DMA_OPERATIONS, PutScatterGatherList, 0x60);
CHECK_OFFSET(DMA_OPERATIONS, CalculateScatterGatherList, 0x68);
CHECK_OFFSET(DMA_OPERATIONS, BuildScatterGatherList, 0x70);
CHECK_OFFSET(DMA_OPERATIONS, BuildMdlFromScatterGatherList, 0x78);
CHECK_SIZE(KEY_INFORMATION_CLASS, 4);
CHECK_SIZE(KEY_BASIC_INFORMATION, 24);
CHECK_OFFSET(KEY_BASIC_INFORMATION, TitleIndex, 8);
CHECK_OFFSET(KEY_BASIC_INFORMATION, NameLength, 12);
CHECK_OFFSET(KEY_BASIC_INFORMATION, Name, 16);
CHECK_SIZE(KEY_NODE_INFORMATION, 32);
CHECK_OFFSET(KEY_NODE_INFORMATION, ClassOffset, 12);
CHECK_OFFSET(KEY_NODE_INFORMATION, ClassLength, 16);
CHECK_OFFSET(KEY_NODE_INFORMATION, NameLength, 20);
CHECK_OFFSET(KEY_NODE_INFORMATION, Name, 24);
CHECK_SIZE(KEY_FULL_INFORMATION, 48);
CHECK_OFFSET(KEY_FULL_INFORMATION, ClassOffset, 12);
CHECK_OFFSET(KEY_FULL_INFORMATION, SubKeys, 20);
CHECK_OFFSET(KEY_FULL_INFORMATION, MaxNameLen, 24);
CHECK_OFFSET(KEY_FULL_INFORMATION, Values, 32);
CHECK_OFFSET(KEY_FULL_INFORMATION, MaxValueNameLen, 36);
CHECK_OFFSET(KEY_FULL_INFORMATION, MaxValueDataLen, 40);
CHECK_OFFSET(KEY_FULL_INFORMATION, Class, 44);
_Static_assert(KeyBasicInformation == 0 && KeyNodeInformation == 1 && KeyFullInformation == 2 &&
                   KeyLayerInformation == 9 && MaxKeyInfoClass == 10,
               "KEY_INFORMATION_CLASS values");
CHECK_SIZE(RTL_QUERY_REGISTRY_TABLE, 56);
CHECK_OFFSET(RTL_QUERY_REGISTRY_TABLE, Flags, 8);
CHECK_OFFSET(RTL_QUERY_REGISTRY_TABLE, Name, 16);
CHECK_OFFSET(RTL_QUERY_REGISTRY_TABLE, EntryContext, 24);
CHECK_OFFSET(RTL_QUERY_REGISTRY_TABLE, DefaultType, 32);
CHECK_OFFSET(RTL_QUERY_REGISTRY_TABLE, DefaultData, 40);
CHECK_OFFSET(RTL_QUERY_REGISTRY_TABLE, DefaultLength, 48);
_Static_assert(KeyValueBasicInformation == 0 && KeyValuePartialInformation == 2 &&
                   KeyValueLayerInformation == 5,
               "KEY_VALUE_INFORMATION_CLASS values");
_Static_assert(REG_SZ == 1 && REG_EXPAND_SZ == 2 && REG_BINARY == 3 && REG_DWORD == 4 &&
                   REG_MULTI_SZ == 7 && REG_QWORD == 11,
               "REG_* value types");
_Static_assert(KEY_READ == 0x20019 && KEY_WRITE == 0x20006 && KEY_ALL_ACCESS == 0xF003F,
               "KEY_* access masks");
_Static_assert(PLUGPLAY_REGKEY_DEVICE == 1 && PLUGPLAY_REGKEY_DRIVER == 2 &&
                   PLUGPLAY_REGKEY_CURRENT_HWPROFILE == 4,
               "PLUGPLAY_REGKEY_*");
_Static_assert(RTL_REGISTRY_SERVICES == 1 && RTL_REGISTRY_HANDLE == 0x40000000 &&
                   RTL_QUERY_REGISTRY_DIRECT == 0x20 && RTL_QUERY_REGISTRY_TYPECHECK == 0x100,
               "RTL_REGISTRY_* and RTL_QUERY_REGISTRY_*");
CHECK_SIZE(DEVICE_REGISTRY_PROPERTY, 4);
CHECK_SIZE(DEVICE_INSTALL_STATE, 4);
CHECK_SIZE(DEVICE_REMOVAL_POLICY, 4);
_Static_assert(DevicePropertyDeviceDescription == 0 &&
                   DevicePropertyPhysicalDeviceObjectName == 0xB && DevicePropertyAddress == 0x10 &&
                   DevicePropertyAllocatedResources == 0x15 && DevicePropertyContainerID == 0x16,
               "DEVICE_REGISTRY_PROPERTY values");
_Static_assert(InstallStateFinishInstall == 3 && RemovalPolicyExpectNoRemoval == 1 &&
                   RemovalPolicyExpectSurpriseRemoval == 3,
               "DEVICE_INSTALL_STATE and DEVICE_REMOVAL_POLICY values");
_Static_assert(CM_RESOURCE_INTERRUPT_MESSAGE_TOKEN == 0xFFFFFFFEu, "message token");
_Static_assert(CONNECT_FULLY_SPECIFIED == 1 && CONNECT_MESSAGE_BASED_PASSIVE == 5, "CONNECT_*");
_Static_assert(STATUS_INVALID_PARAMETER_1 == (NTSTATUS)0xC00000EFu, "STATUS_INVALID_PARAMETER_1");
_Static_assert(STATUS_INVALID_PARAMETER_12 == (NTSTATUS)0xC00000FAu, "STATUS_INVALID_PARAMETER_12");
_Static_assert(STATUS_PENDING == 0x103 && STATUS_TIMEOUT == 0x102, "wait results");
_Static_assert(STATUS_NOT_FOUND < 0 && STATUS_DEVICE_BUSY < 0, "errors and warnings are negative");
_Static_assert(NonPagedPoolNx == 512 && MmWriteCombined == 2, "mm enums");
_Static_assert(OSVER(NTDDI_WIN10_RS1) == NTDDI_WIN10 && SPVER(NTDDI_VISTASP1) == 1, "NTDDI");
_Static_assert((NTDDI_VERSION >> 16) == _WIN32_WINNT, "_WIN32_WINNT derived from NTDDI_VERSION");

// What NTDDI_VERSION changes.
#if NTDDI_VERSION < NTDDI_VISTA
#if !defined(IoConnectInterruptEx) || !defined(IoDisconnectInterruptEx)
#error "pre-Vista targets must reach IoConnectInterruptEx through iointex.h's Wdmlib mapping"
#endif
#elif defined(IoConnectInterruptEx)
#error "Vista+ targets call the kernel's IoConnectInterruptEx"
#endif
#if NTDDI_VERSION < NTDDI_WIN7
_Static_assert(CONNECT_CURRENT_VERSION == 3, "Vista-era CONNECT_CURRENT_VERSION");
#if !defined(IoGetAffinityInterrupt)
#error "pre-Windows 7 targets reach IoGetAffinityInterrupt through iointex.h"
#endif
#elif NTDDI_VERSION < NTDDI_WIN8
_Static_assert(CONNECT_CURRENT_VERSION == 4, "Windows 7 CONNECT_CURRENT_VERSION");
#else
_Static_assert(CONNECT_CURRENT_VERSION == 5, "Windows 8+ CONNECT_CURRENT_VERSION");
#endif

#if KEMU_WDK_PTR64
CHECK_SIZE(UNICODE_STRING, 16);
CHECK_SIZE(GROUP_AFFINITY, 16);
CHECK_SIZE(KSPIN_LOCK, 8);
CHECK_SIZE(KLOCK_QUEUE_HANDLE, 24);
CHECK_SIZE(KDPC, 64);
CHECK_OFFSET(KDPC, Number, 2);
CHECK_OFFSET(KDPC, DeferredRoutine, 24);
CHECK_OFFSET(KDPC, DpcData, 56);

CHECK_SIZE(DISPATCHER_HEADER, 24);
CHECK_OFFSET(DISPATCHER_HEADER, Size, 2);
CHECK_OFFSET(DISPATCHER_HEADER, SignalState, 4);
CHECK_OFFSET(DISPATCHER_HEADER, WaitListHead, 8);
CHECK_SIZE(KEVENT, 24);
CHECK_SIZE(KSEMAPHORE, 32);
CHECK_SIZE(KTIMER, 64);
CHECK_OFFSET(KTIMER, DueTime, 24);
CHECK_OFFSET(KTIMER, TimerListEntry, 32);
CHECK_OFFSET(KTIMER, Dpc, 48);
CHECK_OFFSET(KTIMER, Processor, 56);
CHECK_OFFSET(KTIMER, Period, 60);
CHECK_SIZE(KWAIT_BLOCK, 48);

// Lookaside lists (x64): the classic lists are cache-line aligned, LOOKASIDE_LIST_EX is not.
CHECK_SIZE(GENERAL_LOOKASIDE, 0x80);
CHECK_SIZE(GENERAL_LOOKASIDE_POOL, 0x60);
CHECK_SIZE(NPAGED_LOOKASIDE_LIST, 0x80);
CHECK_SIZE(PAGED_LOOKASIDE_LIST, 0x80);
CHECK_OFFSET(GENERAL_LOOKASIDE, ListHead, 0x00);
CHECK_OFFSET(GENERAL_LOOKASIDE, Depth, 0x10);
CHECK_OFFSET(GENERAL_LOOKASIDE, MaximumDepth, 0x12);
CHECK_OFFSET(GENERAL_LOOKASIDE, TotalAllocates, 0x14);
CHECK_OFFSET(GENERAL_LOOKASIDE, AllocateMisses, 0x18);
CHECK_OFFSET(GENERAL_LOOKASIDE, TotalFrees, 0x1C);
CHECK_OFFSET(GENERAL_LOOKASIDE, FreeMisses, 0x20);
CHECK_OFFSET(GENERAL_LOOKASIDE, Type, 0x24);
CHECK_OFFSET(GENERAL_LOOKASIDE, Tag, 0x28);
CHECK_OFFSET(GENERAL_LOOKASIDE, Size, 0x2C);
CHECK_OFFSET(GENERAL_LOOKASIDE, Allocate, 0x30);
CHECK_OFFSET(GENERAL_LOOKASIDE, Free, 0x38);
CHECK_OFFSET(GENERAL_LOOKASIDE, ListEntry, 0x40);
CHECK_OFFSET(GENERAL_LOOKASIDE, LastTotalAllocates, 0x50);
CHECK_OFFSET(GENERAL_LOOKASIDE, LastAllocateMisses, 0x54);
CHECK_OFFSET(GENERAL_LOOKASIDE, Future, 0x58);
CHECK_OFFSET(GENERAL_LOOKASIDE_POOL, AllocateEx, 0x30);
CHECK_OFFSET(GENERAL_LOOKASIDE_POOL, FreeEx, 0x38);
#if NTDDI_VERSION >= NTDDI_VISTA
CHECK_SIZE(LOOKASIDE_LIST_EX, 0x60);
#endif

CHECK_SIZE(CM_PARTIAL_RESOURCE_DESCRIPTOR, 20);
CHECK_OFFSET(CM_PARTIAL_RESOURCE_DESCRIPTOR, u.Interrupt.Level, 4);
CHECK_OFFSET(CM_PARTIAL_RESOURCE_DESCRIPTOR, u.Interrupt.Vector, 8);
CHECK_OFFSET(CM_PARTIAL_RESOURCE_DESCRIPTOR, u.Interrupt.Affinity, 12);
CHECK_OFFSET(CM_PARTIAL_RESOURCE_DESCRIPTOR, u.MessageInterrupt.Raw.Vector, 8);
CHECK_OFFSET(CM_PARTIAL_RESOURCE_DESCRIPTOR, u.MessageInterrupt.Translated.Level, 4);
CHECK_OFFSET(CM_RESOURCE_LIST, List[0].PartialResourceList.PartialDescriptors[0], 20);
CHECK_OFFSET(CM_RESOURCE_LIST, List[0].PartialResourceList.PartialDescriptors[1], 40);

CHECK_SIZE(IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS, 48);
CHECK_SIZE(IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS, 56);
CHECK_OFFSET(IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS, ConnectionContext, 8);
CHECK_OFFSET(IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS, SynchronizeIrql, 40);
CHECK_OFFSET(IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS, FallBackServiceRoutine, 48);
CHECK_OFFSET(IO_CONNECT_INTERRUPT_PARAMETERS, FullySpecified.PhysicalDeviceObject, 8);
CHECK_OFFSET(IO_CONNECT_INTERRUPT_PARAMETERS, FullySpecified.InterruptObject, 16);
CHECK_OFFSET(IO_CONNECT_INTERRUPT_PARAMETERS, FullySpecified.ServiceRoutine, 24);
CHECK_OFFSET(IO_CONNECT_INTERRUPT_PARAMETERS, FullySpecified.ServiceContext, 32);
CHECK_OFFSET(IO_CONNECT_INTERRUPT_PARAMETERS, FullySpecified.SpinLock, 40);
CHECK_OFFSET(IO_CONNECT_INTERRUPT_PARAMETERS, FullySpecified.SynchronizeIrql, 48);
CHECK_OFFSET(IO_CONNECT_INTERRUPT_PARAMETERS, FullySpecified.FloatingSave, 49);
CHECK_OFFSET(IO_CONNECT_INTERRUPT_PARAMETERS, FullySpecified.ShareVector, 50);
CHECK_OFFSET(IO_CONNECT_INTERRUPT_PARAMETERS, FullySpecified.Vector, 52);
CHECK_OFFSET(IO_CONNECT_INTERRUPT_PARAMETERS, FullySpecified.Irql, 56);
CHECK_OFFSET(IO_CONNECT_INTERRUPT_PARAMETERS, FullySpecified.InterruptMode, 60);
CHECK_OFFSET(IO_CONNECT_INTERRUPT_PARAMETERS, FullySpecified.ProcessorEnableMask, 64);
CHECK_OFFSET(IO_CONNECT_INTERRUPT_PARAMETERS, LineBased.SynchronizeIrql, 48);
CHECK_OFFSET(IO_CONNECT_INTERRUPT_PARAMETERS, MessageBased.FallBackServiceRoutine, 56);
#if NTDDI_VERSION >= NTDDI_WIN7
CHECK_SIZE(IO_CONNECT_INTERRUPT_PARAMETERS, 80);
CHECK_OFFSET(IO_CONNECT_INTERRUPT_PARAMETERS, FullySpecified.Group, 72);
#else
CHECK_SIZE(IO_CONNECT_INTERRUPT_PARAMETERS, 72);
#endif
CHECK_SIZE(IO_DISCONNECT_INTERRUPT_PARAMETERS, 16);
CHECK_OFFSET(IO_DISCONNECT_INTERRUPT_PARAMETERS, ConnectionContext.InterruptMessageTable, 8);
CHECK_SIZE(IO_INTERRUPT_MESSAGE_INFO_ENTRY, 48);
CHECK_OFFSET(IO_INTERRUPT_MESSAGE_INFO, MessageInfo, 8);
CHECK_OFFSET(IO_INTERRUPT_MESSAGE_INFO, MessageInfo[1], 56);

CHECK_SIZE(DEVICE_OBJECT, 0x150);
_Static_assert(_Alignof(DEVICE_OBJECT) == 16, "DEVICE_OBJECT is DECLSPEC_ALIGN(16)");
CHECK_OFFSET(DEVICE_OBJECT, DriverObject, 0x8);
CHECK_OFFSET(DEVICE_OBJECT, CurrentIrp, 0x20);
CHECK_OFFSET(DEVICE_OBJECT, Flags, 0x30);
CHECK_OFFSET(DEVICE_OBJECT, DeviceExtension, 0x40);
CHECK_OFFSET(DEVICE_OBJECT, StackSize, 0x4C);
CHECK_OFFSET(DEVICE_OBJECT, Queue.Wcb, 0x50);
CHECK_OFFSET(DEVICE_OBJECT, DeviceQueue, 0xA0);
CHECK_OFFSET(DEVICE_OBJECT, Dpc, 0xC8);
CHECK_OFFSET(DEVICE_OBJECT, Dpc.DeferredRoutine, 0xE0);
CHECK_OFFSET(DEVICE_OBJECT, DeviceLock, 0x118);
CHECK_OFFSET(DEVICE_OBJECT, Reserved, 0x140);

// What a bug-check reason callback is handed (kemu_wdk_bugcheck.h).
CHECK_SIZE(KBUGCHECK_SECONDARY_DUMP_DATA, 48);
CHECK_OFFSET(KBUGCHECK_SECONDARY_DUMP_DATA, Guid, 16);
CHECK_OFFSET(KBUGCHECK_SECONDARY_DUMP_DATA, OutBufferLength, 40);
CHECK_SIZE(KBUGCHECK_DUMP_IO_TYPE, 4);
CHECK_SIZE(KBUGCHECK_DUMP_IO, 24);
CHECK_OFFSET(KBUGCHECK_DUMP_IO, Buffer, 8);
CHECK_OFFSET(KBUGCHECK_DUMP_IO, BufferLength, 16);
CHECK_OFFSET(KBUGCHECK_DUMP_IO, Type, 20);
_Static_assert(KbDumpIoInvalid == 0 && KbDumpIoComplete == 4, "KBUGCHECK_DUMP_IO_TYPE values");
_Static_assert(KbCallbackSecondaryDumpData == 2 && KbCallbackDumpIo == 3 &&
                   KbCallbackAddPages == 4 && KbCallbackSecondaryMultiPartDumpData == 5 &&
                   KbCallbackRemovePages == 6 && KbCallbackTriageDumpData == 7 &&
                   KbCallbackReserved3 == 9,
               "KBUGCHECK_CALLBACK_REASON values");
#if NTDDI_VERSION >= NTDDI_WS08
CHECK_SIZE(KBUGCHECK_ADD_PAGES, 32);
CHECK_OFFSET(KBUGCHECK_ADD_PAGES, Flags, 8);
CHECK_OFFSET(KBUGCHECK_ADD_PAGES, BugCheckCode, 12);
CHECK_OFFSET(KBUGCHECK_ADD_PAGES, Address, 16);
CHECK_OFFSET(KBUGCHECK_ADD_PAGES, Count, 24);
CHECK_SIZE(KBUGCHECK_REMOVE_PAGES, 32);
CHECK_OFFSET(KBUGCHECK_REMOVE_PAGES, Address, 16);
CHECK_OFFSET(KBUGCHECK_REMOVE_PAGES, Count, 24);
_Static_assert(KB_ADD_PAGES_FLAG_VIRTUAL_ADDRESS == 1 && KB_ADD_PAGES_FLAG_PHYSICAL_ADDRESS == 2 &&
                   KB_ADD_PAGES_FLAG_ADDITIONAL_RANGES_EXIST == 0x80000000u &&
                   KB_REMOVE_PAGES_FLAG_ADDITIONAL_RANGES_EXIST == 0x80000000u,
               "KB_ADD_PAGES_FLAG_* / KB_REMOVE_PAGES_FLAG_*");
CHECK_SIZE(KBUGCHECK_SECONDARY_DUMP_DATA_EX, 104);
CHECK_OFFSET(KBUGCHECK_SECONDARY_DUMP_DATA_EX, Guid, 16);
CHECK_OFFSET(KBUGCHECK_SECONDARY_DUMP_DATA_EX, OutBuffer, 32);
CHECK_OFFSET(KBUGCHECK_SECONDARY_DUMP_DATA_EX, Context, 48);
CHECK_OFFSET(KBUGCHECK_SECONDARY_DUMP_DATA_EX, Flags, 56);
CHECK_OFFSET(KBUGCHECK_SECONDARY_DUMP_DATA_EX, DumpType, 60);
CHECK_OFFSET(KBUGCHECK_SECONDARY_DUMP_DATA_EX, BugCheckCode, 64);
CHECK_OFFSET(KBUGCHECK_SECONDARY_DUMP_DATA_EX, BugCheckParameter1, 72);
CHECK_OFFSET(KBUGCHECK_SECONDARY_DUMP_DATA_EX, BugCheckParameter4, 96);
#else
#ifdef KB_ADD_PAGES_FLAG_VIRTUAL_ADDRESS
#error "the page callbacks' data is declared for Windows Server 2008 targets on"
#endif
#endif
#if NTDDI_VERSION >= NTDDI_WIN10_RS4
CHECK_SIZE(KADDRESS_RANGE, 16);
CHECK_SIZE(KTRIAGE_DUMP_DATA_ARRAY, 64);
CHECK_OFFSET(KTRIAGE_DUMP_DATA_ARRAY, NumBlocksUsed, 16);
CHECK_OFFSET(KTRIAGE_DUMP_DATA_ARRAY, MaxDataSize, 28);
CHECK_OFFSET(KTRIAGE_DUMP_DATA_ARRAY, ComponentNameBufferLength, 32);
CHECK_OFFSET(KTRIAGE_DUMP_DATA_ARRAY, ComponentName, 40);
CHECK_OFFSET(KTRIAGE_DUMP_DATA_ARRAY, Blocks, 48);
#endif
#if NTDDI_VERSION >= NTDDI_WIN10_RS5
CHECK_SIZE(KBUGCHECK_TRIAGE_DUMP_DATA, 56);
CHECK_OFFSET(KBUGCHECK_TRIAGE_DUMP_DATA, Flags, 8);
CHECK_OFFSET(KBUGCHECK_TRIAGE_DUMP_DATA, MaxVirtMemSize, 12);
CHECK_OFFSET(KBUGCHECK_TRIAGE_DUMP_DATA, BugCheckCode, 16);
CHECK_OFFSET(KBUGCHECK_TRIAGE_DUMP_DATA, BugCheckParameter1, 24);
CHECK_OFFSET(KBUGCHECK_TRIAGE_DUMP_DATA, BugCheckParameter4, 48);
_Static_assert(KB_TRIAGE_DUMP_DATA_FLAG_BUGCHECK_ACTIVE == 1, "KB_TRIAGE_DUMP_DATA_FLAG_*");
#else
#ifdef KB_TRIAGE_DUMP_DATA_FLAG_BUGCHECK_ACTIVE
#error "the triage callback's data is declared for Windows 10 1809 targets on"
#endif
#endif
#endif  // KEMU_WDK_PTR64

// Calendar fields and the x64 floating-point save buffer.
CHECK_SIZE(TIME_FIELDS, 16);
CHECK_OFFSET(TIME_FIELDS, Year, 0);
CHECK_OFFSET(TIME_FIELDS, Month, 2);
CHECK_OFFSET(TIME_FIELDS, Day, 4);
CHECK_OFFSET(TIME_FIELDS, Hour, 6);
CHECK_OFFSET(TIME_FIELDS, Minute, 8);
CHECK_OFFSET(TIME_FIELDS, Second, 10);
CHECK_OFFSET(TIME_FIELDS, Milliseconds, 12);
CHECK_OFFSET(TIME_FIELDS, Weekday, 14);
CHECK_SIZE(KFLOATING_SAVE, 4);
CHECK_SIZE(XSTATE_CONTEXT, 32);
CHECK_OFFSET(XSTATE_CONTEXT, Length, 8);
CHECK_OFFSET(XSTATE_CONTEXT, Area, 16);
CHECK_OFFSET(XSTATE_CONTEXT, Buffer, 24);
CHECK_SIZE(XSTATE_SAVE, 56);
CHECK_OFFSET(XSTATE_SAVE, Thread, 8);
CHECK_OFFSET(XSTATE_SAVE, Level, 16);
CHECK_OFFSET(XSTATE_SAVE, XStateContext, 24);
_Static_assert(XSTATE_MASK_LEGACY == 3 && XSTATE_MASK_AVX == 4, "XSTATE_MASK_*");
CHECK_SIZE(WORK_QUEUE_ITEM, 32);
CHECK_OFFSET(WORK_QUEUE_ITEM, WorkerRoutine, 16);
CHECK_OFFSET(WORK_QUEUE_ITEM, Parameter, 24);
#if NTDDI_VERSION >= NTDDI_WINBLUE
CHECK_SIZE(EXT_SET_PARAMETERS, 16);
CHECK_OFFSET(EXT_SET_PARAMETERS, Reserved, 4);
CHECK_OFFSET(EXT_SET_PARAMETERS, NoWakeTolerance, 8);
CHECK_SIZE(EXT_DELETE_PARAMETERS, 24);
CHECK_OFFSET(EXT_DELETE_PARAMETERS, DeleteCallback, 8);
CHECK_OFFSET(EXT_DELETE_PARAMETERS, DeleteContext, 16);
_Static_assert(EX_TIMER_HIGH_RESOLUTION == 0x4 && EX_TIMER_NO_WAKE == 0x8 &&
                   EX_TIMER_NOTIFICATION == 0x80000000UL,
               "EX_TIMER_*");
#endif

#if defined(__SIZEOF_WCHAR_T__) && __SIZEOF_WCHAR_T__ == 2
CHECK_SIZE(RTL_OSVERSIONINFOW, 276);
CHECK_SIZE(RTL_OSVERSIONINFOEXW, 284);
#else
// kemu's documented deviation: WCHAR is the host's 4-byte wchar_t, so the 128-character
// szCSDVersion grows the structures by 256 bytes.
CHECK_SIZE(RTL_OSVERSIONINFOW, 20 + 128 * sizeof(WCHAR));
CHECK_SIZE(RTL_OSVERSIONINFOEXW, 28 + 128 * sizeof(WCHAR));
#endif

// x64: one processor group's worth of processors fits a KAFFINITY.
_Static_assert(MAXIMUM_PROCESSORS == 64, "MAXIMUM_PROCESSORS");

// RTL_CONSTANT_STRING makes a STRING from a narrow literal as well as a UNICODE_STRING from a wide
// one, also as a file-scope constant initialiser.
static const UNICODE_STRING kWideName = RTL_CONSTANT_STRING(L"\\Device\\Kemu");
static const ANSI_STRING kNarrowName = RTL_CONSTANT_STRING("Kemu");

// The anonymous members are reachable by their Windows names, and the LARGE_INTEGER halves alias
// QuadPart as on little-endian Windows.
int KemuAbiLayoutCheckC(void) {
  int failures = 0;
  failures += kWideName.Length != 12 * sizeof(WCHAR) || kWideName.Buffer[1] != L'D';
  failures += kNarrowName.Length != 4 || kNarrowName.MaximumLength != 5;
  failures += kNarrowName.Buffer[3] != 'u';
  LARGE_INTEGER value;
  value.QuadPart = 0x1122334455667788LL;
  failures += value.LowPart != 0x55667788u;
  failures += value.HighPart != 0x11223344;
  failures += value.u.LowPart != value.LowPart;

  KDPC dpc;
  dpc.TargetInfoAsUlong = 0;
  dpc.Type = DpcObject;
  dpc.Importance = HighImportance;
  dpc.Number = 3;
  failures += dpc.TargetInfoAsUlong != (LONG)(DpcObject | (HighImportance << 8) | (3 << 16));

  IO_CONNECT_INTERRUPT_PARAMETERS params;
  PKINTERRUPT object = NULL;
  params.Version = CONNECT_LINE_BASED;
  params.LineBased.InterruptObject = &object;
  failures += params.FullySpecified.InterruptObject != &object;

  CM_PARTIAL_RESOURCE_DESCRIPTOR descriptor;
  descriptor.u.MessageInterrupt.Translated.Vector = 0x51;
  failures += descriptor.u.MessageInterrupt.Raw.Vector != 0x51;
  return failures;
}
