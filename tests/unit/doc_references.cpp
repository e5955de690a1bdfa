// DocReferenceChecker (doc_references.hpp): a single pass over a file that tracks which document
// the citations of the current paragraph refer to.
#include "doc_references.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>
#include <utility>

#include "read_file.hpp"

namespace kemu::testing {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSectionSign = "\xC2\xA7";
constexpr std::string_view kEnDash = "\xE2\x80\x93";

// Design notes that lived outside the repository; a clone cannot follow a reference to them.
constexpr std::array<std::string_view, 5> kOutside = {"windows-interrupts", "DESIGN.md", "STYLE.md",
                                                      "shared/spec", "../shared"};

// Words that may stand between a document's name and one of its sections.
constexpr std::array<std::string_view, 10> kConnectives = {"and", "or",   "see",   "in", "also",
                                                           "to",  "from", "under", "of", "with"};

constexpr std::array<std::string_view, 9> kCitingDirectories = {
    "emu", "include", "examples", "tests", "bench", "tools", "cmake", "scenarios", "docs"};
constexpr std::array<std::string_view, 11> kCitingExtensions = {
    ".c", ".h", ".cpp", ".hpp", ".inc", ".cmake", ".in", ".txt", ".md", ".yaml", ".yml"};
// The checker itself names the outside notes, and its test quotes wrong citations on purpose.
constexpr std::array<std::string_view, 2> kNotChecked = {"tests/unit/doc_references.cpp",
                                                         "tests/unit/doc_references_test.cpp"};

template <std::size_t N>
bool Contains(const std::array<std::string_view, N>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool StartsWith(std::string_view text, std::size_t at, std::string_view prefix) {
  return at <= text.size() && text.substr(at, prefix.size()) == prefix;
}
bool IsDigit(std::string_view text, std::size_t at) {
  return at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])) != 0;
}
bool IsLetter(std::string_view text, std::size_t at) {
  return at < text.size() && std::isalpha(static_cast<unsigned char>(text[at])) != 0;
}
bool IsWordChar(std::string_view text, std::size_t at) {
  return at < text.size() &&
         (std::isalnum(static_cast<unsigned char>(text[at])) != 0 || text[at] == '_');
}
bool IsPathChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.' ||
         c == '/';
}
// Blanks and the comment markers of C, C++, CMake, YAML and Markdown.
bool IsFiller(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '/' || c == '*' || c == '#';
}

// A section number at `at` ("9.3", "13", or a lone capital such as "S"); advances `at`.
std::string ReadSectionNumber(std::string_view text, std::size_t& at) {
  const std::size_t start = at;
  if (at < text.size() && std::isupper(static_cast<unsigned char>(text[at])) != 0 &&
      !IsWordChar(text, at + 1)) {
    ++at;
    return std::string(text.substr(start, 1));
  }
  while (IsDigit(text, at) || (at < text.size() && text[at] == '.' && IsDigit(text, at + 1))) {
    ++at;
  }
  return std::string(text.substr(start, at - start));
}

// Whether the line starting after the newline at `newline` begins a new paragraph: a blank line
// (comment markers alone count as blank), or in Markdown a list item or table row.
bool StartsParagraph(std::string_view text, std::size_t newline, bool markdown) {
  std::size_t at = newline + 1;
  while (at < text.size() && text[at] != '\n' && IsFiller(text[at])) ++at;
  if (at >= text.size() || text[at] == '\n') return true;
  if (!markdown) return false;
  at = text.find_first_not_of(" \t", newline + 1);
  if (StartsWith(text, at, "- ") || StartsWith(text, at, "* ") || StartsWith(text, at, "| ")) {
    return true;
  }
  std::size_t digits = at;
  while (IsDigit(text, digits)) ++digits;
  return digits > at && StartsWith(text, digits, ". ");
}

