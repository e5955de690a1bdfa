// race::FunctionNameAt: a routine's name from its module's symbol table, for reports that name
// driver routines (storm reports name the ISR by it).
#include "race/symbol_table.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>

namespace {

using ::testing::HasSubstr;

// Not exported: only the symbol table knows it (dladdr does not).
[[gnu::noinline]] int NamedOnlyInTheSymbolTable(int x) { return x * 3 + 1; }

std::uintptr_t AddressOf(int (*routine)(int)) { return reinterpret_cast<std::uintptr_t>(routine); }

TEST(SymbolTableTest, NamesAStaticFunctionByItsDemangledName) {
  EXPECT_EQ(NamedOnlyInTheSymbolTable(2), 7);
  EXPECT_THAT(kemu::race::FunctionNameAt(AddressOf(&NamedOnlyInTheSymbolTable)),
              HasSubstr("NamedOnlyInTheSymbolTable(int)"));
}

TEST(SymbolTableTest, AnAddressInsideTheFunctionNamesItToo) {
  EXPECT_THAT(kemu::race::FunctionNameAt(AddressOf(&NamedOnlyInTheSymbolTable) + 1),
              HasSubstr("NamedOnlyInTheSymbolTable"));
}

TEST(SymbolTableTest, AnAddressInNoModuleHasNoName) {
  EXPECT_EQ(kemu::race::FunctionNameAt(0), "");
  EXPECT_EQ(kemu::race::FunctionNameAt(16), "");
}

}  // namespace
