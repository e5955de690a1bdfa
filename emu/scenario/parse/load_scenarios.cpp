// Reading scenario files: YAML text → Scenario, files and directories → every Scenario in them.
#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>

#include "scenario/parse/lexical_scan.hpp"
#include "scenario/parse/parse_internal.hpp"
#include "scenario/parse/scenario_files.hpp"

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

// Whether `text` is UTF-16 or UTF-32 with a byte-order mark, which yaml-cpp decodes. Without one a
// scenario file is UTF-8 and a NUL byte in it an error, among the first four bytes too: YAML would
// guess a wide encoding from such a NUL and read the rest as garbage characters.
bool WideEncoding(std::string_view text) {
  using std::string_view_literals::operator""sv;
  return text.starts_with("\xFE\xFF"sv) || text.starts_with("\xFF\xFE"sv) ||
         text.starts_with("\0\0\xFE\xFF"sv);
}

// Whether anything after the first document's root could start another document: a line
// beginning "---" or "..." (a document marker) somewhere after it. Erring towards yes only costs
// SecondDocument's second parse; every plain one-document file is parsed once.
bool MayHoldAnotherDocument(std::string_view text, const YAML::Node& root) {
  // yaml-cpp counts UTF-16 and UTF-32 input in characters, not bytes: no shortcut for them.
  if (WideEncoding(text)) return true;
  if (!root.IsDefined() || root.IsNull() || root.Mark().is_null() || root.Mark().pos < 0) {
    return true;
  }
  // The root's position counts bytes after any byte-order mark, so it is never past the root.
  for (std::size_t at = static_cast<std::size_t>(root.Mark().pos); at < text.size(); ++at) {
    if (text[at] != '\n' && text[at] != '\r') continue;
    const std::string_view line = text.substr(at + 1, 3);
    if (line == "---" || line == "...") return true;
  }
  return false;
}

// The 1-based line and column (in bytes) of byte `offset` of `text`.
Location LocationAt(std::string_view text, std::size_t offset, const std::string& file) {
  const std::string_view before = text.substr(0, offset);
  const std::size_t line_start =
      before.rfind('\n') == std::string_view::npos ? 0 : before.rfind('\n') + 1;
  const auto lines = static_cast<int>(std::count(before.begin(), before.end(), '\n'));
  return Location{file, lines + 1, static_cast<int>(before.size() - line_start) + 1};
}

// Where the file passes kMaxScenarioFileBytes, or nullopt when it does not.
std::optional<Location> PastSizeLimit(std::string_view yaml, const std::string& file) {
  if (yaml.size() <= kMaxScenarioFileBytes) return std::nullopt;
  return LocationAt(yaml, kMaxScenarioFileBytes, file);
}

// Where the first NUL byte of a UTF-8 file is, or nullopt. yaml-cpp reads one as the start of an
// escape and reports "unknown escape character" somewhere else. UTF-16 and UTF-32 files with a
// byte-order mark are full of NULs and left to yaml-cpp.
std::optional<Location> NulByte(std::string_view yaml, const std::string& file) {
  if (WideEncoding(yaml)) return std::nullopt;
  const std::size_t nul = yaml.find('\0');
  if (nul == std::string_view::npos) return std::nullopt;
  return LocationAt(yaml, nul, file);
}

void Parse(internal::Context& context, std::string_view yaml, Scenario& out,
           const internal::ScenarioCheck& check) {
  internal::Reader& reader = context.reader;
  if (std::optional<Location> past = PastSizeLimit(yaml, reader.file())) {
    reader.Error(*past, fmt::format("the file is larger than a scenario file may be ({} bytes, "
                                    "4 MiB); it goes on past here",
                                    kMaxScenarioFileBytes));
    return;
  }
  if (std::optional<Location> nul = NulByte(yaml, reader.file())) {
    reader.Error(*nul, "NUL byte (0x00) here: a scenario file is UTF-8 text");
    return;
  }
  if (!WideEncoding(yaml)) {
    if (const auto quote = internal::UnclosedQuote(yaml)) {
      reader.Error(Location{reader.file(), quote->first, quote->second},
                   "YAML syntax error: the quoted string that starts here is never closed (it "
                   "runs to the end of the file)");
      return;
    }
  }
  const std::string text(yaml);
  YAML::Node document;
  try {
    document = YAML::Load(text);
    reader.UseAliases(internal::AliasMap::Of(text));
    std::optional<YAML::Mark> second;
    if (MayHoldAnotherDocument(text, document)) second = SecondDocument(text);
    if (second) {
      reader.Error(reader.Where(*second),
                   "a scenario file holds one YAML document; found another here");
    }
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's own message for it is "bad file", and its mark lies past the end of the nesting;
    // say what is wrong, at the flow collection that nests that deep when there is one (a block
    // nesting hundreds of levels by indentation is left at yaml-cpp's mark).
    const auto deepest = WideEncoding(yaml) ? std::nullopt : internal::DeepestFlowCollection(yaml);
    if (deepest && deepest->depth >= static_cast<int>(e.depth()) / 2) {
      reader.Error(Location{reader.file(), deepest->start.first, deepest->start.second},
                   fmt::format("YAML nested more than {} levels deep: the flow collection that "
                               "starts here nests {} levels, deeper than the YAML reader follows; "
                               "a scenario nests only a few levels (steps, a step, its keys)",
                               e.depth(), deepest->depth));
    } else {
      reader.Error(reader.Where(e.mark),
                   fmt::format("YAML nested {} levels deep here, deeper than the YAML reader "
                               "follows; a scenario nests only a few levels (steps, a step, its "
                               "keys)",
                               e.depth()));
    }
    return;
  } catch (const YAML::Exception& e) {
    reader.Error(reader.Where(e.mark), "YAML syntax error: " + e.msg);
    return;
  }
  if (!document || document.IsNull()) {
    // An empty file (or comments only) is reported at its start, a null document (`~`) where
    // it is: every error names a line and column (audit round 15, Q6).
    Location where = reader.Where(document);
    if (where.line == 0) where = Location{reader.file(), 1, 1};
    reader.Error(where, "the file holds no scenario (expected a map with 'devices' and 'steps')");
    return;
  }
  try {
    out = internal::BuildScenario(context, document);
  } catch (const YAML::Exception& e) {
    // The parser checks every node's type before using it; this is the safety net.
    reader.Error(reader.Where(e.mark), "cannot read this YAML: " + e.msg);
    return;
  }
  // Also when the file has other errors: the steps and probes that did parse are checked against
  // the driver's adapter now, so that fixing the file's structure does not reveal a second round.
  if (check && context.driver_known) {
    for (Diagnostic& diagnostic : check(out)) reader.Add(std::move(diagnostic));
  }
}

