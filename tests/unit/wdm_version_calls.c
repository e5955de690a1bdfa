/* A driver asking whether the system has the WDM version of the headers it was built with, the
 * use IoIsWdmVersionAvailable's documentation gives WDM_MAJORVERSION and WDM_MINORVERSION. Built
 * twice for version_test.cpp: for the default target (Windows 10) and for an XP target, each
 * naming its function through KEMU_WDM_VERSION_CALL. */
#include <wdm.h>

#ifdef __cplusplus
#error "wdm_version_calls.c must be compiled as C"
#endif

BOOLEAN KEMU_WDM_VERSION_CALL(PUCHAR Major, PUCHAR Minor);

BOOLEAN KEMU_WDM_VERSION_CALL(PUCHAR Major, PUCHAR Minor) {
  *Major = WDM_MAJORVERSION;
  *Minor = WDM_MINORVERSION;
  return IoIsWdmVersionAvailable(WDM_MAJORVERSION, WDM_MINORVERSION);
}
