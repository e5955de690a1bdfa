# Install rules and the CMake package (find_package(kemu CONFIG)): the libraries, the public
# headers and kemuConfig.cmake, which recreates the in-tree names kemu::wdk, kemu::kemu, ...
#
# Layout under the prefix:
#   include/kemu/...          the C++ API (kemu/kemu.hpp, kemu/testing/..., kemu/scenario/...)
#   include/kemu/wdk/         wdm.h ntddk.h iointex.h ... (kemu::wdk puts this on the path, so
#                             driver sources keep writing #include <wdm.h>)
#   lib/libkemu*.a
#   lib/cmake/kemu/           kemuConfig.cmake, kemuConfigVersion.cmake, kemuTargets*.cmake
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(KEMU_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/kemu"
    CACHE STRING "Where kemuConfig.cmake is installed, relative to the prefix")

# The imported names equal the in-tree aliases: kemu_kemu is exported as kemu::kemu, and so on.
set(kemu_installed_targets
  kemu_wdk
  kemu_kemu
  kemu_race_runtime
  kemu_gtest
  kemu_gtest_main
  kemu_scenario
  kemu_scenario_cli
  kemu_scenario_main
  kemu_fuzz
  kemu_fuzz_main
  kemu_fuzz_replay
)
foreach(target IN LISTS kemu_installed_targets)
  string(REGEX REPLACE "^kemu_" "" export_name "${target}")
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${export_name})
endforeach()

install(TARGETS ${kemu_installed_targets}
  EXPORT kemuTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Public headers only: emu/ holds the implementation's private headers and is never installed.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/kemu
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.hpp" PATTERN "*.h")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/wdk/
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/kemu/wdk
  FILES_MATCHING PATTERN "*.h")

install(EXPORT kemuTargets
  NAMESPACE kemu::
  DESTINATION ${KEMU_INSTALL_CMAKEDIR})

# The yaml-cpp target name the export refers to (0.7: yaml-cpp, 0.8: yaml-cpp::yaml-cpp);
# kemuConfig.cmake checks that the yaml-cpp it finds provides it.
get_property(KEMU_YAML_CPP_TARGET GLOBAL PROPERTY KEMU_YAML_CPP_TARGET)
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/kemuConfig.cmake.in
  ${PROJECT_BINARY_DIR}/kemuConfig.cmake
  INSTALL_DESTINATION ${KEMU_INSTALL_CMAKEDIR})
# While kemu is 0.x every minor release may break its API (semantic versioning's rule for 0.y.z), so
# find_package(kemu 0.1) accepts 0.1.z only; from 1.0 on, any release of the same major version.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(kemu_version_compatibility SameMinorVersion)
else()
  set(kemu_version_compatibility SameMajorVersion)
endif()
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/kemuConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY ${kemu_version_compatibility})
install(FILES
  ${PROJECT_SOURCE_DIR}/cmake/KemuInstrumentDriver.cmake
  ${PROJECT_SOURCE_DIR}/cmake/KemuCheckImports.cmake
  ${PROJECT_SOURCE_DIR}/cmake/KemuCheckImportsScript.cmake
  ${KEMU_EXPORT_MANIFEST}
  ${PROJECT_SOURCE_DIR}/cmake/KemuDriverFuzzer.cmake
  ${PROJECT_SOURCE_DIR}/cmake/KemuFuzzSeedCorpus.cmake
  ${PROJECT_BINARY_DIR}/kemuConfig.cmake
  ${PROJECT_BINARY_DIR}/kemuConfigVersion.cmake
  DESTINATION ${KEMU_INSTALL_CMAKEDIR})
