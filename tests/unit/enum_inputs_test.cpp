// Enum parameters holding values outside their enumerators, passed from real C (enum_inputs.c):
// IoConnectInterrupt(Ex)'s InterruptMode, KeSetImportanceDpc's Importance, and the CacheType of
// MmMapIoSpace and MmAllocateContiguousMemorySpecifyCache. Routines returning an NTSTATUS refuse
// the value; the others are a Driver Verifier bug check (emu/verifier/rules_arguments.cpp) and
// otherwise do what Windows does. The asan preset runs these under UBSan, which reports any invalid
// enum load inside kemu.
#include <wdm.h>
// Iointex.lib's WdmlibIoConnectInterruptEx, for the pre-Vista library path.
#include <iointex.h>

#include <cstdint>

#include "kemu/testing/gtest.hpp"

extern "C" {
NTSTATUS EnumInputsConnect(PKINTERRUPT* InterruptObject, PKSERVICE_ROUTINE ServiceRoutine,
                           ULONG Vector, KIRQL Irql, int Mode);
NTSTATUS EnumInputsConnectFullySpecified(NTSTATUS(NTAPI* Connect)(PIO_CONNECT_INTERRUPT_PARAMETERS),
                                         PDEVICE_OBJECT Pdo, PKINTERRUPT* InterruptObject,
                                         PKSERVICE_ROUTINE ServiceRoutine, ULONG Vector, KIRQL Irql,
                                         int Mode);
void EnumInputsSetImportance(PKDPC Dpc, int Importance);
PVOID EnumInputsMapIoSpace(LONGLONG Physical, SIZE_T Bytes, int CacheType);
PVOID EnumInputsAllocateContiguous(SIZE_T Bytes, int CacheType);
}

namespace {

using ::kemu::testing::BugCheckIs;
using ::testing::Throws;

constexpr ULONG kVector = 0x51;
constexpr KIRQL kDirql = 5;
constexpr std::uint32_t kVerifierBugCheck = kemu::bugcheck::kDriverVerifierDetectedViolation;
constexpr std::uint64_t kOutOfRange = kemu::verifier_code::kEnumArgumentOutOfRange;
// Values a C driver can pass: above, just above and below the enumerators.
constexpr int kBadModes[] = {7, 2, -1};

BOOLEAN Isr(PKINTERRUPT, PVOID) { return TRUE; }
VOID DpcRoutine(PKDPC, PVOID, PVOID, PVOID) {}

kemu::DeviceConfig LineDevice() {
  return {.name = "line0", .line = kemu::LineInterrupt{.vector = kVector, .irql = kDirql}};
}

TEST(EnumInputsTest, IoConnectInterruptRefusesAnInterruptModeOutsideTheEnum) {  // INT-8
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice(LineDevice());
  for (int mode : kBadModes) {
    SCOPED_TRACE(::testing::Message() << "InterruptMode " << mode);
    PKINTERRUPT interrupt = nullptr;
    EXPECT_EQ(EnumInputsConnect(&interrupt, &Isr, kVector, kDirql, mode), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(interrupt, nullptr);
    EXPECT_EQ(device.connection(), nullptr);
  }
  for (int mode : {int{LevelSensitive}, int{Latched}}) {
    PKINTERRUPT interrupt = nullptr;
    ASSERT_EQ(EnumInputsConnect(&interrupt, &Isr, kVector, kDirql, mode), STATUS_SUCCESS);
    EXPECT_EQ(interrupt->Mode, mode);
    IoDisconnectInterrupt(interrupt);
  }
}

TEST(EnumInputsTest, FullySpecifiedRefusesAnInterruptModeOutsideTheEnum) {  // EX-5
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice(LineDevice());
  for (int mode : kBadModes) {
    SCOPED_TRACE(::testing::Message() << "InterruptMode " << mode);
    PKINTERRUPT interrupt = nullptr;
    EXPECT_EQ(EnumInputsConnectFullySpecified(&IoConnectInterruptEx, device.pdo(), &interrupt, &Isr,
                                              kVector, kDirql, mode),
              STATUS_INVALID_PARAMETER);
    EXPECT_EQ(interrupt, nullptr);
    EXPECT_EQ(device.connection(), nullptr);
  }
}

TEST(EnumInputsTest, IointexRefusesAnInterruptModeOutsideTheEnumBeforeVista) {  // EX-2
  kemu::Machine machine(kemu::Os::kWindowsXP);
  kemu::Device& device = machine.AddDevice(LineDevice());
  PKINTERRUPT interrupt = nullptr;
  EXPECT_EQ(EnumInputsConnectFullySpecified(&WdmlibIoConnectInterruptEx, device.pdo(), &interrupt,
                                            &Isr, kVector, kDirql, 7),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(device.connection(), nullptr);
  ASSERT_EQ(EnumInputsConnectFullySpecified(&WdmlibIoConnectInterruptEx, device.pdo(), &interrupt,
                                            &Isr, kVector, kDirql, Latched),
            STATUS_SUCCESS);
  IoDisconnectInterrupt(interrupt);
}

TEST(EnumInputsTest, KeSetImportanceDpcOutsideTheEnumIsAVerifierBugCheck) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KDPC dpc;
  KeInitializeDpc(&dpc, &DpcRoutine, nullptr);
  EXPECT_THAT([&] { EnumInputsSetImportance(&dpc, 1000); },
              Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, kOutOfRange, 1000,
                                                reinterpret_cast<std::uintptr_t>(&dpc), 0)));
}

