// IoConnectInterruptEx and Iointex.lib's WdmlibIoConnectInterruptEx (docs/windows-facts.md §2;
// conformance EX-2, EX-4, EX-5, EX-9). Statuses and the Version write-back follow the table of
// docs/windows-facts.md §2.6.
#include <algorithm>

#include "kemu/personality.hpp"
#include "model/devices.hpp"
#include "model/interrupts.hpp"
#include "model/kernel.hpp"

namespace kemu::model {
namespace {

KIRQL MaxIrql(const std::vector<MessageVector>& messages) {
  KIRQL highest = 0;
  for (const MessageVector& m : messages) highest = std::max(highest, m.irql);
  return highest;
}

}  // namespace

NTSTATUS Interrupts::ConnectEx(const char* routine, PIO_CONNECT_INTERRUPT_PARAMETERS parameters) {
  RequirePassive(routine);
  kernel_.verifier().Dereferenced(routine, parameters, "Parameters");
  const ULONG version = parameters->Version;
  const Personality& personality = kernel_.personality();
  if (version < CONNECT_FULLY_SPECIFIED || version > CONNECT_MESSAGE_BASED_PASSIVE ||
      (personality.connect_versions & ConnectVersionBit(version)) == 0) {
    return personality.unsupported_version_status;
  }
  switch (version) {
    case CONNECT_FULLY_SPECIFIED:
    case CONNECT_FULLY_SPECIFIED_GROUP:
      return ConnectFullySpecified(parameters);
    case CONNECT_LINE_BASED:
      return ConnectLineBased(parameters);
    default:
      return ConnectMessageBased(parameters);
  }
}

NTSTATUS Interrupts::ConnectIointex(PIO_CONNECT_INTERRUPT_PARAMETERS parameters) {
  static constexpr const char* kRoutine = "WdmlibIoConnectInterruptEx";
  RequirePassive(kRoutine);
  kernel_.verifier().Dereferenced(kRoutine, parameters, "Parameters");
  // docs/windows-facts.md §2.7: the library knows only CONNECT_FULLY_SPECIFIED; anything else fails
  // and rewrites Version so the driver can retry (the documented fallback, EX-8).
  if (parameters->Version != CONNECT_FULLY_SPECIFIED) {
    parameters->Version = CONNECT_FULLY_SPECIFIED;
    return kernel_.personality().iointex_status;
  }
  const IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS& fs = parameters->FullySpecified;
  // EX-2: the library's own checks before it forwards to IoConnectInterrupt.
  if (fs.PhysicalDeviceObject == nullptr || fs.ServiceRoutine == nullptr ||
      fs.InterruptObject == nullptr || fs.SynchronizeIrql < fs.Irql) {
    return STATUS_INVALID_PARAMETER;
  }
  // Its page lists STATUS_INVALID_PARAMETER_10 for an empty mask (docs/windows-facts.md §2.5);
  // IoConnectInterrupt, which it forwards to, would say STATUS_INVALID_PARAMETER (audit round
  // 16, S4).
  if (fs.ProcessorEnableMask == 0) return STATUS_INVALID_PARAMETER_10;
  // The same page lists STATUS_NOT_FOUND for a vector not assigned to the device, with no
  // exception per release: before Vista too (audit round 20, E-S2). A PDO kemu did not enumerate
  // has no resources kemu knows, and the call goes on to IoConnectInterrupt as before.
  DeviceState* const device = kernel_.devices().FindByPdo(fs.PhysicalDeviceObject);
  if (device != nullptr && !device->OwnsVector(fs.Vector)) return STATUS_NOT_FOUND;
  PKINTERRUPT interrupt = nullptr;
  const NTSTATUS status =
      ConnectLegacy(&interrupt, fs.ServiceRoutine, fs.ServiceContext, fs.SpinLock, fs.Vector,
                    fs.Irql, fs.SynchronizeIrql, fs.InterruptMode, fs.ShareVector,
                    fs.ProcessorEnableMask, fs.FloatingSave);
  if (!NT_SUCCESS(status)) return status;
  ConnectionRecord& record = *objects_.at(interrupt)->record;
  record.stats.legacy = false;
  if (device != nullptr) {
    // ConnectLegacy credited the connection by vector; the PDO says whose it is. On a shared line
    // that can differ, and the other device must not keep this connection as its own.
    if (record.device != nullptr && record.device != device &&
        record.device->connection == &record) {
      record.device->connection = nullptr;
    }
    record.device = device;
    device->connection = &record;
  }
  *fs.InterruptObject = interrupt;
  return STATUS_SUCCESS;
}

NTSTATUS Interrupts::ConnectFullySpecified(PIO_CONNECT_INTERRUPT_PARAMETERS parameters) {
  const IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS& fs = parameters->FullySpecified;
  if (fs.PhysicalDeviceObject == nullptr || fs.InterruptObject == nullptr) {
    return STATUS_INVALID_PARAMETER;
  }
  // Group exists only in Windows 7+ headers and is read only for version 4; kemu machines have
  // one processor group.
  if (parameters->Version == CONNECT_FULLY_SPECIFIED_GROUP && fs.Group != 0) {
    return STATUS_INVALID_PARAMETER;
  }
  // docs/windows-facts.md §2.5: "parameter 10" is IoConnectInterrupt's 10th parameter,
  // ProcessorEnableMask.
  if (fs.ProcessorEnableMask == 0) return STATUS_INVALID_PARAMETER_10;
  DeviceState* device = kernel_.devices().FindByPdo(fs.PhysicalDeviceObject);
  if (device == nullptr) return STATUS_INVALID_PARAMETER;
  if (!device->OwnsVector(fs.Vector)) return STATUS_NOT_FOUND;
  ConnectRequest request;
  if (const NTSTATUS status = CheckFullySpecified(fs.Irql, fs.SynchronizeIrql, fs.InterruptMode,
                                                  fs.SpinLock, request.passive);
      !NT_SUCCESS(status)) {
    return status;
  }
  if (fs.ServiceRoutine == nullptr || (fs.ProcessorEnableMask & kernel_.active_processors()) == 0) {
    return STATUS_INVALID_PARAMETER;
  }
  request.device = device;
  request.isr = fs.ServiceRoutine;
  request.context = fs.ServiceContext;
  request.spin_lock = fs.SpinLock;
  request.vectors = {fs.Vector};
  request.vector_irqls = {fs.Irql};
  request.synchronize_irql = fs.SynchronizeIrql;
  request.mode = fs.InterruptMode;
  request.share = fs.ShareVector != FALSE;
  request.affinity = fs.ProcessorEnableMask;
  request.floating_save = fs.FloatingSave != FALSE;
  request.version = parameters->Version;
  if (const NTSTATUS status = CheckVectorSharing(request); !NT_SUCCESS(status)) return status;
  ConnectionRecord& record = Connect(request);
  DeliverPending();  // INT-10
  *fs.InterruptObject = &record.objects.front()->k;
  return STATUS_SUCCESS;
}

NTSTATUS Interrupts::ConnectLineBased(PIO_CONNECT_INTERRUPT_PARAMETERS parameters) {
  const IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS& lb = parameters->LineBased;
  if (lb.PhysicalDeviceObject == nullptr || lb.InterruptObject == nullptr ||
      lb.ServiceRoutine == nullptr) {
    return STATUS_INVALID_PARAMETER;
  }
  DeviceState* device = kernel_.devices().FindByPdo(lb.PhysicalDeviceObject);
  if (device == nullptr) return STATUS_INVALID_PARAMETER;
  // docs/windows-facts.md §2.4: a line-based ISR cannot serve several messages.
  if (device->messages.size() > 1) return STATUS_INVALID_DEVICE_REQUEST;
  // SynchronizeIrql is a minimum that cannot exceed HIGH_LEVEL; drivers usually pass 0.
  if (lb.SynchronizeIrql > HIGH_LEVEL) return STATUS_INVALID_PARAMETER;
  ConnectRequest request;
  if (device->messages.size() == 1) {
    request.vectors = {device->messages[0].vector};
    request.vector_irqls = {device->messages[0].irql};
    request.mode = Latched;
    request.synchronize_irql = std::max(lb.SynchronizeIrql, device->messages[0].irql);
    request.affinity = kernel_.active_processors();
  } else if (device->HasLine()) {
    if (const NTSTATUS status = RequestLine(*device, lb.SynchronizeIrql, lb.SpinLock, request);
        !NT_SUCCESS(status)) {
      return status;
    }
  } else {
    return STATUS_NOT_FOUND;
  }
  request.device = device;
  request.isr = lb.ServiceRoutine;
  request.context = lb.ServiceContext;
  request.spin_lock = lb.SpinLock;
  request.floating_save = lb.FloatingSave != FALSE;
  request.version = CONNECT_LINE_BASED;
  // A line routed to no processor of this machine would leave the connection without a single
  // interrupt object; IoConnectInterrupt's "no processors" status (docs/windows-facts.md §1.3)
  // covers it.
  if ((request.affinity & kernel_.active_processors()) == 0) return STATUS_INVALID_PARAMETER;
  if (const NTSTATUS status = CheckVectorSharing(request); !NT_SUCCESS(status)) return status;
  ConnectionRecord& record = Connect(request);
  DeliverPending();
  *lb.InterruptObject = &record.objects.front()->k;
  return STATUS_SUCCESS;
}

NTSTATUS Interrupts::RequestLine(const DeviceState& device, KIRQL synchronize_irql,
                                 PKSPIN_LOCK spin_lock, ConnectRequest& request) const {
  const LineInterrupt& line = *device.config.line;
  request.vectors = {line.vector};
  request.vector_irqls = {line.irql};
  request.mode = line.mode == Trigger::kEdge ? Latched : LevelSensitive;
  request.share = line.shared;
  request.synchronize_irql = std::max(synchronize_irql, line.irql);
  request.affinity = static_cast<KAFFINITY>(line.affinity);
  if (line.irql != PASSIVE_LEVEL) return STATUS_SUCCESS;
  // A passive-level line (e.g. routed through a GPIO controller). With
  // SynchronizeIrql = PASSIVE_LEVEL and no spin lock its ISR runs at PASSIVE_LEVEL (Windows 8+);
  // a higher SynchronizeIrql still runs it at that IRQL. Before Windows 8 no interrupt is at
  // PASSIVE_LEVEL; the status for connecting one is UNCONFIRMED.
  if (!kernel_.personality().passive_isrs) return STATUS_INVALID_PARAMETER;
  request.passive = synchronize_irql == PASSIVE_LEVEL;
  return request.passive && spin_lock != nullptr ? STATUS_INVALID_PARAMETER : STATUS_SUCCESS;
}

NTSTATUS Interrupts::ConnectMessageBased(PIO_CONNECT_INTERRUPT_PARAMETERS parameters) {
  IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS& mb = parameters->MessageBased;
  // The documentation's own sample forgets ConnectionContext; refusing it is kemu's
  // choice (Windows' reaction is UNCONFIRMED, docs/windows-facts.md §2.3).
  if (mb.PhysicalDeviceObject == nullptr || mb.ConnectionContext.Generic == nullptr) {
    return STATUS_INVALID_PARAMETER;
  }
  DeviceState* device = kernel_.devices().FindByPdo(mb.PhysicalDeviceObject);
  if (device == nullptr) return STATUS_INVALID_PARAMETER;
  if (mb.SynchronizeIrql > HIGH_LEVEL) return STATUS_INVALID_PARAMETER;
  const bool passive = parameters->Version == CONNECT_MESSAGE_BASED_PASSIVE;
  ConnectRequest request;
  request.device = device;
  request.context = mb.ServiceContext;
  request.spin_lock = mb.SpinLock;
  request.floating_save = mb.FloatingSave != FALSE;
  if (!device->messages.empty()) {
    if (mb.MessageServiceRoutine == nullptr) return STATUS_INVALID_PARAMETER;
    if (passive && mb.SpinLock != nullptr) return STATUS_INVALID_PARAMETER;
    request.message_isr = mb.MessageServiceRoutine;
    for (const MessageVector& m : device->messages) {
      request.vectors.push_back(m.vector);
      request.vector_irqls.push_back(m.irql);
    }
    // EX-4: every message ISR runs at UnifiedIrql, at least the highest message DIRQL.
    request.synchronize_irql =
        passive ? PASSIVE_LEVEL : std::max(mb.SynchronizeIrql, MaxIrql(device->messages));
    request.mode = Latched;
    request.affinity = kernel_.active_processors();
    request.passive = passive;
    request.message_table = true;
    request.version = parameters->Version;
    // Messages are the device's alone (its descriptor says CmResourceShareDeviceExclusive): a
    // second connect of them, message-based or by vector, is refused as any unshareable vector
    // is (docs/windows-facts.md §9.3; audit round 20, E-S1).
    request.share = false;
    if (const NTSTATUS status = CheckVectorSharing(request); !NT_SUCCESS(status)) return status;
    ConnectionRecord& record = Connect(request);
    DeliverPending();
    *mb.ConnectionContext.InterruptMessageTable = record.table();
    return STATUS_SUCCESS;
  }
  if (!device->HasLine() || mb.FallBackServiceRoutine == nullptr) {
    // No messages and no fallback: the documented "no interrupts" status (exact status
    // UNCONFIRMED, docs/windows-facts.md §13 item 4).
    return STATUS_NOT_FOUND;
  }
  // EX-4: the fallback becomes a line-based ISR and Version says so.
  if (const NTSTATUS status = RequestLine(*device, mb.SynchronizeIrql, mb.SpinLock, request);
      !NT_SUCCESS(status)) {
    return status;
  }
  request.isr = mb.FallBackServiceRoutine;
  request.version = CONNECT_LINE_BASED;
  // As for CONNECT_LINE_BASED: no processor, no interrupt object (docs/windows-facts.md §1.3).
  if ((request.affinity & kernel_.active_processors()) == 0) return STATUS_INVALID_PARAMETER;
  if (const NTSTATUS status = CheckVectorSharing(request); !NT_SUCCESS(status)) return status;
  ConnectionRecord& record = Connect(request);
  parameters->Version = CONNECT_LINE_BASED;
  DeliverPending();
  *mb.ConnectionContext.InterruptObject = &record.objects.front()->k;
  return STATUS_SUCCESS;
}

}  // namespace kemu::model
