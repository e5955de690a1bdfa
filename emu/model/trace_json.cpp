// Trace export in the Chrome trace-event JSON format, which ui.perfetto.dev and chrome://tracing
// open. The layout:
//   - one process ("kemu: <Windows> seed <n>"), one thread per vCPU ("vCPU 0", ...) and one for
//     the devices, whose line actions happen outside every vCPU;
//   - ISRs and DPC routines are duration slices ("B"/"E") on their vCPU, so nesting shows;
//   - kernel calls, lock acquires/releases and device actions are instant events ("i", thread
//     scope) carrying their arguments; a bug check is a global instant;
//   - an interrupt delivery is a zero-length complete event ("X", "dur":0), so that it can start
//     a flow: flow events ("bind_id" with "flow_out"/"flow_in", trace_flows.hpp) draw arrows from
//     the delivery to the ISR it ran and on to the DPC that ISR queued;
//   - the IRQL is a counter ("C") named "IRQL" with one series per vCPU, which Perfetto shows as
//     the tracks "IRQL vCPU 0", "IRQL vCPU 1", ...
// Timestamps: virtual time moves only when the driver stalls or waits, so most events would share
// one instant. `ts` is therefore the event's sequence number, read as microseconds (one event per
// microsecond on the timeline, in order); the virtual time is in each event's args as "t_100ns".
// Sequence numbers are the "#n" of bug-check reports, so a report line can be found in the trace.
//
// The output depends only on the events and the options: no wall clock, and no host address.
// Address arguments (CallArg::address: driver objects, routines, interrupt objects) become ids in
// order of first mention ("&1", "&2", ...), and a bug-check parameter equal to an address already
// mentioned becomes that address's id; NULL stays "0x0". Where the same driver runs with the same
// seed, the bytes are the same, whatever the heap layout or ASLR did.
#include <fmt/format.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kemu/machine.hpp"
#include "kemu/personality.hpp"
#include "model/trace.hpp"
#include "model/trace_flows.hpp"

