// A race::Host for tests that drive the detector directly (emu/race/detector.hpp): the test says
// which vCPU runs at which IRQL, and reads the race raised.
#ifndef KEMU_TESTS_RACE_FAKE_RACE_HOST_HPP_
#define KEMU_TESTS_RACE_FAKE_RACE_HOST_HPP_

#include <cstdint>
#include <optional>
#include <string>

#include "race/host.hpp"
#include "race/instrumented_access.hpp"

namespace kemu::race::fakes {

class FakeHost final : public Host {
 public:
  unsigned current_processor() const override { return cpu; }
  unsigned test_processor() const override { return 0; }
  KAFFINITY active_processors() const override { return 0b11; }
  KIRQL current_irql() const override { return irql; }
  bool crashed() const override { return false; }
  std::uint64_t trace_sequence() const override { return 0; }
  bool exploring() const override { return false; }
  void QuietSchedulePoint() override {}
  void NoteRace(std::uintptr_t, std::uint64_t) override {}
  void RaiseRace(const kemu::DataRace& race) override { raised = race; }
  std::string DescribePoolAddress(std::uintptr_t) const override { return ""; }
  std::string MachineContext() const override { return ""; }

  unsigned cpu = 0;
  KIRQL irql = PASSIVE_LEVEL;
  std::optional<kemu::DataRace> raised;
};

// The detector keeps no books unless instrumented code is loaded (it is, in this program).
inline bool InstrumentedLoaded() {
  InstrumentedModuleLoaded();
  return true;
}

}  // namespace kemu::race::fakes

#endif  // KEMU_TESTS_RACE_FAKE_RACE_HOST_HPP_
