#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The recording and alerting rules of dashboards/nvmx.rules.yml: promtool check rules, then
# promtool test rules tests/prom/rules_test.yml (exact values of every recording rule, each alert
# firing and quiet, its annotations rendered), then rules_coverage.py: no rule without a test,
# no alert without summary, description and a runbook_url that is a section of docs/alerts.md.
#
# usage: promtool_rules.sh PROMTOOL SOURCE_DIR
set -u
[ $# = 2 ] || { echo "usage: promtool_rules.sh PROMTOOL SOURCE_DIR" >&2; exit 2; }
promtool=$1 src=$2
fail=0
"$promtool" check rules "$src/dashboards/nvmx.rules.yml" || fail=1
# promtool reads rule_files relative to the test file
(cd "$src/tests/prom" && "$promtool" test rules rules_test.yml) || fail=1
python3 "$src/tests/prom/rules_coverage.py" "$src/dashboards/nvmx.rules.yml" \
	"$src/tests/prom/rules_test.yml" "$src/docs" || fail=1
[ $fail = 0 ] && echo "PASS" || echo "FAIL"
exit $fail
