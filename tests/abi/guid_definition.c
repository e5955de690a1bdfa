// DEFINE_GUID after <initguid.h> defines the GUID (and wdmguid.h's GUIDs) (abi_macro_test links
// this file and reads it); without it, it only declares (macro_test.c).
#include <initguid.h>
#include <wdm.h>
#include <wdmguid.h>  // defines every GUID of wdmguid.h here

DEFINE_GUID(KEMU_TEST_GUID, 0x0a1b2c3d, 0x4e5f, 0x6071, 0x82, 0x93, 0xa4, 0xb5, 0xc6, 0xd7, 0xe8,
            0xf9);
