// The export manifest (emu/personality/exports.inc) as drivers meet it: MmGetSystemRoutineAddress
// per personality (EX-3, docs/conformance.md §2.8; docs/windows-facts.md §10.5),
// kemu::MissingExport for a routine the release lacks, kemu::NotModelled for a routine kemu does
// not model, kemu::NoMachine without a machine, and the manifest's own consistency
// (emu/personality/export_manifest.hpp).
#include "personality/export_manifest.hpp"  // private to kemu; unit tests have emu/ on their path

#include <wdm.h>

#include <cwchar>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kemu/testing/gtest.hpp"

namespace {

using ::testing::HasSubstr;

// True when a manifest release (nullopt: never) is `os` or older.
bool Since(const std::optional<kemu::Os>& first, kemu::Os os) {
  return first.has_value() && *first <= os;
}

// The name each personality reports itself by (Personality::display_name), for error messages.
std::string DisplayName(kemu::Os os) {
  static const std::map<kemu::Os, std::string> kNames = {
      {kemu::Os::kWindows2000, "Windows 2000"},
      {kemu::Os::kWindowsXP, "Windows XP"},
      {kemu::Os::kWindowsServer2003, "Windows Server 2003"},
      {kemu::Os::kWindowsVista, "Windows Vista"},
      {kemu::Os::kWindows7, "Windows 7"},
      {kemu::Os::kWindows8, "Windows 8"},
      {kemu::Os::kWindows81, "Windows 8.1"},
      {kemu::Os::kWindows10, "Windows 10"},
      {kemu::Os::kWindows11, "Windows 11"},
  };
  return kNames.at(os);
}

PVOID Resolve(const wchar_t* name) {
  UNICODE_STRING string;
  RtlInitUnicodeString(&string, name);
  return MmGetSystemRoutineAddress(&string);
}

PVOID Resolve(std::string_view name) {
  const std::wstring wide(name.begin(), name.end());
  return Resolve(wide.c_str());
}

template <typename Function>
PVOID AddressOf(Function* function) {
  return reinterpret_cast<PVOID>(function);
}

// A routine drivers probe by name and the first release whose kernel exports it; nullopt when
// no x64 kernel does (inline in the WDK headers, or a static-library routine).
struct Probed {
  const wchar_t* name;
  std::optional<kemu::Os> since;
  PVOID address;
};

// Written from docs/windows-facts.md §0 and §10.5 and docs/conformance.md §2.8, not from the
// manifest.
std::vector<Probed> ProbedRoutines() {
  using kemu::Os;
  return {
      {L"IoConnectInterruptEx", Os::kWindowsVista, AddressOf(&IoConnectInterruptEx)},
      {L"IoDisconnectInterruptEx", Os::kWindowsVista, AddressOf(&IoDisconnectInterruptEx)},
      {L"IoReportInterruptActive", Os::kWindows8, AddressOf(&IoReportInterruptActive)},
      {L"IoReportInterruptInactive", Os::kWindows8, AddressOf(&IoReportInterruptInactive)},
      {L"KeTestSpinLock", Os::kWindowsServer2003, AddressOf(&KeTestSpinLock)},
      {L"KeTryToAcquireSpinLockAtDpcLevel", Os::kWindowsServer2003,
       AddressOf(&KeTryToAcquireSpinLockAtDpcLevel)},
      {L"KeAcquireInStackQueuedSpinLockForDpc", Os::kWindowsVista,
       AddressOf(&KeAcquireInStackQueuedSpinLockForDpc)},
      {L"KeReleaseInStackQueuedSpinLockForDpc", Os::kWindowsVista,
       AddressOf(&KeReleaseInStackQueuedSpinLockForDpc)},
      {L"KeAcquireInStackQueuedSpinLock", Os::kWindowsXP,
       AddressOf(&KeAcquireInStackQueuedSpinLock)},
      {L"KeInitializeThreadedDpc", Os::kWindowsVista, AddressOf(&KeInitializeThreadedDpc)},
      {L"KeQueryActiveGroupCount", Os::kWindows7, AddressOf(&KeQueryActiveGroupCount)},
      {L"KeInitializeSpinLock", Os::kWindows8, AddressOf(&KeInitializeSpinLock)},
      {L"KeQueryActiveProcessors", Os::kWindows2000, AddressOf(&KeQueryActiveProcessors)},
      {L"KeSetTargetProcessorDpc", Os::kWindows2000, AddressOf(&KeSetTargetProcessorDpc)},
      {L"RtlGetVersion", Os::kWindows2000, AddressOf(&RtlGetVersion)},
      // Inline on x64 (KeRaiseIrql is a macro over KfRaiseIrql; the IRQL routines write CR8).
      {L"KeRaiseIrql", std::nullopt, nullptr},
      {L"KeLowerIrql", std::nullopt, nullptr},
      {L"KeGetCurrentIrql", std::nullopt, nullptr},
      {L"KeAcquireSpinLock", std::nullopt, nullptr},
      // Iointex.lib, linked into the driver: never a kernel export.
      {L"WdmlibIoConnectInterruptEx", std::nullopt, nullptr},
      {L"WdmlibIoDisconnectInterruptEx", std::nullopt, nullptr},
  };
}

class ExportManifestTest : public kemu::testing::PersonalityTest {};

INSTANTIATE_TEST_SUITE_P(AllPersonalities, ExportManifestTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

// ---------------------------------------------------------------------------------------------
// MmGetSystemRoutineAddress.

TEST_P(ExportManifestTest, IoConnectInterruptExResolvesFromVistaToTheRoutineItself) {  // EX-3
  const PVOID address = Resolve(L"IoConnectInterruptEx");
  if (GetParam() < kemu::Os::kWindowsVista) {
    EXPECT_EQ(address, nullptr);
  } else {
    EXPECT_EQ(address, AddressOf(&IoConnectInterruptEx));
  }
}

// EX-3; the probed names of docs/conformance.md §2.8.
TEST_P(ExportManifestTest, ProbedRoutinesResolveExactlyFromTheirFirstRelease) {
  const kemu::Os os = GetParam();
  for (const Probed& routine : ProbedRoutines()) {
    const bool exported = routine.since.has_value() && *routine.since <= os;
    const std::string name(routine.name, routine.name + std::wcslen(routine.name));
    EXPECT_EQ(Resolve(routine.name), exported ? routine.address : nullptr) << name;
  }
}

TEST_P(ExportManifestTest, UnknownNamesResolveToNull) {
  EXPECT_EQ(Resolve(L"NoSuchRoutine"), nullptr);
  EXPECT_EQ(Resolve(L""), nullptr);
  EXPECT_EQ(Resolve(L"KeInitialize"), nullptr);      // a prefix of real names
  EXPECT_EQ(Resolve(L"KeInitializeDpc "), nullptr);  // trailing space
  EXPECT_EQ(Resolve(L"KeInitializeDp\u00e7"), nullptr);
  EXPECT_EQ(Resolve(L"KeRaiseIrqlToDpcLevel"), nullptr);  // inline on x64
}

TEST_P(ExportManifestTest, OnlyTheCountedLengthOfTheNameIsLookedUp) {
  // UNICODE_STRING need not be NUL-terminated: Length decides.
  static const wchar_t kLonger[] = L"KeInitializeDpcAndMore";
  UNICODE_STRING name;
  name.Buffer = const_cast<PWCH>(kLonger);
  name.Length = static_cast<USHORT>(std::wcslen(L"KeInitializeDpc") * sizeof(WCHAR));
  name.MaximumLength = sizeof(kLonger);
  EXPECT_EQ(MmGetSystemRoutineAddress(&name), AddressOf(&KeInitializeDpc));
}

TEST_P(ExportManifestTest, EveryManifestRoutineResolvesAsItsRowSays) {
  const kemu::Os os = GetParam();
  for (const kemu::personality::ExportInfo& info : kemu::personality::Exports()) {
    EXPECT_EQ(Resolve(info.name) != nullptr, Since(info.resolvable_since, os)) << info.name;
  }
}

TEST(ExportManifestTest, ANullNameIsAnAccessViolation) {
  kemu::Machine machine(kemu::Os::kWindows10);
  try {
    MmGetSystemRoutineAddress(nullptr);
    ADD_FAILURE() << "MmGetSystemRoutineAddress(NULL) returned";
  } catch (const kemu::BugCheck& crash) {
    EXPECT_THAT(crash,
                kemu::testing::BugCheckIs(kemu::bugcheck::kKmodeExceptionNotHandled, 0xC0000005));
  }
}

// ---------------------------------------------------------------------------------------------
// Routines a release lacks, routines kemu does not model, no machine.

TEST_P(ExportManifestTest, CallingARoutineTheReleaseLacksThrowsMissingExport) {
  const kemu::Os os = GetParam();
  if (os >= kemu::Os::kWindows7) {
    EXPECT_EQ(KeQueryActiveGroupCount(), 1);
    return;
  }
  try {
    KeQueryActiveGroupCount();
    ADD_FAILURE() << "KeQueryActiveGroupCount returned on " << os;
  } catch (const kemu::MissingExport& missing) {
    EXPECT_EQ(missing.routine(), "KeQueryActiveGroupCount");
    EXPECT_THAT(missing.what(),
                HasSubstr("KeQueryActiveGroupCount is not available on " + DisplayName(os)));
  }
  // Not a crash: the machine carries on.
  EXPECT_FALSE(machine().crashed());
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST(ExportManifestTest, KeTestSpinLockIsMissingOnXp) {
  kemu::Machine machine(kemu::Os::kWindowsXP);
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  try {
    KeTestSpinLock(&lock);
    ADD_FAILURE() << "KeTestSpinLock returned on XP";
  } catch (const kemu::MissingExport& missing) {
    EXPECT_EQ(missing.routine(), "KeTestSpinLock");
    EXPECT_THAT(missing.what(), HasSubstr("Windows XP"));
  }
}

TEST_P(ExportManifestTest, ARoutineKemuDoesNotModelThrowsNotModelledNamingItself) {
  ERESOURCE resource{};
  try {
    ExSetResourceOwnerPointer(&resource, &resource);
    ADD_FAILURE() << "ExSetResourceOwnerPointer returned";
  } catch (const kemu::NotModelled& not_modelled) {
    EXPECT_EQ(not_modelled.routine(), "ExSetResourceOwnerPointer");
    EXPECT_THAT(not_modelled.what(), HasSubstr("kemu does not model ExSetResourceOwnerPointer"));
  }
  EXPECT_FALSE(machine().crashed());
}

TEST(ExportManifestTest, ARoutineTheReleaseLacksIsRefusedBeforeItsArgumentsAreLookedAt) {
  // IoGetAffinityInterrupt is a Windows 7 export: on XP the driver would not even load, so a
  // NULL interrupt object is never dereferenced.
  kemu::Machine machine(kemu::Os::kWindowsXP);
  GROUP_AFFINITY affinity;
  EXPECT_THROW(IoGetAffinityInterrupt(nullptr, &affinity), kemu::MissingExport);
  EXPECT_FALSE(machine.crashed());
}

TEST(ExportManifestTest, AKernelRoutineWithNoMachineThrowsNoMachine) {
  ASSERT_EQ(kemu::Machine::CurrentOrNull(), nullptr);
  try {
    KeGetCurrentIrql();
    ADD_FAILURE() << "KeGetCurrentIrql returned without a machine";
  } catch (const kemu::NoMachine& no_machine) {
    EXPECT_THAT(no_machine.what(), HasSubstr("KeGetCurrentIrql was called on a thread with no "
                                             "current kemu::Machine"));
  }
  UNICODE_STRING name;
  EXPECT_THROW(RtlInitUnicodeString(&name, L"KeInitializeDpc"), kemu::NoMachine);
  EXPECT_THROW(MmGetSystemRoutineAddress(&name), kemu::NoMachine);
}

// ---------------------------------------------------------------------------------------------
// The manifest itself.

TEST(ExportManifestTest, ManifestNamesAreUnique) {
  std::set<std::string_view> seen;
  for (const kemu::personality::ExportInfo& info : kemu::personality::Exports()) {
    EXPECT_TRUE(seen.insert(info.name).second) << "listed twice: " << info.name;
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kemu::personality::ExportId::kCount));
}

TEST(ExportManifestTest, ManifestRowsAreIndexedByTheirExportId) {
  const auto exports = kemu::personality::Exports();
  for (std::size_t i = 0; i < exports.size(); ++i) {
    EXPECT_EQ(&kemu::personality::Info(static_cast<kemu::personality::ExportId>(i)), &exports[i]);
    EXPECT_EQ(kemu::personality::FindExport(exports[i].name), &exports[i]) << exports[i].name;
  }
  EXPECT_EQ(kemu::personality::FindExport("NoSuchRoutine"), nullptr);
  EXPECT_EQ(kemu::personality::Info(kemu::personality::ExportId::kKeInitializeDpc).name,
            "KeInitializeDpc");
}

TEST(ExportManifestTest, EveryRoutineIsCallableNoLaterThanItResolves) {
  for (const kemu::personality::ExportInfo& info : kemu::personality::Exports()) {
    ASSERT_TRUE(info.callable_since.has_value()) << info.name << " is callable on no release";
    if (info.resolvable_since) {
      EXPECT_LE(*info.callable_since, *info.resolvable_since) << info.name;
    }
  }
}

TEST(ExportManifestTest, PersonalityQueriesFollowEveryRow) {
  for (kemu::Os os : kemu::AllOs()) {
    const kemu::Personality& personality = kemu::GetPersonality(os);
    for (const kemu::personality::ExportInfo& info : kemu::personality::Exports()) {
      EXPECT_EQ(personality.CanCall(info.name), Since(info.callable_since, os))
          << info.name << " " << os;
      EXPECT_EQ(personality.Exports(info.name), Since(info.resolvable_since, os))
          << info.name << " " << os;
    }
    EXPECT_FALSE(personality.CanCall("NoSuchRoutine")) << os;
    EXPECT_FALSE(personality.Exports("NoSuchRoutine")) << os;
  }
}

}  // namespace