// A diagnostic on a whole file or directory. Built field by field: GCC 12 at -O2 warns (falsely)
// about uninitialised strings in the braced form.
Diagnostic OnFile(const std::string& path, std::string message) {
  Diagnostic diagnostic;
  diagnostic.where.file = path;
  diagnostic.message = std::move(message);
  return diagnostic;
}

[[noreturn]] void CannotRead(const std::string& path, std::string message) {
  throw ScenarioError({OnFile(path, std::move(message))});
}

// The file's bytes, read only a little past kMaxScenarioFileBytes (a device or a FIFO can be
// endless), or a diagnostic with the system's reason when it cannot be read.
std::string ReadBounded(const std::string& path) {
  errno = 0;
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    const int reason = errno;
    CannotRead(path, reason == 0 ? std::string("cannot read file")
                                 : "cannot read file: " + std::generic_category().message(reason));
  }
  std::string text;
  std::array<char, 1 << 16> chunk{};
  while (text.size() <= kMaxScenarioFileBytes) {
    file.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    text.append(chunk.data(), static_cast<std::size_t>(file.gcount()));
    if (!file) break;
  }
  if (file.bad()) CannotRead(path, "cannot read file: read error");
  return text;
}

}  // namespace

namespace internal {

Scenario ParseScenario(std::string_view yaml, const std::string& file, const ScenarioCheck& check) {
  Reader reader(file);
  Context context{reader, {}, /*driver_known=*/true};
  Scenario scenario;
  Parse(context, yaml, scenario, check);
  if (reader.failed()) throw ScenarioError(reader.Take());
  return scenario;
}

Scenario LoadScenario(const std::string& path, const ScenarioCheck& check) {
  std::error_code error;
  if (fs::is_directory(path, error)) {
    throw ScenarioError({OnFile(path, "is a directory, not a scenario file")});
  }
  return ParseScenario(ReadBounded(path), path, check);
}

std::vector<Scenario> LoadScenarios(const std::vector<std::string>& paths,
                                    const ScenarioCheck& check) {
  std::vector<Diagnostic> problems;
  std::vector<Scenario> scenarios;
  for (const std::string& path : paths) {
    std::string listing_error;
    for (const std::string& file : ScenarioFiles(path, &listing_error)) {
      try {
        scenarios.push_back(LoadScenario(file, check));
      } catch (const ScenarioError& e) {
        problems.insert(problems.end(), e.diagnostics().begin(), e.diagnostics().end());
        continue;
      }
      const Scenario& added = scenarios.back();
      for (std::size_t i = 0; i + 1 < scenarios.size(); ++i) {
        if (scenarios[i].name != added.name) continue;
        Diagnostic duplicate =
            OnFile(added.where.file, fmt::format("duplicate scenario name '{}' (also in {})",
                                                 added.name, FormatLocation(scenarios[i].where)));
        duplicate.where = added.where;
        problems.push_back(std::move(duplicate));
        break;
      }
    }
    if (!listing_error.empty()) {
      problems.push_back(OnFile(path, "cannot list directory: " + listing_error));
    }
  }
  if (!problems.empty()) throw ScenarioError(std::move(problems));
  return scenarios;
}

}  // namespace internal

Scenario ParseScenario(std::string_view yaml, const std::string& file) {
  return internal::ParseScenario(yaml, file, nullptr);
}

Scenario LoadScenario(const std::string& path) { return internal::LoadScenario(path, nullptr); }

std::vector<Scenario> LoadScenarios(const std::vector<std::string>& paths) {
  return internal::LoadScenarios(paths, nullptr);
}

}  // namespace kemu::scenario
