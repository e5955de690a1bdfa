// bench/scenario_text.hpp — the scenario the scenario benchmarks parse and run.
#ifndef KEMU_BENCH_SCENARIO_TEXT_HPP_
#define KEMU_BENCH_SCENARIO_TEXT_HPP_

#include <string>

namespace kemu_bench {

/// The text of KEMU_BENCH_SCENARIO (scenarios/vista_fallback_connect.yaml), or "" when it cannot
/// be read.
std::string ScenarioText();

}  // namespace kemu_bench

#endif  // KEMU_BENCH_SCENARIO_TEXT_HPP_
