/* initguid.h — include first in the one translation unit that defines a driver's GUIDs: every
 * DEFINE_GUID after it defines its GUID instead of only declaring it.
 *
 *   #include <initguid.h>
 *   #include <wdm.h>
 *   DEFINE_GUID(GUID_MY_INTERFACE, 0x12345678, 0x1234, 0x5678, 1, 2, 3, 4, 5, 6, 7, 8);
 */
#ifndef INITGUID
#define INITGUID
#endif
/* Headers already included declared their GUIDs; redefine the macro for what follows. */
#ifdef KEMU_WDK_BASE_H_
#undef DEFINE_GUID
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
  KEMU_WDK_GUID_DEFINITION const GUID name = {l, w1, w2, {b1, b2, b3, b4, b5, b6, b7, b8}}
#endif
