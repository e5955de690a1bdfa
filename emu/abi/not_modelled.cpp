// Routines kemu declares but does not model yet. Each fails loudly by name (kemu::NotModelled);
// none returns a made-up success. The manifest (exports.inc) marks them NotModelled.
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

// Executive resources: reader/writer locks with shared and exclusive owners kemu does not track.
NTSTATUS ExInitializeResourceLite(PERESOURCE Resource) {
  (void)Resource;
  KEMU_NOT_MODELLED(ExInitializeResourceLite);
}

NTSTATUS ExDeleteResourceLite(PERESOURCE Resource) {
  (void)Resource;
  KEMU_NOT_MODELLED(ExDeleteResourceLite);
}

BOOLEAN ExAcquireResourceExclusiveLite(PERESOURCE Resource, BOOLEAN Wait) {
  (void)Resource;
  (void)Wait;
  KEMU_NOT_MODELLED(ExAcquireResourceExclusiveLite);
}

BOOLEAN ExAcquireResourceSharedLite(PERESOURCE Resource, BOOLEAN Wait) {
  (void)Resource;
  (void)Wait;
  KEMU_NOT_MODELLED(ExAcquireResourceSharedLite);
}

VOID ExReleaseResourceLite(PERESOURCE Resource) {
  (void)Resource;
  KEMU_NOT_MODELLED(ExReleaseResourceLite);
}

}  // extern "C"
