// Fault injection: Machine::InjectFault makes chosen calls fail with a chosen status,
// reproducibly.
#include <iointex.h>
#include <wdm.h>

#include <string>
#include <vector>

#include "kemu/fault_routines.hpp"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::Fault;
using ::testing::HasSubstr;

BOOLEAN ClaimingIsr(PKINTERRUPT, PVOID) { return TRUE; }

// Connects a fully specified ISR to `device`'s line and returns the status.
NTSTATUS ConnectFullySpecified(kemu::Device& device, PKINTERRUPT* out) {
  IO_CONNECT_INTERRUPT_PARAMETERS p = {};
  p.Version = CONNECT_FULLY_SPECIFIED;
  p.FullySpecified.PhysicalDeviceObject = device.pdo();
  p.FullySpecified.InterruptObject = out;
  p.FullySpecified.ServiceRoutine = ClaimingIsr;
  p.FullySpecified.Vector = 0x51;
  p.FullySpecified.Irql = 5;
  p.FullySpecified.SynchronizeIrql = 5;
  p.FullySpecified.InterruptMode = LevelSensitive;
  p.FullySpecified.ShareVector = TRUE;
  p.FullySpecified.ProcessorEnableMask = 1;
  return WdmlibIoConnectInterruptEx(&p);
}

void Disconnect(PKINTERRUPT interrupt) {
  IO_DISCONNECT_INTERRUPT_PARAMETERS p = {};
  p.Version = CONNECT_FULLY_SPECIFIED;
  p.ConnectionContext.InterruptObject = interrupt;
  WdmlibIoDisconnectInterruptEx(&p);
}

kemu::DeviceConfig Nic() {
  return {.name = "nic0", .line = kemu::LineInterrupt{.vector = 0x51, .irql = 5, .shared = true}};
}

class FaultsTest : public kemu::testing::PersonalityTest {};

