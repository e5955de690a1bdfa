// Reading scenario files: YAML text → Scenario, files and directories → every Scenario in them.
#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "scenario/parse_internal.hpp"
#include "scenario/scenario_files.hpp"

namespace kemu::scenario {
namespace {

namespace fs = std::filesystem;

// Notes whether a YAML document holds anything but a bare null, and where that starts, without
// building nodes: enough to tell a second document from trailing "---" or "...".
class DocumentProbe : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { Content(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Content(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Content(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Content(mark);
  }
  void OnMapEnd() override {}

  bool content = false;
  YAML::Mark first;  ///< where the content starts

 private:
  void Content(const YAML::Mark& mark) {
    if (!content) first = mark;
    content = true;
  }
};

// The mark of a second document with content, if the text has one. Not YAML::LoadAll: on some
// malformed input (e.g. the three bytes "&\x1a,") yaml-cpp 0.7 keeps producing documents forever,
// so the documents are walked one at a time and never more than two.
std::optional<YAML::Mark> SecondDocument(const std::string& text) {
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  DocumentProbe first;
  if (!parser.HandleNextDocument(first)) return std::nullopt;
  DocumentProbe second;
  if (!parser.HandleNextDocument(second) || !second.content) return std::nullopt;
  return second.first;
}

void Parse(internal::Context& context, std::string_view yaml, Scenario& out) {
  internal::Reader& reader = context.reader;
  const std::string text(yaml);
  YAML::Node document;
  try {
    document = YAML::Load(text);
    if (std::optional<YAML::Mark> second = SecondDocument(text)) {
      reader.Error(reader.Where(*second),
                   "a scenario file holds one YAML document; found another here");
    }
  } catch (const YAML::Exception& e) {
    reader.Error(reader.Where(e.mark), "YAML syntax error: " + e.msg);
    return;
  }
  if (!document || document.IsNull()) {
    reader.Error(Location{reader.file(), 0, 0},
                 "the file holds no scenario (expected a map with 'devices' and 'steps')");
    return;
  }
  try {
    out = internal::BuildScenario(context, document);
  } catch (const YAML::Exception& e) {
    // The parser checks every node's type before using it; this is the safety net.
    reader.Error(reader.Where(e.mark), "cannot read this YAML: " + e.msg);
  }
}

}  // namespace

Scenario ParseScenario(std::string_view yaml, const std::string& file) {
  internal::Reader reader(file);
  internal::Context context{reader, {}};
  Scenario scenario;
  Parse(context, yaml, scenario);
  if (reader.failed()) throw ScenarioError(reader.Take());
  return scenario;
}

Scenario LoadScenario(const std::string& path) {
  std::error_code error;
  if (fs::is_directory(path, error)) {
    throw ScenarioError({{{path, 0, 0}, "is a directory, not a scenario file"}});
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) throw ScenarioError({{{path, 0, 0}, "cannot read file"}});
  std::ostringstream text;
  text << file.rdbuf();
  return ParseScenario(text.str(), path);
}

std::vector<Scenario> LoadScenarios(const std::vector<std::string>& paths) {
  std::vector<Diagnostic> problems;
  std::vector<Scenario> scenarios;
  for (const std::string& path : paths) {
    std::string listing_error;
    for (const std::string& file : internal::ScenarioFiles(path, &listing_error)) {
      try {
        scenarios.push_back(LoadScenario(file));
      } catch (const ScenarioError& e) {
        problems.insert(problems.end(), e.diagnostics().begin(), e.diagnostics().end());
        continue;
      }
      const Scenario& added = scenarios.back();
      for (std::size_t i = 0; i + 1 < scenarios.size(); ++i) {
        if (scenarios[i].name != added.name) continue;
        problems.push_back(
            {added.where, fmt::format("duplicate scenario name '{}' (also in {})", added.name,
                                      FormatLocation(scenarios[i].where))});
        break;
      }
    }
    if (!listing_error.empty()) {
      problems.push_back({{path, 0, 0}, "cannot list directory: " + listing_error});
    }
  }
  if (!problems.empty()) throw ScenarioError(std::move(problems));
  return scenarios;
}

}  // namespace kemu::scenario
