// kemu_nic_scenarios — the scenario runner for the example NIC driver: kemu::scenario_main's
// command line over the three builds of nic_driver.c. With no files named it runs the top-level
// scenarios/ directory, prints a progress line per scenario and personality, then the matrix.
//
//   kemu_nic_scenarios                              # every shipped scenario
//   kemu_nic_scenarios scenarios/shared_line.yaml --os=xp,win10 --report=matrix.md
#include "kemu/scenario/main.hpp"
#include "nic_adapter.hpp"

void kemu::scenario::ConfigureRunner(RunnerConfig& config) {
  kemu_example::AddNicAdapters(config.adapters);
  config.default_paths = {KEMU_NIC_SCENARIOS_DIR};
  config.program_description =
      "Runs scenario files against the example NIC driver (examples/nic) across Windows "
      "personalities. Adapters: nic (default), nic_bug_spinlock_at_dirql, nic_bug_no_ack, "
      "nic_bug_leak_rx_buffers, nic_bug_wait_at_dispatch.";
}
