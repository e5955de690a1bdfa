// The foreign driver's connect, ISR and disconnect, written as a WDM driver would write them.
#include "scenario/run/foreign_device.hpp"

#include <fmt/format.h>
#include <iointex.h>

#include "kemu/error.hpp"
#include "kemu/testing/ntstatus.hpp"

namespace kemu::scenario::internal {
namespace {

// The first line (not message) interrupt descriptor of the translated resources, or nullptr.
PCM_PARTIAL_RESOURCE_DESCRIPTOR FindLine(PCM_RESOURCE_LIST translated) {
  if (translated == nullptr) return nullptr;
  for (ULONG list = 0; list < translated->Count; ++list) {
    PCM_PARTIAL_RESOURCE_LIST partial = &translated->List[list].PartialResourceList;
    for (ULONG i = 0; i < partial->Count; ++i) {
      PCM_PARTIAL_RESOURCE_DESCRIPTOR descriptor = &partial->PartialDescriptors[i];
      if (descriptor->Type == CmResourceTypeInterrupt &&
          (descriptor->Flags & CM_RESOURCE_INTERRUPT_MESSAGE) == 0) {
        return descriptor;
      }
    }
  }
  return nullptr;
}

}  // namespace

void ForeignDriver::Connect() {
  if (connected()) throw Error("kemu: foreign device " + device_.name() + " is already started");
  PCM_PARTIAL_RESOURCE_DESCRIPTOR line = FindLine(device_.translated_resources());
  if (line == nullptr) {
    throw Error("kemu: foreign device " + device_.name() +
                " was granted no line interrupt to connect to (give it a `line:`)");
  }
  // CONNECT_FULLY_SPECIFIED through Iointex.lib, as a driver built for XP does, rather than
  // IoConnectInterrupt: the same connection on every personality, but it names the PDO, so the
  // connection is credited to this device and not to the first one on the shared vector.
  const KIRQL irql = static_cast<KIRQL>(line->u.Interrupt.Level);
  IO_CONNECT_INTERRUPT_PARAMETERS parameters{};
  parameters.Version = CONNECT_FULLY_SPECIFIED;
  IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS& fully = parameters.FullySpecified;
  fully.PhysicalDeviceObject = device_.pdo();
  fully.InterruptObject = &interrupt_;
  fully.ServiceRoutine = &ForeignDriver::Isr;
  fully.ServiceContext = this;
  fully.SynchronizeIrql = irql;
  fully.ShareVector = static_cast<BOOLEAN>(line->ShareDisposition == CmResourceShareShared);
  fully.Vector = line->u.Interrupt.Vector;
  fully.Irql = irql;
  fully.InterruptMode =
      (line->Flags & CM_RESOURCE_INTERRUPT_LATCHED) != 0 ? Latched : LevelSensitive;
  fully.ProcessorEnableMask = line->u.Interrupt.Affinity;
  const NTSTATUS status = WdmlibIoConnectInterruptEx(&parameters);
  if (!NT_SUCCESS(status)) {
    interrupt_ = nullptr;
    throw Error(fmt::format("kemu: the foreign driver of {} could not connect its ISR ({})",
                            device_.name(), testing::FormatNtStatus(status)));
  }
}

void ForeignDriver::Disconnect() {
  if (interrupt_ == nullptr) return;
  // As a driver must: quiet the device before the ISR goes, or its line keeps firing on a vector
  // where no ISR claims it. Events the scenario scheduled on it no longer come.
  device_.CancelScheduled();
  if (device_.line_asserted()) device_.DeassertLine();
  IO_DISCONNECT_INTERRUPT_PARAMETERS parameters{};
  parameters.Version = CONNECT_FULLY_SPECIFIED;
  parameters.ConnectionContext.InterruptObject = interrupt_;
  interrupt_ = nullptr;
  WdmlibIoDisconnectInterruptEx(&parameters);
}

BOOLEAN ForeignDriver::Isr(PKINTERRUPT interrupt, PVOID context) {
  (void)interrupt;
  auto* self = static_cast<ForeignDriver*>(context);
  if (!self->device_.line_asserted()) return FALSE;
  self->device_.DeassertLine();
  return TRUE;
}

}  // namespace kemu::scenario::internal
