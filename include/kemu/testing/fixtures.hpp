// kemu/testing/fixtures.hpp — fixtures that give each test its own kemu::Machine, and the
// parameter generators for running a suite over the cross product of machine shapes (included by
// kemu/testing/gtest.hpp).
//
//   class RxTest : public kemu::testing::MachineTest {};  // one Machine per (Os, vCPUs, kernel)
//   TEST_P(RxTest, DpcDrainsTheRing) { ... machine().AddDevice(...) ... }
//   INSTANTIATE_TEST_SUITE_P(AllMachines, RxTest, kemu::testing::AllMachines({1, 4}),
//                            kemu::testing::MachineName());   // "xp_4cpu_verifier", ...
//
// Replaying a failure: every bug-check report prints the machine's seed. Run the failing test
// again with the environment variable KEMU_SEED=<n> (or --kemu_seed=<n> under kemu::gtest_main)
// and every fixture machine uses that seed instead of the one its Options() chose.
//
// The driver's debug output: every fixture machine keeps what DbgPrint printed
// (machine().debug_output()); KEMU_DBGPRINT=1 also echoes it on stderr as it is printed.
//
// A timeline of a failure: with KEMU_TRACE=out.json in the environment (or --kemu_trace=out.json
// under kemu::gtest_main), every fixture test that fails writes its machine's trace to
// out.<test name>.json (e.g. out.AllWindows_StartTest_Connects_win10.json) and prints
// "kemu: trace written to <file>". Open the file in ui.perfetto.dev.
#ifndef KEMU_TESTING_FIXTURES_HPP_
#define KEMU_TESTING_FIXTURES_HPP_

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <tuple>

#include "kemu/kemu.hpp"

namespace kemu {

/// GoogleTest prints a MachineParam's KernelMode by name: "GetParam() = (xp, 2, verifier)".
inline void PrintTo(KernelMode mode, std::ostream* out) { *out << KernelModeName(mode); }

}  // namespace kemu

namespace kemu::testing {

/// The seed KEMU_SEED asks for (decimal), or std::nullopt when it is unset or empty. Throws
/// kemu::Error naming the variable when it is not a number.
std::optional<std::uint64_t> SeedFromEnvironment();

/// Whether KEMU_DBGPRINT asks fixture machines to echo the driver's DbgPrint output on stderr as
/// it is printed (set and not "0").
bool DebugPrintEchoFromEnvironment();

/// Where traces of failed tests go (KEMU_TRACE), or std::nullopt when it is unset or empty.
std::optional<std::string> TracePathFromEnvironment();

namespace internal {

/// Parses a decimal seed; throws kemu::Error naming `source` (e.g. "KEMU_SEED") otherwise.
std::uint64_t ParseSeed(std::string_view text, std::string_view source);

/// `path` with `test_name` inserted before its extension, the name reduced to [A-Za-z0-9_-]:
///   ("out.json", "AllWindows/StartTest.Connects/win10")
///       -> "out.AllWindows_StartTest_Connects_win10.json"
/// Without an extension, the name and ".json" are appended.
std::string TraceFileFor(std::string_view path, std::string_view test_name);

/// When `failed` and KEMU_TRACE is set, writes `machine`'s trace to TraceFileFor(KEMU_TRACE,
/// test_name) and tells `out` where; returns the file written, if any. A trace that cannot be
/// written is reported on `out` too: the test has failed already, that failure is the news.
std::optional<std::string> WriteTraceIfFailed(const Machine& machine, bool failed,
                                              std::string_view test_name, std::ostream& out);

/// Records a Machine's leak report as a failure of the running test (kemu::gtest's
/// FailureHandler).
void RecordFailure(const BugCheck& failure);

/// The Machine one test owns. Start() builds it with KEMU_SEED applied and kemu::gtest's failure
/// handler installed; Stop() runs Machine::Shutdown() unless it crashed, records any leak as a test
/// failure, writes the trace if the test failed (WriteTraceIfFailed) and restores the previous
/// handler.
class TestMachine {
 public:
  void Start(MachineOptions options);
  void Stop();
  Machine& get() { return *machine_; }

 private:
  std::optional<Machine> machine_;
  std::optional<FailureHandler> previous_handler_;
};

/// What PersonalityTest and MachineTest share: everything but how the parameter becomes options.
template <typename Param>
class MachineFixture : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override { machine_.Start(Options()); }
  void TearDown() override { machine_.Stop(); }

  /// Options for the machine of this test, derived from GetParam(). Override to change them.
  virtual MachineOptions Options() const = 0;

  Machine& machine() { return machine_.get(); }

 private:
  TestMachine machine_;
};

}  // namespace internal

/// The parameter of MachineTest: which Windows, how many vCPUs, which kernel (retail, checked,
/// or Driver Verifier on; kemu/machine.hpp).
using MachineParam = std::tuple<Os, unsigned, KernelMode>;

/// Parameter generator over vCPU counts, in the order given: Processors({1, 2, 4}).
inline ::testing::internal::ParamGenerator<unsigned> Processors(
    std::initializer_list<unsigned> counts) {
  return ::testing::ValuesIn(counts.begin(), counts.end());
}

/// Parameter generator over every KernelMode: retail, checked, verifier.
inline ::testing::internal::ParamGenerator<KernelMode> KernelModes() {
  return ::testing::ValuesIn(kAllKernelModes);
}

/// Parameter generator over Driver Verifier off (a checked kernel), then on: the two modes
/// AllMachines() covered before it covered retail kernels too.
inline ::testing::internal::ParamGenerator<KernelMode> VerifierModes() {
  return ::testing::Values(KernelMode::kChecked, KernelMode::kVerifier);
}

/// Every Os × `processors` × KernelMode, for MachineTest suites.
::testing::internal::ParamGenerator<MachineParam> AllMachines(
    std::initializer_list<unsigned> processors = {1, 2});

/// Test-name generator for MachineParam: "xp_2cpu_verifier", "win8_1_1cpu_noverifier" (a checked
/// kernel: the name it had when verifier off/on was the only axis), "win10_1cpu_retail".
struct MachineName {
  std::string operator()(const ::testing::TestParamInfo<MachineParam>& info) const;
};

/// Fixture owning a kemu::Machine built from GetParam() = (os, processors, mode); TearDown()
/// checks Machine::Shutdown() and records any leak as a test failure, as PersonalityTest does.
class MachineTest : public internal::MachineFixture<MachineParam> {
 protected:
  /// The parameter's three fields and defaults for the rest; override to change the machine.
  MachineOptions Options() const override;
};

}  // namespace kemu::testing

#endif  // KEMU_TESTING_FIXTURES_HPP_
