// ParseScenario: the top level, `machine:`, `devices:` and `faults:` land in the right fields.
#include <gtest/gtest.h>
#include <wdm.h>

#include "kemu/scenario/parser.hpp"

namespace {

using ::kemu::Os;
using ::kemu::scenario::ParseScenario;
using ::kemu::scenario::Scenario;

Scenario Parse(const std::string& yaml) { return ParseScenario(yaml, "dir/test_case.yaml"); }

constexpr const char* kMinimal = "devices: [{name: nic0}]\nsteps: []\n";

TEST(ParseScenarioTest, MinimalFileGetsDefaults) {
  const Scenario s = Parse(kMinimal);
  EXPECT_EQ(s.name, "test_case");
  EXPECT_EQ(s.description, "");
  EXPECT_EQ(s.driver, "");
  EXPECT_EQ(s.os, std::vector<Os>(kemu::AllOs().begin(), kemu::AllOs().end()));
  EXPECT_EQ(s.where.file, "dir/test_case.yaml");
  EXPECT_EQ(s.where.line, 1);
  EXPECT_EQ(s.where.column, 1);
  EXPECT_EQ(s.machine.processors, 1u);
  EXPECT_TRUE(s.machine.verifier);
  ASSERT_EQ(s.devices.size(), 1u);
  EXPECT_TRUE(s.steps.empty());
  EXPECT_TRUE(s.faults.empty());
  EXPECT_FALSE(s.expect.has_value());
}

TEST(ParseScenarioTest, TopLevelKeysFillTheirFields) {
  const Scenario s = Parse(
      "scenario: fallback\n"
      "description: Falls back.\n"
      "driver: nic\n"
      "os: vista..win7\n"
      "devices: [{name: nic0}]\n"
      "steps:\n"
      "expect: {isr_calls: 1}\n");
  EXPECT_EQ(s.name, "fallback");
  EXPECT_EQ(s.description, "Falls back.");
  EXPECT_EQ(s.driver, "nic");
  EXPECT_EQ(s.os, (std::vector<Os>{Os::kWindowsVista, Os::kWindows7}));
  EXPECT_TRUE(s.steps.empty());
  ASSERT_TRUE(s.expect.has_value());
  EXPECT_EQ(s.expect->where.line, 7);
}

TEST(ParseScenarioTest, OsAcceptsAListOfSelectors) {
  const Scenario s = Parse(std::string("os: [win11, 'xp,win2000', win7..win8]\n") + kMinimal);
  EXPECT_EQ(s.os, (std::vector<Os>{Os::kWindows2000, Os::kWindowsXP, Os::kWindows7, Os::kWindows8,
                                   Os::kWindows11}));
}

TEST(ParseScenarioTest, MachineKeysFillMachineOptions) {
  const Scenario s = Parse(std::string("machine:\n"
                                       "  processors: 4\n"
                                       "  verifier: false\n"
                                       "  checked_build: false\n"
                                       "  seed: 0xFFFFFFFFFFFFFFFF\n"
                                       "  storm_threshold: 10\n"
                                       "  dpc_time_limit_us: 2500\n"
                                       "  threaded_dpcs: false\n"
                                       "  inactive_interrupts: bugcheck\n"
                                       "  call_history: 0\n") +
                           kMinimal);
  EXPECT_EQ(s.machine.processors, 4u);
  EXPECT_FALSE(s.machine.verifier);
  EXPECT_FALSE(s.machine.checked_build);
  EXPECT_EQ(s.machine.seed, 0xFFFFFFFFFFFFFFFFu);
  EXPECT_EQ(s.machine.storm_threshold, 10u);
  EXPECT_EQ(s.machine.dpc_time_limit_us, 2500u);
  EXPECT_FALSE(s.machine.threaded_dpcs);
  EXPECT_EQ(s.machine.inactive_interrupts, kemu::MachineOptions::InactiveInterrupts::kBugCheck);
  EXPECT_EQ(s.machine.call_history, 0u);
}

TEST(ParseScenarioTest, InactiveInterruptsNamesEachPolicy) {
  using Policy = kemu::MachineOptions::InactiveInterrupts;
  EXPECT_EQ(Parse(std::string("machine: {inactive_interrupts: deliver}\n") + kMinimal)
                .machine.inactive_interrupts,
            Policy::kDeliver);
  EXPECT_EQ(Parse(std::string("machine: {inactive_interrupts: drop}\n") + kMinimal)
                .machine.inactive_interrupts,
            Policy::kDrop);
}

TEST(ParseScenarioTest, ScheduleKeysFillScheduleOptions) {
  const Scenario s = Parse(
      std::string("machine: {schedule: {strategy: random, seed: 42, depth: 16}}\n") + kMinimal);
  EXPECT_EQ(s.machine.schedule.strategy, kemu::Strategy::kRandom);
  EXPECT_EQ(s.machine.schedule.seed, 42u);
  EXPECT_EQ(s.machine.schedule.depth, 16u);
}

TEST(ParseScenarioTest, ScheduleNamesEachStrategy) {
  const auto strategy = [](const std::string& name) {
    return Parse("machine: {schedule: {strategy: " + name + "}}\n" + kMinimal)
        .machine.schedule.strategy;
  };
  EXPECT_EQ(strategy("default"), kemu::Strategy::kDefault);
  EXPECT_EQ(strategy("random"), kemu::Strategy::kRandom);
  EXPECT_EQ(strategy("pct"), kemu::Strategy::kPct);
}

TEST(ParseScenarioTest, WithoutAScheduleTheMachineKeepsTheDefaultOne) {
  const Scenario s = Parse(std::string("machine: {schedule: {}}\n") + kMinimal);
  EXPECT_EQ(s.machine.schedule.strategy, kemu::Strategy::kDefault);
  EXPECT_EQ(s.machine.schedule.seed, 0u);
  EXPECT_EQ(s.machine.schedule.depth, 3u);
  EXPECT_EQ(Parse(kMinimal).machine.schedule.strategy, kemu::Strategy::kDefault);
}

TEST(ParseScenarioTest, ScheduleErrorsAreLocatedWithSuggestions) {
  try {
    Parse("machine:\n  schedule: {strategy: PCT, depth: 17, seed: 0x1ffffffffffffffff}\n" +
          std::string(kMinimal));
    FAIL() << "no error";
  } catch (const kemu::scenario::ScenarioError& e) {
    ASSERT_EQ(e.diagnostics().size(), 3u);
    EXPECT_EQ(FormatDiagnostic(e.diagnostics()[0]),
              "dir/test_case.yaml:2:24: error: expected default, random or pct for 'strategy', "
              "got 'PCT' (did you mean 'pct'?)");
    EXPECT_EQ(FormatDiagnostic(e.diagnostics()[1]),
              "dir/test_case.yaml:2:36: error: 'depth' is out of range: '17' (expected 1..16)");
    EXPECT_EQ(e.diagnostics()[2].where.line, 2);
  }
  EXPECT_THROW(Parse("machine: {schedule: pct}\n" + std::string(kMinimal)),
               kemu::scenario::ScenarioError);
}

TEST(ParseScenarioTest, DevicePropertiesFillDeviceProperties) {
  const Scenario s = Parse(
      "devices:\n"
      "  - name: nic0\n"
      "    properties:\n"
      "      device_description: Contoso NIC\n"
      "      friendly_name: 'Contoso \xC3\xA9'\n"  // UTF-8, one WCHAR
      "      hardware_ids: ['PCI\\VEN_8086&DEV_10D3', 'PCI\\VEN_8086']\n"
      "      compatible_ids: []\n"
      "      vendor_id: 0x8086\n"
      "      revision_id: 0xFF\n"
      "      class_code: 0xFFFFFF\n"
      "      subsystem_vendor_id: 0x1028\n"
      "      subsystem_id: 0xFFFF\n"
      "      bus_number: 2\n"
      "      pci_device: 31\n"
      "      pci_function: 7\n"
      "      address: 0xFFFFFFFF\n"
      "      bus_type_guid: '{9d7debbc-c85d-11d1-9eb4-006008c3a19a}'\n"
      "      legacy_bus_type: PNPBus\n"
      "      ui_number: 4\n"
      "      install_state: finish_install\n"
      "      removal_policy: expect_surprise_removal\n"
      "steps: []\n");
  ASSERT_EQ(s.devices.size(), 1u);
  const kemu::DeviceProperties& p = s.devices[0].config.properties;
  EXPECT_EQ(p.device_description, L"Contoso NIC");
  EXPECT_EQ(p.friendly_name, L"Contoso \u00E9");
  EXPECT_EQ(p.hardware_ids,
            (std::vector<std::wstring>{L"PCI\\VEN_8086&DEV_10D3", L"PCI\\VEN_8086"}));
  EXPECT_EQ(p.compatible_ids, std::vector<std::wstring>{});
  EXPECT_EQ(p.vendor_id, 0x8086);
  EXPECT_EQ(p.device_id, 0);
  EXPECT_EQ(p.revision_id, 0xFF);
  EXPECT_EQ(p.class_code, 0xFFFFFFu);
  EXPECT_EQ(p.subsystem_vendor_id, 0x1028);
  EXPECT_EQ(p.subsystem_id, 0xFFFF);
  EXPECT_EQ(p.bus_number, 2u);
  EXPECT_EQ(p.pci_device, 31);
  EXPECT_EQ(p.pci_function, 7);
  EXPECT_EQ(p.address, 0xFFFFFFFFu);
  ASSERT_TRUE(p.bus_type_guid.has_value());
  EXPECT_EQ(p.bus_type_guid->Data1, 0x9D7DEBBCu);
  EXPECT_EQ(p.bus_type_guid->Data2, 0xC85D);
  EXPECT_EQ(p.bus_type_guid->Data3, 0x11D1);
  EXPECT_EQ(p.bus_type_guid->Data4[0], 0x9E);
  EXPECT_EQ(p.bus_type_guid->Data4[7], 0x9A);
  EXPECT_EQ(p.legacy_bus_type, PNPBus);
  EXPECT_EQ(p.ui_number, 4u);
  EXPECT_EQ(p.install_state, InstallStateFinishInstall);
  EXPECT_EQ(p.removal_policy, RemovalPolicyExpectSurpriseRemoval);
  EXPECT_FALSE(p.class_name.has_value());
}

TEST(ParseScenarioTest, DeviceRegistryFillsBothKeys) {
  const Scenario s = Parse(
      "devices:\n"
      "  - name: nic0\n"
      "    registry:\n"
      "      device:\n"
      "        MSISupported: {dword: 1}\n"
      "        Big: {qword: 0x100000000}\n"
      "      driver:\n"
      "        Name: {string: 'Contoso \xC3\xA9'}\n"
      "        Path: {expand_string: '%SystemRoot%'}\n"
      "        Ids: {multi_string: [a, bc]}\n"
      "        Mac: {binary: [0x00, 0x1B, 0xFF]}\n"
      "steps: []\n");
  ASSERT_EQ(s.devices.size(), 1u);
  const kemu::DeviceRegistry& r = s.devices[0].config.registry;
  ASSERT_EQ(r.device.values().size(), 2u);
  EXPECT_EQ(r.device.Find(L"msisupported")->dword(), 1u);
  EXPECT_EQ(r.device.Find(L"Big")->qword(), 0x100000000u);
  EXPECT_EQ(*r.driver.Find(L"Name"), kemu::RegistryValue::String(L"Contoso \u00E9"));
  EXPECT_EQ(*r.driver.Find(L"Path"), kemu::RegistryValue::ExpandString(L"%SystemRoot%"));
  EXPECT_EQ(*r.driver.Find(L"Ids"), kemu::RegistryValue::MultiString({L"a", L"bc"}));
  EXPECT_EQ(*r.driver.Find(L"Mac"), kemu::RegistryValue::Binary({0x00, 0x1B, 0xFF}));
}

TEST(ParseScenarioTest, ServiceKeyFillsServiceSpec) {
  const Scenario s = Parse(
      "driver: nic\n"
      "service:\n"
      "  name: mynic\n"
      "  values: {Start: {dword: 3}}\n"
      "  parameters:\n"
      "    DebugLevel: {dword: 2}\n"
      "    Adapters: {multi_string: [eth0, eth1]}\n"
      "devices: [{name: nic0}]\n"
      "steps: []\n");
  EXPECT_EQ(s.service.where.line, 3);
  EXPECT_EQ(s.service.name, L"mynic");
  EXPECT_EQ(kemu::scenario::ServiceName(s), L"mynic");
  EXPECT_EQ(s.service.values.Find(L"start")->dword(), 3u);
  EXPECT_EQ(s.service.parameters.Find(L"DebugLevel")->dword(), 2u);
  EXPECT_EQ(*s.service.parameters.Find(L"Adapters"),
            kemu::RegistryValue::MultiString({L"eth0", L"eth1"}));
}

TEST(ParseScenarioTest, WithoutServiceTheServiceIsNamedForTheDriver) {
  EXPECT_EQ(kemu::scenario::ServiceName(Parse(std::string("driver: nic\n") + kMinimal)), L"nic");
  const Scenario s = Parse(kMinimal);
  EXPECT_EQ(kemu::scenario::ServiceName(s), L"driver");
  EXPECT_TRUE(s.service.values.empty());
  EXPECT_EQ(s.service.where.line, 1) << "the scenario's own position";
}

TEST(ParseScenarioTest, DeviceKeysFillDeviceConfig) {
  const Scenario s = Parse(
      "devices:\n"
      "  - name: nic0\n"
      "    line: {vector: 0x51, irql: 5, mode: edge, shared: true, affinity: 0x3}\n"
      "    messages: 4\n"
      "    msix: true\n"
      "    grant_messages: 1\n"
      "    withhold_msi: true\n"
      "    memory_bytes: 0x200\n"
      "    port_bytes: 16\n"
      "  - name: other\n"
      "    foreign: true\n"
      "steps: []\n");
  ASSERT_EQ(s.devices.size(), 2u);
  const kemu::DeviceConfig& c = s.devices[0].config;
  EXPECT_EQ(c.name, "nic0");
  ASSERT_TRUE(c.line.has_value());
  EXPECT_EQ(c.line->vector, 0x51u);
  EXPECT_EQ(c.line->irql, 5);
  EXPECT_EQ(c.line->mode, kemu::Trigger::kEdge);
  EXPECT_TRUE(c.line->shared);
  EXPECT_EQ(c.line->affinity, 0x3u);
  EXPECT_EQ(c.messages, 4u);
  EXPECT_TRUE(c.msix);
  EXPECT_EQ(c.grant_messages, std::optional<unsigned>(1));
  EXPECT_TRUE(c.withhold_msi);
  EXPECT_EQ(c.memory_bytes, 0x200u);
  EXPECT_EQ(c.port_bytes, 16u);
  EXPECT_EQ(c.hardware, nullptr);
  EXPECT_FALSE(s.devices[0].foreign);
  EXPECT_FALSE(s.devices[0].registers.has_value());
  EXPECT_EQ(s.devices[0].where.line, 2);
  EXPECT_EQ(s.devices[0].where.column, 5);
  EXPECT_EQ(s.devices[1].config.name, "other");
  EXPECT_TRUE(s.devices[1].foreign);
  EXPECT_FALSE(s.devices[1].config.line.has_value());
}

TEST(ParseScenarioTest, LineDefaultsToLevelUnsharedAnyProcessor) {
  const Scenario s = Parse("devices: [{name: a, line: {vector: 1, irql: 3}}]\nsteps: []\n");
  const kemu::LineInterrupt& line = *s.devices[0].config.line;
  EXPECT_EQ(line.mode, kemu::Trigger::kLevel);
  EXPECT_FALSE(line.shared);
  EXPECT_EQ(line.affinity, ~std::uint64_t{0});
}

// What Windows can run parses: devices sharing a vector in one mode, all shared; an affinity
// naming one of the machine's vCPUs; message ids below what the device asks for; line steps on a
// device with a line; register offsets inside the device's `registers:` file. (The errors are in
// tests/golden/scenario_errors/: affinity_no_vcpu, message_past_count, shared_vector_conflicts,
// line_step_without_line, register_step_outside_file.)
TEST(ParseScenarioTest, WhatTheMachineCanRunIsNoError) {
  const Scenario s = Parse(
      "machine: {processors: 2}\n"
      "devices:\n"
      "  - {name: a, line: {vector: 0x52, irql: 6, mode: edge, shared: true, affinity: 0x6}}\n"
      "  - {name: b, line: {vector: 0x52, irql: 6, mode: edge, shared: true}, messages: 2}\n"
      "  - {name: c, line: {vector: 0x53, irql: 6}, memory_bytes: 0x100, registers: {size: "
      "0x100}}\n"
      "steps:\n"
      "  - message: {id: 1, device: b}\n"
      "  - pulse: {device: b, at_us: 5}\n"
      "  - assert: c\n"
      "  - raise: {device: c, register: 0xFC, bits: 1}\n"
      "  - expect: {device: c, registers: {0xFC: 1}}\n");
  ASSERT_EQ(s.devices.size(), 3u);
  EXPECT_EQ(s.devices[0].affinity_where.line, 3);
  EXPECT_EQ(s.devices[1].line_where.line, 4);
  EXPECT_EQ(s.steps.size(), 5u);
}

TEST(ParseScenarioTest, RegistersDescribeTheRegisterFile) {
  const Scenario s = Parse(
      "devices:\n"
      "  - name: nic0\n"
      "    registers:\n"
      "      size: 0x100\n"
      "      values: {0x10: 1, 0x14: 0xFFFFFFFF}\n"
      "      read_to_clear: [0x18]\n"
      "      write_one_to_clear: [0x10, 0x1C]\n"
      "      interrupt_status: {0x10: 0xFF}\n"
      "steps: []\n");
  ASSERT_TRUE(s.devices[0].registers.has_value());
  const kemu::scenario::RegisterSpec& r = *s.devices[0].registers;
  EXPECT_EQ(r.where.line, 4);
  EXPECT_EQ(r.size, 0x100u);
  EXPECT_EQ(r.values, (std::map<std::uint32_t, std::uint32_t>{{0x10, 1}, {0x14, 0xFFFFFFFF}}));
  EXPECT_EQ(r.read_to_clear, std::vector<std::uint32_t>{0x18});
  EXPECT_EQ(r.write_one_to_clear, (std::vector<std::uint32_t>{0x10, 0x1C}));
  EXPECT_EQ(r.interrupt_status, (std::map<std::uint32_t, std::uint32_t>{{0x10, 0xFF}}));
}

TEST(ParseScenarioTest, RegistersWithoutSizeUseTheDeviceBar) {
  const Scenario s = Parse(
      "devices: [{name: a, memory_bytes: 0x20, registers: {values: {0x1C: 5}}}]\nsteps: []\n");
  EXPECT_EQ(s.devices[0].registers->size, 0u);
  EXPECT_EQ(s.devices[0].registers->values.at(0x1C), 5u);
}

TEST(ParseScenarioTest, FaultKeysFillFault) {
  const Scenario s = Parse(std::string("faults:\n"
                                       "  - routine: IoConnectInterruptEx\n"
                                       "    status: STATUS_INSUFFICIENT_RESOURCES\n"
                                       "    nth: 2\n"
                                       "    count: 0\n"
                                       "    probability: 0.25\n"
                                       "  - {routine: MmMapIoSpace, status: 0xC0000001}\n") +
                           kMinimal);
  ASSERT_EQ(s.faults.size(), 2u);
  EXPECT_EQ(s.faults[0].where.line, 2);
  EXPECT_EQ(s.faults[0].fault.routine, "IoConnectInterruptEx");
  EXPECT_EQ(s.faults[0].fault.status, STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(s.faults[0].fault.nth, 2u);
  EXPECT_EQ(s.faults[0].fault.count, 0u);
  EXPECT_EQ(s.faults[0].fault.probability, 0.25);
  EXPECT_EQ(s.faults[1].fault.routine, "MmMapIoSpace");
  EXPECT_EQ(s.faults[1].fault.status, STATUS_UNSUCCESSFUL);
  EXPECT_EQ(s.faults[1].fault.nth, 1u);
  EXPECT_EQ(s.faults[1].fault.count, 1u);
  EXPECT_EQ(s.faults[1].fault.probability, 1.0);
}

TEST(ParseScenarioTest, FaultTagIsThePoolTagAsReportsShowIt) {
  const Scenario s = Parse(std::string("faults:\n"
                                       "  - {routine: ExAllocatePoolWithTag, status: "
                                       "STATUS_INSUFFICIENT_RESOURCES, tag: NcRx, count: 0}\n") +
                           kMinimal);
  ASSERT_EQ(s.faults.size(), 1u);
  EXPECT_EQ(s.faults[0].fault.tag, 0x7852634Eu);  // the driver's 'xRcN'
  EXPECT_EQ(s.faults[0].fault.count, 0u);
  EXPECT_EQ(Parse(kMinimal).faults.size(), 0u);
}

TEST(ParseScenarioTest, FaultTagErrorsAreLocated) {
  try {
    Parse(std::string("faults:\n"
                      "  - {routine: ExAllocatePoolWithTag, status: 0xC000009A, tag: NicRx}\n"
                      "  - {routine: ExAllocatePool2, status: 0xC000009A, tag: [a]}\n") +
          kMinimal);
    FAIL() << "no error";
  } catch (const kemu::scenario::ScenarioError& e) {
    ASSERT_EQ(e.diagnostics().size(), 2u);
    EXPECT_EQ(FormatDiagnostic(e.diagnostics()[0]),
              "dir/test_case.yaml:2:63: error: expected a pool tag of 4 characters for 'tag', as "
              "reports show it (first character = low byte), got 'NicRx'");
    EXPECT_EQ(e.diagnostics()[1].where.line, 3);
  }
}

TEST(ParseScenarioTest, QuotedNumbersAreNumbersToo) {
  const Scenario s = Parse(std::string("machine: {processors: '2'}\n") + kMinimal);
  EXPECT_EQ(s.machine.processors, 2u);
}

}  // namespace

namespace {

// Whatever the bytes, the parser answers with diagnostics, never another exception or a crash.
TEST(ParseScenarioTest, HostileInputGivesDiagnostics) {
  const std::vector<std::string> inputs = {
      "",
      "~",
      "# only a comment\n",
      "42",
      "[1, 2]",
      std::string(5000, '[') + std::string(5000, ']'),
      "a: &x [*x]\n",
      "devices: &d [*d]\nsteps: &s [*s]\nexpect: &e {os: *e}\n",
      std::string("devices: [{name: \0}]\nsteps: []\n", 31),
      "\xff\xfe\x00\x01garbage: [",
      "devices: [{name: nic0}]\nsteps: [{? [a, b] : 1}]\n",
      "devices: [{name: nic0, line: {vector: 1e99, irql: -1}}]\nsteps: []\n",
      "devices:\n\t- name: nic0\n",
      "devices: [{name: nic0}]\nsteps: [message: 99999999999999999999999999]\n",
      "devices: [{name: nic0}]\nsteps: []\nexpect: {probes: {a: -9223372036854775809}}\n",
      "devices: [{name: nic0}]\nsteps: []\nexpect: {bugcheck: /}\n",
      "devices: [{name: nic0}]\nsteps: []\nexpect: {os: {'': {}}}\n",
      "devices: [{name: nic0}]\nsteps: [!!binary aGVsbG8=]\n",
      "---\n...\n---\n",
      // Found by the fuzzer: yaml-cpp 0.7's LoadAll produces documents from these bytes forever.
      "&\x1a,",
  };
  for (const std::string& input : inputs) {
    EXPECT_THROW(ParseScenario(input, "hostile.yaml"), kemu::scenario::ScenarioError)
        << "input: " << input.substr(0, 80);
  }
}

TEST(ParseScenarioTest, ManyErrorsAreCappedWithANote) {
  std::string yaml = "devices: [{name: nic0}]\nsteps:\n";
  for (int i = 0; i < 30; ++i) yaml += "  - assert: missing\n";
  try {
    ParseScenario(yaml, "many.yaml");
    FAIL() << "no error";
  } catch (const kemu::scenario::ScenarioError& e) {
    ASSERT_EQ(e.diagnostics().size(), 21u);
    EXPECT_EQ(FormatDiagnostic(e.diagnostics().back()),
              "many.yaml: error: too many errors; 10 more not shown");
  }
}

}  // namespace
