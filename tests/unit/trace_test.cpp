// The machine's trace (emu/model/trace.*): every kind of event with its vCPU, IRQL and virtual
// time; the bounded ring; tracing off; the Chrome/Perfetto JSON export (valid JSON, B/E pairs,
// thread names, IRQL counters, a golden file, determinism); and kemu::gtest's KEMU_TRACE /
// --kemu_trace, which writes the trace of a failing fixture test.
#include <fmt/format.h>
#include <unistd.h>
#include <wdm.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "golden.hpp"
#include "json_checker.hpp"
#include "kemu/testing/gtest.hpp"
#include "kemu/testing/gtest_main.hpp"
#include "model/kernel.hpp"
#include "scoped_env.hpp"

namespace {

using ::kemu::model::Trace;
using ::kemu::model::TraceEvent;
using ::kemu::model::TraceKind;
using ::kemu::testing::JsonChecker;
using ::kemu::testing::ScopedEnv;
using ::kemu::testing::golden::ExpectMatchesGolden;
using ::kemu::testing::golden::NamedAddresses;
using ::kemu::testing::golden::NormaliseAddresses;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr ULONG kVector = 0x51;
constexpr KIRQL kDirql = 5;

// A file in the temporary directory that no other run of this program uses: two build trees
// tested at once on one machine (dev and asan) must not read each other's traces.
std::string TempPath(std::string_view name) {
  return ::testing::TempDir() + std::to_string(::getpid()) + "_" + std::string(name);
}

std::uint64_t Address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }
template <typename Function>
const void* Code(Function* function) {
  return reinterpret_cast<const void*>(function);
}

std::vector<TraceEvent> Events(const kemu::Machine& machine) {
  return machine.kernel().trace().Events();
}

std::vector<TraceEvent> OfKind(const std::vector<TraceEvent>& events, TraceKind kind) {
  std::vector<TraceEvent> out;
  for (const TraceEvent& event : events) {
    if (event.kind == kind) out.push_back(event);
  }
  return out;
}

// The one event of `kind`; a test failure (and an empty event) unless there is exactly one.
TraceEvent Only(const std::vector<TraceEvent>& events, TraceKind kind) {
  const std::vector<TraceEvent> found = OfKind(events, kind);
  if (found.size() == 1) return found.front();
  ADD_FAILURE() << found.size() << " events of kind " << kemu::model::TraceKindName(kind);
  return TraceEvent{};
}

// The value of argument `name`; a test failure (and 0xdead) when the event has none.
std::uint64_t Arg(const TraceEvent& event, std::string_view name) {
  for (std::uint8_t i = 0; i < event.arg_count; ++i) {
    if (name == event.args[i].name) return event.args[i].value;
  }
  ADD_FAILURE() << kemu::model::Trace::Describe(event) << " has no argument " << name;
  return 0xdead;
}

std::size_t Count(const std::string& text, std::string_view what) {
  std::size_t count = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++count;
  }
  return count;
}

void ExpectValidJson(const std::string& json) {
  JsonChecker checker(json);
  EXPECT_TRUE(checker.Valid()) << "invalid JSON at offset " << checker.error_at() << ": "
                               << json.substr(checker.error_at(), 80);
}

// A small driver: a level-triggered ISR that acknowledges its device and queues a DPC, and a DPC
// that takes a lock.
struct Driver {
  kemu::Device* device = nullptr;
  KSPIN_LOCK lock = 0;
  KSPIN_LOCK isr_lock = 0;
  KDPC dpc{};
  PKINTERRUPT interrupt = nullptr;
};

VOID DriverDpc(PKDPC, PVOID context, PVOID, PVOID) {
  auto* driver = static_cast<Driver*>(context);
  KeAcquireSpinLockAtDpcLevel(&driver->lock);
  KeReleaseSpinLockFromDpcLevel(&driver->lock);
}