TEST(EnumInputsTest, KeSetImportanceDpcWithEveryEnumeratorIsSilent) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KDPC dpc;
  KeInitializeDpc(&dpc, &DpcRoutine, nullptr);
  for (int importance : {int{LowImportance}, int{MediumImportance}, int{HighImportance},
                         int{MediumHighImportance}}) {
    EnumInputsSetImportance(&dpc, importance);
    EXPECT_EQ(dpc.Importance, importance);
  }
}

TEST(EnumInputsTest, KeSetImportanceDpcOutsideTheEnumWithoutVerifierStoresTheLowByte) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .verifier = false});
  KDPC dpc;
  KeInitializeDpc(&dpc, &DpcRoutine, nullptr);
  EnumInputsSetImportance(&dpc, 1000);
  EXPECT_EQ(dpc.Importance, 1000 & 0xFF);  // as Windows' UCHAR field does
  EXPECT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
}

TEST(EnumInputsTest, MmMapIoSpaceWithAnUnknownCacheTypeIsAVerifierBugCheck) {
  kemu::Machine machine(kemu::Os::kWindows10);
  kemu::Device& device = machine.AddDevice({.name = "bar0", .memory_bytes = 0x1000});
  const auto physical = static_cast<LONGLONG>(device.memory_base());
  EXPECT_THAT([&] { EnumInputsMapIoSpace(physical, 0x100, 77); },
              Throws<kemu::BugCheck>(
                  BugCheckIs(kVerifierBugCheck, kOutOfRange, 77, device.memory_base(), 0)));
}

TEST(EnumInputsTest, MmMapIoSpaceWithAnUnknownCacheTypeWithoutVerifierReturnsNull) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .verifier = false});
  kemu::Device& device = machine.AddDevice({.name = "bar0", .memory_bytes = 0x1000});
  const auto physical = static_cast<LONGLONG>(device.memory_base());
  for (int cache : {int{MmMaximumCacheType}, 77, -1}) {
    EXPECT_EQ(EnumInputsMapIoSpace(physical, 0x100, cache), nullptr) << "CacheType " << cache;
  }
  for (int cache : {int{MmNonCached}, int{MmUSWCCached}}) {
    PVOID base = EnumInputsMapIoSpace(physical, 0x100, cache);
    ASSERT_NE(base, nullptr) << "CacheType " << cache;
    MmUnmapIoSpace(base, 0x100);
  }
}

TEST(EnumInputsTest, ContiguousMemoryWithAnUnknownCacheTypeIsAVerifierBugCheck) {
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_THAT([&] { EnumInputsAllocateContiguous(0x1000, 77); },
              Throws<kemu::BugCheck>(BugCheckIs(kVerifierBugCheck, kOutOfRange, 77, 0, 0)));
}

TEST(EnumInputsTest, ContiguousMemoryWithAnUnknownCacheTypeWithoutVerifierReturnsNull) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .verifier = false});
  for (int cache : {int{MmMaximumCacheType}, 77, -1}) {
    EXPECT_EQ(EnumInputsAllocateContiguous(0x1000, cache), nullptr) << "CacheType " << cache;
  }
  for (int cache : {int{MmNonCached}, int{MmUSWCCached}}) {
    PVOID block = EnumInputsAllocateContiguous(0x1000, cache);
    ASSERT_NE(block, nullptr) << "CacheType " << cache;
    MmFreeContiguousMemorySpecifyCache(block, 0x1000, static_cast<MEMORY_CACHING_TYPE>(cache));
  }
  EXPECT_EQ(machine.pool_allocations(), 0u);
}

}  // namespace
