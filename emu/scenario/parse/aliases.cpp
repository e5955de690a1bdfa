#include "scenario/parse/aliases.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <sstream>

namespace kemu::scenario::internal {

// Records, for every node, the nearest anchored value around it (itself when it has an anchor),
// and every alias with the one around it.
class AliasCollector : public YAML::EventHandler {
 public:
  explicit AliasCollector(AliasMap& map) : map_(map) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { Node(mark, anchor); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    map_.uses_[anchor].push_back({At(mark), Enclosing()});
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string&) override {
    Node(mark, anchor);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnSequenceEnd() override { open_.pop_back(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnMapEnd() override { open_.pop_back(); }

 private:
  static AliasMap::Position At(const YAML::Mark& mark) { return {mark.line + 1, mark.column + 1}; }
  std::size_t Enclosing() const { return open_.empty() ? 0 : open_.back(); }
  // A block map starts where its first key does: the outer node keeps the position.
  void Node(const YAML::Mark& mark, YAML::anchor_t anchor) {
    map_.enclosing_.emplace(At(mark), anchor != YAML::NullAnchor ? anchor : Enclosing());
  }
  void Open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    Node(mark, anchor);
    open_.push_back(anchor != YAML::NullAnchor ? anchor : Enclosing());
  }

  AliasMap& map_;
  std::vector<std::size_t> open_;  ///< per open collection: the nearest anchor holding its content
};

AliasMap AliasMap::Of(const std::string& text) {
  AliasMap map;
  if (text.find('*') == std::string::npos) return map;
  std::istringstream stream(text);
  try {
    YAML::Parser parser(stream);
    AliasCollector collector(map);
    parser.HandleNextDocument(collector);
  } catch (const YAML::Exception&) {
    return {};  // the text was loaded already; this is only for positions
  }
  return map;
}

std::optional<AliasMap::Position> AliasMap::Resolve(Position where) const {
  const auto node = enclosing_.find(where);
  if (node == enclosing_.end()) return std::nullopt;
  std::size_t anchor = node->second;
  std::optional<Position> alias;
  // Out through the aliases, one anchor at a time; bounded, whatever the document holds.
  for (int hop = 0; hop < 64 && anchor != YAML::NullAnchor; ++hop) {
    const auto uses = uses_.find(anchor);
    if (uses == uses_.end() || uses->second.empty()) break;
    alias = uses->second.front().where;
    anchor = uses->second.front().enclosing;
  }
  return alias;
}

}  // namespace kemu::scenario::internal
