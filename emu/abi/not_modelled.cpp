// Routines kemu declares but does not model yet. Each fails loudly by name (kemu::NotModelled);
// none returns a made-up success. The manifest (exports.inc) marks them NotModelled.
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

// Handing an executive resource to another owner: kemu's owners are threads only.
VOID ExSetResourceOwnerPointer(PERESOURCE Resource, PVOID OwnerPointer) {
  (void)Resource;
  (void)OwnerPointer;
  KEMU_NOT_MODELLED(ExSetResourceOwnerPointer);
}

}  // extern "C"
