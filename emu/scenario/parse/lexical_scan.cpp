#include "scenario/parse/lexical_scan.hpp"

#include <algorithm>
#include <cstddef>

namespace kemu::scenario::internal {
namespace {

bool Blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Whether `line` (a comment already cut off) ends with a block scalar header ("|", ">", with
// optional chomping and indentation indicators) that follows a key, a sequence dash or nothing.
bool OpensBlockScalar(std::string_view line) {
  while (!line.empty() && Blank(line.back())) line.remove_suffix(1);
  std::size_t at = line.size();
  while (at > 0 && (line[at - 1] == '+' || line[at - 1] == '-' ||
                    (line[at - 1] >= '1' && line[at - 1] <= '9'))) {
    --at;
  }
  if (at == 0 || (line[at - 1] != '|' && line[at - 1] != '>')) return false;
  --at;
  while (at > 0 && Blank(line[at - 1])) --at;
  return at == 0 || line[at - 1] == ':' || line[at - 1] == '-';
}

struct ScanResult {
  std::optional<std::pair<int, int>> unclosed_quote;
  std::optional<DeepestFlow> deepest_flow;
};

// One pass over the text for both questions of the header.
ScanResult Scan(std::string_view yaml) {
  enum class Quote { kNone, kDouble, kSingle };
  ScanResult result;
  DeepestFlow outermost;  // the outermost flow collection open now
  Quote quote = Quote::kNone;
  std::pair<int, int> opened{0, 0};
  int flow_depth = 0;
  int block_parent = -1;  // >= 0: inside a block scalar whose header line had this indentation
  int line_number = 0;
  std::size_t start = 0;
  while (start <= yaml.size()) {
    std::size_t end = yaml.find('\n', start);
    if (end == std::string_view::npos) end = yaml.size();
    const std::string_view line = yaml.substr(start, end - start);
    ++line_number;
    start = end + 1;
    std::size_t indent = 0;
    while (indent < line.size() && line[indent] == ' ') ++indent;
    if (quote == Quote::kNone && block_parent >= 0) {
      bool blank = true;
      for (char c : line) blank = blank && Blank(c);
      // A block scalar's lines are its text, quotes and all, while they are more indented.
      if (blank || static_cast<int>(indent) > block_parent) continue;
      block_parent = -1;
    }
    bool token_start = true;  // what comes next may begin a scalar
    std::size_t content_end = line.size();
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quote == Quote::kDouble) {
        if (c == '\\') {
          ++i;  // an escaped character, or an escaped line break at the end
        } else if (c == '"') {
          quote = Quote::kNone;
          token_start = false;
        }
        continue;
      }
      if (quote == Quote::kSingle) {
        if (c == '\'') {
          if (i + 1 < line.size() && line[i + 1] == '\'') {
            ++i;  // '' is a quote inside the scalar
          } else {
            quote = Quote::kNone;
            token_start = false;
          }
        }
        continue;
      }
      if (Blank(c)) continue;
      if (c == '#' && (i == 0 || Blank(line[i - 1]))) {
        content_end = i;
        break;  // a comment runs to the end of the line
      }
      if (token_start && (c == '"' || c == '\'')) {
        quote = c == '"' ? Quote::kDouble : Quote::kSingle;
        opened = {line_number, static_cast<int>(i) + 1};
        continue;
      }
      if (token_start && (c == '&' || c == '!')) {
        // An anchor or a tag: the value after it may still be quoted.
        while (i + 1 < line.size() && !Blank(line[i + 1])) ++i;
        continue;
      }
      const bool next_blank = i + 1 >= line.size() || Blank(line[i + 1]);
      if (token_start && (c == '[' || c == '{')) {
        if (++flow_depth == 1) outermost = {{line_number, static_cast<int>(i) + 1}, 0};
        outermost.depth = std::max(outermost.depth, flow_depth);
        if (!result.deepest_flow || outermost.depth > result.deepest_flow->depth) {
          result.deepest_flow = outermost;
        }
        continue;
      }
      if (flow_depth > 0 && (c == ']' || c == '}')) {
        --flow_depth;
        token_start = false;
        continue;
      }
      // Indicators after which a scalar may begin: a key's colon followed by a blank, a sequence
      // dash or explicit key where a node may begin (inside a plain scalar " - " is text), and in
      // a flow collection a colon or comma anywhere.
      if ((c == ':' && next_blank) || ((c == '-' || c == '?') && next_blank && token_start) ||
          (flow_depth > 0 && (c == ',' || c == ':'))) {
        token_start = true;
        continue;
      }
      token_start = false;
    }
    if (quote == Quote::kNone && OpensBlockScalar(line.substr(0, content_end))) {
      block_parent = static_cast<int>(indent);
    }
    if (end == yaml.size()) break;
  }
  if (quote != Quote::kNone) result.unclosed_quote = opened;
  return result;
}

}  // namespace

std::optional<std::pair<int, int>> UnclosedQuote(std::string_view yaml) {
  return Scan(yaml).unclosed_quote;
}

std::optional<DeepestFlow> DeepestFlowCollection(std::string_view yaml) {
  return Scan(yaml).deepest_flow;
}

}  // namespace kemu::scenario::internal
