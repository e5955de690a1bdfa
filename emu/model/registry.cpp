// kemu::Registry, RegistryKey and RegistryValue (kemu/registry.hpp): the registry's contents as
// plain data, which the test sets and reads and the driver's key handles reach
// (model/registry_keys.hpp).
#include "kemu/registry.hpp"

#include <array>
#include <cstring>
#include <string>

#include "kemu/error.hpp"
#include "model/registry_value_info.hpp"
#include "model/unicode_case.hpp"

namespace kemu {
namespace {

// A registry key name has at most 255 characters (Microsoft, "Registry element size limits").
constexpr std::size_t kMaxKeyNameChars = 255;

// The registry compares names case-insensitively with the system's upcase table; kemu's is the
// kernel's own approximation of it (model/unicode_case.hpp, docs/differences.md).
bool SameName(std::wstring_view a, std::wstring_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (model::UpcaseChar(a[i]) != model::UpcaseChar(b[i])) return false;
  }
  return true;
}

void AppendText(std::vector<std::uint8_t>& bytes, std::wstring_view text) {
  const std::size_t start = bytes.size();
  bytes.resize(start + (text.size() + 1) * sizeof(WCHAR), 0);  // with its NUL
  if (!text.empty()) std::memcpy(bytes.data() + start, text.data(), text.size() * sizeof(WCHAR));
}

template <typename T>
RegistryValue Plain(std::uint32_t type, T value) {
  RegistryValue result{.type = type, .data = std::vector<std::uint8_t>(sizeof value)};
  std::memcpy(result.data.data(), &value, sizeof value);
  return result;
}

// The WCHARs of `data`, whole characters only.
std::wstring Wide(const std::vector<std::uint8_t>& data) {
  std::wstring text(data.size() / sizeof(WCHAR), L'\0');
  if (!text.empty()) std::memcpy(text.data(), data.data(), text.size() * sizeof(WCHAR));
  return text;
}

const std::wstring kMachine = L"\\REGISTRY\\MACHINE";
const std::wstring kUser = L"\\REGISTRY\\USER";
const std::wstring kServices = L"\\Registry\\Machine\\System\\CurrentControlSet\\Services";

// Keys every Windows machine has: the roots RtlQueryRegistryValues' RelativeTo names and the
// ones IoOpenDeviceRegistryKey's keys live under.
constexpr std::array<const wchar_t*, 7> kStandardKeys{
    L"\\Registry\\Machine\\System\\CurrentControlSet\\Services",
    L"\\Registry\\Machine\\System\\CurrentControlSet\\Control\\Class",
    L"\\Registry\\Machine\\System\\CurrentControlSet\\Enum",
    L"\\Registry\\Machine\\System\\CurrentControlSet\\Hardware Profiles\\Current",
    L"\\Registry\\Machine\\Hardware\\DeviceMap",
    L"\\Registry\\Machine\\Software\\Microsoft\\Windows NT\\CurrentVersion",
    L"\\Registry\\User\\.Default"};

}  // namespace

RegistryValue RegistryValue::Dword(std::uint32_t value) { return Plain(REG_DWORD, value); }
RegistryValue RegistryValue::Qword(std::uint64_t value) { return Plain(REG_QWORD, value); }

RegistryValue RegistryValue::String(std::wstring_view text) {
  RegistryValue value{.type = REG_SZ, .data = {}};
  AppendText(value.data, text);
  return value;
}

RegistryValue RegistryValue::ExpandString(std::wstring_view text) {
  RegistryValue value = String(text);
  value.type = REG_EXPAND_SZ;
  return value;
}

RegistryValue RegistryValue::MultiString(const std::vector<std::wstring>& list) {
  RegistryValue value{.type = REG_MULTI_SZ, .data = {}};
  for (const std::wstring& text : list) AppendText(value.data, text);
  AppendText(value.data, L"");
  return value;
}

RegistryValue RegistryValue::Binary(std::vector<std::uint8_t> bytes) {
  return RegistryValue{.type = REG_BINARY, .data = std::move(bytes)};
}

std::optional<std::uint32_t> RegistryValue::dword() const {
  if (type != REG_DWORD || data.size() != sizeof(std::uint32_t)) return std::nullopt;
  std::uint32_t value = 0;
  std::memcpy(&value, data.data(), sizeof value);
  return value;
}

