// Driver-action arguments, converted where the adapter asks for them.
#include "kemu/scenario/parser.hpp"
#include "kemu/scenario/scenario.hpp"
#include "scenario/parse/numbers.hpp"

namespace kemu::scenario {

std::uint64_t ActionArgs::Unsigned(const std::string& name, std::uint64_t fallback) const {
  auto found = values_.find(name);
  if (found == values_.end()) return fallback;
  std::optional<std::uint64_t> value = internal::ParseUnsigned(found->second);
  if (!value) {
    throw ScenarioError({{where_, "argument '" + name + "' must be an unsigned number, got '" +
                                      found->second + "'"}});
  }
  return *value;
}

std::string ActionArgs::String(const std::string& name, std::string fallback) const {
  auto found = values_.find(name);
  return found == values_.end() ? fallback : found->second;
}

}  // namespace kemu::scenario
