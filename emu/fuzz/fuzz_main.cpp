// kemu::fuzz_main: the libFuzzer entry points of a driver fuzz program. The program defines
// kemu::fuzz::ConfigureFuzzer; these call it once and hand every input to TestOneInput.
//
//   --emit-scenario=<file>   (or KEMU_FUZZ_EMIT=<file>) write each input's scenario there; run the
//                            program on one crash file to turn it into a scenario.
// libFuzzer ignores flags that start with "--", so the flag passes through it untouched.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/test_one_input.hpp"
#include "kemu/fuzz.hpp"

namespace {

// The program's one fuzz target. libFuzzer's entry points take no context, so like main()'s locals
// this lives for the whole program; the kemu::fuzz library itself keeps no state (docs/decisions.md
// "No mutable globals").
struct Program {
  kemu::fuzz::FuzzTarget target;
  std::vector<kemu::scenario::ActionInfo> actions;
  std::string emit_path;
};

Program& TheProgram() {
  static Program program = [] {
    Program p;
    kemu::fuzz::ConfigureFuzzer(p.target);
    p.actions = kemu::fuzz::TargetActions(p.target);
    return p;
  }();
  return program;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  Program& program = TheProgram();
  if (const char* path = std::getenv("KEMU_FUZZ_EMIT"); path != nullptr && *path != '\0') {
    program.emit_path = path;
  }
  constexpr std::string_view kFlag = "--emit-scenario=";
  for (int i = 1; argc != nullptr && argv != nullptr && i < *argc; ++i) {
    const std::string_view arg((*argv)[i]);
    if (arg.substr(0, kFlag.size()) == kFlag) program.emit_path = arg.substr(kFlag.size());
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Program& program = TheProgram();
  return kemu::fuzz::internal::TestOneInput(program.target, program.actions,
                                            std::span<const std::uint8_t>(data, size),
                                            program.emit_path);
}
