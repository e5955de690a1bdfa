// The foreign driver's connect, ISR and disconnect, written as a WDM driver would write them.
#include "scenario/foreign_device.hpp"

#include "kemu/error.hpp"

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
  PCM_PARTIAL_RESOURCE_DESCRIPTOR line = FindLine(device_.translated_resources());
  if (line == nullptr) {
    throw Error("kemu: foreign device " + device_.name() +
                " was granted no line interrupt to connect to (give it a `line:`)");
  }
  const KIRQL irql = static_cast<KIRQL>(line->u.Interrupt.Level);
  const KINTERRUPT_MODE mode =
      (line->Flags & CM_RESOURCE_INTERRUPT_LATCHED) != 0 ? Latched : LevelSensitive;
  const NTSTATUS status = IoConnectInterrupt(
      &interrupt_, &ForeignDriver::Isr, this, nullptr, line->u.Interrupt.Vector, irql, irql, mode,
      static_cast<BOOLEAN>(line->ShareDisposition == CmResourceShareShared),
      line->u.Interrupt.Affinity, FALSE);
  if (!NT_SUCCESS(status)) {
    interrupt_ = nullptr;
    throw Error("kemu: the foreign driver of " + device_.name() +
                " could not connect its ISR (IoConnectInterrupt failed)");
  }
}

void ForeignDriver::Disconnect() {
  if (interrupt_ == nullptr) return;
  PKINTERRUPT interrupt = interrupt_;
  interrupt_ = nullptr;
  IoDisconnectInterrupt(interrupt);
}

BOOLEAN ForeignDriver::Isr(PKINTERRUPT interrupt, PVOID context) {
  (void)interrupt;
  auto* self = static_cast<ForeignDriver*>(context);
  if (!self->device_.line_asserted()) return FALSE;
  self->device_.DeassertLine();
  return TRUE;
}

}  // namespace kemu::scenario::internal
