# Cross-compiles for aarch64 Linux with Debian's multiarch toolchain and arm64
# libraries (g++-aarch64-linux-gnu, libhwy-dev:arm64, libgtest-dev:arm64);
# binaries run under qemu-aarch64. Used by scripts/test-aarch64.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Headers are shared across architectures in /usr/include; libraries and CMake
# package files come from the multiarch directories only.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
set(CMAKE_PREFIX_PATH /usr/lib/aarch64-linux-gnu/cmake)

# gtest_discover_tests and ctest run the test binaries through qemu. The arm64
# multiarch libc (libc6:arm64, pulled in by libhwy-dev:arm64) provides
# /lib/ld-linux-aarch64.so.1, so qemu needs no -L prefix; with the cross
# toolchain's own libc (-L /usr/aarch64-linux-gnu) qemu 7.2 hangs in thread
# creation, so that prefix is only a fallback.
if(EXISTS /lib/ld-linux-aarch64.so.1)
  set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64)
else()
  set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu)
endif()
