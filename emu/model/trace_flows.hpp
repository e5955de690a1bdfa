// Flow events for the trace JSON: arrows in ui.perfetto.dev from an interrupt delivery to the ISR
// it ran and on to the DPC that ISR queued. Worked out over the kept events before the JSON is
// written, because an ISR's slice begins before the trace shows whether it queues a DPC.
#ifndef KEMU_EMU_MODEL_TRACE_FLOWS_HPP_
#define KEMU_EMU_MODEL_TRACE_FLOWS_HPP_

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "model/trace.hpp"

namespace kemu::model {

/// One event's part in a flow (Chrome trace-event "flow v2": bind_id, flow_in, flow_out).
struct FlowBinding {
  std::uint64_t id = 0;  ///< the delivery's sequence number: one flow per delivery
  bool in = false;       ///< an arrow ends here
  bool out = false;      ///< an arrow leaves from here
};

/// Flow bindings by index into `events` (oldest first, as Trace::Events() returns them):
///   - each interrupt delivery starts a flow (out);
///   - the first ISR its vCPU runs for that vector takes it in; an ISR of the same dispatch that
///     called KeInsertQueueDpc passes it on (in and out, with every ISR of the chain before it);
///   - the DPC routine that insert queued ends it (in), on whichever vCPU it runs.
/// A DPC inserted again before it ran links to the first insert only (the later ones found it
/// queued). Events the ring dropped link nothing.
std::map<std::size_t, FlowBinding> FindFlows(const std::vector<TraceEvent>& events,
                                             unsigned processors);

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_TRACE_FLOWS_HPP_
