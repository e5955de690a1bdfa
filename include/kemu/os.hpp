// kemu/os.hpp — the Windows versions kemu can impersonate.
//
// Every emulated machine runs one `kemu::Os` personality. Tests usually iterate over all of them:
//
//   for (kemu::Os os : kemu::AllOs()) {
//     kemu::Machine machine(os);
//     std::cout << kemu::OsName(os) << '\n';   // "win2000", "xp", ... "win11"
//   }
#ifndef KEMU_OS_HPP_
#define KEMU_OS_HPP_

#include <array>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string_view>

namespace kemu {

/// A Windows release whose kernel behaviour kemu reproduces, oldest first.
enum class Os : std::uint8_t {
  kWindows2000,
  kWindowsXP,
  kWindowsServer2003,
  kWindowsVista,
  kWindows7,
  kWindows8,
  kWindows81,
  kWindows10,
  kWindows11,
};

inline constexpr std::size_t kOsCount = 9;

/// Every Os, oldest first.
const std::array<Os, kOsCount>& AllOs();

/// Short, stable, lower-case name: "win2000" "xp" "ws2003" "vista" "win7" "win8" "win8.1" "win10"
/// "win11". Used in test names, scenario files and the command line.
std::string_view OsName(Os os);

/// Inverse of OsName(); std::nullopt for anything else.
std::optional<Os> ParseOs(std::string_view name);

/// Lets GoogleTest and streams print an Os by its short name.
std::ostream& operator<<(std::ostream& out, Os os);

}  // namespace kemu

#endif  // KEMU_OS_HPP_