BOOLEAN DriverIsr(PKINTERRUPT, PVOID context) {
  auto* driver = static_cast<Driver*>(context);
  driver->device->DeassertLine();  // what reading its status register would do
  KeInsertQueueDpc(&driver->dpc, nullptr, nullptr);
  return TRUE;
}

void Start(kemu::Machine& machine, Driver& driver, KAFFINITY processors = 1) {
  driver.device = &machine.AddDevice(
      {.name = "uart", .line = kemu::LineInterrupt{.vector = kVector, .irql = kDirql}});
  KeInitializeSpinLock(&driver.lock);
  KeInitializeSpinLock(&driver.isr_lock);
  KeInitializeDpc(&driver.dpc, &DriverDpc, &driver);
  ASSERT_EQ(IoConnectInterrupt(&driver.interrupt, &DriverIsr, &driver, &driver.isr_lock, kVector,
                               kDirql, kDirql, LevelSensitive, FALSE, processors, FALSE),
            STATUS_SUCCESS);
}

// Connects `driver` on both vCPUs of `machine` and asserts its line while vCPU 1 runs, so the
// delivery, the ISR and its DPC all happen on vCPU 1.
void FireOnVcpu1(kemu::Machine& machine, Driver& driver) {
  Start(machine, driver, /*processors=*/3);
  machine.SwitchToProcessor(1);
  driver.device->AssertLine();
  machine.SwitchToProcessor(0);
}

// Every kind of event but a bug check, on one vCPU; returns the host addresses it logs, by name.
NamedAddresses SmallScenario(kemu::Machine& machine, Driver& driver) {
  KeStallExecutionProcessor(3);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  KeLowerIrql(old);
  Start(machine, driver);
  driver.device->AssertLine();  // the ISR, then its DPC once the IRQL drops
  IoDisconnectInterrupt(driver.interrupt);
  return {{&driver.lock, "&lock"},
          {&driver.isr_lock, "&isr_lock"},
          {&driver.dpc, "&dpc"},
          {&driver, "&driver"},
          {&driver.interrupt, "&interrupt"},
          {driver.interrupt, "interrupt"},
          {Code(&DriverIsr), "DriverIsr"},
          {Code(&DriverDpc), "DriverDpc"}};
}

// ---------------------------------------------------------------------------------------------
// What is recorded.

TEST(TraceTest, CallsAndIrqlChangesCarryVcpuIrqlAndVirtualTime) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KeStallExecutionProcessor(5);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  KeLowerIrql(old);
  const std::vector<TraceEvent> events = Events(machine);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].kind, TraceKind::kCall);
  EXPECT_STREQ(events[0].name, "KeStallExecutionProcessor");
  EXPECT_EQ(events[0].time_100ns, 0u);
  EXPECT_EQ(Arg(events[0], "MicroSeconds"), 5u);
  EXPECT_STREQ(events[1].name, "KfRaiseIrql");
  EXPECT_EQ(events[1].irql, PASSIVE_LEVEL);  // a call's IRQL is the one on entry
  EXPECT_EQ(events[1].time_100ns, 50u);
  EXPECT_EQ(events[2].kind, TraceKind::kIrql);
  EXPECT_EQ(Arg(events[2], "Old"), PASSIVE_LEVEL);
  EXPECT_EQ(Arg(events[2], "New"), DISPATCH_LEVEL);
  EXPECT_EQ(events[2].irql, DISPATCH_LEVEL);
  EXPECT_EQ(events[3].kind, TraceKind::kCall);
  EXPECT_EQ(events[4].kind, TraceKind::kIrql);
  EXPECT_EQ(Arg(events[4], "Old"), DISPATCH_LEVEL);
  EXPECT_EQ(events[4].irql, PASSIVE_LEVEL);
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].sequence, i + 1);
    EXPECT_EQ(events[i].cpu, 0u);
  }
}

