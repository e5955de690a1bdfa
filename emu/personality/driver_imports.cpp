// Will a driver load on a release: its imports against the export manifest.
#include "kemu/driver_imports.hpp"

#include <fmt/format.h>

#include <string>
#include <utility>
#include <vector>

#include "personality/export_manifest.hpp"
#include "personality/exports.hpp"

namespace kemu {
namespace {

const personality::ExportInfo& Lookup(const std::string& routine, const std::string& driver) {
  const personality::ExportInfo* info = personality::FindExport(routine);
  if (info == nullptr) {
    throw Error(
        fmt::format("kemu: {} imports '{}', which is not in kemu's export manifest; kemu "
                    "cannot say which Windows releases export it",
                    driver, routine));
  }
  return *info;
}

std::string Join(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) {
    if (!text.empty()) text += ", ";
    text += name;
  }
  return text;
}

}  // namespace

std::vector<std::string> MissingImports(const DriverImports& imports, Os os) {
  std::vector<std::string> missing;
  for (const std::string& routine : imports.routines) {
    if (!personality::IsCallable(Lookup(routine, imports.driver), os)) missing.push_back(routine);
  }
  return missing;
}

std::vector<Os> OsesThatLoad(const DriverImports& imports) {
  std::vector<Os> loads;
  for (Os os : AllOs()) {
    if (MissingImports(imports, os).empty()) loads.push_back(os);
  }
  return loads;
}

std::string DescribeLoadability(const DriverImports& imports) {
  std::string loads;
  std::string lacking;
  for (Os os : AllOs()) {
    const std::vector<std::string> missing = MissingImports(imports, os);
    if (missing.empty()) {
      loads += fmt::format(" {}", OsName(os));
    } else {
      lacking += fmt::format("\n  not on {}: it lacks {}", OsName(os), Join(missing));
    }
  }
  return fmt::format("{} loads on:{}{}", imports.driver, loads.empty() ? " none" : loads, lacking);
}

LoadFailure::LoadFailure(std::string driver, std::string os_name, std::vector<std::string> missing)
    : Error(fmt::format("kemu: {} does not load on {}: it imports {}, which {} does not export "
                        "(the load fails with STATUS_DRIVER_ENTRYPOINT_NOT_FOUND 0xC0000263)",
                        driver, os_name, Join(missing), os_name)),
      driver_(std::move(driver)),
      missing_(std::move(missing)) {}

}  // namespace kemu
