#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nvmxd.sh NVMX SRC DIR: nvmxd cross-built for arm64, for the arm64 lab's L0 (tests/lab-arm64).
#  1. DIR/sysroot: bookworm's arm64 packages of the libraries nvmxd links, their runtime
#     dependencies included (nvmx lab sysroot: the lab's own apt configuration, apt-get download,
#     dpkg-deb -x; nothing installed, the host's apt untouched), once;
#  2. DIR/build: nvmxd alone (NVMX_NVMXD_ONLY) with Debian's cross compiler
#     (cmake/aarch64-linux-gnu.cmake), dynamically linked: gnutls has no static p11-kit;
#  3. DIR/nvmxd-arm64.tar: usr/sbin/nvmxd, the arm64 ld.so and every library it loads (its
#     DT_NEEDED closure, read with aarch64-linux-gnu-readelf) under lib/, to unpack at / in L0
#     (`tar -xf ... -C /`): the lab's --ship resolves libraries with the host's ldd, which cannot
#     read an arm64 binary, so the tarball is shipped as one plain file.
# Exits 1 saying what is missing when a tool is not installed: never a silent skip.
set -eu
nvmx=$1 src=$2 dir=$3
for t in aarch64-linux-gnu-gcc-12 aarch64-linux-gnu-readelf cmake tar; do
	command -v "$t" >/dev/null || {
		echo "nvmxd.sh: $t is missing: install gcc-12-aarch64-linux-gnu and" \
			"libc6-dev-arm64-cross (scripts/debian-packages/lab-arm64)" >&2
		exit 1
	}
done
crosslib=/usr/aarch64-linux-gnu/lib
[ -e "$crosslib/ld-linux-aarch64.so.1" ] || {
	echo "nvmxd.sh: $crosslib/ld-linux-aarch64.so.1 is missing: install libc6-arm64-cross" >&2
	exit 1
}
mkdir -p "$dir"
# the -dev packages nvmxd builds with (their .pc Requires included), and the libraries they load
packages="libbpf-dev libbpf1 libelf-dev libelf1 zlib1g-dev zlib1g libzstd-dev libzstd1
	libjson-c-dev libjson-c5 liblzma-dev liblzma5 libmicrohttpd-dev libmicrohttpd12
	libyaml-dev libyaml-0-2 libcrypt-dev libcrypt1 libgnutls28-dev libgnutls30 nettle-dev
	libnettle8 libhogweed6 libgmp-dev libgmp10 libp11-kit-dev libp11-kit0 libffi8 libidn2-dev
	libidn2-0 libunistring2 libtasn1-6-dev libtasn1-6 libtracecmd-dev libtracecmd1
	libtraceevent-dev libtraceevent1 libtracefs-dev libtracefs1"
# the list is part of the sysroot: another list, another sysroot
stamp=$(echo $packages | md5sum | cut -c1-12)
sysroot=$dir/sysroot-$stamp
if [ ! -d "$sysroot" ]; then
	# shellcheck disable=SC2086 # one word per package
	"$nvmx" lab sysroot --out "$sysroot" $packages
fi
cmake -S "$src" -B "$dir/build" -DCMAKE_TOOLCHAIN_FILE="$src/cmake/aarch64-linux-gnu.cmake" \
	-DNVMX_ARM64_SYSROOT="$sysroot" -DNVMX_NVMXD_ONLY=ON -DNVMX_WERROR=ON \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >"$dir/configure.log" ||
	{ cat "$dir/configure.log"; exit 1; }
cmake --build "$dir/build" -j2 --target nvmxd
bin=$dir/build/src/nvmxd

# the DT_NEEDED closure, found where the arm64 ld.so would find it
stage=$dir/stage
rm -rf "$stage"
mkdir -p "$stage/usr/sbin" "$stage/lib"
cp "$bin" "$stage/usr/sbin/nvmxd"
cp "$crosslib/ld-linux-aarch64.so.1" "$stage/lib/"
todo=$bin
while [ -n "$todo" ]; do
	next=
	for f in $todo; do
		for lib in $(aarch64-linux-gnu-readelf -d "$f" |
			sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			[ -e "$stage/lib/$lib" ] && continue
			found=
			for d in "$sysroot/usr/lib/aarch64-linux-gnu" "$sysroot/lib/aarch64-linux-gnu" \
				"$crosslib"; do
				[ -e "$d/$lib" ] && { found=$d/$lib; break; }
			done
			[ -n "$found" ] || { echo "nvmxd.sh: $f needs $lib, in no package of $sysroot" >&2; exit 1; }
			cp -L "$found" "$stage/lib/$lib"
			next="$next $stage/lib/$lib"
		done
	done
	todo=$next
done
tar -cf "$dir/nvmxd-arm64.tar.tmp" -C "$stage" usr lib
mv "$dir/nvmxd-arm64.tar.tmp" "$dir/nvmxd-arm64.tar"
echo "nvmxd.sh: $dir/nvmxd-arm64.tar: nvmxd for arm64 and $(ls "$stage/lib" | wc -l) libraries"