TEST(TraceTest, SpinLockAcquireAndReleaseNameTheLockAndTheRunningVcpu) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .processors = 2});
  machine.SwitchToProcessor(1);
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KIRQL old;
  KeAcquireSpinLock(&lock, &old);
  KeReleaseSpinLock(&lock, old);
  const std::vector<TraceEvent> events = Events(machine);
  const TraceEvent acquire = Only(events, TraceKind::kLockAcquire);
  const TraceEvent release = Only(events, TraceKind::kLockRelease);
  EXPECT_STREQ(acquire.name, "KeAcquireSpinLockRaiseToDpc");
  EXPECT_EQ(Arg(acquire, "Lock"), Address(&lock));
  EXPECT_EQ(acquire.cpu, 1u);
  EXPECT_EQ(acquire.irql, DISPATCH_LEVEL);
  EXPECT_STREQ(release.name, "KeReleaseSpinLock");
  EXPECT_EQ(Arg(release, "Lock"), Address(&lock));
  EXPECT_EQ(release.irql, DISPATCH_LEVEL);  // released before the IRQL drops
  EXPECT_EQ(events.back().kind, TraceKind::kIrql);
  EXPECT_EQ(events.back().irql, PASSIVE_LEVEL);
}

TEST(TraceTest, AConnectedIsrFiringRecordsTheLineDeliveryIsrAndItsDpc) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .processors = 2});
  Driver driver;
  FireOnVcpu1(machine, driver);
  const std::vector<TraceEvent> events = Events(machine);

  const auto device = OfKind(events, TraceKind::kDevice);
  ASSERT_EQ(device.size(), 2u);
  EXPECT_STREQ(device[0].name, "AssertLine");
  EXPECT_EQ(Arg(device[0], "Vector"), kVector);
  EXPECT_STREQ(device[1].name, "DeassertLine");
  const TraceEvent interrupt = Only(events, TraceKind::kInterrupt);
  EXPECT_EQ(interrupt.cpu, 1u);
  EXPECT_EQ(Arg(interrupt, "Vector"), kVector);
  const TraceEvent isr = Only(events, TraceKind::kIsrBegin);
  const TraceEvent isr_end = Only(events, TraceKind::kIsrEnd);
  EXPECT_EQ(isr.cpu, 1u);
  EXPECT_EQ(isr.irql, kDirql);
  // A line connection has one interrupt object per vCPU; the driver holds vCPU 0's.
  EXPECT_NE(Arg(isr, "Interrupt"), Address(driver.interrupt));
  EXPECT_EQ(Arg(isr, "Routine"), Address(Code(&DriverIsr)));
  EXPECT_EQ(Arg(isr_end, "Claimed"), 1u);
  // The ISR's acknowledgement happened inside it; the delivery came before it.
  EXPECT_LT(interrupt.sequence, isr.sequence);
  EXPECT_LT(isr.sequence, device[1].sequence);
  EXPECT_LT(device[1].sequence, isr_end.sequence);

  const TraceEvent dpc = Only(events, TraceKind::kDpcBegin);
  EXPECT_EQ(dpc.cpu, 1u);
  EXPECT_EQ(dpc.irql, DISPATCH_LEVEL);
  EXPECT_EQ(Arg(dpc, "Dpc"), Address(&driver.dpc));
  EXPECT_EQ(Arg(dpc, "Routine"), Address(Code(&DriverDpc)));
  EXPECT_GT(dpc.sequence, isr_end.sequence);  // DPCs run once the vCPU leaves DIRQL
  EXPECT_GT(Only(events, TraceKind::kDpcEnd).sequence, dpc.sequence);
  IoDisconnectInterrupt(driver.interrupt);
}

TEST(TraceTest, ABugCheckIsRecordedWithItsCodeAndParameters) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_THROW(KeRaiseIrql(PASSIVE_LEVEL, &old), kemu::BugCheck);
  const TraceEvent last = Events(machine).back();
  EXPECT_EQ(last.kind, TraceKind::kBugCheck);
  EXPECT_STREQ(last.name, "DRIVER_VERIFIER_DETECTED_VIOLATION");
  EXPECT_EQ(Arg(last, "Code"), kemu::bugcheck::kDriverVerifierDetectedViolation);
  EXPECT_EQ(Arg(last, "Arg1"), kemu::verifier_code::kRaiseIrqlInvalid);
  EXPECT_EQ(last.irql, DISPATCH_LEVEL);
}

