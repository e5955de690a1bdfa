#include "kemu/os.hpp"

namespace kemu {
namespace {

constexpr std::array<Os, kOsCount> kAllOs = {
    Os::kWindows2000, Os::kWindowsXP, Os::kWindowsServer2003, Os::kWindowsVista, Os::kWindows7,
    Os::kWindows8,    Os::kWindows81, Os::kWindows10,         Os::kWindows11,
};

constexpr std::array<std::string_view, kOsCount> kNames = {
    "win2000", "xp", "ws2003", "vista", "win7", "win8", "win8.1", "win10", "win11",
};

}  // namespace

const std::array<Os, kOsCount>& AllOs() { return kAllOs; }

std::string_view OsName(Os os) { return kNames[static_cast<std::size_t>(os)]; }

std::optional<Os> ParseOs(std::string_view name) {
  for (std::size_t i = 0; i < kOsCount; ++i) {
    if (kNames[i] == name) return kAllOs[i];
  }
  return std::nullopt;
}

std::ostream& operator<<(std::ostream& out, Os os) { return out << OsName(os); }

}  // namespace kemu
