// The consumer's scenario runner: kemu::scenario_main plus an adapter for the tiny driver.
#include <kemu/scenario/main.hpp>
#include <memory>

#include "tiny_adapter.hpp"

void kemu::scenario::ConfigureRunner(RunnerConfig& config) {
  config.adapters.Add("tiny", [] { return std::make_unique<TinyAdapter>(); });
  config.default_paths = {TINY_SCENARIOS_DIR};
}
