#include "scenario/parse/yaml_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "scenario/parse/numbers.hpp"

namespace kemu::scenario::internal {
namespace {

// Past this many a file is not worth reading further, and memory stays bounded on garbage.
constexpr std::size_t kMaxStored = 1000;
constexpr std::size_t kMaxQuoted = 40;

bool Before(const Diagnostic& a, const Diagnostic& b) {
  if (a.where.line != b.where.line) return a.where.line < b.where.line;
  return a.where.column < b.where.column;
}

std::string Bound(std::uint64_t value) {
  return value >= 0x10000 ? fmt::format("{:#x}", value) : std::to_string(value);
}

}  // namespace

Location Reader::Where(const YAML::Mark& mark) const {
  if (mark.is_null() || mark.line < 0) return {file_, 0, 0};
  return {file_, mark.line + 1, mark.column + 1};
}

Location Reader::Where(const YAML::Node& node) const {
  try {
    return Where(node.Mark());
  } catch (const YAML::Exception&) {
    return {file_, 0, 0};  // an invalid node has no mark
  }
}

void Reader::Error(Location where, std::string message) {
  if (diagnostics_.size() >= kMaxStored) return;
  // Messages quote the file, which may be binary: keep what a terminal shows safely.
  constexpr std::size_t kMaxMessage = 400;
  if (message.size() > kMaxMessage) message = message.substr(0, kMaxMessage) + "...";
  for (char& c : message) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7F) c = '?';
  }
  Store({where, std::move(message)});
}

void Reader::Add(Diagnostic diagnostic) {
  if (diagnostics_.size() >= kMaxStored) return;
  Store(std::move(diagnostic));
}

void Reader::Store(Diagnostic diagnostic) {
  Location& where = diagnostic.where;
  if (!aliases_.empty()) {
    if (std::optional<AliasMap::Position> alias = aliases_.Resolve({where.line, where.column})) {
      diagnostic.message +=
          fmt::format(" (the value at {}:{}, which this alias repeats)", where.line, where.column);
      where.line = alias->first;
      where.column = alias->second;
    }
  }
  // An alias repeats its value's problems once per use: keep one.
  const bool kept = std::any_of(diagnostics_.begin(), diagnostics_.end(), [&](const Diagnostic& d) {
    return d.where.file == where.file && d.where.line == where.line &&
           d.where.column == where.column && d.message == diagnostic.message;
  });
  if (!kept) diagnostics_.push_back(std::move(diagnostic));
}

std::vector<Diagnostic> Reader::Take() {
  std::vector<Diagnostic> taken = std::move(diagnostics_);
  diagnostics_.clear();
  std::stable_sort(taken.begin(), taken.end(), Before);
  if (taken.size() > kMaxDiagnostics) {
    const std::size_t dropped = taken.size() - kMaxDiagnostics;
    taken.resize(kMaxDiagnostics);
    // Built in place, member by member: pushing a braced temporary made GCC 12 at -O2 warn that
    // its file string "may be used uninitialized" (a false positive) when the vector grows.
    Diagnostic& note = taken.emplace_back();
    note.where.file = file_;
    note.message = fmt::format("too many errors; {} more not shown", dropped);
  }
  return taken;
}

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Scalar: {
      std::string text;
      for (char c : node.Scalar()) {
        if (text.size() == kMaxQuoted) {
          text += "...";
          break;
        }
        text += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
      }
      return Quote(text);
    }
    default:
      return "nothing";
  }
}

std::string JoinOr(const std::vector<std::string>& words) {
  std::string text;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) text += i + 1 == words.size() ? " or " : ", ";
    text += words[i];
  }
  return text;
}

MapReader::MapReader(Reader& reader, const YAML::Node& node, std::string what,
                     const std::vector<std::string>* known)
    : reader_(reader), node_(node), what_(std::move(what)) {
  if (!node.IsMap()) {
    reader.Error(node, fmt::format("expected a map for {}, got {}", what_, Describe(node)));
    return;
  }
  ok_ = true;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      reader.Error(key, fmt::format("expected a name as key in {}, got {}", what_, Describe(key)));
      continue;
    }
    const std::string name = key.Scalar();
    if (const MapEntry* first = Find(name)) {
      const Location at = reader.Where(first->key_node);
      reader.Error(
          key, fmt::format("duplicate key '{}' in {} (first at line {})", name, what_, at.line));
      continue;
    }
    if (known != nullptr && std::find(known->begin(), known->end(), name) == known->end()) {
      const std::string close = ClosestMatch(name, *known);
      reader.Error(key, close.empty() ? fmt::format("unknown key '{}' in {} (expected {})", name,
                                                    what_, JoinOr(*known))
                                      : fmt::format("unknown key '{}' in {} (did you mean '{}'?)",
                                                    name, what_, close));
      continue;
    }
    entries_.push_back({name, key, it->second});
  }
}