TEST(TraceTest, TheRingKeepsTheNewestEventsOnceFull) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .trace_capacity = 8});
  for (int i = 0; i < 20; ++i) KeGetCurrentIrql();
  const std::vector<TraceEvent> events = Events(machine);
  ASSERT_EQ(events.size(), 8u);
  EXPECT_EQ(events.front().sequence, 13u);
  EXPECT_EQ(events.back().sequence, 20u);
  EXPECT_EQ(machine.kernel().trace().dropped(), 12u);
  EXPECT_EQ(machine.kernel().trace().calls(), 20u);
}

TEST(TraceTest, TracingOffKeepsOnlyTheKernelCallsReportsNeed) {
  for (const kemu::MachineOptions& options :
       {kemu::MachineOptions{.trace = false}, kemu::MachineOptions{.trace_capacity = 0}}) {
    kemu::Machine machine(options);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeLowerIrql(old);
    const kemu::model::Trace& trace = machine.kernel().trace();
    EXPECT_FALSE(trace.enabled());
    EXPECT_TRUE(trace.Events().empty());
    const std::vector<TraceEvent> calls = trace.RecentCalls();
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_STREQ(calls[0].name, "KfRaiseIrql");
    EXPECT_EQ(calls[1].sequence, 3u);  // the IRQL change #2 was numbered, not kept
    EXPECT_EQ(trace.sequence(), 4u);
    EXPECT_THAT(machine.TraceJson(), HasSubstr(R"("events":4,"dropped":4,)"));
  }
}

TEST(TraceTest, EventNumbersAreTheSameWithTracingOnOrOff) {
  std::vector<std::uint64_t> numbers[2];
  for (const bool trace : {true, false}) {
    kemu::Machine machine({.os = kemu::Os::kWindows7, .trace = trace});
    Driver driver;
    SmallScenario(machine, driver);
    for (const TraceEvent& call : machine.kernel().trace().RecentCalls()) {
      numbers[trace].push_back(call.sequence);
    }
  }
  EXPECT_EQ(numbers[0], numbers[1]);
  EXPECT_FALSE(numbers[0].empty());
}

// With tracing on, the events ring holds the newest report events and the history ring only those
// the ring overwrote; together they must list exactly what the history alone lists with tracing
// off, whether the ring is smaller than the history, overwrites it many times, or never fills.
TEST(TraceTest, ReportsListTheSameRecentCallsWhateverTheTraceCapacity) {
  std::vector<std::vector<std::pair<std::uint64_t, std::string>>> listed;
  for (const unsigned capacity : {0u, 3u, 8u, 64u, 65536u}) {
    kemu::Machine machine({.call_history = 8, .trace = capacity != 0, .trace_capacity = capacity});
    KSPIN_LOCK lock;
    KeInitializeSpinLock(&lock);
    for (int i = 0; i < 25; ++i) {
      KIRQL old;
      KeAcquireSpinLock(&lock, &old);  // a call, an IRQL change, a lock event: only calls listed
      KeReleaseSpinLock(&lock, old);
      if (i % 4 == 0) KeGetCurrentIrql();
    }
    listed.emplace_back();
    for (const TraceEvent& call : machine.kernel().trace().RecentCalls()) {
      listed.back().emplace_back(call.sequence, call.name);
    }
  }
  ASSERT_EQ(listed[0].size(), 8u);
  EXPECT_EQ(listed[0].back().second, "KeGetCurrentIrql");  // i = 24
  for (std::size_t i = 1; i < listed.size(); ++i) EXPECT_EQ(listed[i], listed[0]) << i;
}

