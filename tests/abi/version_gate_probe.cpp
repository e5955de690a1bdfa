// Compiled by ctest, never built into a target: names one routine (KEMU_PROBE_SYMBOL) under one
// NTDDI_VERSION. Tests expect it to compile from the routine's first Windows version on and to
// fail, naming the routine, for older targets, as the WDK's version gates do.
#include <wdm.h>

#ifdef KEMU_PROBE_IOINTEX
#include <iointex.h>
#endif

void* KemuVersionGateProbe();
void* KemuVersionGateProbe() { return reinterpret_cast<void*>(&KEMU_PROBE_SYMBOL); }