// The word right before the citation at `at`, skipping blanks, comment markers, punctuation and
// parenthesised remarks: "" when a number, a document name or nothing comes first.
std::string WordBefore(std::string_view text, std::size_t at) {
  std::size_t end = at;
  int depth = 0;
  while (end > 0) {
    const char c = text[end - 1];
    if (c == ')') {
      ++depth;
    } else if (c == '(' && depth > 0) {
      --depth;
    } else if (depth == 0 && !IsFiller(c) && c != ',' && c != ';' && c != ':' && c != '(') {
      break;
    }
    --end;
  }
  std::size_t start = end;
  while (start > 0 && IsLetter(text, start - 1)) --start;
  if (start == end || (start > 0 && (IsWordChar(text, start - 1) || text[start - 1] == '.'))) {
    return "";
  }
  const std::string word(text.substr(start, end - start));
  return Contains(kConnectives, word) ? "" : word;
}

// A citation "§2.4-2.7" or "§13 item 4": its first and last section, its item, where it ends.
struct Citation {
  std::string first;
  std::string last;
  int item = -1;
  std::size_t end = 0;
};

// The citation whose section sign is at `at`; nullopt for the sign on its own.
std::optional<Citation> ReadCitation(std::string_view text, std::size_t at) {
  Citation citation;
  citation.end = at + kSectionSign.size();
  citation.first = ReadSectionNumber(text, citation.end);
  if (citation.first.empty()) return std::nullopt;
  std::size_t& end = citation.end;
  if (end < text.size() && text[end] == '-' && IsDigit(text, end + 1)) {
    ++end;
    citation.last = ReadSectionNumber(text, end);
  } else if (StartsWith(text, end, kEnDash) && IsDigit(text, end + kEnDash.size())) {
    end += kEnDash.size();
    citation.last = ReadSectionNumber(text, end);
  }
  if (StartsWith(text, end, " item ") && IsDigit(text, end + 6)) {
    end += 6;
    citation.item = 0;
    while (IsDigit(text, end)) citation.item = citation.item * 10 + (text[end++] - '0');
  }
  return citation;
}

}  // namespace

struct DocReferenceChecker::Scan {
  Scan(const std::string& file_name, const std::string& contents, bool is_document)
      : file(file_name), text(contents), document(is_document) {}

  const std::string& file;
  const std::string& text;
  bool document = false;  // a Markdown file under docs/: a bare section is its own
  int line = 1;
  std::string current;  // the document this paragraph's citations refer to
  DocReferenceReport report;

  void Problem(const std::string& what) {
    report.problems.push_back(fmt::format("{}:{}: {}", file, line, what));
  }
};

DocReferenceReport DocReferenceChecker::Check(const std::string& file, const std::string& text) {
  const bool markdown = file.size() > 3 && file.compare(file.size() - 3, 3, ".md") == 0;
  Scan scan(file, text, markdown && file.rfind("docs/", 0) == 0);
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '\n') {
      if (StartsParagraph(text, i, markdown)) scan.current.clear();
      ++scan.line;
      ++i;
      continue;
    }
    for (const std::string_view outside : kOutside) {
      if (text[i] == outside[0] && StartsWith(text, i, outside)) {
        scan.Problem(fmt::format("\"{}\" is outside the repository; cite docs/ instead", outside));
      }
    }
    if (StartsWith(text, i, ".md") && !IsWordChar(text, i + 3)) {
      OnDocumentName(scan, i);
      i += 3;
    } else if (const std::optional<Citation> citation =
                   StartsWith(text, i, kSectionSign) ? ReadCitation(text, i) : std::nullopt) {
      OnCitation(scan, i, citation->first, citation->last, citation->item);
      i = citation->end;
    } else {
      ++i;
    }
  }
  return std::move(scan.report);
}

