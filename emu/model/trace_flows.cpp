// FindFlows(): which trace events an interrupt's flow passes through (see trace_flows.hpp).
#include "model/trace_flows.hpp"

#include <cstring>
#include <optional>

namespace kemu::model {
namespace {

// One delivery and the ISRs its vCPU ran for it so far (a shared line runs a chain).
struct Dispatch {
  std::uint64_t id = 0;
  std::uint64_t vector = 0;
  std::vector<std::size_t> isrs = {};  ///< event indices, in the order they began
};

// An insert made from an ISR, waiting for its DPC routine to begin.
struct Queued {
  std::uint64_t id = 0;
  std::vector<std::size_t> isrs =
      {};  ///< the dispatch's ISRs up to and including the inserting one
};

std::optional<std::uint64_t> Arg(const TraceEvent& event, const char* name) {
  for (std::uint8_t i = 0; i < event.arg_count && i < event.args.size(); ++i) {
    if (std::strcmp(event.args[i].name, name) == 0) return event.args[i].value;
  }
  return std::nullopt;
}

class FlowFinder {
 public:
  explicit FlowFinder(unsigned processors)
      : dispatch_(processors + 1), open_isrs_(processors + 1) {}

  void Add(std::size_t index, const TraceEvent& event) {
    const unsigned cpu = event.cpu < dispatch_.size() ? event.cpu : 0;
    switch (event.kind) {
      case TraceKind::kInterrupt:
        dispatch_[cpu] = Dispatch{.id = event.sequence, .vector = Arg(event, "Vector").value_or(0)};
        flows_[index] = {.id = event.sequence, .out = true};
        return;
      case TraceKind::kIsrBegin:
        BeginIsr(index, event, cpu);
        return;
      case TraceKind::kIsrEnd:
        if (!open_isrs_[cpu].empty()) open_isrs_[cpu].pop_back();
        return;
      case TraceKind::kCall:
        if (std::strcmp(event.name, "KeInsertQueueDpc") == 0) Insert(event, cpu);
        return;
      case TraceKind::kDpcBegin:
        BeginDpc(index, event);
        return;
      default:
        return;
    }
  }

  std::map<std::size_t, FlowBinding> Take() { return std::move(flows_); }

 private:
  void BeginIsr(std::size_t index, const TraceEvent& event, unsigned cpu) {
    std::optional<Dispatch>& dispatch = dispatch_[cpu];
    if (!dispatch || Arg(event, "Vector") != dispatch->vector) {
      open_isrs_[cpu].push_back(std::nullopt);  // its delivery was dropped from the ring
      return;
    }
    if (dispatch->isrs.empty()) flows_[index] = {.id = dispatch->id, .in = true};
    dispatch->isrs.push_back(index);
    open_isrs_[cpu].push_back(*dispatch);
  }

  void Insert(const TraceEvent& event, unsigned cpu) {
    if (open_isrs_[cpu].empty() || !open_isrs_[cpu].back()) return;  // not from an ISR
    const std::optional<std::uint64_t> dpc = Arg(event, "Dpc");
    if (!dpc || queued_.count(*dpc) != 0) return;  // already queued: this insert did nothing
    const Dispatch& dispatch = *open_isrs_[cpu].back();
    queued_[*dpc] = Queued{.id = dispatch.id, .isrs = dispatch.isrs};
  }

  void BeginDpc(std::size_t index, const TraceEvent& event) {
    const std::optional<std::uint64_t> dpc = Arg(event, "Dpc");
    if (!dpc) return;
    const auto queued = queued_.find(*dpc);
    if (queued == queued_.end()) return;
    // Every ISR from the dispatch's first to the inserting one passes the flow on.
    for (std::size_t isr : queued->second.isrs) {
      flows_[isr] = {.id = queued->second.id, .in = true, .out = true};
    }
    flows_[index] = {.id = queued->second.id, .in = true};
    queued_.erase(queued);
  }

  std::vector<std::optional<Dispatch>> dispatch_;                ///< per vCPU, the latest delivery
  std::vector<std::vector<std::optional<Dispatch>>> open_isrs_;  ///< per vCPU, ISRs running
  std::map<std::uint64_t, Queued> queued_;                       ///< by KDPC address
  std::map<std::size_t, FlowBinding> flows_;
};

}  // namespace

std::map<std::size_t, FlowBinding> FindFlows(const std::vector<TraceEvent>& events,
                                             unsigned processors) {
  FlowFinder finder(processors);
  for (std::size_t i = 0; i < events.size(); ++i) finder.Add(i, events[i]);
  return finder.Take();
}

}  // namespace kemu::model
