// The links between the repository's documents resolve: README.md's links into docs/, the docs'
// links to each other and to the tree, and every #anchor to a heading of its file. The later tests
// show the check catches a missing file and a missing heading.
#include "doc_links.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "read_file.hpp"

namespace {

using ::kemu::testing::BrokenLinks;
using ::kemu::testing::HeadingAnchor;
using ::kemu::testing::HeadingAnchors;
using ::kemu::testing::LinkedDocuments;

using Problems = std::vector<std::string>;

TEST(DocLinksTest, EveryLinkBetweenTheDocumentsResolves) {
  const std::vector<std::string> files = LinkedDocuments(KEMU_SOURCE_DIR);
  Problems problems;
  for (const std::string& file : files) {
    const Problems broken = BrokenLinks(
        KEMU_SOURCE_DIR, file, kemu_test::ReadFile(std::string(KEMU_SOURCE_DIR) + "/" + file));
    problems.insert(problems.end(), broken.begin(), broken.end());
  }
  EXPECT_EQ(problems, Problems{});
  // README.md, scenarios/README.md and docs/ with its topic files.
  EXPECT_GT(files.size(), 20u);
}

TEST(DocLinksTest, TheDocsIndexListsEveryDocument) {
  const std::string readme = kemu_test::ReadFile(std::string(KEMU_SOURCE_DIR) + "/README.md");
  const std::string index = kemu_test::ReadFile(std::string(KEMU_SOURCE_DIR) + "/docs/README.md");
  for (const std::string& file : LinkedDocuments(KEMU_SOURCE_DIR)) {
    if (file.rfind("docs/", 0) != 0 || file == "docs/README.md") continue;
    EXPECT_NE(index.find("](" + file.substr(5) + ")"), std::string::npos)
        << "docs/README.md does not list " << file;
  }
  EXPECT_NE(readme.find("](docs/README.md)"), std::string::npos);
}

TEST(DocLinksTest, HeadingAnchorsFollowGitHub) {
  EXPECT_EQ(HeadingAnchor("Where kemu differs from Windows (on purpose)"),
            "where-kemu-differs-from-windows-on-purpose");
  EXPECT_EQ(HeadingAnchor("Will it load? The import check"), "will-it-load-the-import-check");
  EXPECT_EQ(HeadingAnchor("Events, waits, timers and work items"),
            "events-waits-timers-and-work-items");
  EXPECT_EQ(HeadingAnchors("# Title\n```sh\n# not a heading\n```\n## `kemu::fuzz` API\n"),
            (std::set<std::string>{"title", "kemufuzz-api"}));
}

TEST(DocLinksTest, ReportsALinkToAFileThatDoesNotExist) {
  EXPECT_EQ(BrokenLinks(KEMU_SOURCE_DIR, "docs/traces.md", "text\nsee [there](missing.md)\n"),
            Problems{"docs/traces.md:2: missing.md does not exist"});
}

TEST(DocLinksTest, ReportsAnAnchorTheLinkedFileLacks) {
  EXPECT_EQ(BrokenLinks(KEMU_SOURCE_DIR, "README.md",
                        "[ok](docs/kernel.md#pool) [gone](docs/kernel.md#no-such-section)\n"),
            Problems{"README.md:1: docs/kernel.md has no heading #no-such-section"});
}

TEST(DocLinksTest, ReportsAnAnchorMissingInTheSameFile) {
  EXPECT_EQ(BrokenLinks(KEMU_SOURCE_DIR, "docs/traces.md", "# Here\n[a](#here) [b](#there)\n"),
            Problems{"docs/traces.md:2: docs/traces.md has no heading #there"});
}

TEST(DocLinksTest, IgnoresLinksInCodeBlocksAndExternalLinks) {
  EXPECT_EQ(BrokenLinks(KEMU_SOURCE_DIR, "README.md",
                        "```md\n[x](missing.md)\n```\n[site](https://example.com/missing.md)\n"),
            Problems{});
  EXPECT_EQ(BrokenLinks(KEMU_SOURCE_DIR, "README.md", "`[x](missing.md)` as an example\n"),
            Problems{});
}

}  // namespace
