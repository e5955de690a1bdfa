// BrokenLinks (doc_links.hpp): relative Markdown links checked against the files and headings
// they name.
#include "doc_links.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "read_file.hpp"

namespace kemu::testing {
namespace {

namespace fs = std::filesystem;

bool IsExternal(const std::string& target) {
  return target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0 ||
         target.rfind("mailto:", 0) == 0;
}

// Each line outside ``` blocks, with its number.
template <typename Visit>
void ForEachProseLine(const std::string& markdown, Visit visit) {
  std::istringstream lines(markdown);
  bool fenced = false;
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    if (line.rfind("```", 0) == 0) {
      fenced = !fenced;
      continue;
    }
    if (fenced) continue;
    visit(number, line);
  }
}

}  // namespace

std::string HeadingAnchor(const std::string& heading) {
  std::string anchor;
  for (const char c : heading) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '_' || c == '-') {
      anchor += static_cast<char>(std::tolower(u));
    } else if (c == ' ') {
      anchor += '-';
    } else if (u >= 0x80) {
      anchor += c;  // GitHub keeps letters outside ASCII
    }
  }
  return anchor;
}

std::set<std::string> HeadingAnchors(const std::string& markdown) {
  std::set<std::string> anchors;
  ForEachProseLine(markdown, [&](int, const std::string& line) {
    const std::size_t hashes = line.find_first_not_of('#');
    if (hashes == 0 || hashes == std::string::npos || line[hashes] != ' ') return;
    std::string text = line.substr(hashes + 1);
    text.erase(std::remove(text.begin(), text.end(), '`'), text.end());
    anchors.insert(HeadingAnchor(text));
  });
  return anchors;
}

std::vector<std::string> BrokenLinks(const fs::path& root, const std::string& file,
                                     const std::string& text) {
  std::vector<std::string> problems;
  const fs::path directory = (root / file).parent_path();
  ForEachProseLine(text, [&](int number, std::string line) {
    // A link written as an example inside `code` is not one.
    bool code = false;
    for (char& c : line) {
      if (c == '`') code = !code;
      if (code) c = ' ';
    }
    for (std::size_t at = line.find("]("); at != std::string::npos; at = line.find("](", at + 2)) {
      const std::size_t end = line.find(')', at + 2);
      if (end == std::string::npos) break;
      const std::string target = line.substr(at + 2, end - at - 2);
      if (target.empty() || IsExternal(target)) continue;
      const std::size_t hash = target.find('#');
      const std::string path = target.substr(0, hash);
      const fs::path linked = path.empty() ? root / file : directory / path;
      if (!path.empty() && !fs::exists(linked)) {
        problems.push_back(fmt::format("{}:{}: {} does not exist", file, number, path));
        continue;
      }
      if (hash == std::string::npos || linked.extension() != ".md") continue;
      const std::string anchor = target.substr(hash + 1);
      const std::string contents = path.empty() ? text : kemu_test::ReadFile(linked);
      if (HeadingAnchors(contents).count(anchor) == 0) {
        problems.push_back(fmt::format("{}:{}: {} has no heading #{}", file, number,
                                       path.empty() ? file : path, anchor));
      }
    }
  });
  return problems;
}

std::vector<std::string> LinkedDocuments(const fs::path& root) {
  std::vector<std::string> files = {"README.md"};
  for (const char* directory : {"docs", "scenarios"}) {
    for (const fs::directory_entry& entry : fs::directory_iterator(root / directory)) {
      if (entry.is_regular_file() && entry.path().extension() == ".md") {
        files.push_back(fs::relative(entry.path(), root).generic_string());
      }
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace kemu::testing
