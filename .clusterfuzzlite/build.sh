#!/bin/bash -eu
# Builds kemu's fuzz targets for ClusterFuzzLite and OSS-Fuzz into $OUT: each program with its
# <target>_seed_corpus.zip, and <target>.dict and <target>.options where it has them. The engine
# sets CC, CXX, CFLAGS, CXXFLAGS (sanitizer and coverage flags) and LIB_FUZZING_ENGINE, which the
# CMake build honours as they are (cmake/KemuDriverFuzzer.cmake); SRC, WORK and OUT are its
# directories. tools/run-clusterfuzzlite-build runs this script the same way outside Docker.

# The distribution's yaml-cpp, fmt and GoogleTest are built against libstdc++; the -stdlib=libc++
# that OSS-Fuzz adds to CXXFLAGS would make every call into them fail to link.
CXXFLAGS="${CXXFLAGS//-stdlib=libc++/}"
export CXXFLAGS

# What is fuzzed: the scenario parser and runner, kemu's own C ABI, and the example NIC driver
# through its adapter (not its buggy builds, which are meant to crash).
fuzzers=(kemu_fuzz_scenario_parser kemu_fuzz_scenario_run kemu_fuzz_kernel_api kemu_fuzz_nic)

build="$WORK/kemu-build"
rm -rf "$build"
# An empty build type: the optimisation and debug flags are CFLAGS' (-O1 -gline-tables-only).
# Libraries the programs load from outside the base system are copied to $OUT/lib (below), where
# the RPATH finds them on the machine that runs the fuzzers.
cmake -S "$SRC/kemu" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE= \
  '-DCMAKE_BUILD_RPATH=$ORIGIN/lib' \
  -DKEMU_BUILD_FUZZERS=ON \
  -DKEMU_BUILD_EXAMPLES=ON \
  -DKEMU_BUILD_TESTS=OFF \
  -DKEMU_BUILD_BENCHMARKS=OFF \
  -DKEMU_INSTALL=OFF
cmake --build "$build" -j"${KEMU_BUILD_JOBS:-$(nproc)}" --target "${fuzzers[@]}"

mkdir -p "$OUT/lib"
for fuzzer in "${fuzzers[@]}"; do
  program=$(find "$build" -type f -name "$fuzzer" -perm -u+x | head -n 1)
  if [ -z "$program" ]; then
    echo "build.sh: $fuzzer was not built" >&2
    exit 1
  fi
  dir=$(dirname "$program")
  cp "$program" "$OUT/"
  cp "$dir/${fuzzer}_seed_corpus.zip" "$OUT/"
  for extra in "$fuzzer.dict" "$fuzzer.options"; do
    if [ -f "$dir/$extra" ]; then cp "$dir/$extra" "$OUT/"; fi
  done
  # Shared libraries beyond the C library (yaml-cpp, fmt, the C++ runtime), found through the RPATH.
  ldd "$program" | awk '/=> \// { print $3 }' |
    grep -vE '/(libc|libm|libdl|librt|libpthread|ld-linux[^/]*)\.so' |
    while read -r lib; do cp -L "$lib" "$OUT/lib/"; done
done
