// The KEY_VALUE_*_INFORMATION structures ZwQueryValueKey and ZwEnumerateValueKey write, and how
// much of one a short buffer receives.
#ifndef KEMU_EMU_MODEL_REGISTRY_VALUE_INFO_HPP_
#define KEMU_EMU_MODEL_REGISTRY_VALUE_INFO_HPP_

#include <wdm.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "kemu/registry.hpp"

namespace kemu::model {

class Kernel;

/// Registry names (of keys and values) compare case-insensitively (registry.cpp).
bool SameRegistryName(std::wstring_view a, std::wstring_view b);

/// The whole structure of class `info_class` (Basic, Full or Partial) for the value `name`, and
/// the size of its fixed part (the most a buffer may lack and still receive something).
struct ValueInformation {
  std::vector<std::uint8_t> bytes;
  ULONG fixed = 0;
};
ValueInformation MakeValueInformation(ULONG info_class, std::wstring_view name,
                                      const RegistryValue& value);

/// Copies `info` to the driver's buffer (`routine`'s output `parameter`) as Windows does: all of
/// it (STATUS_SUCCESS); what fits when the fixed part does (STATUS_BUFFER_OVERFLOW); nothing when
/// not even the fixed part fits (STATUS_BUFFER_TOO_SMALL). *result_length is the whole size in
/// every case. What it writes is checked against the pool block the buffer lies in
/// (model/output_range.hpp).
NTSTATUS CopyValueInformation(Kernel& kernel, const char* routine, const char* parameter,
                              const ValueInformation& info, PVOID buffer, ULONG length,
                              PULONG result_length);

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_REGISTRY_VALUE_INFO_HPP_