std::optional<std::uint64_t> RegistryValue::qword() const {
  if (type != REG_QWORD || data.size() != sizeof(std::uint64_t)) return std::nullopt;
  std::uint64_t value = 0;
  std::memcpy(&value, data.data(), sizeof value);
  return value;
}

std::optional<std::wstring> RegistryValue::string() const {
  if (type != REG_SZ && type != REG_EXPAND_SZ) return std::nullopt;
  std::wstring text = Wide(data);
  if (const auto nul = text.find(L'\0'); nul != std::wstring::npos) text.resize(nul);
  return text;
}

std::optional<std::vector<std::wstring>> RegistryValue::multi_string() const {
  if (type != REG_MULTI_SZ) return std::nullopt;
  const std::wstring text = Wide(data);
  std::vector<std::wstring> list;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t nul = text.find(L'\0', start);
    const std::size_t end = nul == std::wstring::npos ? text.size() : nul;
    if (end == start) break;  // the empty string ends the list
    list.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return list;
}

RegistryKey::RegistryKey(std::initializer_list<std::pair<std::wstring, RegistryValue>> values) {
  for (const auto& [name, value] : values) Set(name, value);
}

void RegistryKey::Set(std::wstring_view name, RegistryValue value) {
  for (auto& [existing, old] : values_) {
    if (SameName(existing, name)) {
      old = std::move(value);
      return;
    }
  }
  values_.emplace_back(std::wstring(name), std::move(value));
}

const RegistryValue* RegistryKey::Find(std::wstring_view name) const {
  for (const auto& [existing, value] : values_) {
    if (SameName(existing, name)) return &value;
  }
  return nullptr;
}

bool RegistryKey::Delete(std::wstring_view name) {
  for (auto it = values_.begin(); it != values_.end(); ++it) {
    if (SameName(it->first, name)) {
      values_.erase(it);
      return true;
    }
  }
  return false;
}

Registry::Registry() {
  for (const wchar_t* path : kStandardKeys) Key(path);
}

Registry::~Registry() = default;

std::wstring Registry::Canonical(std::wstring_view path) {
  // \Registry followed by components separated by one backslash each, none empty.
  if (path.empty() || path.front() != L'\\' || path.back() == L'\\') return {};
  std::wstring canonical;
  canonical.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == L'\\' && i + 1 < path.size() && path[i + 1] == L'\\') return {};
    canonical.push_back(model::UpcaseChar(path[i]));
  }
  if (canonical != L"\\REGISTRY" && !canonical.starts_with(L"\\REGISTRY\\")) return {};
  return canonical;
}

RegistryKey& Registry::Key(std::wstring_view path) {
  const std::wstring canonical = Canonical(path);
  if (canonical != kMachine && canonical != kUser && !canonical.starts_with(kMachine + L"\\") &&
      !canonical.starts_with(kUser + L"\\")) {
    throw Error(
        "kemu: Registry: a key path must be \\Registry\\Machine\\... or "
        "\\Registry\\User\\..., with single backslashes between names");
  }
  auto found = nodes_.find(canonical);
  if (const auto detached = detached_.find(canonical);
      found == nodes_.end() && detached != detached_.end()) {
    // A device's key the driver deleted, created again: the device's DeviceRegistry is its
    // values once more (audit round 17, X7).
    found = nodes_.emplace(canonical, Node{std::wstring(path), detached->second, nullptr}).first;
    detached_.erase(detached);
  }
  if (found == nodes_.end()) {
    auto owned = std::make_unique<RegistryKey>();
    RegistryKey* key = owned.get();
    found = nodes_.emplace(canonical, Node{std::wstring(path), key, std::move(owned)}).first;
  }
  return *found->second.key;
}

RegistryKey* Registry::FindKey(std::wstring_view path) {
  const auto found = nodes_.find(Canonical(path));
  return found == nodes_.end() ? nullptr : found->second.key;
}

