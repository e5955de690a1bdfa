// Layout checks for kemu's WDK headers seen from C++20 (the emulator's and C++ drivers' side),
// and the entry point of abi_layout_test, which also runs the C half (layout_test.c).
//
// C and C++ must agree on every layout: the emulator (C++) reads structures that C drivers fill.
#include <wdm.h>
// After wdm.h, as the Iointex.lib documentation asks.
#include <iointex.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <type_traits>

#include "layout_test.h"

namespace {

// Function-type typedefs must let a driver declare its routines by role, as the WDK allows.
KSERVICE_ROUTINE SampleIsr;
KDEFERRED_ROUTINE SampleDpc;

BOOLEAN SampleIsr(PKINTERRUPT, PVOID) { return TRUE; }
VOID SampleDpc(PKDPC, PVOID, PVOID, PVOID) {}

static_assert(std::is_same_v<decltype(&SampleIsr), PKSERVICE_ROUTINE>);
static_assert(std::is_same_v<decltype(&SampleDpc), PKDEFERRED_ROUTINE>);
static_assert(std::is_same_v<ULONG, std::uint32_t> && std::is_same_v<LONG, std::int32_t>);
static_assert(std::is_same_v<WCHAR, wchar_t>, "WCHAR is wchar_t so L\"\" literals work");
static_assert(std::is_standard_layout_v<DEVICE_OBJECT> && std::is_trivial_v<DEVICE_OBJECT>);
static_assert(std::is_standard_layout_v<KINTERRUPT> && std::is_trivial_v<KINTERRUPT>,
              "the emulator embeds KINTERRUPT as the first member of its interrupt objects");
static_assert(std::is_standard_layout_v<IO_CONNECT_INTERRUPT_PARAMETERS>);
static_assert(sizeof(KINTERRUPT_MODE) == 4 && sizeof(KINTERRUPT_POLARITY) == 4);
static_assert(std::is_signed_v<NTSTATUS> && STATUS_UNSUCCESSFUL < 0);
static_assert(CONNECT_CURRENT_VERSION == CONNECT_MESSAGE_BASED_PASSIVE, "default target WIN10");

#if KEMU_WDK_PTR64
static_assert(sizeof(KDPC) == 64 && offsetof(KDPC, DeferredContext) == 32);
static_assert(sizeof(KLOCK_QUEUE_HANDLE) == 24);
static_assert(sizeof(CM_PARTIAL_RESOURCE_DESCRIPTOR) == 20 &&
              alignof(CM_PARTIAL_RESOURCE_DESCRIPTOR) == 4);
static_assert(offsetof(CM_PARTIAL_RESOURCE_DESCRIPTOR, u.Interrupt.Affinity) == 12);
static_assert(offsetof(CM_RESOURCE_LIST, List[0].PartialResourceList.PartialDescriptors) == 20);
static_assert(sizeof(IO_CONNECT_INTERRUPT_PARAMETERS) == 80);
static_assert(offsetof(IO_CONNECT_INTERRUPT_PARAMETERS, FullySpecified.Group) == 72);
static_assert(offsetof(IO_CONNECT_INTERRUPT_PARAMETERS, FullySpecified.InterruptMode) == 60);
static_assert(sizeof(IO_DISCONNECT_INTERRUPT_PARAMETERS) == 16);
static_assert(sizeof(IO_INTERRUPT_MESSAGE_INFO_ENTRY) == 48);
static_assert(offsetof(IO_INTERRUPT_MESSAGE_INFO, MessageInfo) == 8);
static_assert(sizeof(IO_REPORT_INTERRUPT_ACTIVE_STATE_PARAMETERS) == 16);
static_assert(sizeof(DEVICE_OBJECT) == 0x150 && alignof(DEVICE_OBJECT) == 16);
static_assert(offsetof(DEVICE_OBJECT, Dpc) == 0xC8 && offsetof(DEVICE_OBJECT, DeviceLock) == 0x118);
static_assert(sizeof(UNICODE_STRING) == 16 && sizeof(GROUP_AFFINITY) == 16);
static_assert(sizeof(KBUGCHECK_DUMP_IO) == 24 && offsetof(KBUGCHECK_DUMP_IO, Type) == 20);
static_assert(sizeof(KBUGCHECK_ADD_PAGES) == 32 && offsetof(KBUGCHECK_ADD_PAGES, Count) == 24);
static_assert(sizeof(KBUGCHECK_REMOVE_PAGES) == 32);
static_assert(sizeof(KBUGCHECK_SECONDARY_DUMP_DATA_EX) == 104 &&
              offsetof(KBUGCHECK_SECONDARY_DUMP_DATA_EX, BugCheckParameter1) == 72);
#endif

int CheckCxx() {
  int failures = 0;
  PKSERVICE_ROUTINE isr = SampleIsr;
  PKDEFERRED_ROUTINE dpc_routine = SampleDpc;
  failures += isr(nullptr, nullptr) != TRUE;
  dpc_routine(nullptr, nullptr, nullptr, nullptr);

  LARGE_INTEGER value{};
  value.QuadPart = -2;
  failures += value.LowPart != 0xFFFFFFFEu;
  failures += value.HighPart != -1;

  KDPC dpc{};
  dpc.Type = ThreadedDpcObject;
  dpc.Importance = MediumImportance;
  failures += dpc.TargetInfoAsUlong != (ThreadedDpcObject | (MediumImportance << 8));

  UNICODE_STRING name = RTL_CONSTANT_STRING(L"IoConnectInterruptEx");
  failures += name.Length != 20 * sizeof(WCHAR);
  failures += name.MaximumLength != 21 * sizeof(WCHAR);
  // A narrow literal makes a STRING (in C++ too, where literals are const).
  ANSI_STRING narrow = RTL_CONSTANT_STRING("Iointex");
  failures += narrow.Length != 7 || narrow.MaximumLength != 8 || narrow.Buffer[0] != 'I';
  return failures;
}

}  // namespace

int main() {
  const int c_failures = KemuAbiLayoutCheckC();
  const int cxx_failures = CheckCxx();
  if (c_failures != 0 || cxx_failures != 0) {
    std::fprintf(stderr, "abi_layout_test: %d C and %d C++ runtime checks failed\n", c_failures,
                 cxx_failures);
    return 1;
  }
  return 0;
}
