// kemu_fuzz_nic (and the buggy builds' kemu_fuzz_nic_bug_*): the example NIC driver under
// libFuzzer, or under kemu::fuzz_replay without it. KEMU_NIC_FUZZ_ADAPTER names the build.
//
//   build/fuzz/examples/nic/fuzz/kemu_fuzz_nic corpus_dir examples/nic/fuzz/corpus
//   kemu_fuzz_nic crash-<sha1> --emit-scenario=crash.yaml    # the finding as a scenario
#include "kemu/fuzz.hpp"
#include "nic_fuzz_target.hpp"

void kemu::fuzz::ConfigureFuzzer(FuzzTarget& target) {
  target = kemu_example::NicFuzzTarget(KEMU_NIC_FUZZ_ADAPTER);
}
