// Behaviour of the header-only parts of kemu's WDK headers: list helpers, Interlocked*, the Rtl
// memory macros, and what the function-like macros (KeRaiseIrql, KeAcquireSpinLock, IoRequestDpc,
// ASSERT, PAGED_CODE) expand to.
//
// This program does not link the emulator. The few kernel routines the macros reach are replaced
// by recording fakes below, so each test can check which routine a macro called and with what.
// Never link this file together with kemu::kemu.
#include <stdio.h>
#include <stdlib.h>
#include <wdm.h>
#include <wdmguid.h>

// ---------------------------------------------------------------------------------------------
// Recording fakes of the kernel routines the macros expand to.

static const char *last_call;
static KIRQL fake_irql = PASSIVE_LEVEL;
static PVOID last_args[3];
static int paged_code_calls;

KIRQL NTAPI KfRaiseIrql(KIRQL NewIrql) {
  KIRQL old = fake_irql;
  last_call = "KfRaiseIrql";
  fake_irql = NewIrql;
  return old;
}

// Parenthesised so the KeRaiseIrql macro does not expand: how an implementation defines it.
VOID NTAPI(KeRaiseIrql)(KIRQL NewIrql, PKIRQL OldIrql) {
  *OldIrql = fake_irql;
  fake_irql = NewIrql;
  last_call = "KeRaiseIrql";
}

KIRQL NTAPI KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock) {
  KIRQL old = fake_irql;
  last_call = "KeAcquireSpinLockRaiseToDpc";
  *SpinLock = 1;
  fake_irql = DISPATCH_LEVEL;
  return old;
}

VOID NTAPI KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext) {
  last_call = "KeInitializeDpc";
  Dpc->Type = DpcObject;
  Dpc->DeferredRoutine = DeferredRoutine;
  Dpc->DeferredContext = DeferredContext;
}

BOOLEAN NTAPI KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2) {
  last_call = "KeInsertQueueDpc";
  last_args[0] = Dpc;
  last_args[1] = SystemArgument1;
  last_args[2] = SystemArgument2;
  return TRUE;
}

void KemuAssertFailed(const char *Expression, const char *File, int Line) {
  fprintf(stderr, "%s:%d: unexpected assertion failure: %s\n", File, Line, Expression);
  exit(1);
}

void KemuPagedCode(const char *File, int Line) {
  (void)File;
  (void)Line;
  ++paged_code_calls;
}

// ---------------------------------------------------------------------------------------------
// Checks.

static int failures;

