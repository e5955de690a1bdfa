// Keeps the links between the repository's Markdown documents working: README.md is a front page
// whose reference lives in docs/, so a section moved or renamed must not leave a link behind.
// BrokenLinks reports every relative link "[text](path#anchor)" outside code blocks whose file
// does not exist, or whose anchor names no heading of that file (GitHub's heading ids: lower case,
// punctuation dropped, spaces as hyphens).
#ifndef KEMU_TESTS_UNIT_DOC_LINKS_HPP_
#define KEMU_TESTS_UNIT_DOC_LINKS_HPP_

#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace kemu::testing {

/// GitHub's id for a Markdown heading's text ("Where kemu differs (on purpose)" ->
/// "where-kemu-differs-on-purpose").
std::string HeadingAnchor(const std::string& heading);

/// The ids of the headings of a Markdown text, outside code blocks.
std::set<std::string> HeadingAnchors(const std::string& markdown);

/// "file:line: what is wrong" for each broken relative link of `text`, the contents of `file`
/// (relative to `root`, with '/').
std::vector<std::string> BrokenLinks(const std::filesystem::path& root, const std::string& file,
                                     const std::string& text);

/// The Markdown documents whose links are kept working: README.md, docs/ and scenarios/.
std::vector<std::string> LinkedDocuments(const std::filesystem::path& root);

}  // namespace kemu::testing

#endif  // KEMU_TESTS_UNIT_DOC_LINKS_HPP_
