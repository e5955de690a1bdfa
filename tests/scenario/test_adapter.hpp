// A driver adapter with a few actions and probes and no driver behind it, for tests that only
// check scenarios against an adapter's names (Validate).
#ifndef KEMU_TESTS_SCENARIO_TEST_ADAPTER_HPP_
#define KEMU_TESTS_SCENARIO_TEST_ADAPTER_HPP_

#include <string>
#include <vector>

#include "kemu/scenario/driver_adapter.hpp"

namespace kemu::scenario::testing {

class NamesOnlyAdapter : public DriverAdapter {
 public:
  NTSTATUS Start(Device&) override { return STATUS_SUCCESS; }
  void Stop(Device&) override {}
  std::vector<ActionInfo> Actions() const override {
    return {{.name = "receive_frames",
             .parameters = {"count", "size"},
             .help = "frames arrive",
             .numbers = {{.parameter = "count", .maximum = 1000},
                         {.parameter = "size", .minimum = 1, .maximum = 1514}}},
            {.name = "reset_chip", .parameters = {}, .help = "a chip reset"}};
  }
  std::vector<std::string> Probes() const override { return {"frames_received", "resets"}; }
};

}  // namespace kemu::scenario::testing

#endif  // KEMU_TESTS_SCENARIO_TEST_ADAPTER_HPP_
