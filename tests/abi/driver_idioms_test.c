// Everyday driver idioms outside the interrupt path (audit round 6): the entry-point role types,
// MSVC pragmas, basetsd.h's fixed-width types, ntdef.h's limits and alignment macros, the Rtl
// string and byte-order helpers, bit tests, ordered single loads and stores, NT_VERIFY. Written
// the way a driver source writes them; built and run as C17 here and as C++20 through
// driver_idioms_test.cpp. Header-only: nothing here links the emulator.
#include <stdio.h>
#include <stdlib.h>
#include <wdm.h>

// MSVC's pragmas, as nearly every driver carries them (kemu::wdk silences GCC's and Clang's
// -Wunknown-pragmas for them).
#pragma warning(push)
#pragma warning(disable : 4201)
#pragma warning(pop)

DRIVER_INITIALIZE IdiomDriverEntry;
DRIVER_UNLOAD IdiomUnload;
DRIVER_ADD_DEVICE IdiomAddDevice;
_Dispatch_type_(IRP_MJ_CREATE) DRIVER_DISPATCH IdiomCreate;
DRIVER_STARTIO IdiomStartIo;

#pragma alloc_text(INIT, IdiomDriverEntry)
#pragma alloc_text(PAGE, IdiomUnload)

static int unload_calls;
static int failures;

void KemuAssertFailed(const char *Expression, const char *File, int Line) {
  fprintf(stderr, "%s:%d: NT_VERIFY failed: %s\n", File, Line, Expression);
  exit(1);
}

VOID IdiomUnload(PDRIVER_OBJECT DriverObject) {
  UNREFERENCED_PARAMETER(DriverObject);
  ++unload_calls;
}
NTSTATUS IdiomAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT PhysicalDeviceObject) {
  UNREFERENCED_PARAMETER(DriverObject);
  UNREFERENCED_PARAMETER(PhysicalDeviceObject);
  return STATUS_SUCCESS;
}
NTSTATUS IdiomCreate(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  UNREFERENCED_PARAMETER(Irp);
  return STATUS_NOT_SUPPORTED;
}
VOID IdiomStartIo(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  UNREFERENCED_PARAMETER(Irp);
}
NTSTATUS IdiomDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNREFERENCED_PARAMETER(RegistryPath);
  PDRIVER_UNLOAD unload = IdiomUnload;
  unload(DriverObject);
  return STATUS_SUCCESS;
}

