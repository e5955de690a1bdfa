/* A driver built for Windows 10 that turns the inline list checks off (list_entry_checks_test.cpp).
 */
#define NO_KERNEL_LIST_ENTRY_CHECKS
#include <wdm.h>

BOOLEAN ListEntryRemoveWithoutChecks(PLIST_ENTRY Entry) { return RemoveEntryList(Entry); }
