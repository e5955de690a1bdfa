#include "kemu/testing/fixtures.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>

#include "kemu/testing/gtest.hpp"

namespace kemu::testing {

std::optional<std::uint64_t> SeedFromEnvironment() {
  const char* text = std::getenv("KEMU_SEED");
  // An empty value counts as unset, so `KEMU_SEED= ctest` does not fail every test.
  if (text == nullptr || *text == '\0') return std::nullopt;
  return internal::ParseSeed(text, "KEMU_SEED");
}

::testing::internal::ParamGenerator<MachineParam> AllMachines(
    std::initializer_list<unsigned> processors) {
  return ::testing::Combine(AllOs(), Processors(processors), VerifierModes());
}

std::string MachineName::operator()(const ::testing::TestParamInfo<MachineParam>& info) const {
  const auto [os, processors, verifier] = info.param;
  return fmt::format("{}_{}cpu_{}", OsName()(::testing::TestParamInfo<Os>(os, info.index)),
                     processors, verifier ? "verifier" : "noverifier");
}

MachineOptions MachineTest::Options() const {
  const auto [os, processors, verifier] = GetParam();
  return MachineOptions{.os = os, .processors = processors, .verifier = verifier};
}

namespace internal {

std::uint64_t ParseSeed(std::string_view text, std::string_view source) {
  std::uint64_t seed = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seed);
  if (error != std::errc() || end != text.data() + text.size()) {
    // A harness error, not a test failure: a mistyped seed would otherwise replay the wrong run.
    throw Error(fmt::format("kemu: {} must be a decimal seed (as reports print it), got \"{}\"",
                            source, text));
  }
  return seed;
}

void TestMachine::Start(MachineOptions options) {
  // Installed before anything can throw, so Stop() always has a handler to restore.
  previous_handler_ = SetFailureHandler(&RecordFailure);
  if (const std::optional<std::uint64_t> seed = SeedFromEnvironment()) options.seed = *seed;
  machine_.emplace(options);
}

void TestMachine::Stop() {
  if (machine_ && !machine_->crashed()) {
    try {
      machine_->Shutdown();
    } catch (const BugCheck& leak) {
      RecordFailure(leak);
    }
  }
  machine_.reset();
  if (previous_handler_) SetFailureHandler(*previous_handler_);
  previous_handler_.reset();
}

}  // namespace internal
}  // namespace kemu::testing