void DocReferenceChecker::OnDocumentName(Scan& scan, std::size_t md) {
  const std::string& text = scan.text;
  std::size_t start = md;
  while (start > 0 && IsPathChar(text[start - 1])) --start;
  const std::string name = text.substr(start, md + 3 - start);
  std::size_t next = md + 3;
  while (next < text.size() && IsFiller(text[next])) ++next;
  const bool cited = StartsWith(text, next, kSectionSign);
  const bool in_docs = name.rfind("docs/", 0) == 0;
  if (!in_docs && !cited) return;  // a mention of some other Markdown file
  std::string target = name;
  if (!in_docs) {
    if (!scan.document || name.find('/') != std::string::npos) {
      scan.Problem(fmt::format("cite {} by its path in the repository (docs/...)", name));
    }
    target = "docs/" + name.substr(name.rfind('/') + 1);
  }
  if (!fs::is_regular_file(root_ / target)) scan.Problem(fmt::format("{} does not exist", target));
  if (cited) scan.current = target;
}

void DocReferenceChecker::OnCitation(Scan& scan, std::size_t at, const std::string& first,
                                     const std::string& last, int item) {
  ++scan.report.citations;
  std::string target = scan.current;
  if (target.empty()) {
    if (!scan.document) {
      scan.Problem(fmt::format(
          "\u00a7{} does not say which document it cites (docs/<name>.md \u00a7{})", first, first));
      return;
    }
    target = scan.file;
  } else if (const std::string word = WordBefore(scan.text, at); !word.empty()) {
    scan.Problem(
        fmt::format("\u00a7{} follows \"{}\", not a document name (docs/<name>.md \u00a7{})", first,
                    word, first));
  }
  const Outline* outline = OutlineOf(target);
  if (outline == nullptr) return;  // reported as a missing document
  for (const std::string& section : {first, last}) {
    if (!section.empty() && outline->count(section) == 0) {
      scan.Problem(fmt::format("{} has no section {}", target, section));
    }
  }
  if (item >= 0 && outline->count(first) != 0 && outline->at(first).count(item) == 0) {
    scan.Problem(fmt::format("{} \u00a7{} has no item {}", target, first, item));
  }
}

std::vector<std::string> DocReferenceChecker::CitingFiles() const {
  std::vector<std::string> files = {"CMakeLists.txt", "README.md"};
  for (const std::string_view directory : kCitingDirectories) {
    const fs::path base = root_ / directory;
    if (!fs::is_directory(base)) continue;
    for (const fs::directory_entry& entry : fs::recursive_directory_iterator(base)) {
      if (!entry.is_regular_file()) continue;
      const std::string relative = fs::relative(entry.path(), root_).generic_string();
      if (Contains(kNotChecked, relative) || relative.find("/corpus/") != std::string::npos) {
        continue;
      }
      const std::string extension = entry.path().extension().string();
      if (Contains(kCitingExtensions, extension) || (directory == "tools" && extension.empty())) {
        files.push_back(relative);
      }
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

const DocReferenceChecker::Outline* DocReferenceChecker::OutlineOf(const std::string& document) {
  if (const auto it = outlines_.find(document); it != outlines_.end()) return &it->second;
  const fs::path path = root_ / document;
  if (!fs::is_regular_file(path)) return nullptr;
  Outline outline;
  std::string heading;
  bool fenced = false;
  std::istringstream lines(kemu_test::ReadFile(path));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("```", 0) == 0) fenced = !fenced;
    if (fenced || line.empty()) continue;
    if (line[0] == '#') {
      std::size_t at = line.find_first_not_of('#');
      at = line.find_first_not_of(' ', at == std::string::npos ? line.size() : at);
      heading = at == std::string::npos ? "" : ReadSectionNumber(line, at);
      if (!heading.empty()) outline[heading];
      continue;
    }
    std::size_t digits = 0;
    while (IsDigit(line, digits)) ++digits;
    if (!heading.empty() && digits > 0 && StartsWith(line, digits, ". ")) {
      outline[heading].insert(std::stoi(line.substr(0, digits)));
    }
  }
  return &outlines_.emplace(document, std::move(outline)).first->second;
}

}  // namespace kemu::testing
