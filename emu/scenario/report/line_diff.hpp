// A line-based diff (longest common subsequence) for FormatDiff: which observation lines two
// runs share and where they diverge, printed as unified-diff hunks with a little context.
#ifndef KEMU_EMU_SCENARIO_REPORT_LINE_DIFF_HPP_
#define KEMU_EMU_SCENARIO_REPORT_LINE_DIFF_HPP_

#include <cstddef>
#include <string>
#include <vector>

namespace kemu::scenario::internal {

/// One line of the edit script: kept (' '), only in the first input ('-'), only in the second
/// ('+'). Line numbers are 0-based positions in each input (the one a '+' or '-' line lacks is
/// where it would go).
struct DiffLine {
  char op = ' ';
  std::size_t a = 0;
  std::size_t b = 0;
};

struct LineDiff {
  std::vector<DiffLine> lines;
  /// False when the inputs were too large to align: `lines` then ends at the first divergence.
  bool aligned = true;
};

/// The edit script turning `a` into `b`. The LCS table is bounded by `max_cells` (lines of `a` ×
/// lines of `b`, after the common head and tail are set aside); beyond it only the first
/// divergence is reported, so a huge trace cannot exhaust memory.
LineDiff DiffLines(const std::vector<std::string>& a, const std::vector<std::string>& b,
                   std::size_t max_cells = std::size_t{1} << 22);

/// Unified-diff hunks ("@@ -3,4 +3,5 @@", then " ", "-", "+" lines) with `context` unchanged
/// lines around each change; "" when there is no change.
std::string FormatHunks(const LineDiff& diff, const std::vector<std::string>& a,
                        const std::vector<std::string>& b, std::size_t context = 2);

}  // namespace kemu::scenario::internal

#endif  // KEMU_EMU_SCENARIO_REPORT_LINE_DIFF_HPP_
