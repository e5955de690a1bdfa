// The export manifest (exports.inc) as C++ data: one ExportId per routine, and per routine its
// name, area, status and the releases that provide it.
#ifndef KEMU_EMU_PERSONALITY_EXPORT_MANIFEST_HPP_
#define KEMU_EMU_PERSONALITY_EXPORT_MANIFEST_HPP_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kemu/os.hpp"

namespace kemu::personality {

enum class ExportId : std::uint16_t {
#define KEMU_EXPORT(name, area, status, callable, resolvable) k##name,
#include "personality/exports.inc"
#undef KEMU_EXPORT
  kCount,
};

enum class ExportStatus : std::uint8_t { kModelled, kNotModelled };

struct ExportInfo {
  std::string_view name;
  std::string_view area;
  ExportStatus status;
  std::optional<Os> callable_since;    ///< nullopt: never callable (none today)
  std::optional<Os> resolvable_since;  ///< nullopt: MmGetSystemRoutineAddress never finds it
};

/// The manifest's rows, indexed by ExportId (defined in export_manifest.cpp; read inline, since
/// every kernel call names its routine through it).
extern const std::array<ExportInfo, static_cast<std::size_t>(ExportId::kCount)> kExportTable;

/// Every routine of the manifest, in manifest order (indexable by ExportId).
std::span<const ExportInfo> Exports();
inline const ExportInfo& Info(ExportId id) { return kExportTable[static_cast<std::size_t>(id)]; }
/// The manifest row named `name`, or nullptr.
const ExportInfo* FindExport(std::string_view name);

}  // namespace kemu::personality

#endif  // KEMU_EMU_PERSONALITY_EXPORT_MANIFEST_HPP_
