/* The inline list routines without their checks: a driver built for Windows XP, and one built for
 * Windows 10 that defines NO_KERNEL_LIST_ENTRY_CHECKS (list_entry_checks_test.cpp). */
#ifdef NTDDI_VERSION
#undef NTDDI_VERSION
#endif
#define NTDDI_VERSION 0x05010000 /* NTDDI_WINXP */
#include <wdm.h>

BOOLEAN ListEntryRemoveOnXpBuild(PLIST_ENTRY Entry) { return RemoveEntryList(Entry); }