TEST(TraceTest, WithoutACallHistoryReportsListNoCallsWhileTheTraceKeepsTheNewestEvents) {
  kemu::Machine machine({.call_history = 0, .trace = true, .trace_capacity = 4});
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  for (int i = 0; i < 10; ++i) {
    KIRQL old;
    KeAcquireSpinLock(&lock, &old);
    KeReleaseSpinLock(&lock, old);
  }
  const Trace& trace = machine.kernel().trace();
  EXPECT_TRUE(trace.RecentCalls().empty());
  const std::vector<TraceEvent> events = trace.Events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events.back().sequence, trace.sequence());
  EXPECT_STREQ(events[1].name, "KeReleaseSpinLock");  // then its lock release and IRQL events
}

// ---------------------------------------------------------------------------------------------
// The Chrome/Perfetto JSON.

TEST(TraceJsonTest, IsValidJsonWithVcpuThreadsIsrDpcSlicesAndIrqlCounters) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .processors = 2});
  Driver driver;
  FireOnVcpu1(machine, driver);
  IoDisconnectInterrupt(driver.interrupt);
  const std::string json = machine.TraceJson();
  ExpectValidJson(json);
  EXPECT_THAT(json, HasSubstr(R"("args":{"name":"vCPU 0"})"));
  EXPECT_THAT(json, HasSubstr(R"("args":{"name":"vCPU 1"})"));
  EXPECT_THAT(json, HasSubstr(R"("args":{"name":"devices"})"));
  EXPECT_EQ(Count(json, R"("name":"ISR","cat":"isr","ph":"B")"), 1u);
  EXPECT_EQ(Count(json, R"("name":"ISR","cat":"isr","ph":"E")"), 1u);
  EXPECT_EQ(Count(json, R"("name":"DPC routine","cat":"dpc","ph":"B")"), 1u);
  EXPECT_EQ(Count(json, R"("name":"DPC routine","cat":"dpc","ph":"E")"), 1u);
  EXPECT_THAT(json, HasSubstr(R"("name":"IRQL","ph":"C")"));
  EXPECT_THAT(json, HasSubstr(R"("args":{"vCPU 1":5})"));  // DIRQL while the ISR ran
  EXPECT_THAT(json, HasSubstr(R"("name":"AssertLine","cat":"device","ph":"i","s":"t")"));
  EXPECT_THAT(json, HasSubstr(R"("displayTimeUnit":"ns")"));
}

TEST(TraceJsonTest, AnEndWhoseBeginTheRingDroppedIsLeftOut) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .trace_capacity = 4});
  Driver driver;
  Start(machine, driver);
  KeInsertQueueDpc(&driver.dpc, nullptr, nullptr);  // runs now, at PASSIVE_LEVEL
  const std::vector<TraceEvent> events = Events(machine);
  ASSERT_FALSE(OfKind(events, TraceKind::kDpcEnd).empty());
  ASSERT_TRUE(OfKind(events, TraceKind::kDpcBegin).empty());
  const std::string json = machine.TraceJson();
  ExpectValidJson(json);
  EXPECT_THAT(json, Not(HasSubstr(R"("ph":"E")")));
  IoDisconnectInterrupt(driver.interrupt);
}

VOID LoweringDpc(PKDPC, PVOID, PVOID, PVOID) { KeLowerIrql(PASSIVE_LEVEL); }

TEST(TraceJsonTest, ABugCheckInsideADpcLeavesItsSliceOpenAndMarksEveryTrack) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KDPC dpc;
  KeInitializeDpc(&dpc, &LoweringDpc, nullptr);
  EXPECT_THROW(KeInsertQueueDpc(&dpc, nullptr, nullptr), kemu::BugCheck);
  const std::string json = machine.TraceJson();
  ExpectValidJson(json);
  EXPECT_EQ(Count(json, R"("ph":"B")"), 1u);
  EXPECT_EQ(Count(json, R"("ph":"E")"), 0u);  // Perfetto shows a slice that did not end
  EXPECT_THAT(json, HasSubstr(R"("cat":"bugcheck","ph":"i","s":"g")"));
}

