// kemu::BugCheckName (emu/verifier/bugcheck.cpp): every code in kemu/bugcheck.hpp's
// kemu::bugcheck namespace has its Windows name, which reports print and scenario files use
// (`bugcheck: INVALID_KERNEL_HANDLE`). The header is read as text, so a code added without a name
// fails here.
#include <cctype>
#include <cstdint>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "kemu/bugcheck.hpp"
#include "kemu/testing/gtest.hpp"

namespace {

// Every `inline constexpr std::uint32_t kName = 0x..;` in namespace kemu::bugcheck.
std::vector<std::pair<std::string, std::uint32_t>> CodesInHeader() {
  std::ifstream file(std::string(KEMU_SOURCE_DIR) + "/include/kemu/bugcheck.hpp");
  std::stringstream text;
  text << file.rdbuf();
  const std::string all = text.str();
  const std::size_t begin = all.find("namespace bugcheck {");
  const std::size_t end = all.find("}  // namespace bugcheck", begin);
  const std::string codes = all.substr(begin, end - begin);
  const std::regex constant(R"(std::uint32_t (k[A-Za-z0-9]+) = (0x[0-9A-Fa-f]+);)");
  std::vector<std::pair<std::string, std::uint32_t>> found;
  for (auto it = std::sregex_iterator(codes.begin(), codes.end(), constant);
       it != std::sregex_iterator(); ++it) {
    found.emplace_back((*it)[1], static_cast<std::uint32_t>(std::stoul((*it)[2], nullptr, 16)));
  }
  return found;
}

// kInvalidKernelHandle -> INVALID_KERNEL_HANDLE.
std::string WindowsName(const std::string& constant) {
  std::string name;
  for (std::size_t i = 1; i < constant.size(); ++i) {
    const char c = constant[i];
    if (i > 1 && std::isupper(static_cast<unsigned char>(c))) name += '_';
    name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

TEST(BugCheckNameTest, EveryCodeKemuRaisesHasTheNameItsConstantSpells) {
  const auto codes = CodesInHeader();
  ASSERT_GE(codes.size(), 30u) << "the header's codes were not found";
  for (const auto& [constant, code] : codes) {
    SCOPED_TRACE(constant);
    // kDataRace is kemu's own code; its name says so.
    const std::string expected = constant == "kDataRace" ? "KEMU_DATA_RACE" : WindowsName(constant);
    EXPECT_EQ(kemu::BugCheckName(code), expected);
  }
}

TEST(BugCheckNameTest, NamesCodesAddedForHandlesDmaAndPagesBeyondAnAllocation) {
  EXPECT_EQ(kemu::BugCheckName(0x93), "INVALID_KERNEL_HANDLE");
  EXPECT_EQ(kemu::BugCheckName(0xCD), "PAGE_FAULT_BEYOND_END_OF_ALLOCATION");
  EXPECT_EQ(kemu::BugCheckName(0xE6), "DRIVER_VERIFIER_DMA_VIOLATION");
}

TEST(BugCheckNameTest, ACodeKemuNeverRaisesHasNoName) {
  EXPECT_EQ(kemu::BugCheckName(0x7F), "");  // UNEXPECTED_KERNEL_MODE_TRAP: not modelled
}

}  // namespace
