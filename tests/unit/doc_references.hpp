// Keeps the repository's citations resolvable inside the repository. Comments and documents cite
// sections of the documents in docs/ as "docs/windows-facts.md §9.3" (then "§1, §3", "§2.4-2.7",
// "§13 item 4" after it, within the same paragraph); inside a document under docs/ a bare "§9.3"
// is that document's own section. CheckDocReferences reports every citation whose document or
// numbered heading (or numbered list item) does not exist, every "§" that does not say which
// document it means, and any reference to design notes kept outside the repository.
#ifndef KEMU_TESTS_UNIT_DOC_REFERENCES_HPP_
#define KEMU_TESTS_UNIT_DOC_REFERENCES_HPP_

#include <cstddef>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace kemu::testing {

struct DocReferenceReport {
  std::vector<std::string> problems;  ///< "path:line: what is wrong", in file order
  std::size_t citations = 0;          ///< section citations checked
};

class DocReferenceChecker {
 public:
  explicit DocReferenceChecker(std::filesystem::path root) : root_(std::move(root)) {}

  /// Checks `text`, the contents of `file` (a path relative to the root, with '/').
  DocReferenceReport Check(const std::string& file, const std::string& text);

  /// The files whose citations the repository keeps true, relative to the root, sorted.
  std::vector<std::string> CitingFiles() const;

 private:
  // Numbered headings of a Markdown document ("9.3", "13", "S") and, for each, the numbers of
  // the ordered-list items under it.
  using Outline = std::map<std::string, std::set<int>>;

  struct Scan;  // one file being checked

  const Outline* OutlineOf(const std::string& document);
  // The Markdown file name ending at `md` (".md"); a name followed by a section sign starts the
  // citations of the paragraph.
  void OnDocumentName(Scan& scan, std::size_t md);
  void OnCitation(Scan& scan, std::size_t at, const std::string& first, const std::string& last,
                  int item);

  std::filesystem::path root_;
  std::map<std::string, Outline> outlines_;  // by path relative to the root
};

}  // namespace kemu::testing

#endif  // KEMU_TESTS_UNIT_DOC_REFERENCES_HPP_