TEST(TraceJsonTest, NamesAreEscaped) {
  kemu::Machine machine(kemu::Os::kWindows10);
  machine.kernel().Note(TraceKind::kDevice, "a \"quoted\" back\\slash\nnew\tline\x07");
  const std::string json = machine.TraceJson();
  ExpectValidJson(json);
  EXPECT_THAT(json, HasSubstr(R"("a \"quoted\" back\\slash\nnew\tline\u0007")"));
}

TEST(TraceJsonTest, OtherDataNamesTheOsAndTheExactSeed) {
  kemu::Machine machine({.os = kemu::Os::kWindows81, .seed = 18446744073709551615u});
  const std::string json = machine.TraceJson();
  ExpectValidJson(json);
  // A string: a JSON number loses 64-bit precision.
  EXPECT_THAT(json,
              HasSubstr(R"("os":"win8.1","windows":"Windows 8.1","seed":"18446744073709551615")"));
}

TEST(TraceJsonTest, SmallScenarioMatchesTheGoldenFile) {
  kemu::Machine machine({.os = kemu::Os::kWindows10, .seed = 7});
  Driver driver;
  SmallScenario(machine, driver);
  const std::string json = machine.TraceJson();
  ExpectValidJson(json);
  ExpectMatchesGolden(json, "trace_small.json");
}

TEST(TraceJsonTest, HostAddressesBecomeIdsInOrderOfFirstMention) {
  kemu::Machine machine(kemu::Os::kWindows10);
  Driver driver;
  const NamedAddresses names = SmallScenario(machine, driver);
  const std::string json = machine.TraceJson();
  for (const auto& [address, name] : names) {
    EXPECT_THAT(json, Not(HasSubstr(fmt::format("\"{:#x}\"", Address(address))))) << name;
  }
  // KeInitializeSpinLock(&lock) is the first call with an address, then &isr_lock, then the DPC.
  EXPECT_THAT(json, HasSubstr(R"("KeInitializeSpinLock","cat":"call","ph":"i","s":"t","ts":6,)"
                              R"("pid":1,"tid":0,"args":{"SpinLock":"&1",)"));
  EXPECT_THAT(json, HasSubstr(R"("args":{"SpinLock":"&2",)"));
  EXPECT_THAT(json,
              HasSubstr(R"("args":{"Dpc":"&3","DeferredRoutine":"&4","DeferredContext":"&5",)"));
}

TEST(TraceJsonTest, ABugCheckParameterThatIsAKnownAddressShowsItsId) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KIRQL old;
  KeAcquireSpinLock(&lock, &old);
  EXPECT_THROW(KeAcquireSpinLock(&lock, &old), kemu::BugCheck);  // 0xC4/0x1000, Arg2 = lock
  const std::string json = machine.TraceJson();
  EXPECT_THAT(json, Not(HasSubstr(fmt::format("{:#x}", Address(&lock)))));
  EXPECT_THAT(json, HasSubstr(R"("Code":"0xc4","Arg1":"0x1000","Arg2":"&1",)"));
}

TEST(TraceJsonTest, TheSameSeedGivesByteIdenticalJson) {
  // The driver lives at a different heap address in each run; the JSON must not notice.
  std::string json[2];
  std::vector<std::unique_ptr<Driver>> keep;
  for (int run = 0; run < 2; ++run) {
    kemu::Machine machine({.os = kemu::Os::kWindowsXP, .processors = 2, .seed = 99});
    keep.push_back(std::make_unique<Driver>());
    SmallScenario(machine, *keep.back());
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    EXPECT_THROW(KeLowerIrql(HIGH_LEVEL), kemu::BugCheck);
    json[run] = machine.TraceJson();
  }
  ASSERT_NE(keep[0].get(), keep[1].get());
  EXPECT_EQ(json[0], json[1]);
}

