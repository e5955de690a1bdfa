// RtlQueryRegistryValues: RTL_QUERY_REGISTRY_DIRECT into ULONGs, UNICODE_STRINGs and sized
// buffers, REQUIRED, defaults, TYPECHECK, the QueryRoutine form, what RelativeTo names, and the
// flags kemu does not model failing by name. docs/kernel.md, "Registry".
#include <wdm.h>

#include <cstring>
#include <string>
#include <vector>

#include "kemu/error.hpp"
#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::RegistryValue;
using ::kemu::testing::BugCheckIs;
using ::kemu::testing::CrashOf;

constexpr const wchar_t* kParameters =
    L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\mynic\\Parameters";

class RegistryQueryTest : public kemu::testing::PersonalityTest {
 protected:
  kemu::RegistryKey& parameters() { return machine().registry().ServiceParameters(L"mynic"); }
};

INSTANTIATE_TEST_SUITE_P(AllWindows, RegistryQueryTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

/// A direct entry for `name` into `variable`.
RTL_QUERY_REGISTRY_TABLE Direct(const wchar_t* name, void* variable, ULONG flags = 0) {
  RTL_QUERY_REGISTRY_TABLE entry{};
  entry.Flags = RTL_QUERY_REGISTRY_DIRECT | flags;
  entry.Name = const_cast<PWSTR>(name);
  entry.EntryContext = variable;
  return entry;
}

NTSTATUS Query(ULONG relative_to, const wchar_t* path, std::vector<RTL_QUERY_REGISTRY_TABLE> table,
               PVOID context = nullptr) {
  table.push_back({});  // the terminator
  return RtlQueryRegistryValues(relative_to, path, table.data(), context, nullptr);
}

TEST_P(RegistryQueryTest, DirectStoresADwordInTheDriversUlong) {  // REG-4
  parameters().Set(L"DebugLevel", RegistryValue::Dword(3));
  ULONG level = 0xFFFF;
  EXPECT_EQ(Query(RTL_REGISTRY_ABSOLUTE, kParameters, {Direct(L"DebugLevel", &level)}),
            STATUS_SUCCESS);
  EXPECT_EQ(level, 3u);
}

TEST_P(RegistryQueryTest, ServicesIsRelativeToTheServicesKey) {
  parameters().Set(L"DebugLevel", RegistryValue::Dword(4));
  ULONG level = 0;
  EXPECT_EQ(Query(RTL_REGISTRY_SERVICES, L"mynic\\Parameters", {Direct(L"DebugLevel", &level)}),
            STATUS_SUCCESS);
  EXPECT_EQ(level, 4u);
}

TEST_P(RegistryQueryTest, HandleQueriesAKeyTheDriverOpened) {
  parameters().Set(L"DebugLevel", RegistryValue::Dword(5));
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, kParameters);
  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE, nullptr, nullptr);
  HANDLE key = nullptr;
  ASSERT_EQ(ZwOpenKey(&key, KEY_READ, &attributes), STATUS_SUCCESS);
  ULONG level = 0;
  EXPECT_EQ(
      Query(RTL_REGISTRY_HANDLE, static_cast<const wchar_t*>(key), {Direct(L"DebugLevel", &level)}),
      STATUS_SUCCESS);
  EXPECT_EQ(level, 5u);
  ZwClose(key);
}

