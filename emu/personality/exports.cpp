// The export manifest read against one release.
#include "personality/exports.hpp"

#include "kemu/personality.hpp"

namespace kemu {
namespace personality {
namespace {

bool Since(const std::optional<Os>& first, Os os) { return first.has_value() && *first <= os; }

}  // namespace

bool IsCallable(const personality::ExportInfo& info, Os os) {
  return Since(info.callable_since, os);
}
bool IsResolvable(const personality::ExportInfo& info, Os os) {
  return Since(info.resolvable_since, os);
}

}  // namespace personality

bool Personality::CanCall(std::string_view routine) const {
  const personality::ExportInfo* info = personality::FindExport(routine);
  return info != nullptr && personality::IsCallable(*info, os);
}

bool Personality::Exports(std::string_view routine) const {
  const personality::ExportInfo* info = personality::FindExport(routine);
  return info != nullptr && personality::IsResolvable(*info, os);
}

}  // namespace kemu
