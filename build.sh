#!/bin/sh
# nvmx: install what is missing (Debian 12, as root), build, then run the main job or every test.
#
#   ./build.sh run    who handles nested exits here: nvmxd live on a host with nested guests,
#                     else a real nested workload in the lab (QEMU, nested SVM) with nvmxd inside
#   ./build.sh test   every test: unit, replay, BPF on this kernel, the lab, the build matrix,
#                     the sanitized (ASan+UBSan) unit and BPF tests, and the fuzzers
#   ./build.sh build  install and build only
#
# Environment: BUILD_DIR (default ./build), NVMX_TEST_ARGS (extra ctest arguments, e.g. "-L ^unit$": -L is a regular expression).
set -eu
cd "$(dirname "$0")"
BUILD_DIR=${BUILD_DIR:-build}
what=${1:-}

die() { echo "build.sh: $*" >&2; exit 2; }

install_missing() {
	pkgs=$(grep -v '^#' scripts/debian-packages | grep -v '^$')
	missing=""
	for p in $pkgs; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" = 0 ] || die "missing Debian packages:$missing (run as root to install them)"
	echo "build.sh: installing:$missing" >&2
	apt-get update -q >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >&2
}

build() {
	cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNVMX_WERROR=ON >/dev/null
	cmake --build "$BUILD_DIR" -j "$(nproc)"
}

case "$what" in
run)
	install_missing
	build
	exec "$BUILD_DIR/cli/nvmx" up
	;;
test)
	install_missing
	build
	# Lab tests boot QEMU and take most of the time: run two at once on two cores.
	cd "$BUILD_DIR"
	exec ctest --output-on-failure -j 2 ${NVMX_TEST_ARGS:-}
	;;
build)
	install_missing
	build
	;;
*)
	sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
