// The coverage table in docs/coverage.md is generated from the export manifest; this test
// fails when they drift. KEMU_UPDATE_GOLDEN=1 rewrites the table in docs/coverage.md.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "kemu/os.hpp"
#include "personality/export_manifest.hpp"
#include "read_file.hpp"

namespace {

constexpr std::string_view kBegin =
    "<!-- coverage:begin (generated from emu/personality/exports.inc) -->\n";
constexpr std::string_view kEnd = "<!-- coverage:end -->";

std::string Since(const std::optional<kemu::Os>& os) {
  return os ? std::string(kemu::OsName(*os)) : std::string("never");
}

std::string CoverageTable() {
  std::string table =
      "| Routine | Area | Status | Callable from | Resolvable by name from |\n"
      "|---|---|---|---|---|\n";
  for (const kemu::personality::ExportInfo& info : kemu::personality::Exports()) {
    table += fmt::format(
        "| `{}` | {} | {} | {} | {} |\n", info.name, info.area,
        info.status == kemu::personality::ExportStatus::kModelled ? "modelled" : "**not modelled**",
        Since(info.callable_since), Since(info.resolvable_since));
  }
  return table;
}

TEST(CoverageTableTest, TableMatchesTheExportManifest) {
  std::string doc = kemu_test::ReadFile(KEMU_COVERAGE_DOC);
  const std::size_t begin = doc.find(kBegin);
  const std::size_t end = doc.find(kEnd);
  ASSERT_NE(begin, std::string::npos) << "docs/coverage.md lacks the coverage:begin marker";
  ASSERT_NE(end, std::string::npos) << "docs/coverage.md lacks the coverage:end marker";
  const std::size_t body = begin + kBegin.size();
  const std::string expected = CoverageTable();
  if (std::getenv("KEMU_UPDATE_GOLDEN") != nullptr) {
    doc.replace(body, end - body, expected);
    std::ofstream(KEMU_COVERAGE_DOC, std::ios::binary) << doc;
    GTEST_SKIP() << "docs/coverage.md coverage table rewritten";
  }
  EXPECT_EQ(doc.substr(body, end - body), expected)
      << "Regenerate with KEMU_UPDATE_GOLDEN=1 build/dev/tests/unit/kemu_unit_tests "
         "--gtest_filter=CoverageTableTest.*";
}

}  // namespace
