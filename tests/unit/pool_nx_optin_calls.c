/* A C17 driver built with POOL_NX_OPTIN=1, the single-binary NX opt-in
 * (pool_zero_helpers_test.cpp). */
#define POOL_NX_OPTIN 1
#include <wdm.h>

void PoolNxOptInInitialize(ULONG RuntimeFlags) { ExInitializeDriverRuntime(RuntimeFlags); }

/* The driver's NonPagedPool, which the opt-in makes a variable. */
POOL_TYPE PoolNxOptInNonPagedPool(void) { return NonPagedPool; }
ULONG PoolNxOptInMdlProtection(void) { return ExDefaultMdlProtection; }
void PoolNxOptInReset(void) {
  ExDefaultNonPagedPoolType = NonPagedPoolExecute;
  ExDefaultMdlProtection = 0;
}
