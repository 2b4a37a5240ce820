# SPDX-License-Identifier: GPL-2.0
# Sourced by the host tests that start nvmxd with an HTTP listener (tests/prom/host_serve.sh,
# tests/top/clients_tls.sh); after tests/tally.sh (ok, bad, finish). Needs NVMXD and dir.
#
# start NAME ARGS...: nvmxd on a free loopback port (its stdout and stderr in $dir/NAME.*);
# sets pid and port once it says it serves, or fails the test after 20 s.
start() {
	local name=$1
	shift
	"$NVMXD" --interval 3600 --listen 127.0.0.1:0 "$@" >"$dir/$name.stdout" 2>"$dir/$name.stderr" &
	pid=$!
	port=
	for _ in $(seq 200); do
		port=$(sed -n 's|^nvmxd: serving https\{0,1\}://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' \
			"$dir/$name.stderr")
		[ -n "$port" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	bad "$name: nvmxd did not start serving: $(cat "$dir/$name.stderr")"
	finish
}

# web_config_tls_alice: $dir/web.yml with TLS from $dir/cert.pem and $dir/key.pem (paths relative
# to the file, as exporter-toolkit reads them) and basic auth for alice, password "s3cret pass"
# (a bcrypt hash of cost 10, left in hash for more files); fails the test when none can be made.
web_config_tls_alice() {
	hash=$(python3 -W ignore -c 'import crypt; print(crypt.crypt("s3cret pass", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10)))')
	case "$hash" in
	'$2b$10$'*) ok "bcrypt hash made ($hash)" ;;
	*) bad "no bcrypt hash: '$hash'"; finish ;;
	esac
	cat >"$dir/web.yml" <<EOT
tls_server_config:
  cert_file: cert.pem
  key_file: key.pem
basic_auth_users:
  alice: '$hash'
EOT
}
