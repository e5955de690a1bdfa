// The inline list routines of a C++ driver built for Windows XP, linked into the same program as
// list_entry_checks_test.cpp, which is built for Windows 10 with the checks. In C++ too each
// translation unit keeps its own build's routines (list_entry_checks_test.cpp).
#ifdef NTDDI_VERSION
#undef NTDDI_VERSION
#endif
#define NTDDI_VERSION 0x05010000  // NTDDI_WINXP
#include <wdm.h>

BOOLEAN ListEntryRemoveOnXpCxxBuild(PLIST_ENTRY Entry) { return RemoveEntryList(Entry); }
PLIST_ENTRY ListEntryRemoveHeadOnXpCxxBuild(PLIST_ENTRY ListHead) {
  return RemoveHeadList(ListHead);
}