TEST_P(FaultsTest, TheNextConnectFailsWithTheInjectedStatusAndConnectsNothing) {
  kemu::Device& nic = machine().AddDevice(Nic());
  machine().InjectFault(
      {.routine = "WdmlibIoConnectInterruptEx", .status = STATUS_INSUFFICIENT_RESOURCES});
  PKINTERRUPT interrupt = nullptr;
  EXPECT_EQ(ConnectFullySpecified(nic, &interrupt), STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(interrupt, nullptr);
  EXPECT_EQ(nic.connection(), nullptr);
  // One failure only (count = 1): the retry connects.
  ASSERT_EQ(ConnectFullySpecified(nic, &interrupt), STATUS_SUCCESS);
  Disconnect(interrupt);
}

TEST_P(FaultsTest, NthCountsCallsFromWhenTheFaultWasArmed) {
  kemu::Device& nic = machine().AddDevice(Nic());
  machine().InjectFault(
      {.routine = "WdmlibIoConnectInterruptEx", .status = STATUS_DEVICE_BUSY, .nth = 2});
  PKINTERRUPT first = nullptr;
  ASSERT_EQ(ConnectFullySpecified(nic, &first), STATUS_SUCCESS);
  Disconnect(first);
  PKINTERRUPT second = nullptr;
  EXPECT_EQ(ConnectFullySpecified(nic, &second), STATUS_DEVICE_BUSY);
}

TEST_P(FaultsTest, TwoFaultsOnOneRoutineEachCountEveryCall) {
  // Audit round 12: the second fault counted only the calls the first let through, so it failed
  // the third call instead of the second.
  kemu::Device& nic = machine().AddDevice(Nic());
  machine().InjectFault(
      {.routine = "WdmlibIoConnectInterruptEx", .status = STATUS_INSUFFICIENT_RESOURCES});
  machine().InjectFault(
      {.routine = "WdmlibIoConnectInterruptEx", .status = STATUS_NO_MEMORY, .nth = 2});
  PKINTERRUPT interrupt = nullptr;
  EXPECT_EQ(ConnectFullySpecified(nic, &interrupt), STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(ConnectFullySpecified(nic, &interrupt), STATUS_NO_MEMORY);
  ASSERT_EQ(ConnectFullySpecified(nic, &interrupt), STATUS_SUCCESS);
  Disconnect(interrupt);
}

TEST_P(FaultsTest, TwoFaultsFiringOnOneCallFailItOnceWithTheEarlierStatus) {
  kemu::Device& nic = machine().AddDevice(Nic());
  machine().InjectFault(
      {.routine = "WdmlibIoConnectInterruptEx", .status = STATUS_DEVICE_BUSY, .nth = 2});
  machine().InjectFault(
      {.routine = "WdmlibIoConnectInterruptEx", .status = STATUS_NO_MEMORY, .nth = 2});
  PKINTERRUPT interrupt = nullptr;
  ASSERT_EQ(ConnectFullySpecified(nic, &interrupt), STATUS_SUCCESS);
  Disconnect(interrupt);
  EXPECT_EQ(ConnectFullySpecified(nic, &interrupt), STATUS_DEVICE_BUSY);
  ASSERT_EQ(ConnectFullySpecified(nic, &interrupt), STATUS_SUCCESS);  // both spent
  Disconnect(interrupt);
}

TEST_P(FaultsTest, CountZeroFailsEveryCallFromNthOn) {
  kemu::Device& nic = machine().AddDevice(Nic());
  machine().InjectFault(
      {.routine = "WdmlibIoConnectInterruptEx", .status = STATUS_UNSUCCESSFUL, .count = 0});
  for (int i = 0; i < 5; ++i) {
    PKINTERRUPT interrupt = nullptr;
    EXPECT_EQ(ConnectFullySpecified(nic, &interrupt), STATUS_UNSUCCESSFUL) << "call " << i;
  }
}

TEST_P(FaultsTest, RtlGetVersionCanBeMadeToFail) {
  machine().InjectFault({.routine = "RtlGetVersion", .status = STATUS_UNSUCCESSFUL});
  RTL_OSVERSIONINFOW info = {};
  info.dwOSVersionInfoSize = sizeof(info);
  EXPECT_EQ(RtlGetVersion(&info), STATUS_UNSUCCESSFUL);
  EXPECT_EQ(info.dwMajorVersion, 0u);  // nothing was written
  EXPECT_EQ(RtlGetVersion(&info), STATUS_SUCCESS);
}

TEST_P(FaultsTest, AnIoConnectInterruptExFaultReachesIointexLibOnTheReleasesItForwardsOn) {
  kemu::Device& nic = machine().AddDevice(Nic());
  machine().InjectFault({.routine = "IoConnectInterruptEx", .status = STATUS_DEVICE_BUSY});
  PKINTERRUPT interrupt = nullptr;
  if (machine().personality().kernel_exports_connect_ex) {
    // Vista+: WdmlibIoConnectInterruptEx is the kernel routine, faults included.
    EXPECT_EQ(ConnectFullySpecified(nic, &interrupt), STATUS_DEVICE_BUSY);
  } else {
    // Before Vista the library never reaches a kernel IoConnectInterruptEx.
    ASSERT_EQ(ConnectFullySpecified(nic, &interrupt), STATUS_SUCCESS);
    Disconnect(interrupt);
  }
}

INSTANTIATE_TEST_SUITE_P(AllWindows, FaultsTest, kemu::testing::AllOs(), kemu::testing::OsName());

// Outcomes of a probabilistic fault for `seed`: '1' where the call failed.
std::string ProbabilisticOutcomes(std::uint64_t seed) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .seed = seed});
  machine.InjectFault(
      {.routine = "RtlGetVersion", .status = STATUS_UNSUCCESSFUL, .count = 0, .probability = 0.5});
  std::string outcomes;
  for (int i = 0; i < 64; ++i) {
    RTL_OSVERSIONINFOW info = {};
    info.dwOSVersionInfoSize = sizeof(info);
    outcomes += RtlGetVersion(&info) == STATUS_UNSUCCESSFUL ? '1' : '0';
  }
  return outcomes;
}

TEST(FaultsSeedTest, AProbabilisticFaultReplaysExactlyWithTheSameSeed) {
  const std::string first = ProbabilisticOutcomes(42);
  EXPECT_EQ(ProbabilisticOutcomes(42), first);
  // About half fail, and not all alike.
  EXPECT_NE(first.find('1'), std::string::npos);
  EXPECT_NE(first.find('0'), std::string::npos);
}

TEST(FaultsSeedTest, ADifferentSeedGivesADifferentPattern) {
  EXPECT_NE(ProbabilisticOutcomes(1), ProbabilisticOutcomes(2));
}

TEST(FaultsValidationTest, ARoutineWithNoFailureStatusIsRefusedByName) {
  kemu::Machine machine(kemu::Os::kWindows10);
  try {
    machine.InjectFault({.routine = "KeInsertQueueDpc", .status = STATUS_UNSUCCESSFUL});
    FAIL() << "expected kemu::Error";
  } catch (const kemu::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("KeInsertQueueDpc has no failure status to inject"));
    // The routines it lists are FaultRoutines(), so the message never falls behind.
    EXPECT_THAT(e.what(), HasSubstr("RtlAnsiStringToUnicodeString, "));
    EXPECT_THAT(e.what(), HasSubstr("IoAllocateMdl, "));
  }
}

TEST(FaultsValidationTest, AnUnknownRoutineIsRefused) {
  kemu::Machine machine(kemu::Os::kWindows10);
  EXPECT_THROW(machine.InjectFault({.routine = "NtFrobnicate", .status = 1}), kemu::Error);
}

