// Golden-file comparison for text a human reads (bug-check reports, trace JSON), shared by the
// tests that have golden files. KEMU_UPDATE_GOLDEN=1 rewrites the files after an intended change;
// review the diff before committing it.
//
// Host addresses make such text differ from run to run. A test names the addresses of the objects
// it owns and NormaliseAddresses() replaces each by its name (<&lock>) in both forms kemu prints
// (0x%016x and 0x%x). Any other long hex number left afterwards fails the test instead of being
// hidden, so a new source of host addresses is noticed.
#ifndef KEMU_TESTS_UNIT_GOLDEN_HPP_
#define KEMU_TESTS_UNIT_GOLDEN_HPP_

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace kemu::testing::golden {

using NamedAddresses = std::vector<std::pair<const void*, std::string>>;

inline void ReplaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

/// Replaces the test's own host addresses by their names (see the file comment).
inline std::string NormaliseAddresses(std::string text, const NamedAddresses& names) {
  for (const auto& [address, name] : names) {
    const auto value = reinterpret_cast<std::uintptr_t>(address);
    ReplaceAll(text, fmt::format("0x{:016x}", value), "<" + name + ">");
    ReplaceAll(text, fmt::format("{:#x}", value), "<" + name + ">");
  }
  // More than eight significant hex digits: not an IRQL, status or sub-code, so a host address.
  std::smatch stray;
  if (std::regex_search(text, stray, std::regex("0x0*[1-9a-f][0-9a-f]{8,}"))) {
    ADD_FAILURE() << "unnamed host address " << stray.str() << " in the text";
  }
  return text;
}

/// Compares `actual` with tests/golden/<name>, or rewrites the file under KEMU_UPDATE_GOLDEN=1.
inline void ExpectMatchesGolden(const std::string& actual, const std::string& name) {
  const std::string path = std::string(KEMU_GOLDEN_DIR) + "/" + name;
  const char* update = std::getenv("KEMU_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary) << actual;
    std::cout << "[ golden   ] rewrote " << path << "\n";
    return;
  }
  std::ifstream file(path, std::ios::binary);
  ASSERT_TRUE(file.good()) << path << " is missing; run with KEMU_UPDATE_GOLDEN=1 to create it";
  std::stringstream golden;
  golden << file.rdbuf();
  EXPECT_EQ(actual, golden.str()) << "differs from " << path
                                  << " (KEMU_UPDATE_GOLDEN=1 rewrites it after an intended change)";
}

}  // namespace kemu::testing::golden

#endif  // KEMU_TESTS_UNIT_GOLDEN_HPP_