TEST_P(RegistryQueryTest, AMissingRequiredValueIsObjectNameNotFoundAndStopsTheTable) {  // REG-4
  ULONG level = 7, other = 7;
  parameters().Set(L"Other", RegistryValue::Dword(1));
  EXPECT_EQ(
      Query(RTL_REGISTRY_ABSOLUTE, kParameters,
            {Direct(L"DebugLevel", &level, RTL_QUERY_REGISTRY_REQUIRED), Direct(L"Other", &other)}),
      STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(level, 7u);
  EXPECT_EQ(other, 7u) << "the entries after it are not read";
}

TEST_P(RegistryQueryTest, AMissingOptionalValueTakesTheDefaultOrStaysUntouched) {
  parameters();  // the key exists, empty
  const ULONG fallback = 64;
  RTL_QUERY_REGISTRY_TABLE with_default = Direct(L"Buffers", nullptr);
  ULONG buffers = 0, untouched = 0xAB;
  with_default.EntryContext = &buffers;
  with_default.DefaultType = REG_DWORD;
  with_default.DefaultData = const_cast<ULONG*>(&fallback);
  with_default.DefaultLength = sizeof fallback;
  EXPECT_EQ(
      Query(RTL_REGISTRY_ABSOLUTE, kParameters, {with_default, Direct(L"Absent", &untouched)}),
      STATUS_SUCCESS);
  EXPECT_EQ(buffers, 64u);
  EXPECT_EQ(untouched, 0xABu) << "DefaultType REG_NONE: nothing stored";
}

TEST_P(RegistryQueryTest, AStringGoesIntoTheDriversUnicodeStringWithItsNul) {
  parameters().Set(L"Name", RegistryValue::String(L"nic"));
  WCHAR storage[8];
  std::memset(storage, 0xCC, sizeof storage);
  UNICODE_STRING name;
  RtlInitEmptyUnicodeString(&name, storage, sizeof storage);
  EXPECT_EQ(Query(RTL_REGISTRY_ABSOLUTE, kParameters, {Direct(L"Name", &name)}), STATUS_SUCCESS);
  EXPECT_EQ(name.Length, 3 * sizeof(WCHAR));
  EXPECT_EQ(name.MaximumLength, sizeof storage);
  EXPECT_EQ(std::wstring(storage), L"nic");
}

TEST_P(RegistryQueryTest, AStringTooLongForTheBufferIsBufferTooSmall) {
  parameters().Set(L"Name", RegistryValue::String(L"a long name"));
  WCHAR storage[4];
  UNICODE_STRING name;
  RtlInitEmptyUnicodeString(&name, storage, sizeof storage);
  EXPECT_EQ(Query(RTL_REGISTRY_ABSOLUTE, kParameters, {Direct(L"Name", &name)}),
            STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(name.Length, 0u);
}

TEST_P(RegistryQueryTest, ANullBufferGetsPagedPoolTheDriverFrees) {
  parameters().Set(L"Name", RegistryValue::String(L"nic"));
  UNICODE_STRING name{};
  EXPECT_EQ(Query(RTL_REGISTRY_ABSOLUTE, kParameters, {Direct(L"Name", &name)}), STATUS_SUCCESS);
  ASSERT_NE(name.Buffer, nullptr);
  EXPECT_EQ(name.Length, 3 * sizeof(WCHAR));
  EXPECT_EQ(name.MaximumLength, 4 * sizeof(WCHAR)) << "the string and its NUL";
  EXPECT_EQ(std::wstring(name.Buffer), L"nic");
  EXPECT_EQ(machine().pool_allocations(), 1u);
  ExFreePool(name.Buffer);
}

TEST_P(RegistryQueryTest, AStringDefaultIsMeasuredThroughItsNul) {
  static const wchar_t kDefault[] = L"eth";
  parameters();
  RTL_QUERY_REGISTRY_TABLE entry = Direct(L"Name", nullptr);
  WCHAR storage[8];
  UNICODE_STRING name;
  RtlInitEmptyUnicodeString(&name, storage, sizeof storage);
  entry.EntryContext = &name;
  entry.DefaultType = REG_SZ;
  entry.DefaultData = const_cast<wchar_t*>(kDefault);
  EXPECT_EQ(Query(RTL_REGISTRY_ABSOLUTE, kParameters, {entry}), STATUS_SUCCESS);
  EXPECT_EQ(name.Length, 3 * sizeof(WCHAR));
  EXPECT_EQ(std::wstring(storage), L"eth");
}

TEST_P(RegistryQueryTest, ALargerValueNeedsTheSizedBufferForm) {
  parameters().Set(L"Mac", RegistryValue::Binary({1, 2, 3, 4, 5, 6}));
  // Negative size: the data alone.
  LONG raw[4] = {-static_cast<LONG>(sizeof raw), 0, 0, 0};
  EXPECT_EQ(Query(RTL_REGISTRY_ABSOLUTE, kParameters, {Direct(L"Mac", raw)}), STATUS_SUCCESS);
  EXPECT_EQ(std::memcmp(raw, "\x01\x02\x03\x04\x05\x06", 6), 0);
  // Positive size: length and type first.
  ULONG sized[4] = {sizeof sized, 0, 0, 0};
  EXPECT_EQ(Query(RTL_REGISTRY_ABSOLUTE, kParameters, {Direct(L"Mac", sized)}), STATUS_SUCCESS);
  EXPECT_EQ(sized[0], 6u);
  EXPECT_EQ(sized[1], ULONG{REG_BINARY});
  EXPECT_EQ(std::memcmp(&sized[2], "\x01\x02\x03\x04\x05\x06", 6), 0);
  // Too small either way.
  LONG small[1] = {-4};
  EXPECT_EQ(Query(RTL_REGISTRY_ABSOLUTE, kParameters, {Direct(L"Mac", small)}),
            STATUS_BUFFER_TOO_SMALL);
}

TEST_P(RegistryQueryTest, TypecheckRefusesAValueOfAnotherType) {  // REG-4
  parameters().Set(L"DebugLevel", RegistryValue::String(L"3"));
  RTL_QUERY_REGISTRY_TABLE entry = Direct(L"DebugLevel", nullptr, RTL_QUERY_REGISTRY_TYPECHECK);
  ULONG level = 0x55;
  entry.EntryContext = &level;
  entry.DefaultType = (REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_NONE;
  EXPECT_EQ(Query(RTL_REGISTRY_ABSOLUTE, kParameters, {entry}), STATUS_OBJECT_TYPE_MISMATCH);
  EXPECT_EQ(level, 0x55u);
  parameters().Set(L"DebugLevel", RegistryValue::Dword(2));
  EXPECT_EQ(Query(RTL_REGISTRY_ABSOLUTE, kParameters, {entry}), STATUS_SUCCESS);
  EXPECT_EQ(level, 2u);
}

TEST_P(RegistryQueryTest, AMissingKeyIsNotFoundUnlessOptional) {
  ULONG level = 0;
  const wchar_t* absent = L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\none";
  EXPECT_EQ(Query(RTL_REGISTRY_ABSOLUTE, absent, {Direct(L"DebugLevel", &level)}),
            STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_EQ(
      Query(RTL_REGISTRY_ABSOLUTE | RTL_REGISTRY_OPTIONAL, absent, {Direct(L"DebugLevel", &level)}),
      STATUS_SUCCESS);
  EXPECT_EQ(Query(RTL_REGISTRY_MAXIMUM, L"x", {Direct(L"DebugLevel", &level)}),
            STATUS_INVALID_PARAMETER);
}

struct Seen {
  std::vector<std::wstring> names;
  std::vector<ULONG> types;
  std::vector<std::vector<std::uint8_t>> data;
  PVOID context = nullptr;
  PVOID entry_context = nullptr;
  NTSTATUS answer = STATUS_SUCCESS;
};

extern "C" NTSTATUS NTAPI Collect(PWSTR name, ULONG type, PVOID data, ULONG length, PVOID context,
                                  PVOID entry_context) {
  auto* seen = static_cast<Seen*>(context);
  seen->names.emplace_back(name);
  seen->types.push_back(type);
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  seen->data.emplace_back(bytes, bytes + length);
  seen->context = context;
  seen->entry_context = entry_context;
  return seen->answer;
}

RTL_QUERY_REGISTRY_TABLE Routine(const wchar_t* name, ULONG flags = 0) {
  RTL_QUERY_REGISTRY_TABLE entry{};
  entry.QueryRoutine = &Collect;
  entry.Flags = flags;
  entry.Name = const_cast<PWSTR>(name);
  entry.EntryContext = reinterpret_cast<PVOID>(0x42);
  return entry;
}

TEST_P(RegistryQueryTest, TheQueryRoutineGetsTheValueAndBothContexts) {
  parameters().Set(L"DebugLevel", RegistryValue::Dword(3));
  Seen seen;
  EXPECT_EQ(Query(RTL_REGISTRY_ABSOLUTE, kParameters, {Routine(L"DebugLevel")}, &seen),
            STATUS_SUCCESS);
  ASSERT_EQ(seen.names.size(), 1u);
  EXPECT_EQ(seen.names[0], L"DebugLevel");
  EXPECT_EQ(seen.types[0], ULONG{REG_DWORD});
  EXPECT_EQ(seen.data[0], RegistryValue::Dword(3).data);
  EXPECT_EQ(seen.context, &seen);
  EXPECT_EQ(seen.entry_context, reinterpret_cast<PVOID>(0x42));
}

TEST_P(RegistryQueryTest, WithoutANameTheRoutineGetsEveryValueInOrder) {
  parameters().Set(L"A", RegistryValue::Dword(1));
  parameters().Set(L"B", RegistryValue::String(L"b"));
  Seen seen;
  EXPECT_EQ(Query(RTL_REGISTRY_ABSOLUTE, kParameters, {Routine(nullptr)}, &seen), STATUS_SUCCESS);
  EXPECT_EQ(seen.names, (std::vector<std::wstring>{L"A", L"B"}));
  EXPECT_EQ(seen.types, (std::vector<ULONG>{REG_DWORD, REG_SZ}));
}

TEST_P(RegistryQueryTest, AMultiStringReachesTheRoutineOneStringAtATimeUnlessNoexpand) {
  parameters().Set(L"Ids", RegistryValue::MultiString({L"a", L"bc"}));
  Seen each;
  EXPECT_EQ(Query(RTL_REGISTRY_ABSOLUTE, kParameters, {Routine(L"Ids")}, &each), STATUS_SUCCESS);
  EXPECT_EQ(each.types, (std::vector<ULONG>{REG_SZ, REG_SZ}));
  EXPECT_EQ(each.data[1], RegistryValue::String(L"bc").data);
  Seen whole;
  EXPECT_EQ(Query(RTL_REGISTRY_ABSOLUTE, kParameters,
                  {Routine(L"Ids", RTL_QUERY_REGISTRY_NOEXPAND)}, &whole),
            STATUS_SUCCESS);
  EXPECT_EQ(whole.types, (std::vector<ULONG>{REG_MULTI_SZ}));
  EXPECT_EQ(whole.data[0], RegistryValue::MultiString({L"a", L"bc"}).data);
}

TEST_P(RegistryQueryTest, AnErrorFromTheRoutineEndsTheWalkWithIt) {
  parameters().Set(L"A", RegistryValue::Dword(1));
  parameters().Set(L"B", RegistryValue::Dword(2));
  Seen seen;
  seen.answer = STATUS_INSUFFICIENT_RESOURCES;
  EXPECT_EQ(Query(RTL_REGISTRY_ABSOLUTE, kParameters, {Routine(nullptr)}, &seen),
            STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(seen.names.size(), 1u);
}

TEST_P(RegistryQueryTest, DeleteRemovesTheValueOnceRead) {
  parameters().Set(L"Once", RegistryValue::Dword(1));
  ULONG once = 0;
  EXPECT_EQ(Query(RTL_REGISTRY_ABSOLUTE, kParameters,
                  {Direct(L"Once", &once, RTL_QUERY_REGISTRY_DELETE)}),
            STATUS_SUCCESS);
  EXPECT_EQ(once, 1u);
  EXPECT_EQ(parameters().Find(L"Once"), nullptr);
}

TEST_P(RegistryQueryTest, TheFlagsKemuDoesNotModelFailByName) {
  parameters();
  for (const auto& [flag, name] : std::vector<std::pair<ULONG, std::string>>{
           {RTL_QUERY_REGISTRY_SUBKEY, "RTL_QUERY_REGISTRY_SUBKEY"},
           {RTL_QUERY_REGISTRY_TOPKEY, "RTL_QUERY_REGISTRY_TOPKEY"},
           {RTL_QUERY_REGISTRY_NOVALUE, "RTL_QUERY_REGISTRY_NOVALUE"},
           {RTL_QUERY_REGISTRY_NOSTRING, "RTL_QUERY_REGISTRY_NOSTRING"}}) {
    Seen seen;
    try {
      Query(RTL_REGISTRY_ABSOLUTE, kParameters, {Routine(L"X", flag)}, &seen);
      ADD_FAILURE() << name << " returned";
    } catch (const kemu::NotModelled& error) {
      EXPECT_THAT(error.what(), ::testing::HasSubstr(name));
    }
  }
}

TEST_P(RegistryQueryTest, ExpandingAReferenceIsNotModelledButNoexpandReadsIt) {
  parameters().Set(L"Path", RegistryValue::ExpandString(L"%SystemRoot%\\x"));
  Seen seen;
  EXPECT_THROW(Query(RTL_REGISTRY_ABSOLUTE, kParameters, {Routine(L"Path")}, &seen),
               kemu::NotModelled);
  EXPECT_EQ(Query(RTL_REGISTRY_ABSOLUTE, kParameters,
                  {Routine(L"Path", RTL_QUERY_REGISTRY_NOEXPAND)}, &seen),
            STATUS_SUCCESS);
  EXPECT_EQ(seen.types, (std::vector<ULONG>{REG_EXPAND_SZ}));
}

TEST_P(RegistryQueryTest, ADirectMultiStringWithoutNoexpandIsNotModelled) {
  parameters().Set(L"Ids", RegistryValue::MultiString({L"a"}));
  UNICODE_STRING ids{};
  EXPECT_THROW(Query(RTL_REGISTRY_ABSOLUTE, kParameters, {Direct(L"Ids", &ids)}),
               kemu::NotModelled);
}

TEST_P(RegistryQueryTest, AbovePassiveLevelIsTheIrqlReport) {
  ULONG level = 0;
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  const kemu::BugCheck crash =
      CrashOf([&] { Query(RTL_REGISTRY_ABSOLUTE, kParameters, {Direct(L"DebugLevel", &level)}); });
  if (machine().personality().verifier_irql_api_checks) {
    EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kDriverVerifierDetectedViolation,
                                  kemu::verifier_code::kKernelApiAtWrongIrql, APC_LEVEL, 0, 0));
  } else {
    EXPECT_THAT(crash, BugCheckIs(kemu::bugcheck::kIrqlNotLessOrEqual));
  }
}

TEST_P(RegistryQueryTest, ADirectEntryWithoutANameIsInvalidParameter) {
  ULONG level = 0;
  parameters();
  RTL_QUERY_REGISTRY_TABLE entry = Direct(nullptr, &level);
  entry.QueryRoutine = &Collect;  // else it would be the table's end
  EXPECT_EQ(Query(RTL_REGISTRY_ABSOLUTE, kParameters, {entry}), STATUS_INVALID_PARAMETER);
}

// A string stored without its NUL arrives whole, with a NUL after it: kemu's WCHAR is four bytes,
// and the last two bytes of "ABC" are zero without being a NUL (audit round 17, X2).
TEST_P(RegistryQueryTest, DirectStringStoredWithoutItsNulKeepsEveryCharacter) {
  const std::wstring text = L"ABC";
  const auto* begin = reinterpret_cast<const std::uint8_t*>(text.data());
  parameters().Set(
      L"Name", RegistryValue{.type = REG_SZ, .data = {begin, begin + text.size() * sizeof(WCHAR)}});
  UNICODE_STRING value{};
  EXPECT_EQ(Query(RTL_REGISTRY_ABSOLUTE, kParameters,
                  {Direct(L"Name", &value, RTL_QUERY_REGISTRY_REQUIRED)}),
            STATUS_SUCCESS);
  ASSERT_NE(value.Buffer, nullptr);
  EXPECT_EQ(value.Length, 3 * sizeof(WCHAR));
  EXPECT_EQ(std::wstring(value.Buffer, value.Length / sizeof(WCHAR)), L"ABC");
  EXPECT_EQ(value.Buffer[3], L'\0');
  RtlFreeUnicodeString(&value);
}

}  // namespace
