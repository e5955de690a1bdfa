// main() of a scenario runner program: the program supplies ConfigureRunner() (its adapters and
// default scenario paths) and links kemu::scenario_main, which brings this file.
#include "kemu/scenario/main.hpp"

int main(int argc, char** argv) {
  kemu::scenario::RunnerConfig config;
  kemu::scenario::ConfigureRunner(config);
  return kemu::scenario::ScenarioMain(argc, argv, config);
}
