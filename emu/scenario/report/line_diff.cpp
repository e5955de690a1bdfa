// Longest-common-subsequence line diff with a bounded table, and unified-diff hunks.
#include "scenario/report/line_diff.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

namespace kemu::scenario::internal {
namespace {

// The classic dynamic programme over the middle part (after the common head and tail): suffix
// LCS lengths, then a forward walk that prefers deletions before insertions, as diff(1) does.
void AlignMiddle(const std::vector<std::string>& a, const std::vector<std::string>& b,
                 std::size_t head, std::size_t a_end, std::size_t b_end,
                 std::vector<DiffLine>& out) {
  const std::size_t n = a_end - head;
  const std::size_t m = b_end - head;
  std::vector<std::uint32_t> lcs((n + 1) * (m + 1), 0);
  auto at = [&](std::size_t i, std::size_t j) -> std::uint32_t& { return lcs[i * (m + 1) + j]; };
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) {
      at(i, j) =
          a[head + i] == b[head + j] ? at(i + 1, j + 1) + 1 : std::max(at(i + 1, j), at(i, j + 1));
    }
  }
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[head + i] == b[head + j]) {
      out.push_back({' ', head + i++, head + j++});
    } else if (i < n && (j == m || at(i + 1, j) >= at(i, j + 1))) {
      out.push_back({'-', head + i++, head + j});
    } else {
      out.push_back({'+', head + i, head + j++});
    }
  }
}

}  // namespace

LineDiff DiffLines(const std::vector<std::string>& a, const std::vector<std::string>& b,
                   std::size_t max_cells) {
  LineDiff diff;
  std::size_t head = 0;
  while (head < a.size() && head < b.size() && a[head] == b[head]) {
    diff.lines.push_back({' ', head, head});
    ++head;
  }
  std::size_t tail = 0;
  while (tail < a.size() - head && tail < b.size() - head &&
         a[a.size() - 1 - tail] == b[b.size() - 1 - tail]) {
    ++tail;
  }
  const std::size_t a_end = a.size() - tail;
  const std::size_t b_end = b.size() - tail;
  const std::size_t n = a_end - head;
  const std::size_t m = b_end - head;
  if (n != 0 && m != 0 && n > max_cells / m) {
    diff.aligned = false;
    if (head < a_end) diff.lines.push_back({'-', head, head});
    if (head < b_end) diff.lines.push_back({'+', head, head});
    return diff;
  }
  AlignMiddle(a, b, head, a_end, b_end, diff.lines);
  for (std::size_t k = 0; k < tail; ++k) diff.lines.push_back({' ', a_end + k, b_end + k});
  return diff;
}

std::string FormatHunks(const LineDiff& diff, const std::vector<std::string>& a,
                        const std::vector<std::string>& b, std::size_t context) {
  const std::vector<DiffLine>& lines = diff.lines;
  std::vector<bool> shown(lines.size(), false);
  for (std::size_t k = 0; k < lines.size(); ++k) {
    if (lines[k].op == ' ') continue;
    const std::size_t first = k > context ? k - context : 0;
    const std::size_t last = std::min(lines.size(), k + context + 1);
    std::fill(shown.begin() + static_cast<std::ptrdiff_t>(first),
              shown.begin() + static_cast<std::ptrdiff_t>(last), true);
  }
  std::string out;
  for (std::size_t k = 0; k < lines.size();) {
    if (!shown[k]) {
      ++k;
      continue;
    }
    std::size_t end = k;
    std::size_t a_count = 0;
    std::size_t b_count = 0;
    std::string body;
    for (; end < lines.size() && shown[end]; ++end) {
      const DiffLine& line = lines[end];
      const std::string& text = line.op == '+' ? b[line.b] : a[line.a];
      body += fmt::format("{} {}\n", line.op, text);
      if (line.op != '+') ++a_count;
      if (line.op != '-') ++b_count;
    }
    // Unified-diff numbering: 1-based first line, or the line before an empty range.
    const std::size_t a_start = lines[k].a + (a_count != 0 ? 1 : 0);
    const std::size_t b_start = lines[k].b + (b_count != 0 ? 1 : 0);
    out += fmt::format("@@ -{},{} +{},{} @@\n", a_start, a_count, b_start, b_count) + body;
    k = end;
  }
  return out;
}

}  // namespace kemu::scenario::internal
