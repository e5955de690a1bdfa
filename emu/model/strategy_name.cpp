#include "kemu/schedule.hpp"

namespace kemu {

const char* StrategyName(Strategy strategy) {
  switch (strategy) {
    case Strategy::kDefault:
      return "default";
    case Strategy::kRandom:
      return "random";
    case Strategy::kPct:
      return "pct";
  }
  return "unknown";
}

}  // namespace kemu
