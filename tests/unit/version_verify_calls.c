/* A C17 driver asking "Windows 7 SP1 or later?" the way RtlVerifyVersionInfo's page builds it,
 * and RtlIsServicePackVersionInstalled with NTDDI_WS08SP2 (version_verify_test.cpp). */
#include <wdm.h>

NTSTATUS VersionVerifyWin7Sp1OrLater(void) {
  RTL_OSVERSIONINFOEXW info;
  ULONGLONG conditions = 0;
  RtlZeroMemory(&info, sizeof(info));
  info.dwOSVersionInfoSize = sizeof(info);
  info.dwMajorVersion = 6;
  info.dwMinorVersion = 1;
  info.wServicePackMajor = 1;
  VER_SET_CONDITION(conditions, VER_MAJORVERSION, VER_GREATER_EQUAL);
  VER_SET_CONDITION(conditions, VER_MINORVERSION, VER_GREATER_EQUAL);
  VER_SET_CONDITION(conditions, VER_SERVICEPACKMAJOR, VER_GREATER_EQUAL);
  return RtlVerifyVersionInfo(&info, VER_MAJORVERSION | VER_MINORVERSION | VER_SERVICEPACKMAJOR,
                              conditions);
}

BOOLEAN VersionVerifyWs08Sp2Installed(void) {
  return RtlIsServicePackVersionInstalled(NTDDI_WS08SP2);
}
