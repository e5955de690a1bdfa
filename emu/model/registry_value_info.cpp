// KEY_VALUE_BASIC/FULL/PARTIAL_INFORMATION for ZwQueryValueKey and ZwEnumerateValueKey
// (model/registry_value_info.hpp).
#include "model/registry_value_info.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "model/kernel.hpp"
#include "model/output_range.hpp"

namespace kemu::model {
namespace {

// KEY_VALUE_FULL_INFORMATION's data follows the name at the next multiple of this. Windows
// documents only that DataOffset gives where the data starts; the alignment is UNCONFIRMED
// (docs/windows-facts.md §17): kemu aligns to 8 so that a REG_QWORD can be read in place.
constexpr std::size_t kFullDataAlignment = 8;

void Put(std::vector<std::uint8_t>& bytes, std::size_t offset, const void* data, std::size_t size) {
  if (size > 0) std::memcpy(bytes.data() + offset, data, size);
}

void PutUlong(std::vector<std::uint8_t>& bytes, std::size_t offset, std::size_t value) {
  const auto ulong = static_cast<ULONG>(value);
  Put(bytes, offset, &ulong, sizeof ulong);
}

}  // namespace

ValueInformation MakeValueInformation(ULONG info_class, std::wstring_view name,
                                      const RegistryValue& value) {
  const std::size_t name_bytes = name.size() * sizeof(WCHAR);
  const std::size_t data_bytes = value.data.size();
  ValueInformation info;
  switch (info_class) {
    case KeyValueBasicInformation: {
      constexpr std::size_t kName = offsetof(KEY_VALUE_BASIC_INFORMATION, Name);
      info.fixed = kName;
      info.bytes.assign(kName + name_bytes, 0);
      PutUlong(info.bytes, offsetof(KEY_VALUE_BASIC_INFORMATION, Type), value.type);
      PutUlong(info.bytes, offsetof(KEY_VALUE_BASIC_INFORMATION, NameLength), name_bytes);
      Put(info.bytes, kName, name.data(), name_bytes);
      break;
    }
    case KeyValueFullInformation: {
      constexpr std::size_t kName = offsetof(KEY_VALUE_FULL_INFORMATION, Name);
      const std::size_t data_offset =
          (kName + name_bytes + kFullDataAlignment - 1) / kFullDataAlignment * kFullDataAlignment;
      info.fixed = kName;
      info.bytes.assign(data_offset + data_bytes, 0);
      PutUlong(info.bytes, offsetof(KEY_VALUE_FULL_INFORMATION, Type), value.type);
      PutUlong(info.bytes, offsetof(KEY_VALUE_FULL_INFORMATION, DataOffset), data_offset);
      PutUlong(info.bytes, offsetof(KEY_VALUE_FULL_INFORMATION, DataLength), data_bytes);
      PutUlong(info.bytes, offsetof(KEY_VALUE_FULL_INFORMATION, NameLength), name_bytes);
      Put(info.bytes, kName, name.data(), name_bytes);
      Put(info.bytes, data_offset, value.data.data(), data_bytes);
      break;
    }
    default: {  // KeyValuePartialInformation
      constexpr std::size_t kData = offsetof(KEY_VALUE_PARTIAL_INFORMATION, Data);
      info.fixed = kData;
      info.bytes.assign(kData + data_bytes, 0);
      PutUlong(info.bytes, offsetof(KEY_VALUE_PARTIAL_INFORMATION, Type), value.type);
      PutUlong(info.bytes, offsetof(KEY_VALUE_PARTIAL_INFORMATION, DataLength), data_bytes);
      Put(info.bytes, kData, value.data.data(), data_bytes);
      break;
    }
  }
  return info;
}

NTSTATUS CopyValueInformation(Kernel& kernel, const char* routine, const char* parameter,
                              const ValueInformation& info, PVOID buffer, ULONG length,
                              PULONG result_length) {
  const auto size = static_cast<ULONG>(info.bytes.size());
  *result_length = size;
  if (length < info.fixed) return STATUS_BUFFER_TOO_SMALL;
  // Documented: STATUS_BUFFER_OVERFLOW means "only partial data has been written". kemu writes
  // the fixed part whole and as much of the rest as fits (how much Windows writes of a name or
  // data cut short is UNCONFIRMED, docs/windows-facts.md §17).
  const ULONG written = std::min(length, size);
  CheckOutputRange(kernel, routine, parameter, buffer, written);
  std::memcpy(buffer, info.bytes.data(), written);
  return length < size ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

}  // namespace kemu::model