#define EXPECT(cond)                                                     \
  do {                                                                   \
    if (!(cond)) {                                                       \
      fprintf(stderr, "%s:%d: EXPECT(%s)\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                        \
    }                                                                    \
  } while (0)

typedef struct _IDIOM_HEADER {
  UINT8 Version;
  UINT16 Flags;
  UINT32 Length;
  UINT64 Cookie;
  INT8 Delta8;
  INT16 Delta16;
  INT32 Delta32;
  INT64 Delta64;
  LONG32 Signed32;
  ULONG32 Unsigned32;
  DWORD32 Dword32;
  DWORD64 Dword64;
  PVOID64 Anywhere;
} IDIOM_HEADER;

static void EntryPointRoleTypesDeclareTheRoutines(void) {
  PDRIVER_INITIALIZE entry = IdiomDriverEntry;
  PDRIVER_ADD_DEVICE add = IdiomAddDevice;
  PDRIVER_DISPATCH create = IdiomCreate;
  PDRIVER_STARTIO start_io = IdiomStartIo;
  EXPECT(entry(NULL, NULL) == STATUS_SUCCESS && unload_calls == 1);
  EXPECT(add(NULL, NULL) == STATUS_SUCCESS);
  EXPECT(create(NULL, NULL) == STATUS_NOT_SUPPORTED);
  start_io(NULL, NULL);
}

static void FixedWidthTypesAndLimitsHaveWindowsSizes(void) {
  EXPECT(sizeof(UINT8) == 1 && sizeof(UINT16) == 2 && sizeof(UINT32) == 4 && sizeof(UINT64) == 8);
  EXPECT(sizeof(INT8) == 1 && sizeof(INT16) == 2 && sizeof(INT32) == 4 && sizeof(INT64) == 8);
  EXPECT(sizeof(LONG32) == 4 && sizeof(ULONG32) == 4 && sizeof(DWORD32) == 4);
  EXPECT(sizeof(DWORD64) == 8 && sizeof(PVOID64) == 8);
  EXPECT(MINLONG == -MAXLONG - 1 && MAXLONGLONG == INT64_MAX && MAXULONG64 == UINT64_MAX);
  EXPECT(MAXLONG64 == INT64_MAX && MAXULONG_PTR == UINTPTR_MAX && MAXLONG_PTR == INTPTR_MAX);
  EXPECT(RTL_SIZEOF_THROUGH_FIELD(IDIOM_HEADER, Length) == 8);
  EXPECT(RTL_SIZEOF_THROUGH_FIELD(IDIOM_HEADER, Cookie) == 16);
  EXPECT(TYPE_ALIGNMENT(UINT64) == 8 && TYPE_ALIGNMENT(IDIOM_HEADER) == 8);
  EXPECT(Int32x32To64(-3, 0x7FFFFFFF) == -0x17FFFFFFDLL);
  EXPECT(UInt32x32To64(0xFFFFFFFFu, 0xFFFFFFFFu) == 0xFFFFFFFE00000001ull);
}

static void AlignmentMacrosRoundToPowersOfTwo(void) {
  EXPECT(ALIGN_UP_BY(13, 8) == 16 && ALIGN_UP_BY(16, 8) == 16 && ALIGN_UP_BY(0, 8) == 0);
  EXPECT(ALIGN_DOWN_BY(13, 8) == 8 && ALIGN_DOWN_BY(16, 16) == 16);
  EXPECT(ALIGN_UP(5, ULONG64) == 8 && ALIGN_DOWN(15, ULONG) == 12);
  EXPECT(ALIGN_UP_POINTER_BY((PVOID)0x1001, 0x1000) == (PVOID)0x2000);
  EXPECT(ALIGN_DOWN_POINTER_BY((PVOID)0x1FFF, 0x1000) == (PVOID)0x1000);
}

static void RtlStringAndByteOrderHelpers(void) {
  WCHAR buffer[16];
  UNICODE_STRING empty;
  RtlInitEmptyUnicodeString(&empty, buffer, sizeof(buffer));
  EXPECT(empty.Length == 0 && empty.MaximumLength == sizeof(buffer) && empty.Buffer == buffer);
  CHAR narrow[4];
  ANSI_STRING ansi;
  RtlInitEmptyAnsiString(&ansi, narrow, sizeof(narrow));
  EXPECT(ansi.Length == 0 && ansi.MaximumLength == 4 && ansi.Buffer == narrow);
  DECLARE_CONST_UNICODE_STRING(name, L"nic0");
  EXPECT(name.Length == 4 * sizeof(WCHAR) && name.MaximumLength == 5 * sizeof(WCHAR));
  EXPECT(name.Buffer[0] == L'n' && name.Buffer[4] == L'\0');
  DECLARE_UNICODE_STRING_SIZE(scratch, 10);
  EXPECT(scratch.Length == 0 && scratch.MaximumLength == 10 * sizeof(WCHAR));
  EXPECT(scratch.Buffer == scratch_buffer);
  UCHAR secret[4] = {1, 2, 3, 4};
  EXPECT(RtlSecureZeroMemory(secret, 3) == secret);
  EXPECT(secret[0] == 0 && secret[2] == 0 && secret[3] == 4);
  EXPECT(RtlUshortByteSwap(0x1234) == 0x3412);
  EXPECT(RtlUlongByteSwap(0x12345678u) == 0x78563412u);
  EXPECT(RtlUlonglongByteSwap(0x0102030405060708ull) == 0x0807060504030201ull);
}

static void BitTestsReturnTheOldBit(void) {
  LONG volatile bits[2] = {0, 0};
  EXPECT(InterlockedBitTestAndSet(bits, 3) == FALSE && bits[0] == 8);
  EXPECT(InterlockedBitTestAndSet(bits, 3) == TRUE && bits[0] == 8);
  EXPECT(InterlockedBitTestAndSet(bits, 33) == FALSE && bits[1] == 2);  // the next LONG
  EXPECT(InterlockedBitTestAndReset(bits, 3) == TRUE && bits[0] == 0);
  EXPECT(InterlockedBitTestAndReset(bits, 3) == FALSE);
  EXPECT(InterlockedBitTestAndSet(bits, 31) == FALSE && bits[0] == (LONG)0x80000000u);
  LONG64 volatile wide = 0;
  EXPECT(InterlockedBitTestAndSet64(&wide, 63) == FALSE && wide == INT64_MIN);
  EXPECT(InterlockedBitTestAndReset64(&wide, 63) == TRUE && wide == 0);
}

static void OrderedLoadsAndStores(void) {
  LONG volatile flag = 0;
  WriteRelease(&flag, 5);
  EXPECT(ReadAcquire(&flag) == 5);
  WriteNoFence(&flag, 6);
  EXPECT(ReadNoFence(&flag) == 6);
  LONG64 volatile wide = 0;
  WriteRelease64(&wide, -7);
  EXPECT(ReadAcquire64(&wide) == -7);
  WriteNoFence64(&wide, 8);
  EXPECT(ReadNoFence64(&wide) == 8);
  int target;
  PVOID volatile slot = NULL;
  WritePointerRelease(&slot, &target);
  EXPECT(ReadPointerAcquire(&slot) == &target);
  WritePointerNoFence(&slot, NULL);
  EXPECT(ReadPointerNoFence(&slot) == NULL);
}

static void NarrowInterlockedOperationsReturnWhatTheirNamesSay(void) {
  SHORT volatile counter = 0x7FFF;
  EXPECT(InterlockedIncrement16(&counter) == (SHORT)0x8000);  // wraps like two's complement
  EXPECT(InterlockedDecrement16(&counter) == 0x7FFF);
  EXPECT(InterlockedCompareExchange16(&counter, 5, 0x7FFF) == 0x7FFF && counter == 5);
  EXPECT(InterlockedCompareExchange16(&counter, 9, 4) == 5 && counter == 5);  // no match
  EXPECT(InterlockedExchange16(&counter, 3) == 5 && counter == 3);
  EXPECT(InterlockedExchangeAdd16(&counter, 4) == 3 && counter == 7);
  EXPECT(InterlockedAnd16(&counter, 6) == 7 && counter == 6);
  EXPECT(InterlockedOr16(&counter, 1) == 6 && counter == 7);
  EXPECT(InterlockedXor16(&counter, 5) == 7 && counter == 2);
  CHAR volatile flags = 0x0F;
  EXPECT(InterlockedExchange8(&flags, 0x11) == 0x0F && flags == 0x11);
  EXPECT(InterlockedExchangeAdd8(&flags, 1) == 0x11 && flags == 0x12);
  EXPECT(InterlockedAnd8(&flags, 0x10) == 0x12 && flags == 0x10);
  EXPECT(InterlockedOr8(&flags, 0x01) == 0x10 && flags == 0x11);
  EXPECT(InterlockedXor8(&flags, 0x11) == 0x11 && flags == 0);
  SIZE_T volatile bytes = 10;
  EXPECT(InterlockedExchangeAddSizeT(&bytes, 5) == 10 && bytes == 15);
  EXPECT(InterlockedIncrementSizeT(&bytes) == 16);
  EXPECT(InterlockedDecrementSizeT(&bytes) == 15);
}

static void OrderedAccessesAtEveryWidth(void) {
  CHAR volatile byte = 0;
  WriteRelease8(&byte, 7);
  EXPECT(ReadAcquire8(&byte) == 7 && ReadNoFence8(&byte) == 7 && ReadRaw8(&byte) == 7);
  WriteNoFence8(&byte, 8);
  WriteRaw8(&byte, 9);
  EXPECT(byte == 9);
  SHORT volatile half = 0;
  WriteRelease16(&half, -2);
  EXPECT(ReadAcquire16(&half) == -2 && ReadRaw16(&half) == -2);
  ULONG volatile word = 0;
  WriteULongRelease(&word, 0xFFFFFFFFu);
  EXPECT(ReadULongAcquire(&word) == 0xFFFFFFFFu && ReadULongNoFence(&word) == 0xFFFFFFFFu);
  WriteULongRaw(&word, 4);
  EXPECT(ReadULongRaw(&word) == 4 && ReadRaw((LONG volatile *)&word) == 4);
  ULONG64 volatile wide = 0;
  WriteULong64Release(&wide, 0x8000000000000000ull);
  EXPECT(ReadULong64Acquire(&wide) == 0x8000000000000000ull);
  SIZE_T volatile size = 0;
  WriteSizeTNoFence(&size, 12);
  EXPECT(ReadSizeTNoFence(&size) == 12 && ReadSizeTAcquire(&size) == 12);
  BOOLEAN volatile done = FALSE;
  WriteBooleanRelease(&done, TRUE);
  EXPECT(ReadBooleanAcquire(&done) == TRUE);
  UCHAR volatile status = 0;
  WriteUCharRelease(&status, 0xFF);
  EXPECT(ReadUCharAcquire(&status) == 0xFF);
  USHORT volatile port = 0;
  WriteUShortNoFence(&port, 0xFFFF);
  EXPECT(ReadUShortNoFence(&port) == 0xFFFF);
  int target;
  PVOID volatile slot = NULL;
  WritePointerRaw(&slot, &target);
  EXPECT(ReadPointerRaw(&slot) == &target);
  LONG64 volatile signed_wide = 0;
  WriteRaw64(&signed_wide, -1);
  EXPECT(ReadRaw64(&signed_wide) == -1);
}

static void ArgumentPresentTestsForNull(void) {
  int value = 0;
  int *absent = NULL;
  EXPECT(ARGUMENT_PRESENT(&value));
  EXPECT(!ARGUMENT_PRESENT(absent));
}

static void NtVerifyEvaluatesAndYieldsTheTruth(void) {
  int evaluated = 0;
  EXPECT(NT_VERIFY(++evaluated == 1) == TRUE && evaluated == 1);
  EXPECT(NT_VERIFYMSG("second", ++evaluated == 2) == TRUE && evaluated == 2);
  if (NT_VERIFY(evaluated > 0)) ++evaluated;
  EXPECT(evaluated == 3);
}

int main(void) {
  EntryPointRoleTypesDeclareTheRoutines();
  FixedWidthTypesAndLimitsHaveWindowsSizes();
  AlignmentMacrosRoundToPowersOfTwo();
  RtlStringAndByteOrderHelpers();
  BitTestsReturnTheOldBit();
  OrderedLoadsAndStores();
  NarrowInterlockedOperationsReturnWhatTheirNamesSay();
  OrderedAccessesAtEveryWidth();
  ArgumentPresentTestsForNull();
  NtVerifyEvaluatesAndYieldsTheTruth();
  if (failures != 0) {
    fprintf(stderr, "driver idioms: %d checks failed\n", failures);
    return 1;
  }
  return 0;
}
