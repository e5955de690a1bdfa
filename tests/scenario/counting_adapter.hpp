// A tiny driver adapter for the runner program and GoogleTest registration tests: no interrupt,
// just a counter scenarios can bump and probe, and the personality it started on (so --diff has
// something that differs between personalities), and the schedule it ran under, with a probe that
// goes wrong under schedule seed 3 only, for the schedule-exploration tests.
#ifndef KEMU_TESTS_SCENARIO_COUNTING_ADAPTER_HPP_
#define KEMU_TESTS_SCENARIO_COUNTING_ADAPTER_HPP_

#include <wdm.h>

#include <memory>
#include <string>
#include <vector>

#include "kemu/machine.hpp"
#include "kemu/scenario/driver_adapter.hpp"

namespace kemu::scenario::testing {

class CountingAdapter : public DriverAdapter {
 public:
  NTSTATUS Start(Device&) override {
    const Machine& machine = Machine::Current();
    os_index_ = static_cast<std::int64_t>(machine.os());
    schedule_ = machine.options().schedule;
    ++starts_;
    return STATUS_SUCCESS;
  }
  void Stop(Device&) override {}
  std::vector<ActionInfo> Actions() const override {
    return {{.name = "bump", .parameters = {"by"}, .help = "adds to the counter"}};
  }
  void Act(const std::string&, const ActionArgs& args, Device&) override {
    counter_ += static_cast<std::int64_t>(args.Unsigned("by", 1));
  }
  std::vector<std::string> Probes() const override {
    return {"counter",           "os_index",       "schedule_seed",
            "schedule_strategy", "schedule_depth", "unlucky"};
  }
  std::int64_t Probe(const std::string& probe, Device&) override {
    if (probe == "counter") return counter_;
    if (probe == "schedule_seed") return static_cast<std::int64_t>(schedule_.seed);
    if (probe == "schedule_strategy") return static_cast<std::int64_t>(schedule_.strategy);
    if (probe == "schedule_depth") return schedule_.depth;
    // A stand-in for a race only one interleaving exposes: 1 under schedule seed 3.
    if (probe == "unlucky") return schedule_.seed == kUnluckySeed ? 1 : 0;
    return os_index_;
  }

  static constexpr std::uint64_t kUnluckySeed = 3;
  /// Start() calls in this process, so tests can count the runs an exploration made.
  static std::int64_t starts() { return starts_; }

 private:
  static inline std::int64_t starts_ = 0;
  ScheduleOptions schedule_;
  std::int64_t counter_ = 0;
  std::int64_t os_index_ = -1;
};

inline AdapterFactory CountingFactory() {
  return [] { return std::make_unique<CountingAdapter>(); };
}

}  // namespace kemu::scenario::testing

#endif  // KEMU_TESTS_SCENARIO_COUNTING_ADAPTER_HPP_