const MapEntry* MapReader::Find(std::string_view key) const {
  for (const MapEntry& entry : entries_) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

const MapEntry* MapReader::Require(std::string_view key) const {
  const MapEntry* entry = Find(key);
  if (entry == nullptr && ok_) {
    reader_.Error(node_, fmt::format("missing required key '{}' in {}", key, what_));
  }
  return entry;
}

std::optional<std::string> ReadScalar(Reader& reader, const YAML::Node& node, std::string_view what,
                                      std::string_view expected) {
  if (!node.IsScalar()) {
    reader.Error(node, fmt::format("expected {} for {}, got {}", expected, what, Describe(node)));
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<std::uint64_t> ReadUnsigned(Reader& reader, const YAML::Node& node,
                                          std::string_view what, std::uint64_t min,
                                          std::uint64_t max) {
  std::optional<std::string> text = ReadScalar(reader, node, what, "a number");
  if (!text) return std::nullopt;
  std::optional<std::uint64_t> value = ParseUnsigned(*text);
  if (!value && !LooksNumeric(*text)) {
    reader.Error(node, fmt::format("expected a number (decimal or 0x hex) for {}, got {}", what,
                                   Describe(node)));
    return std::nullopt;
  }
  if (!value || *value < min || *value > max) {
    reader.Error(node, fmt::format("{} is out of range: {} (expected {}..{})", what, Describe(node),
                                   Bound(min), Bound(max)));
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> ReadSigned(Reader& reader, const YAML::Node& node,
                                       std::string_view what) {
  std::optional<std::string> text = ReadScalar(reader, node, what, "a number");
  if (!text) return std::nullopt;
  const bool negative = !text->empty() && (*text)[0] == '-';
  std::string_view digits = *text;
  if (negative) digits.remove_prefix(1);
  std::optional<std::uint64_t> magnitude = ParseUnsigned(digits);
  if (!magnitude && !LooksNumeric(digits)) {
    reader.Error(node, fmt::format("expected a number (decimal or 0x hex) for {}, got {}", what,
                                   Describe(node)));
    return std::nullopt;
  }
  constexpr std::uint64_t kMaxPositive = 0x7FFFFFFFFFFFFFFF;
  if (!magnitude || *magnitude > kMaxPositive + (negative ? 1 : 0)) {
    reader.Error(node, fmt::format("{} is out of range: {} (expected a signed 64-bit number)", what,
                                   Describe(node)));
    return std::nullopt;
  }
  if (!negative) return static_cast<std::int64_t>(*magnitude);
  // -2^63 has no positive counterpart, so negate in unsigned arithmetic.
  return static_cast<std::int64_t>(~*magnitude + 1);
}

std::optional<bool> ReadBool(Reader& reader, const YAML::Node& node, std::string_view what) {
  std::optional<std::string> text = ReadScalar(reader, node, what, "true or false");
  if (!text) return std::nullopt;
  if (*text == "true") return true;
  if (*text == "false") return false;
  reader.Error(node, fmt::format("expected true or false for {}, got {}", what, Describe(node)));
  return std::nullopt;
}

std::optional<std::size_t> ReadChoice(Reader& reader, const YAML::Node& node, std::string_view what,
                                      const std::vector<std::string>& choices) {
  std::optional<std::string> text = ReadScalar(reader, node, what, JoinOr(choices));
  if (!text) return std::nullopt;
  auto found = std::find(choices.begin(), choices.end(), *text);
  if (found != choices.end()) return static_cast<std::size_t>(found - choices.begin());
  const std::string close = ClosestMatch(*text, choices);
  reader.Error(node,
               fmt::format("expected {} for {}, got {}{}", JoinOr(choices), what, Describe(node),
                           close.empty() ? "" : " (did you mean '" + close + "'?)"));
  return std::nullopt;
}

}  // namespace kemu::scenario::internal
