// kemu/version.hpp — the version of kemu this header belongs to.
//
// The one place the version is written: the top-level CMakeLists.txt reads it from here for
// project(VERSION ...), so the package's kemuConfigVersion.cmake and this header cannot disagree.
//
//   #if KEMU_VERSION_MAJOR == 0 && KEMU_VERSION_MINOR < 2
//   ...
//   #endif
#ifndef KEMU_VERSION_HPP_
#define KEMU_VERSION_HPP_

#define KEMU_VERSION_MAJOR 0
#define KEMU_VERSION_MINOR 1
#define KEMU_VERSION_PATCH 0

#define KEMU_VERSION_STRINGIFY_(x) #x
#define KEMU_VERSION_STRINGIFY(x) KEMU_VERSION_STRINGIFY_(x)
/// "0.1.0"
#define KEMU_VERSION_STRING                  \
  KEMU_VERSION_STRINGIFY(KEMU_VERSION_MAJOR) \
  "." KEMU_VERSION_STRINGIFY(KEMU_VERSION_MINOR) "." KEMU_VERSION_STRINGIFY(KEMU_VERSION_PATCH)

#endif  // KEMU_VERSION_HPP_
