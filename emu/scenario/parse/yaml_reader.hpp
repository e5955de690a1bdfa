// yaml_reader.hpp — checked access to a yaml-cpp node tree for the scenario parser.
//
// yaml-cpp answers a wrong type or a missing key with an exception or a silent default, and it
// keeps duplicate keys. The parser needs the opposite: every problem in a file reported at once,
// each with its 1-based line and column, and nothing returned when any exists. Reader collects
// the diagnostics; MapReader checks a map's keys (unknown, duplicate, non-scalar) up front; the
// Read* functions convert one scalar, reporting what was expected when it does not fit.
#ifndef KEMU_EMU_SCENARIO_PARSE_YAML_READER_HPP_
#define KEMU_EMU_SCENARIO_PARSE_YAML_READER_HPP_

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kemu/scenario/parser.hpp"
#include "scenario/parse/aliases.hpp"

namespace kemu::scenario::internal {

/// Diagnostics of one file, and where its nodes are.
class Reader {
 public:
  /// More than this many problems in one file are rarely independent; the rest are dropped.
  static constexpr std::size_t kMaxDiagnostics = 20;

  explicit Reader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  /// yaml-cpp's 0-based mark as a 1-based Location (line 0 when the node has none).
  Location Where(const YAML::Mark& mark) const;
  Location Where(const YAML::Node& node) const;

  void Error(Location where, std::string message);
  void Error(const YAML::Node& node, std::string message) {
    Error(Where(node), std::move(message));
  }

  /// A diagnostic made elsewhere (a ScenarioCheck's), kept as it is: its message quotes names the
  /// parser has already accepted, and whoever prints it makes it visible.
  void Add(Diagnostic diagnostic);

  /// From now on a problem in a value the file repeats through an alias is reported once, at the
  /// alias (AliasMap::Resolve), naming where the value is; an identical diagnostic is kept once.
  void UseAliases(AliasMap aliases) { aliases_ = std::move(aliases); }

  bool failed() const { return !diagnostics_.empty(); }
  /// The diagnostics in file order, at most kMaxDiagnostics plus a note that more were dropped.
  std::vector<Diagnostic> Take();

 private:
  /// Keeps `diagnostic` at the alias that repeats its place, unless an identical one is kept.
  void Store(Diagnostic diagnostic);

  std::string file_;
  std::vector<Diagnostic> diagnostics_;
  AliasMap aliases_;
};

/// "a list", "a map", "nothing" or "'text'": what a node is, for "expected X, got Y".
std::string Describe(const YAML::Node& node);

/// One key of a map, as written.
struct MapEntry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

/// A map whose keys have been checked: every key a scalar, none twice and, when `known` is
/// given, each one of `known` (else "unknown key 'x' in <what> (did you mean 'y'?)").
class MapReader {
 public:
  /// Reports "expected a map for <what>" when `node` is not a map (ok() is then false).
  MapReader(Reader& reader, const YAML::Node& node, std::string what,
            const std::vector<std::string>* known);

  bool ok() const { return ok_; }
  const YAML::Node& node() const { return node_; }
  /// The value of `key`, or nullptr when the map does not have it.
  const MapEntry* Find(std::string_view key) const;
  /// Like Find, reporting "missing required key" at the map when it is absent.
  const MapEntry* Require(std::string_view key) const;
  const std::vector<MapEntry>& entries() const { return entries_; }

 private:
  Reader& reader_;
  YAML::Node node_;
  std::string what_;
  bool ok_ = false;
  std::vector<MapEntry> entries_;
};

/// The text of a scalar, else "expected <expected> for <what>, got ..." and std::nullopt.
std::optional<std::string> ReadScalar(Reader& reader, const YAML::Node& node, std::string_view what,
                                      std::string_view expected);
inline std::optional<std::string> ReadString(Reader& reader, const YAML::Node& node,
                                             std::string_view what) {
  return ReadScalar(reader, node, what, "a string");
}
/// A decimal or 0x hex number in [min, max].
std::optional<std::uint64_t> ReadUnsigned(Reader& reader, const YAML::Node& node,
                                          std::string_view what, std::uint64_t min,
                                          std::uint64_t max);
/// Like ReadUnsigned, with an optional leading '-'.
std::optional<std::int64_t> ReadSigned(Reader& reader, const YAML::Node& node,
                                       std::string_view what);
/// `true` or `false`, nothing else (YAML 1.1's yes/on/y are too easy to write by accident).
std::optional<bool> ReadBool(Reader& reader, const YAML::Node& node, std::string_view what);
/// One of `choices` (index into it), with a "did you mean" when the text is close to one.
std::optional<std::size_t> ReadChoice(Reader& reader, const YAML::Node& node, std::string_view what,
                                      const std::vector<std::string>& choices);

/// "expected ... for <what>": `'key'` for a map value, the item text otherwise.
/// Appends rather than `"'" + std::string(text)`: that form draws a false GCC 12 -Wrestrict
/// (GCC bug 105651) in every file that includes this header.
inline std::string Quote(std::string_view text) {
  std::string quoted;
  quoted.reserve(text.size() + 2);
  quoted.push_back('\'');
  quoted.append(text);
  quoted.push_back('\'');
  return quoted;
}

/// "a, b or c".
std::string JoinOr(const std::vector<std::string>& words);

}  // namespace kemu::scenario::internal

#endif  // KEMU_EMU_SCENARIO_PARSE_YAML_READER_HPP_