namespace kemu::model {
namespace {

constexpr int kPid = 1;

void AppendQuoted(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

std::string Quoted(std::string_view text) {
  std::string out;
  AppendQuoted(out, text);
  return out;
}

// {"name":"thread_name","ph":"M",...}: names a process or a thread, or orders the threads.
std::string Metadata(std::string_view what, unsigned tid, std::string_view key,
                     const std::string& value_json) {
  return fmt::format(R"({{"name":{},"ph":"M","pid":{},"tid":{},"args":{{{}:{}}}}})", Quoted(what),
                     kPid, tid, Quoted(key), value_json);
}

std::string IrqlCounter(std::uint64_t ts, unsigned cpu, unsigned irql) {
  return fmt::format(
      R"({{"name":"IRQL","ph":"C","ts":{},"pid":{},"tid":{},"args":{{"vCPU {}":{}}}}})", ts, kPid,
      cpu, cpu, irql);
}

// `extra`: fields between the phase and "ts" (an instant's scope, a complete event's duration).
// `flow`: the event's part in a flow, if any; Perfetto reads bind_id on "B" and "X" events.
std::string Event(std::string_view name, const TraceEvent& event, std::string_view phase,
                  unsigned tid, const std::string& args, const FlowBinding* flow = nullptr) {
  std::string extra;
  if (phase == "i") {
    const bool global = event.kind == TraceKind::kBugCheck || event.kind == TraceKind::kDataRace;
    extra = global ? R"("s":"g",)" : R"("s":"t",)";
  }
  if (phase == "X") extra = R"("dur":0,)";
  if (flow != nullptr) {
    extra += fmt::format(R"("bind_id":{},)", flow->id);
    if (flow->in) extra += R"("flow_in":true,)";
    if (flow->out) extra += R"("flow_out":true,)";
  }
  return fmt::format(R"({{"name":{},"cat":"{}","ph":"{}",{}"ts":{},"pid":{},"tid":{},"args":{}}})",
                     Quoted(name), TraceKindName(event.kind), phase, extra, event.sequence, kPid,
                     tid, args);
}

// Converts events to JSON lines, keeping each vCPU's B/E pairs balanced: an end whose begin was
// overwritten in the ring is left out. A begin whose end never came (a bug check unwound the ISR)
// stays open, which Perfetto shows as a slice that did not end: the crash happened inside it.
class Converter {
 public:
  explicit Converter(unsigned processors) : open_(processors + 1) {}

  void Add(const TraceEvent& event, const FlowBinding* flow, unsigned device_tid,
           std::vector<std::string>& lines) {
    const unsigned cpu = event.cpu < open_.size() ? event.cpu : 0;
    switch (event.kind) {
      case TraceKind::kCall:
      case TraceKind::kBugCheck:
      case TraceKind::kDataRace:
        lines.push_back(Event(event.name, event, "i", cpu, Args(event)));
        return;
      case TraceKind::kInterrupt:
        lines.push_back(Event(event.name, event, "X", cpu, Args(event), flow));
        return;
      case TraceKind::kDevice:
        lines.push_back(Event(event.name, event, "i", device_tid,
                              Args(event, fmt::format(R"("vCPU":{})", event.cpu))));
        return;
      case TraceKind::kLockAcquire:
      case TraceKind::kLockRelease: {
        const std::string routine = R"("routine":)" + Quoted(event.name);
        lines.push_back(Event(event.kind == TraceKind::kLockAcquire ? "acquire" : "release", event,
                              "i", cpu, Args(event, routine)));
        return;
      }
      case TraceKind::kIrql:
        lines.push_back(IrqlCounter(event.sequence, cpu, event.irql));
        return;
      case TraceKind::kIsrBegin:
      case TraceKind::kDpcBegin:
        open_[cpu].push_back(event.kind);
        lines.push_back(Event(event.name, event, "B", cpu, Args(event), flow));
        return;
      case TraceKind::kIsrEnd:
      case TraceKind::kDpcEnd: {
        const TraceKind begin =
            event.kind == TraceKind::kIsrEnd ? TraceKind::kIsrBegin : TraceKind::kDpcBegin;
        if (open_[cpu].empty() || open_[cpu].back() != begin) return;
        open_[cpu].pop_back();
        lines.push_back(Event(event.name, event, "E", cpu, Args(event)));
        return;
      }
    }
  }

 private:
  // The event's arguments as hex strings (64-bit values do not survive JSON's doubles) or address
  // ids, then its IRQL and virtual time, plus `extra` ("key":value pairs) when given.
  std::string Args(const TraceEvent& event, std::string_view extra = {}) {
    std::string out = "{";
    for (std::uint8_t i = 0; i < event.arg_count; ++i) {
      AppendQuoted(out, event.args[i].name);
      out += ":\"";
      out += ArgValue(event, i);
      out += "\",";
    }
    if (!extra.empty()) {
      out += extra;
      out += ',';
    }
    out += fmt::format(R"("irql":{},"t_100ns":{}}})", event.irql, event.time_100ns);
    return out;
  }

  std::string ArgValue(const TraceEvent& event, std::uint8_t i) {
    const EventArg& arg = event.args[i];
    if (arg.value != 0) {
      if (event.is_address(i)) {
        auto [it, added] = address_ids_.try_emplace(arg.value, address_ids_.size() + 1);
        return fmt::format("&{}", it->second);
      }
      // Bug-check parameters are plain numbers that are often an object the trace has shown.
      if (event.kind == TraceKind::kBugCheck) {
        auto known = address_ids_.find(arg.value);
        if (known != address_ids_.end()) return fmt::format("&{}", known->second);
      }
    }
    return fmt::format("{:#x}", arg.value);
  }

  std::vector<std::vector<TraceKind>> open_;          ///< per vCPU, the B slices not yet ended
  std::map<std::uint64_t, std::size_t> address_ids_;  ///< host address → id, first mention = 1
};

// The IRQL each vCPU had just before its first kept event, so every counter track starts with a
// value instead of at the first change.
void AppendInitialIrqls(const std::vector<TraceEvent>& events, unsigned processors,
                        std::vector<std::string>& lines) {
  if (events.empty()) return;
  std::vector<bool> seen(processors, false);
  for (const TraceEvent& event : events) {
    if (event.cpu >= processors || seen[event.cpu] || event.kind == TraceKind::kDevice) continue;
    seen[event.cpu] = true;
    const bool change = event.kind == TraceKind::kIrql && event.arg_count > 0;
    const auto before = change ? static_cast<unsigned>(event.args[0].value) : event.irql;
    lines.push_back(IrqlCounter(events.front().sequence - 1, event.cpu, before));
  }
}

}  // namespace

std::string Trace::ToChromeJson(const Personality& personality,
                                const MachineOptions& options) const {
  const std::vector<TraceEvent> events = Events();
  const unsigned processors = options.processors;
  const unsigned device_tid = processors;
  std::vector<std::string> lines;
  lines.push_back(
      Metadata("process_name", 0, "name",
               Quoted(fmt::format("kemu: {} seed {}", personality.display_name, options.seed))));
  for (unsigned tid = 0; tid <= processors; ++tid) {
    const std::string name = tid == device_tid ? "devices" : fmt::format("vCPU {}", tid);
    lines.push_back(Metadata("thread_name", tid, "name", Quoted(name)));
    lines.push_back(Metadata("thread_sort_index", tid, "sort_index", std::to_string(tid)));
  }
  AppendInitialIrqls(events, processors, lines);
  const std::map<std::size_t, FlowBinding> flows = FindFlows(events, processors);
  Converter converter(processors);
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto flow = flows.find(i);
    converter.Add(events[i], flow == flows.end() ? nullptr : &flow->second, device_tid, lines);
  }

  std::string out = "{\"traceEvents\":[\n";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    out += lines[i];
    out += i + 1 < lines.size() ? ",\n" : "\n";
  }
  out += "],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":{";
  out += fmt::format(R"("os":{},"windows":{},"seed":"{}","processors":{},"verifier":{},)",
                     Quoted(OsName(options.os)), Quoted(personality.display_name), options.seed,
                     processors, options.verifier ? "true" : "false");
  out += fmt::format(R"("events":{},"dropped":{},)", sequence_, dropped());
  out += R"("ts":"event sequence number (1 us per event); virtual time is args.t_100ns"}})";
  out += "\n";
  return out;
}

}  // namespace kemu::model