bool Registry::Exists(std::wstring_view path) const {
  const std::wstring canonical = Canonical(path);
  if (canonical.empty()) return false;
  if (canonical == L"\\REGISTRY" || canonical == kMachine || canonical == kUser) return true;
  if (nodes_.contains(canonical)) return true;
  // Or some key below it: the first name at or after `canonical` + "\\" in order. Not the first
  // after `canonical` itself: a sibling whose name extends this one (NIC2, NIC-OLD, WINDOWS NT
  // beside WINDOWS) sorts between the key and its subkeys, as every character below '\\' does
  // (audit round 17, X1).
  const std::wstring prefix = canonical + L"\\";
  const auto at = nodes_.lower_bound(prefix);
  return at != nodes_.end() && at->first.starts_with(prefix);
}

std::wstring Registry::ServicePath(std::wstring_view service) {
  return kServices + L"\\" + std::wstring(service);
}

RegistryKey& Registry::Service(std::wstring_view service) { return Key(ServicePath(service)); }

RegistryKey& Registry::ServiceParameters(std::wstring_view service) {
  return Key(ServicePath(service) + L"\\Parameters");
}

PUNICODE_STRING Registry::RegistryPath(std::wstring_view service) {
  // A registry key name has at most 255 characters; a longer one would also make the path's
  // byte count wrap in a UNICODE_STRING's USHORT (audit round 16, V7).
  if (service.empty() || service.size() > kMaxKeyNameChars ||
      service.find(L'\\') != std::wstring_view::npos) {
    throw Error("kemu: Registry::RegistryPath: a service name is one key name, 1 to " +
                std::to_string(kMaxKeyNameChars) + " characters without '\\' (got " +
                std::to_string(service.size()) + " characters)");
  }
  Service(service);
  const std::wstring canonical = Canonical(ServicePath(service));
  std::unique_ptr<Path>& path = registry_paths_[canonical];
  if (path == nullptr) {
    path = std::make_unique<Path>();
    path->text = ServicePath(service);
    const auto bytes = static_cast<USHORT>(path->text.size() * sizeof(WCHAR));
    path->string = {bytes, static_cast<USHORT>(bytes + sizeof(WCHAR)), path->text.data()};
  }
  return &path->string;
}

std::vector<std::wstring> Registry::KeyPaths() const {
  std::vector<std::wstring> paths;
  for (const auto& [canonical, node] : nodes_) paths.push_back(node.path);
  return paths;
}

std::vector<std::wstring> Registry::Subkeys(std::wstring_view path) const {
  const std::wstring canonical = Canonical(path);
  if (canonical.empty()) return {};
  const std::wstring prefix = canonical + L"\\";
  // Each name below `prefix`, by its canonical form: the map keeps them in the order the
  // registry lists subkeys, by upper-cased name. A key that exists only through a key below it
  // counts too. Canonical and written paths have the same length, so one offset serves both.
  std::map<std::wstring, std::wstring> children;
  for (auto it = nodes_.lower_bound(prefix); it != nodes_.end() && it->first.starts_with(prefix);
       ++it) {
    const std::size_t end = it->first.find(L'\\', prefix.size());
    const std::size_t count = (end == std::wstring::npos ? it->first.size() : end) - prefix.size();
    children.try_emplace(it->first.substr(prefix.size(), count),
                         it->second.path.substr(prefix.size(), count));
  }
  std::vector<std::wstring> names;
  names.reserve(children.size());
  for (auto& [canonical_name, name] : children) names.push_back(std::move(name));
  return names;
}

bool Registry::DeleteKey(std::wstring_view path) {
  const std::wstring canonical = Canonical(path);
  const auto found = nodes_.find(canonical);
  // A key with no node exists, if at all, only through the keys below it.
  if (found == nodes_.end() || !Subkeys(canonical).empty()) return false;
  const std::wstring written = found->second.path;
  if (found->second.owned == nullptr) {
    // A device's key (Attach): its values go with it, and the device keeps the object for when
    // the key is created again.
    *found->second.key = RegistryKey{};
    detached_[canonical] = found->second.key;
  }
  nodes_.erase(found);
  // The key above may have existed only through this one; it stays.
  const std::wstring parent = written.substr(0, written.rfind(L'\\'));
  if (!Exists(parent)) Key(parent);
  return true;
}

void Registry::Attach(std::wstring_view path, RegistryKey* key) {
  detached_.erase(Canonical(path));
  nodes_[Canonical(path)] = Node{std::wstring(path), key, nullptr};
}

namespace model {
bool SameRegistryName(std::wstring_view a, std::wstring_view b) { return SameName(a, b); }
}  // namespace model

}  // namespace kemu