TEST(TraceJsonTest, WriteTraceWritesTheJsonAndThrowsWhenItCannot) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KeGetCurrentIrql();
  const std::string path = TempPath("kemu_trace_write_test.json");
  machine.WriteTrace(path);
  std::stringstream written;
  written << std::ifstream(path, std::ios::binary).rdbuf();
  EXPECT_EQ(written.str(), machine.TraceJson());
  std::filesystem::remove(path);
  EXPECT_THROW(machine.WriteTrace("/nonexistent-kemu-dir/trace.json"), kemu::Error);
}

// ---------------------------------------------------------------------------------------------
// KEMU_TRACE and --kemu_trace: the trace of a failing fixture test.

using ::kemu::testing::internal::TraceFileFor;
using ::kemu::testing::internal::WriteTraceIfFailed;

TEST(TraceFlagTest, TheTraceFileCarriesTheTestNameBeforeTheExtension) {
  EXPECT_EQ(TraceFileFor("out.json", "AllWindows/StartTest.Connects/win10"),
            "out.AllWindows_StartTest_Connects_win10.json");
  EXPECT_EQ(TraceFileFor("traces/run.1/out", "Suite.Test"), "traces/run.1/out.Suite_Test.json");
  EXPECT_EQ(TraceFileFor(".trace", "Suite.Test"), ".trace.Suite_Test.json");
  EXPECT_EQ(TraceFileFor("t.json", "Odd name <1>|*"), "t.Odd_name__1___.json");
}

TEST(TraceFlagTest, KemuTraceFlagIsConsumedAndActsAsKemuTrace) {
  const ScopedEnv trace("KEMU_TRACE", nullptr);
  std::string args[] = {"tests", "--kemu_trace=/tmp/kemu.json", "extra"};
  char* argv[] = {args[0].data(), args[1].data(), args[2].data(), nullptr};
  int argc = 3;
  kemu::testing::internal::ParseKemuFlags(&argc, argv);
  ASSERT_EQ(argc, 2);
  EXPECT_STREQ(argv[1], "extra");
  EXPECT_EQ(kemu::testing::TracePathFromEnvironment(), "/tmp/kemu.json");
}

TEST(TraceFlagTest, KemuTraceFlagWithoutAFileIsAHarnessError) {
  const ScopedEnv trace("KEMU_TRACE", nullptr);
  std::string args[] = {"tests", "--kemu_trace="};
  char* argv[] = {args[0].data(), args[1].data(), nullptr};
  int argc = 2;
  EXPECT_THROW(kemu::testing::internal::ParseKemuFlags(&argc, argv), kemu::Error);
  EXPECT_EQ(kemu::testing::TracePathFromEnvironment(), std::nullopt);
}

TEST(TraceFlagTest, AFailedTestWritesItsTraceWhereKemuTraceSays) {
  const std::string base = TempPath("kemu_flag_failed.json");
  const ScopedEnv trace("KEMU_TRACE", base.c_str());
  kemu::Machine machine(kemu::Os::kWindows10);
  KeGetCurrentIrql();
  std::ostringstream out;
  const auto file = WriteTraceIfFailed(machine, /*failed=*/true, "Suite/Test.Fails/win10", out);
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(*file, TempPath("kemu_flag_failed.Suite_Test_Fails_win10.json"));
  EXPECT_EQ(out.str(), "kemu: trace written to " + *file + "\n");
  std::stringstream written;
  written << std::ifstream(*file, std::ios::binary).rdbuf();
  EXPECT_EQ(written.str(), machine.TraceJson());
  std::filesystem::remove(*file);
}

TEST(TraceFlagTest, APassingTestOrAnUnsetKemuTraceWritesNothing) {
  const std::string base = TempPath("kemu_flag_passed.json");
  kemu::Machine machine(kemu::Os::kWindows10);
  std::ostringstream out;
  {
    const ScopedEnv trace("KEMU_TRACE", base.c_str());
    EXPECT_EQ(WriteTraceIfFailed(machine, /*failed=*/false, "Suite.Passes", out), std::nullopt);
  }
  for (const char* unset : {static_cast<const char*>(nullptr), ""}) {
    const ScopedEnv trace("KEMU_TRACE", unset);
    EXPECT_EQ(WriteTraceIfFailed(machine, /*failed=*/true, "Suite.Passes", out), std::nullopt);
  }
  EXPECT_FALSE(std::filesystem::exists(TraceFileFor(base, "Suite.Passes")));
  EXPECT_EQ(out.str(), "");
}

