// Routines kemu declares but does not model yet. Each fails loudly by name (kemu::NotModelled);
// none returns a made-up success. The manifest (exports.inc) marks them NotModelled.
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

VOID KeQuerySystemTime(PLARGE_INTEGER CurrentTime) {
  (void)CurrentTime;
  KEMU_NOT_MODELLED(KeQuerySystemTime);
}

}  // extern "C"
