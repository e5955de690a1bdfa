// Per-personality overrides of an expect: block.
#include <algorithm>

#include "kemu/scenario/scenario.hpp"

namespace kemu::scenario {
namespace {

template <typename T>
void Overlay(std::optional<T>& base, const std::optional<T>& top) {
  if (top) base = top;
}

template <typename K, typename V>
void Overlay(std::map<K, V>& base, const std::map<K, V>& top) {
  for (const auto& [key, value] : top) base.insert_or_assign(key, value);
}

}  // namespace

Expectations ExpectationBlock::For(Os os) const {
  Expectations merged = all;
  for (const auto& [oses, top] : per_os) {
    if (std::find(oses.begin(), oses.end(), os) == oses.end()) continue;
    if (!top.device.empty()) merged.device = top.device;
    Overlay(merged.connect_version, top.connect_version);
    Overlay(merged.isr_calls, top.isr_calls);
    Overlay(merged.isr_claimed, top.isr_claimed);
    Overlay(merged.dpcs_requested, top.dpcs_requested);
    Overlay(merged.message_count, top.message_count);
    Overlay(merged.granted_messages, top.granted_messages);
    Overlay(merged.registers, top.registers);
    Overlay(merged.probes, top.probes);
    Overlay(merged.bugcheck, top.bugcheck);
    Overlay(merged.irql, top.irql);
    Overlay(merged.start_status, top.start_status);
  }
  return merged;
}

}  // namespace kemu::scenario
