// race_publish_driver.c — see race_publish_driver.h.
#include "race_publish_driver.h"

static KDEFERRED_ROUTINE PublishProducer;
static KDEFERRED_ROUTINE PublishConsumer;

static VOID PublishProducer(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2) {
  PPUBLISH publish = (PPUBLISH)Context;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(Argument1);
  UNREFERENCED_PARAMETER(Argument2);
  publish->Data = 42;
  switch (publish->Mode) {
    case PublishNoFence:
      WriteNoFence(&publish->Ready, 1);
      break;
    case PublishReleaseAcquire:
      WriteRelease(&publish->Ready, 1);
      break;
    case PublishFenced:
      KeMemoryBarrier();
      WriteNoFence(&publish->Ready, 1);
      break;
  }
}

static VOID PublishConsumer(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2) {
  PPUBLISH publish = (PPUBLISH)Context;
  LONG ready;
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(Argument1);
  UNREFERENCED_PARAMETER(Argument2);
  ready = publish->Mode == PublishReleaseAcquire ? ReadAcquire(&publish->Ready)
                                                 : ReadNoFence(&publish->Ready);
  if (!ready) return;
  if (publish->Mode == PublishFenced) KeMemoryBarrier();
  publish->Seen = publish->Data;
}

VOID PublishInitialize(PPUBLISH Publish, PUBLISH_MODE Mode) {
  Publish->Mode = Mode;
  KeInitializeDpc(&Publish->Producer, PublishProducer, Publish);
  KeInitializeDpc(&Publish->Consumer, PublishConsumer, Publish);
  KeSetTargetProcessorDpc(&Publish->Producer, 0);
  KeSetTargetProcessorDpc(&Publish->Consumer, 1);
}

VOID PublishRun(PPUBLISH Publish) {
  KeInsertQueueDpc(&Publish->Producer, NULL, NULL);
  KeInsertQueueDpc(&Publish->Consumer, NULL, NULL);
}
