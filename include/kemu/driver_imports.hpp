// kemu/driver_imports.hpp — will the driver load on this Windows? The check Windows' loader makes
// before DriverEntry: every kernel routine a driver imports must be exported by that release.
//
// kemu_check_imports(<driver library> VARIABLE kMyDriverImports) in CMake lists the routines a
// driver library imports at build time (see docs/personalities.md "Will it load?") and generates
// the list:
//
//   #include "my_driver_imports.hpp"                // extern const kemu::DriverImports ...
//   kemu::Machine machine(kemu::Os::kWindows2000);
//   machine.LoadDriver(kMyDriverImports);          // throws kemu::LoadFailure where it would not
//   std::cout << kemu::DescribeLoadability(kMyDriverImports);
//   // "my_driver loads on: win2000 xp ws2003 vista win7 win8 win8.1 win10 win11"
//
// Routines found at run time with MmGetSystemRoutineAddress are not imports: a driver that uses
// a newer routine only where it exists loads everywhere, and that is the point of doing so.
#ifndef KEMU_DRIVER_IMPORTS_HPP_
#define KEMU_DRIVER_IMPORTS_HPP_

#include <cstdint>
#include <string>
#include <vector>

#include "kemu/error.hpp"
#include "kemu/os.hpp"

namespace kemu {

/// The WDK routines one driver image imports.
struct DriverImports {
  std::string driver;                 ///< a name for reports, e.g. the library's target name
  std::vector<std::string> routines;  ///< routine names, as the driver's import table has them
};

/// The routines of `imports` that `os` does not export, in the order given. A name kemu's export
/// manifest does not know throws kemu::Error (kemu cannot say whether that release has it).
std::vector<std::string> MissingImports(const DriverImports& imports, Os os);

/// Every release, oldest first, whose loader resolves all of `imports`.
std::vector<Os> OsesThatLoad(const DriverImports& imports);

/// "<driver> loads on: win2000 xp ..." ("... loads on: none"), then one line per release that
/// does not load it, naming what it lacks.
std::string DescribeLoadability(const DriverImports& imports);

/// STATUS_DRIVER_ENTRYPOINT_NOT_FOUND: the status of a driver load whose import the kernel does
/// not export ("The %hs device driver could not locate the entry point %hs in driver %hs").
inline constexpr std::int32_t kStatusDriverEntrypointNotFound =
    static_cast<std::int32_t>(0xC0000263u);

/// A driver was loaded (Machine::LoadDriver) on a release that lacks some of its imports.
class LoadFailure : public Error {
 public:
  LoadFailure(std::string driver, std::string os_name, std::vector<std::string> missing);
  /// kStatusDriverEntrypointNotFound, what the load returns on Windows.
  std::int32_t status() const { return kStatusDriverEntrypointNotFound; }
  const std::string& driver() const { return driver_; }
  /// Every import the release lacks, not only the first the loader would stop at.
  const std::vector<std::string>& missing() const { return missing_; }

 private:
  std::string driver_;
  std::vector<std::string> missing_;
};

}  // namespace kemu

#endif  // KEMU_DRIVER_IMPORTS_HPP_
