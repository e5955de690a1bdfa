// kemu::fuzz_main: the libFuzzer entry points of a driver fuzz program. The program defines
// kemu::fuzz::ConfigureFuzzer; these call it once and hand every input to TestOneInput.
//
//   --emit-scenario=<file>   (or KEMU_FUZZ_EMIT=<file>) write each input's scenario there; run the
//                            program on one crash file to turn it into a scenario.
// libFuzzer ignores flags that start with "--", so the flag passes through it untouched.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kemu/fuzz.hpp"

namespace {

const kemu::fuzz::FuzzTarget& Target() {
  static const kemu::fuzz::FuzzTarget target = [] {
    kemu::fuzz::FuzzTarget t;
    kemu::fuzz::ConfigureFuzzer(t);
    return t;
  }();
  return target;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  if (const char* path = std::getenv("KEMU_FUZZ_EMIT"); path != nullptr && *path != '\0') {
    kemu::fuzz::SetEmitPath(path);
  }
  constexpr std::string_view kFlag = "--emit-scenario=";
  for (int i = 1; argc != nullptr && argv != nullptr && i < *argc; ++i) {
    const std::string_view arg((*argv)[i]);
    if (arg.substr(0, kFlag.size()) == kFlag) {
      kemu::fuzz::SetEmitPath(std::string(arg.substr(kFlag.size())));
    }
  }
  Target();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return kemu::fuzz::TestOneInput(Target(), data, size);
}
