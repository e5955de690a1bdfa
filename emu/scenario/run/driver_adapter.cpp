// The adapter defaults and the registry of adapters a runner knows.
#include "kemu/scenario/driver_adapter.hpp"

#include "kemu/error.hpp"

namespace kemu::scenario {

void DriverAdapter::Act(const std::string& action, const ActionArgs& args, Device& device) {
  (void)args;
  (void)device;
  // Validate() rejects unknown actions before a run starts; reaching this is an adapter that
  // lists an action in Actions() without implementing it.
  throw Error("kemu: the driver adapter lists action '" + action + "' but does not implement it");
}

std::int64_t DriverAdapter::Probe(const std::string& probe, Device& device) {
  (void)device;
  throw Error("kemu: the driver adapter lists probe '" + probe + "' but does not implement it");
}

void AdapterRegistry::Add(std::string name, AdapterFactory factory, std::string description) {
  if (name.empty()) throw Error("kemu: a driver adapter needs a name");
  if (!factory) throw Error("kemu: driver adapter '" + name + "' has no factory");
  if (Find(name) != nullptr) throw Error("kemu: driver adapter '" + name + "' registered twice");
  entries_.push_back({std::move(name), std::move(factory), std::move(description)});
}

const AdapterFactory* AdapterRegistry::Find(const std::string& name) const {
  if (name.empty()) return entries_.empty() ? nullptr : &entries_.front().factory;
  for (const Entry& entry : entries_) {
    if (entry.name == name) return &entry.factory;
  }
  return nullptr;
}

std::vector<std::string> AdapterRegistry::Names() const {
  std::vector<std::string> names;
  for (const Entry& entry : entries_) names.push_back(entry.name);
  return names;
}

const std::string& AdapterRegistry::Description(const std::string& name) const {
  static const std::string kNone;
  for (const Entry& entry : entries_) {
    if (entry.name == name) return entry.description;
  }
  return kNone;
}

}  // namespace kemu::scenario
