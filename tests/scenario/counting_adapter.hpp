// A tiny driver adapter for the runner program and GoogleTest registration tests: no interrupt,
// just a counter scenarios can bump and probe, and the personality it started on (so --diff has
// something that differs between personalities).
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
    os_index_ = static_cast<std::int64_t>(Machine::Current().os());
    return STATUS_SUCCESS;
  }
  void Stop(Device&) override {}
  std::vector<ActionInfo> Actions() const override {
    return {{.name = "bump", .parameters = {"by"}, .help = "adds to the counter"}};
  }
  void Act(const std::string&, const ActionArgs& args, Device&) override {
    counter_ += static_cast<std::int64_t>(args.Unsigned("by", 1));
  }
  std::vector<std::string> Probes() const override { return {"counter", "os_index"}; }
  std::int64_t Probe(const std::string& probe, Device&) override {
    return probe == "counter" ? counter_ : os_index_;
  }

 private:
  std::int64_t counter_ = 0;
  std::int64_t os_index_ = -1;
};

inline AdapterFactory CountingFactory() {
  return [] { return std::make_unique<CountingAdapter>(); };
}

}  // namespace kemu::scenario::testing

#endif  // KEMU_TESTS_SCENARIO_COUNTING_ADAPTER_HPP_