TEST(TraceFlagTest, ATraceThatCannotBeWrittenIsReportedNotThrown) {
  const ScopedEnv trace("KEMU_TRACE", "/nonexistent-kemu-dir/out.json");
  kemu::Machine machine(kemu::Os::kWindows10);
  std::ostringstream out;
  EXPECT_EQ(WriteTraceIfFailed(machine, /*failed=*/true, "Suite.Fails", out), std::nullopt);
  EXPECT_THAT(out.str(),
              HasSubstr("cannot write the trace to /nonexistent-kemu-dir/out.Suite_Fails.json"));
}

// Run only by the test below, in a child process: a fixture test that fails on purpose.
class TraceFixtureTest : public kemu::testing::PersonalityTest {};
TEST_P(TraceFixtureTest, DISABLED_FailsOnPurpose) {
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  KeLowerIrql(old);
  ADD_FAILURE() << "failing on purpose, so that the fixture writes the trace";
}
TEST_P(TraceFixtureTest, DISABLED_Passes) { KeGetCurrentIrql(); }
INSTANTIATE_TEST_SUITE_P(Win10, TraceFixtureTest, ::testing::Values(kemu::Os::kWindows10),
                         kemu::testing::OsName());

// Runs this test program again on TraceFixtureTest with `kemu_flags`; returns what it printed
// (through the file `output`).
std::string RunFixtureTests(const std::string& environment, const std::string& kemu_flags,
                            const std::string& output) {
  const std::string command =
      environment + " '" + std::filesystem::read_symlink("/proc/self/exe").string() +
      "' --gtest_also_run_disabled_tests " + "--gtest_filter='Win10/TraceFixtureTest.*' " +
      kemu_flags + " > '" + output + "' 2>&1";
  EXPECT_NE(std::system(command.c_str()), 0) << "the child has a failing test: " << command;
  std::stringstream text;
  text << std::ifstream(output).rdbuf();
  std::filesystem::remove(output);
  return text.str();
}

TEST(TraceFlagTest, TheFixtureWritesTheTraceOfEveryFailedTestAndOnlyThose) {
  const std::string base = TempPath("kemu_fixture_env.json");
  const std::string failed =
      TraceFileFor(base, "Win10/TraceFixtureTest.DISABLED_FailsOnPurpose/win10");
  const std::string passed = TraceFileFor(base, "Win10/TraceFixtureTest.DISABLED_Passes/win10");
  const std::string output = RunFixtureTests("KEMU_TRACE='" + base + "'", "", base + ".out");
  EXPECT_THAT(output, HasSubstr("kemu: trace written to " + failed + "\n"));
  ASSERT_TRUE(std::filesystem::exists(failed)) << output;
  EXPECT_FALSE(std::filesystem::exists(passed));
  std::stringstream json;
  json << std::ifstream(failed).rdbuf();
  ExpectValidJson(json.str());
  EXPECT_THAT(json.str(), HasSubstr(R"("name":"KfRaiseIrql","cat":"call")"));
  std::filesystem::remove(failed);
}

TEST(TraceFlagTest, TheKemuTraceFlagWorksLikeTheVariable) {
  const std::string base = TempPath("kemu_fixture_flag.json");
  const std::string failed =
      TraceFileFor(base, "Win10/TraceFixtureTest.DISABLED_FailsOnPurpose/win10");
  const std::string output =
      RunFixtureTests("env -u KEMU_TRACE", "--kemu_trace='" + base + "'", base + ".out");
  EXPECT_THAT(output, HasSubstr("kemu: trace written to " + failed + "\n"));
  EXPECT_TRUE(std::filesystem::exists(failed)) << output;
  std::filesystem::remove(failed);
}

}  // namespace
