// A spin-lock cycle between an ISR and a DPC that also blocks the test's disconnect: whichever
// context finds that nothing can run, the report is the spin deadlock, its code the mode's (0xF
// on a checked kernel, 0xC4 / 0x1001 under Verifier), on every seed. It was headlined on some
// seeds as the disconnect's wait (0xC4 / 0x4B45000F, a Verifier code with Verifier off; audit
// round 15, R5). The reports say what each lock is: the interrupt object's lock, or its offset in
// the driver's pool block (R6: they gave raw addresses only).
#include <fmt/format.h>
#include <wdm.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <new>
#include <string>

#include "kemu/testing/gtest.hpp"

namespace {

using ::testing::HasSubstr;

constexpr kemu::LineInterrupt kLine{.vector = 0x61, .irql = 7, .mode = kemu::Trigger::kEdge};
constexpr ULONG kTag = 0x74706441;  // "Adpt"

// The bug: the ISR takes the driver's queue lock under its interrupt lock, and the DPC takes the
// interrupt lock under the queue lock.
struct Adapter {
  KSPIN_LOCK queue_lock;
  KDPC dpc;
  PKINTERRUPT interrupt = nullptr;
  ULONG isr_count = 0;
  ULONG snapshot = 0;
};

BOOLEAN Isr(PKINTERRUPT, PVOID context) {
  auto& adapter = *static_cast<Adapter*>(context);
  KeAcquireSpinLockAtDpcLevel(&adapter.queue_lock);
  ++adapter.isr_count;
  KeReleaseSpinLockFromDpcLevel(&adapter.queue_lock);
  KeInsertQueueDpc(&adapter.dpc, nullptr, nullptr);
  return TRUE;
}

VOID Dpc(PKDPC, PVOID context, PVOID, PVOID) {
  auto& adapter = *static_cast<Adapter*>(context);
  KeAcquireSpinLockAtDpcLevel(&adapter.queue_lock);
  const KIRQL old = KeAcquireInterruptSpinLock(adapter.interrupt);
  adapter.snapshot = adapter.isr_count;
  KeReleaseInterruptSpinLock(adapter.interrupt, old);
  KeReleaseSpinLockFromDpcLevel(&adapter.queue_lock);
}

struct Outcome {
  std::string key;     ///< "0xF", "0xC4/0x1001", ... for the run's bug check, or "ok"
  std::string report;  ///< the bug check's report
};

Outcome RunOnce(kemu::KernelMode mode, kemu::Strategy strategy, std::uint64_t seed) {
  kemu::MachineOptions options{.processors = 4, .schedule = {.strategy = strategy, .seed = seed}};
  kemu::Machine machine(kemu::WithKernelMode(options, mode));
  kemu::Device& device = machine.AddDevice({.name = "card", .line = kLine});
  try {
    // In pool, as a device extension would be: the reports give the lock's offset in the block.
    auto* adapter = new (ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(Adapter), kTag)) Adapter;
    KeInitializeSpinLock(&adapter->queue_lock);
    KeInitializeDpc(&adapter->dpc, &Dpc, adapter);
    if (IoConnectInterrupt(&adapter->interrupt, &Isr, adapter, nullptr, kLine.vector, kLine.irql,
                           kLine.irql, Latched, FALSE, ~KAFFINITY{0}, FALSE) != STATUS_SUCCESS) {
      return {"connect failed", ""};
    }
    for (int i = 0; i < 3; ++i) device.PulseLine();
    machine.Settle();
    IoDisconnectInterrupt(adapter->interrupt);
    ExFreePoolWithTag(adapter, kTag);
  } catch (const kemu::BugCheck& crash) {
    std::string key = fmt::format("0x{:X}", crash.code());
    if (crash.code() == kemu::bugcheck::kDriverVerifierDetectedViolation) {
      key += fmt::format("/0x{:X}", crash.parameters()[0]);
    }
    return {key, crash.report()};
  }
  return {"ok", ""};
}

// Outcomes over the seeds of both exploring strategies: outcome -> seeds, and one report each.
struct Explored {
  std::map<std::string, std::string> seeds;
  std::map<std::string, std::string> reports;

  std::string Describe() const {
    std::string out;
    for (const auto& [key, on] : seeds) out += key + " on" + on + "\n";
    return out;
  }
};

Explored Explore(kemu::KernelMode mode) {
  Explored explored;
  for (const kemu::Strategy strategy : {kemu::Strategy::kRandom, kemu::Strategy::kPct}) {
    for (std::uint64_t seed = 0; seed < 12; ++seed) {
      Outcome outcome = RunOnce(mode, strategy, seed);
      explored.seeds[outcome.key] += fmt::format(" {}:{}", kemu::StrategyName(strategy), seed);
      explored.reports.try_emplace(outcome.key, std::move(outcome.report));
    }
  }
  return explored;
}

TEST(SpinDeadlockHeadlineTest, ACheckedKernelReportsTheSpinCycleAs0xFOnEverySeed) {
  const Explored explored = Explore(kemu::KernelMode::kChecked);
  ASSERT_TRUE(explored.seeds.contains("0xF")) << explored.Describe();
  for (const auto& [key, seeds] : explored.seeds) {
    EXPECT_TRUE(key == "0xF" || key == "ok") << explored.Describe();
  }
  // Each vCPU's line says what the lock it waits for or holds is.
  const std::string& report = explored.reports.at("0xF");
  EXPECT_THAT(report, HasSubstr("(the interrupt spin lock of the ISR "));
  EXPECT_THAT(report, HasSubstr("of device 'card')"));
  EXPECT_THAT(report,
              HasSubstr(fmt::format("(offset 0x{:x} of the {}-byte pool block tagged 'Adpt'",
                                    offsetof(Adapter, queue_lock), sizeof(Adapter))));
}

TEST(SpinDeadlockHeadlineTest, VerifierReportsTheLockOrderOnEverySeedNamingBothLocks) {
  const Explored explored = Explore(kemu::KernelMode::kVerifier);
  for (const auto& [key, seeds] : explored.seeds) {
    EXPECT_EQ(key, "0xC4/0x1001") << explored.Describe();
  }
  const std::string& report = explored.reports.begin()->second;
  EXPECT_THAT(report, HasSubstr("Where the locks are:"));
  EXPECT_THAT(report, HasSubstr(": the interrupt spin lock of the ISR "));
  EXPECT_THAT(report,
              HasSubstr(fmt::format(": offset 0x{:x} of the {}-byte pool block tagged 'Adpt'",
                                    offsetof(Adapter, queue_lock), sizeof(Adapter))));
}

}  // namespace
