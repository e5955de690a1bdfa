// The driver's service key and DriverAdapter::Load (emu/scenario/run/session.cpp): the runner
// writes the scenario's `service:` values into the machine's registry and calls Load with the
// RegistryPath DriverEntry gets, once per run, before the first step. docs/scenarios.md, "The
// driver's service key".
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <wdm.h>

#include <memory>
#include <string>
#include <vector>

#include "kemu/scenario/runner.hpp"
#include "runner_test_util.hpp"

namespace kemu::scenario::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// What the loading adapter saw, for the test to read after the run.
struct Loaded {
  int loads = 0;
  std::wstring registry_path;
  ULONG debug_level = 0;
  NTSTATUS debug_level_status = STATUS_UNSUCCESSFUL;
  ULONG start = 0;
  int steps_before_load = -1;
  PVOID pool = nullptr;
};

// A driver whose DriverEntry reads Parameters\DebugLevel and the service key's Start value with
// RtlQueryRegistryValues, and allocates its global context, as drivers do.
class LoadingAdapter : public DriverAdapter {
 public:
  explicit LoadingAdapter(Loaded& seen) : seen_(seen) {}
  void Load(PUNICODE_STRING registry_path) override {
    ++seen_.loads;
    seen_.steps_before_load = starts_;
    seen_.registry_path.assign(registry_path->Buffer, registry_path->Length / sizeof(WCHAR));
    const std::wstring parameters = seen_.registry_path + L"\\Parameters";
    RTL_QUERY_REGISTRY_TABLE table[2] = {};
    table[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_REQUIRED;
    table[0].Name = const_cast<PWSTR>(L"DebugLevel");
    table[0].EntryContext = &seen_.debug_level;
    seen_.debug_level_status =
        RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE, parameters.c_str(), table, nullptr, nullptr);
    RTL_QUERY_REGISTRY_TABLE start[2] = {};
    start[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
    start[0].Name = const_cast<PWSTR>(L"Start");
    start[0].EntryContext = &seen_.start;
    RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE, seen_.registry_path.c_str(), start, nullptr,
                           nullptr);
    seen_.pool = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'tseT');
  }
  NTSTATUS Start(Device&) override {
    ++starts_;
    return STATUS_SUCCESS;
  }
  void Stop(Device&) override {
    if (seen_.pool != nullptr) ExFreePoolWithTag(seen_.pool, 'tseT');
    seen_.pool = nullptr;
  }

 private:
  Loaded& seen_;
  int starts_ = 0;
};

AdapterFactory Loading(Loaded& seen) {
  return [&seen] { return std::make_unique<LoadingAdapter>(seen); };
}

Scenario WithService() {
  Scenario s = Base({Start(10), Stop(11)});
  s.driver = "nic";
  s.service.where = At(4);
  s.service.name = L"mynic";
  s.service.values.Set(L"Start", RegistryValue::Dword(3));
  s.service.parameters.Set(L"DebugLevel", RegistryValue::Dword(5));
  return s;
}

TEST(RunnerServiceTest, LoadGetsTheServiceKeyWithTheValuesTheScenarioWrote) {
  Loaded seen;
  const Outcome o = Play(WithService(), Os::kWindows10, Loading(seen));
  EXPECT_THAT(Messages(o), IsEmpty());
  EXPECT_EQ(seen.loads, 1);
  EXPECT_EQ(seen.registry_path, L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\mynic");
  EXPECT_EQ(seen.debug_level_status, STATUS_SUCCESS);
  EXPECT_EQ(seen.debug_level, 5u);
  EXPECT_EQ(seen.start, 3u);
  EXPECT_EQ(seen.steps_before_load, 0) << "Load runs before the first step";
}

TEST(RunnerServiceTest, WithoutAServiceKeyTheServiceIsNamedForTheDriver) {
  Loaded seen;
  Scenario s = Base({Start(10), Stop(11)});
  s.driver = "nic";
  const Outcome o = Play(s, Os::kWindowsXP, Loading(seen));
  EXPECT_THAT(Messages(o), IsEmpty());
  EXPECT_EQ(seen.registry_path, L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\nic");
  // No Parameters values: a REQUIRED query finds none.
  EXPECT_EQ(seen.debug_level_status, STATUS_OBJECT_NAME_NOT_FOUND);
}

TEST(RunnerServiceTest, LoadRunsOncePerPersonality) {
  Loaded seen;
  Scenario s = WithService();
  s.os.assign(AllOs().begin(), AllOs().end());
  const std::vector<Outcome> outcomes = RunAll(s, Loading(seen));
  EXPECT_EQ(outcomes.size(), 9u);
  EXPECT_EQ(seen.loads, 9);
}

TEST(RunnerServiceTest, AFaultArmedByTheScenarioReachesWhatLoadAllocates) {
  Loaded seen;
  Scenario s = WithService();
  s.faults.push_back({.where = At(5), .fault = {.routine = "ExAllocatePoolWithTag"}});
  const Outcome o = Play(s, Os::kWindows10, Loading(seen));
  EXPECT_THAT(Messages(o), IsEmpty());
  EXPECT_EQ(seen.pool, nullptr);
}

TEST(RunnerServiceTest, ABugCheckInLoadIsTheRunsCrashAndNoStepRuns) {
  struct CrashingAdapter : LoadingAdapter {
    using LoadingAdapter::LoadingAdapter;
    void Load(PUNICODE_STRING) override { KeLowerIrql(HIGH_LEVEL); }  // raising by lowering
  };
  Loaded seen;
  const Outcome o = Play(WithService(), Os::kWindows10,
                         [&seen] { return std::make_unique<CrashingAdapter>(seen); });
  ASSERT_TRUE(o.crash.has_value());
  EXPECT_EQ(o.crash->code, bugcheck::kDriverVerifierDetectedViolation);
  EXPECT_EQ(o.steps_run, 0u);
  ASSERT_FALSE(o.failures.empty());
  EXPECT_EQ(o.failures.front().where.line, 4) << "reported at the service key";
}

TEST(RunnerServiceTest, AnAdapterWithoutLoadRunsAsBefore) {
  Scenario s = WithService();
  const Outcome o = Play(s, Os::kWindows10, TestFactory());
  EXPECT_THAT(Messages(o), IsEmpty());
  EXPECT_EQ(o.steps_run, 2u);
}

}  // namespace
}  // namespace kemu::scenario::test