TEST(FaultsValidationTest, NthZeroAndAnOutOfRangeProbabilityAreRefused) {
  kemu::Machine machine(kemu::Os::kWindows10);
  const Fault nth_zero{.routine = "RtlGetVersion", .status = STATUS_UNSUCCESSFUL, .nth = 0};
  EXPECT_THROW(machine.InjectFault(nth_zero), kemu::Error);
  const Fault certain_and_more{
      .routine = "RtlGetVersion", .status = STATUS_UNSUCCESSFUL, .probability = 1.5};
  EXPECT_THROW(machine.InjectFault(certain_and_more), kemu::Error);
}

// A connect that "succeeds" without connecting leaves the driver with outputs never filled
// (the audit's NIC driver then dereferenced a NULL ConnectionContext).
TEST(FaultsValidationTest, ASuccessOrInformationalStatusIsRefusedForARoutineReturningIt) {
  kemu::Machine machine(kemu::Os::kWindows10);
  for (const NTSTATUS status : {STATUS_SUCCESS, STATUS_PENDING, NTSTATUS{0x40000000}}) {
    try {
      machine.InjectFault({.routine = "IoConnectInterruptEx", .status = status});
      FAIL() << "expected kemu::Error for status " << status;
    } catch (const kemu::Error& e) {
      EXPECT_THAT(e.what(), HasSubstr("is not a failure (NT_SUCCESS accepts it): a fault must "
                                      "make IoConnectInterruptEx fail"));
    }
  }
  EXPECT_THROW(machine.InjectFault({.routine = "PsCreateSystemThread", .status = STATUS_SUCCESS}),
               kemu::Error);
}

TEST(FaultsValidationTest, AWarningStatusAndANullReturningRoutineWithStatusZeroAreArmed) {
  kemu::Machine machine(kemu::Os::kWindows10);
  machine.InjectFault({.routine = "RtlGetVersion", .status = STATUS_BUFFER_OVERFLOW});
  RTL_OSVERSIONINFOW info = {};
  info.dwOSVersionInfoSize = sizeof(info);
  EXPECT_EQ(RtlGetVersion(&info), STATUS_BUFFER_OVERFLOW);
  // An allocator fails by returning NULL: its status is not used, so 0 (the default) is fine.
  machine.InjectFault({.routine = "ExAllocatePoolWithTag"});
  EXPECT_EQ(ExAllocatePoolWithTag(NonPagedPool, 16, 0x74736554), nullptr);
}

TEST(FaultsValidationTest, FaultRoutinesListsWhatInjectFaultAcceptsAndHowEachFails) {
  const std::vector<std::string>& routines = kemu::FaultRoutines();
  EXPECT_THAT(routines, ::testing::Contains("IoConnectInterruptEx"));
  EXPECT_THAT(routines, ::testing::Contains("ExAllocatePoolWithTag"));
  EXPECT_THAT(routines, ::testing::Not(::testing::Contains("KeInsertQueueDpc")));
  kemu::Machine machine(kemu::Os::kWindows10);
  for (const std::string& routine : routines) {
    const NTSTATUS status = kemu::FaultReturnsStatus(routine) ? STATUS_UNSUCCESSFUL : 0;
    EXPECT_NO_THROW(machine.InjectFault({.routine = routine, .status = status, .count = 0}))
        << routine;
  }
  EXPECT_TRUE(kemu::FaultReturnsStatus("WdmlibIoConnectInterruptEx"));
  EXPECT_FALSE(kemu::FaultReturnsStatus("MmMapIoSpace"));
  EXPECT_FALSE(kemu::FaultReturnsStatus("IoAllocateWorkItem"));
  EXPECT_FALSE(kemu::FaultReturnsStatus("ExAllocateTimer"));
  EXPECT_TRUE(kemu::FaultReturnsStatus("IoCreateSystemThread"));
  // Routines that allocate for the caller fail as an exhausted pool makes them: NULL, or
  // STATUS_NO_MEMORY for the string conversions, whatever the fault's status.
  EXPECT_THAT(routines, ::testing::IsSupersetOf({"IoAllocateMdl", "RtlAnsiStringToUnicodeString",
                                                 "RtlUnicodeStringToAnsiString",
                                                 "RtlUpcaseUnicodeString", "RtlStringFromGUID"}));
  EXPECT_FALSE(kemu::FaultReturnsStatus("IoAllocateMdl"));
  EXPECT_FALSE(kemu::FaultReturnsStatus("RtlAnsiStringToUnicodeString"));
  EXPECT_FALSE(kemu::FaultReturnsStatus("RtlUnicodeStringToAnsiString"));
  EXPECT_FALSE(kemu::FaultReturnsStatus("RtlUpcaseUnicodeString"));
  EXPECT_FALSE(kemu::FaultReturnsStatus("RtlStringFromGUID"));
  EXPECT_FALSE(kemu::FaultReturnsStatus("NtFrobnicate"));
}

}  // namespace
