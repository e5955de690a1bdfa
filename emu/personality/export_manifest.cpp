#include "personality/export_manifest.hpp"

#include <array>

namespace kemu::personality {
namespace {

constexpr std::optional<Os> Win2000 = Os::kWindows2000;
constexpr std::optional<Os> XP = Os::kWindowsXP;
constexpr std::optional<Os> Ws2003 = Os::kWindowsServer2003;
constexpr std::optional<Os> Vista = Os::kWindowsVista;
constexpr std::optional<Os> Win7 = Os::kWindows7;
constexpr std::optional<Os> Win8 = Os::kWindows8;
[[maybe_unused]] constexpr std::optional<Os> Win81 = Os::kWindows81;
[[maybe_unused]] constexpr std::optional<Os> Win10 = Os::kWindows10;
[[maybe_unused]] constexpr std::optional<Os> Win11 = Os::kWindows11;
constexpr std::optional<Os> Never = std::nullopt;
constexpr ExportStatus Modelled = ExportStatus::kModelled;
constexpr ExportStatus NotModelled = ExportStatus::kNotModelled;

}  // namespace

constexpr std::array<ExportInfo, static_cast<std::size_t>(ExportId::kCount)> kExportTable = {{
#define KEMU_EXPORT(name, area, status, callable, resolvable) \
  {#name, #area, status, callable, resolvable},
#include "personality/exports.inc"
#undef KEMU_EXPORT
}};

std::span<const ExportInfo> Exports() { return kExportTable; }

const ExportInfo* FindExport(std::string_view name) {
  for (const ExportInfo& info : kExportTable) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

}  // namespace kemu::personality