#define EXPECT(cond)                                                     \
  do {                                                                   \
    if (!(cond)) {                                                       \
      fprintf(stderr, "%s:%d: EXPECT(%s)\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                        \
    }                                                                    \
  } while (0)

static void ListHelpersKeepWindowsSemantics(void) {
  LIST_ENTRY head;
  LIST_ENTRY a;
  LIST_ENTRY b;
  LIST_ENTRY c;
  InitializeListHead(&head);
  EXPECT(IsListEmpty(&head));
  EXPECT(RemoveHeadList(&head) == &head);  // an empty list yields its head
  InsertTailList(&head, &b);
  InsertHeadList(&head, &a);
  InsertTailList(&head, &c);
  EXPECT(head.Flink == &a && a.Flink == &b && b.Flink == &c && c.Flink == &head);
  EXPECT(head.Blink == &c && c.Blink == &b && b.Blink == &a && a.Blink == &head);
  EXPECT(RemoveEntryList(&b) == FALSE);
  EXPECT(RemoveTailList(&head) == &c);
  EXPECT(RemoveEntryList(&a) == TRUE);  // the list is now empty
  EXPECT(IsListEmpty(&head));

  SINGLE_LIST_ENTRY stack = {NULL};
  SINGLE_LIST_ENTRY x;
  SINGLE_LIST_ENTRY y;
  EXPECT(PopEntryList(&stack) == NULL);
  PushEntryList(&stack, &x);
  PushEntryList(&stack, &y);
  EXPECT(PopEntryList(&stack) == &y);
  EXPECT(PopEntryList(&stack) == &x);
  EXPECT(stack.Next == NULL);

  struct Request {
    ULONG id;
    LIST_ENTRY link;
  } request = {7, {NULL, NULL}};
  EXPECT(CONTAINING_RECORD(&request.link, struct Request, link)->id == 7);
  EXPECT(FIELD_OFFSET(struct Request, link) == 8);
}

static void InterlockedReturnsWhatWindowsReturns(void) {
  LONG volatile value = MAXLONG;
  EXPECT(InterlockedIncrement(&value) == (LONG)0x80000000u);  // wraps, no undefined behaviour
  EXPECT(InterlockedDecrement(&value) == MAXLONG);
  EXPECT(InterlockedExchange(&value, 5) == MAXLONG);
  EXPECT(InterlockedExchangeAdd(&value, 3) == 5 && value == 8);
  EXPECT(InterlockedCompareExchange(&value, 1, 7) == 8 && value == 8);  // no swap
  EXPECT(InterlockedCompareExchange(&value, 1, 8) == 8 && value == 1);  // swap
  EXPECT(InterlockedOr(&value, 6) == 1 && value == 7);
  EXPECT(InterlockedAnd(&value, 3) == 7 && value == 3);
  EXPECT(InterlockedXor(&value, 1) == 3 && value == 2);
  EXPECT(InterlockedIncrementAcquire(&value) == 3);

  LONG64 volatile wide = INT64_MAX;
  EXPECT(InterlockedIncrement64(&wide) == INT64_MIN);
  EXPECT(InterlockedCompareExchange64(&wide, 4, INT64_MIN) == INT64_MIN && wide == 4);
  EXPECT(InterlockedExchangeAdd64(&wide, -1) == 4 && wide == 3);

  int target;
  PVOID volatile slot = NULL;
  EXPECT(InterlockedCompareExchangePointer(&slot, &target, NULL) == NULL && slot == &target);
  EXPECT(InterlockedExchangePointer(&slot, NULL) == &target && slot == NULL);
}

static void IrqlAndLockMacrosReachTheRightRoutine(void) {
  KIRQL old = HIGH_LEVEL;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT(old == PASSIVE_LEVEL && fake_irql == DISPATCH_LEVEL);
  EXPECT(last_call != NULL && last_call[0] == 'K' && last_call[1] == 'f');  // KfRaiseIrql
  (KeRaiseIrql)(HIGH_LEVEL, &old);
  EXPECT(old == DISPATCH_LEVEL && fake_irql == HIGH_LEVEL);
  EXPECT(last_call != NULL && last_call[1] == 'e');  // KeRaiseIrql, the function

  KSPIN_LOCK lock = 0;
  fake_irql = PASSIVE_LEVEL;
  KeAcquireSpinLock(&lock, &old);
  EXPECT(lock == 1 && old == PASSIVE_LEVEL && fake_irql == DISPATCH_LEVEL);
}

static IO_DPC_ROUTINE SampleDpcForIsr;
static VOID SampleDpcForIsr(PKDPC Dpc, PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) {
  (void)Dpc;
  (void)DeviceObject;
  (void)Irp;
  (void)Context;
}

static void DpcRequestMacrosUseTheDeviceDpc(void) {
  static DEVICE_OBJECT device;
  int context;
  IoInitializeDpcRequest(&device, SampleDpcForIsr);
  EXPECT(device.Dpc.DeferredContext == &device);
  EXPECT(device.Dpc.DeferredRoutine == (PKDEFERRED_ROUTINE)(void (*)(void))SampleDpcForIsr);
  IoRequestDpc(&device, (PIRP)&context, &context);
  EXPECT(last_args[0] == &device.Dpc && last_args[1] == &context && last_args[2] == &context);
}

DEFINE_GUID(KEMU_TEST_GUID, 0x0a1b2c3d, 0x4e5f, 0x6071, 0x82, 0x93, 0xa4, 0xb5, 0xc6, 0xd7, 0xe8,
            0xf9);  // declared here, defined in guid_definition.c

// A driver's own inline helpers, written both ways drivers write them.
static FORCEINLINE ULONG TwiceStatic(ULONG value) { return value * 2u; }
FORCEINLINE ULONG TwicePlain(ULONG value) { return value * 2u; }
static __forceinline ULONG TwiceUnderscore(ULONG value) { return value * 2u; }

static void InlineGuidAndPageMacros(void) {
  static const GUID a = {0x12345678, 0x1234, 0x5678, {1, 2, 3, 4, 5, 6, 7, 8}};
  static const GUID b = {0x12345678, 0x1234, 0x5678, {1, 2, 3, 4, 5, 6, 7, 9}};
  EXPECT(TwiceStatic(2) == 4 && TwicePlain(3) == 6 && TwiceUnderscore(4) == 8);
  EXPECT(sizeof(GUID) == 16);
  EXPECT(KEMU_TEST_GUID.Data1 == 0x0a1b2c3d && KEMU_TEST_GUID.Data4[7] == 0xf9);
  /* wdmguid.h: declared here, defined in guid_definition.c. */
  EXPECT(
      GUID_BUS_INTERFACE_STANDARD.Data1 == 0x496B8280 &&
      GUID_BUS_INTERFACE_STANDARD.Data2 == 0x6F25 && GUID_BUS_INTERFACE_STANDARD.Data3 == 0x11D0 &&
      GUID_BUS_INTERFACE_STANDARD.Data4[0] == 0xBE && GUID_BUS_INTERFACE_STANDARD.Data4[7] == 0x2F);
  EXPECT(GUID_PCI_BUS_INTERFACE_STANDARD.Data1 == 0x496B8281);
  EXPECT(GUID_BUS_TYPE_PCI.Data1 == 0xC8EBDFB0 && GUID_BUS_TYPE_PCI.Data4[7] == 0xE3);
  EXPECT(!IsEqualGUID(&GUID_BUS_INTERFACE_STANDARD, &GUID_PCI_BUS_INTERFACE_STANDARD));
  EXPECT(IsEqualGUID(&a, &a) && !IsEqualGUID(&a, &b));
  EXPECT(PAGE_SIZE == 4096 && PAGE_SHIFT == 12);
  EXPECT(BYTES_TO_PAGES(0) == 0 && BYTES_TO_PAGES(1) == 1 && BYTES_TO_PAGES(4096) == 1 &&
         BYTES_TO_PAGES(4097) == 2);
  EXPECT(ROUND_TO_PAGES(4097) == 8192);
  EXPECT(BYTE_OFFSET((PVOID)0x12345) == 0x345);
  EXPECT(PAGE_ALIGN((PVOID)0x12345) == (PVOID)0x12000);
  /* Two bytes across a page boundary span two pages; a whole page from its start, one. */
  EXPECT(ADDRESS_AND_SIZE_TO_SPAN_PAGES((PVOID)0x1FFF, 2) == 2);
  EXPECT(ADDRESS_AND_SIZE_TO_SPAN_PAGES((PVOID)0x1000, 4096) == 1);
}

static void RtlAndDebugMacros(void) {
  UCHAR bytes[8];
  RtlFillMemory(bytes, sizeof(bytes), 0xAB);
  EXPECT(bytes[7] == 0xAB);
  RtlZeroMemory(bytes, 4);
  EXPECT(bytes[3] == 0 && bytes[4] == 0xAB);
  RtlCopyMemory(bytes + 4, bytes, 4);
  EXPECT(RtlEqualMemory(bytes, bytes + 4, 4));
  RtlMoveMemory(bytes + 1, bytes, 7);
  EXPECT(bytes[7] == 0);

  ASSERT(bytes[0] == 0);  // a passing ASSERT calls nothing
  NT_ASSERT(RTL_NUMBER_OF(bytes) == 8);
  PAGED_CODE();
  EXPECT(paged_code_calls == 1);
  EXPECT(NT_SUCCESS(STATUS_PENDING) && !NT_SUCCESS(STATUS_INVALID_PARAMETER));
  EXPECT(NT_ERROR(STATUS_CANCELLED) && NT_WARNING(STATUS_BREAKPOINT));
  EXPECT(PtrToUlong(UlongToPtr(0x1234u)) == 0x1234u);
}

int main(void) {
  ListHelpersKeepWindowsSemantics();
  InterlockedReturnsWhatWindowsReturns();
  IrqlAndLockMacrosReachTheRightRoutine();
  DpcRequestMacrosUseTheDeviceDpc();
  RtlAndDebugMacros();
  InlineGuidAndPageMacros();
  if (failures != 0) {
    fprintf(stderr, "abi_macro_test: %d checks failed\n", failures);
    return 1;
  }
  return 0;
}
