#!/bin/sh
# nvmx: install what is missing (Debian 12, as root), build, then run the main job or every test.
#
#   ./build.sh run    who handles nested exits here: nvmxd live on a host with nested guests,
#                     else a real nested workload in the lab (QEMU, nested SVM) with nvmxd inside
#   ./build.sh test   every test: unit, replay, BPF on this kernel, the lab, the build matrix,
#                     the sanitized (ASan+UBSan) unit and BPF tests, and the fuzzers
#   ./build.sh build  install and build only
#
# Each command installs only what it needs, from scripts/debian-packages/: build the build's;
# run also lab's (the SVM lab); test everything (lab-vmx's, lab-arm64's and test's too), and
# only test configures the tests (NVMX_TESTS=ON: Criterion, Prometheus).
#
# Environment: BUILD_DIR (default ./build), NVMX_TEST_ARGS (extra ctest arguments, e.g. "-L ^unit$": -L is a regular expression).
set -eu
cd "$(dirname "$0")"
BUILD_DIR=${BUILD_DIR:-build}
what=${1:-}

die() { echo "build.sh: $*" >&2; exit 2; }

# install_missing LIST...: the packages of scripts/debian-packages/LIST... not installed yet
install_missing() {
	pkgs=$(for l in "$@"; do grep -v '^#' "scripts/debian-packages/$l"; done | grep -v '^$')
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

# build ON|OFF: with or without the tests
build() {
	cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNVMX_WERROR=ON \
		-DNVMX_TESTS="$1" >/dev/null
	cmake --build "$BUILD_DIR" -j "$(nproc)"
}

case "$what" in
run)
	install_missing build lab
	build OFF
	exec "$BUILD_DIR/cli/nvmx" up
	;;
test)
	install_missing build lab lab-vmx lab-arm64 test
	build ON
	# Lab tests boot QEMU and take most of the time: run two at once on two cores.
	cd "$BUILD_DIR"
	exec ctest --output-on-failure -j 2 ${NVMX_TEST_ARGS:-}
	;;
build)
	install_missing build
	build OFF
	;;
*)
	sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
