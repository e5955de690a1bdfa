// Every section the repository cites exists inside the repository: comments and documents cite
// docs/windows-facts.md and docs/conformance.md by section number, and nothing refers to design
// notes a clone does not contain (tests/unit/doc_references.hpp says what counts as a citation).
// The first test checks the tree; the others show the checker catches each kind of broken
// reference, using the real documents under docs/.
#include "doc_references.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "read_file.hpp"

namespace {

using ::kemu::testing::DocReferenceChecker;
using ::kemu::testing::DocReferenceReport;

using Problems = std::vector<std::string>;

DocReferenceReport CheckText(const std::string& file, const std::string& text) {
  DocReferenceChecker checker(KEMU_SOURCE_DIR);
  return checker.Check(file, text);
}

TEST(DocReferencesTest, EverySectionTheRepositoryCitesExists) {
  DocReferenceChecker checker(KEMU_SOURCE_DIR);
  const std::vector<std::string> files = checker.CitingFiles();
  std::size_t citations = 0;
  Problems problems;
  for (const std::string& file : files) {
    const DocReferenceReport report =
        checker.Check(file, kemu_test::ReadFile(std::string(KEMU_SOURCE_DIR) + "/" + file));
    citations += report.citations;
    problems.insert(problems.end(), report.problems.begin(), report.problems.end());
  }
  EXPECT_EQ(problems, Problems{});
  // The scan really ran over the sources and their citations (over 200 of them).
  EXPECT_GT(files.size(), 300u);
  EXPECT_GT(citations, 150u);
}

TEST(DocReferencesTest, AcceptsSectionsListedAfterOneDocument) {
  const DocReferenceReport report = CheckText(
      "emu/model/example.cpp",
      "// docs/windows-facts.md §1, §3 and §9.3; §2.4-2.7 (connect versions), §13 item 4\n"
      "// and docs/conformance.md §2.8.\n");
  EXPECT_EQ(report.problems, Problems{});
  EXPECT_EQ(report.citations, 6u);
}

TEST(DocReferencesTest, AcceptsADocumentNameWrappedOntoTheNextCommentLine) {
  const DocReferenceReport report = CheckText(
      "tests/unit/example_test.cpp", "// Behaviour from docs/windows-facts.md\n// §10.5.\n");
  EXPECT_EQ(report.problems, Problems{});
  EXPECT_EQ(report.citations, 1u);
}

TEST(DocReferencesTest, ReportsASectionTheDocumentLacks) {
  const DocReferenceReport report =
      CheckText("emu/model/example.cpp", "int x;\n// docs/windows-facts.md §9.3, §99.1\n");
  EXPECT_EQ(report.problems,
            Problems{"emu/model/example.cpp:2: docs/windows-facts.md has no section 99.1"});
}

TEST(DocReferencesTest, ReportsTheEndOfARangeTheDocumentLacks) {
  const DocReferenceReport report =
      CheckText("emu/model/example.cpp", "// docs/conformance.md §2.1-2.99\n");
  EXPECT_EQ(report.problems,
            Problems{"emu/model/example.cpp:1: docs/conformance.md has no section 2.99"});
}

TEST(DocReferencesTest, ReportsAnItemTheListLacks) {
  const DocReferenceReport report =
      CheckText("emu/model/example.cpp", "// UNCONFIRMED (docs/windows-facts.md §13 item 99)\n");
  EXPECT_EQ(report.problems,
            Problems{"emu/model/example.cpp:1: docs/windows-facts.md §13 has no item 99"});
}

TEST(DocReferencesTest, ReportsACitationThatNamesNoDocument) {
  const DocReferenceReport report = CheckText("emu/model/example.cpp", "// spec §9.3\n");
  EXPECT_EQ(report.problems,
            Problems{"emu/model/example.cpp:1: §9.3 does not say which document it cites "
                     "(docs/<name>.md §9.3)"});
}

TEST(DocReferencesTest, ReportsAWordStandingWhereTheDocumentBelongs) {
  const DocReferenceReport report =
      CheckText("emu/model/example.cpp", "// docs/windows-facts.md §9.3, conformance §2.8\n");
  EXPECT_EQ(report.problems,
            Problems{"emu/model/example.cpp:1: §2.8 follows \"conformance\", not a document name "
                     "(docs/<name>.md §2.8)"});
}

TEST(DocReferencesTest, ACitationDoesNotCarryPastABlankCommentLine) {
  const DocReferenceReport report =
      CheckText("emu/model/example.cpp", "// docs/windows-facts.md §9.3\n//\n// §9.4\n");
  EXPECT_EQ(report.problems,
            Problems{"emu/model/example.cpp:3: §9.4 does not say which document it cites "
                     "(docs/<name>.md §9.4)"});
}

TEST(DocReferencesTest, ReportsADocumentThatDoesNotExist) {
  const DocReferenceReport report =
      CheckText("emu/model/example.cpp", "// docs/no-such-notes.md §1\n");
  EXPECT_EQ(report.problems,
            Problems{"emu/model/example.cpp:1: docs/no-such-notes.md does not exist"});
}

TEST(DocReferencesTest, ReportsADocumentCitedWithoutItsPath) {
  const DocReferenceReport report =
      CheckText("tests/unit/example_test.cpp", "// conformance.md §2.8\n");
  EXPECT_EQ(report.problems,
            Problems{"tests/unit/example_test.cpp:1: cite conformance.md by its path in the "
                     "repository (docs/...)"});
}

TEST(DocReferencesTest, ReportsNotesOutsideTheRepository) {
  const DocReferenceReport report =
      CheckText("include/kemu/example.hpp", "/// See DESIGN.md.\n/// And STYLE.md.\n");
  EXPECT_EQ(report.problems,
            (Problems{"include/kemu/example.hpp:1: \"DESIGN.md\" is outside the repository; cite "
                      "docs/ instead",
                      "include/kemu/example.hpp:2: \"STYLE.md\" is outside the repository; cite "
                      "docs/ instead"}));
}

TEST(DocReferencesTest, ADocumentCitesItsOwnSectionsWithoutItsName) {
  EXPECT_EQ(CheckText("docs/windows-facts.md", "Version numbers are in §10.1.\n").problems,
            Problems{});
  EXPECT_EQ(CheckText("docs/windows-facts.md", "See §10.9.\n").problems,
            Problems{"docs/windows-facts.md:1: docs/windows-facts.md has no section 10.9"});
  EXPECT_EQ(CheckText("docs/conformance.md", "As windows-facts.md §9.3 says.\n").problems,
            Problems{});
}

}  // namespace
