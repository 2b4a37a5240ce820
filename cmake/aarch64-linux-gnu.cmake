# Cross-building nvmxd for arm64 (lab/arm64/nvmxd.sh, the arm64 lab's nvmxd live in L0): Debian's
# cross compiler (gcc-12-aarch64-linux-gnu) with its own arm64 libc (libc6-dev-arm64-cross), and
# the libraries nvmxd links from a directory of bookworm's arm64 packages unpacked by
# `nvmx lab sysroot` (NVMX_ARM64_SYSROOT): never the host's apt, never an arm64 install.
#
#   cmake -S . -B B -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         -DNVMX_ARM64_SYSROOT=DIR -DNVMX_NVMXD_ONLY=ON
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc-12)
# try_compile projects read the toolchain file again: they need the sysroot too
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES NVMX_ARM64_SYSROOT)
if(NOT NVMX_ARM64_SYSROOT)
	message(FATAL_ERROR "give -DNVMX_ARM64_SYSROOT=DIR (made by `nvmx lab sysroot`)")
endif()
set(CMAKE_FIND_ROOT_PATH ${NVMX_ARM64_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER) # clang -target bpf, bpftool: the host's
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(ENV{PKG_CONFIG_SYSROOT_DIR} ${NVMX_ARM64_SYSROOT})
set(ENV{PKG_CONFIG_LIBDIR}
    "${NVMX_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${NVMX_ARM64_SYSROOT}/usr/share/pkgconfig")
# the libraries' own dependencies (gnutls's nettle...) are found where the packages put them;
# only what nvmxd calls is linked
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "-Wl,--as-needed -Wl,-rpath-link,${NVMX_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu -Wl,-rpath-link,${NVMX_ARM64_SYSROOT}/lib/aarch64-linux-gnu")
