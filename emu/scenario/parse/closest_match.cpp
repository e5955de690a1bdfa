// "Did you mean": the candidate nearest to a misspelt word.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "kemu/scenario/parser.hpp"

namespace kemu::scenario {
namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// Edit distance counting an insertion, deletion, substitution or swap of two neighbours as one
// edit (optimal string alignment), case-insensitively: "dorp" is one edit from "drop".
std::size_t Distance(std::string_view a, std::string_view b) {
  const std::size_t columns = b.size() + 1;
  std::vector<std::size_t> d((a.size() + 1) * columns);
  auto at = [&](std::size_t i, std::size_t j) -> std::size_t& { return d[i * columns + j]; };
  for (std::size_t i = 0; i <= a.size(); ++i) at(i, 0) = i;
  for (std::size_t j = 0; j <= b.size(); ++j) at(0, j) = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = Lower(a[i - 1]) == Lower(b[j - 1]) ? 0 : 1;
      at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
      if (i > 1 && j > 1 && Lower(a[i - 1]) == Lower(b[j - 2]) &&
          Lower(a[i - 2]) == Lower(b[j - 1])) {
        at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
      }
    }
  }
  return at(a.size(), b.size());
}

}  // namespace

std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  // A suggestion further away than a third of the word is more confusing than none.
  const std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
  // Words this long are not misspellings of a key; skip the quadratic work.
  constexpr std::size_t kLongest = 100;
  if (word.size() > kLongest) return "";
  std::string best;
  std::size_t best_distance = limit + 1;
  for (const std::string& candidate : candidates) {
    if (candidate == word) return candidate;  // nothing is closer; skip the edit distances
    if (candidate.size() > kLongest) continue;
    const std::size_t distance = Distance(word, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace kemu::scenario
