#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Writes nvmx.json, the Grafana dashboard (classic JSON model), to stdout.

    python3 dashboards/make_dashboard.py > dashboards/nvmx.json

Generated so that every panel has the same datasource and variables and the layout stays
consistent; nvmx.json is what Grafana imports. Metrics: docs/metrics.md.

Variables: $datasource (the Prometheus), $job and $instance (which nvmxd: its scrape job and
target), $vm (the VMs, on the families with a vm label). Every query selects with them (J or VM
below) and takes its rate over $__rate_interval (or $__range for totals over the dashboard's
range), never a fixed window: tests/prom/dashboard_check.py holds that.
"""
import json

DS = {"type": "prometheus", "uid": "${datasource}"}
J = 'job=~"$job",instance=~"$instance"'
VM = J + ',vm=~"$vm"'
panels = []
y = 0


def target(expr, legend, ref):
    return {"datasource": DS, "expr": expr, "legendFormat": legend, "refId": ref}


def panel(title, desc, exprs, kind="timeseries", w=12, h=8, unit="short", stack=False,
          extra=None):
    global y
    x = 0 if not panels or panels[-1]["gridPos"]["x"] + panels[-1]["gridPos"]["w"] + w > 24 \
        else panels[-1]["gridPos"]["x"] + panels[-1]["gridPos"]["w"]
    if x == 0 and panels:
        y = panels[-1]["gridPos"]["y"] + panels[-1]["gridPos"]["h"]
    p = {
        "id": len(panels) + 1,
        "type": kind,
        "title": title,
        "description": desc,
        "datasource": DS,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "targets": [target(e, l, chr(ord("A") + i)) for i, (e, l) in enumerate(exprs)],
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {},
    }
    if kind == "timeseries":
        p["fieldConfig"]["defaults"]["custom"] = {
            "stacking": {"mode": "normal" if stack else "none", "group": "A"},
            "fillOpacity": 30 if stack else 0,
        }
    if extra:
        p.update(extra)
    panels.append(p)


R = "$__rate_interval"
panel("L2 exits by handler",
      "Exits of the nested guests (L2) per second: handled by L0 (this host's KVM) or "
      "reflected to L1 (the guest hypervisor).",
      [(f'sum by (handled_by) (rate(nvmx_l2_exits_total{{{VM}}}[{R}]))', "{{handled_by}}")],
      unit="ops", stack=True)
panel("Share of L2 exits reflected to L1",
      "Each reflected exit costs a round trip through L1.",
      [(f'(sum by (vm) (rate(nvmx_l2_exits_total{{{VM},handled_by="L1"}}[{R}])) '
        f'or 0 * sum by (vm) (rate(nvmx_l2_exits_total{{{VM}}}[{R}]))) / '
        f'sum by (vm) (rate(nvmx_l2_exits_total{{{VM}}}[{R}]))', "{{vm}}")],
      unit="percentunit")
panel("Exit multiplication",
      "Exits of L1 inside the complete round trips of reflected L2 exits (its VMREAD/VMWRITE, "
      "MSR accesses... while handling one exit of its guest; not the VMRUN/VMRESUME that "
      "resumes L2) per round trip: nvmx report's mult (docs/model.md's glossary).",
      [(f'(sum by (vm) (rate(nvmx_nested_round_trip_l1_exits_total{{{VM}}}[{R}])) '
        f'or 0 * sum by (vm) (rate(nvmx_nested_round_trips_total{{{VM}}}[{R}]))) / '
        f'sum by (vm) (rate(nvmx_nested_round_trips_total{{{VM}}}[{R}]))', "{{vm}}")])
panel("Turtles breakdown: time share of each part, per reason",
      "Where a complete round trip of a reflected L2 exit (L2 exit to the next entry into L2) "
      "spends its time, per reason of the reflected exit, over the dashboard's range: "
      "l0_exit (L0 decides, syncs vmcs12/vmcb12), l0_reflect (into L1), l1_handler (L1's "
      "handler, its own exits left out), l1_exit_service (L0 serving L1's exits), "
      "l0_entry_emulation (L1's VMRUN/VMRESUME into L2). Each bar adds up to 100%.",
      [(f'sum by (reason, part) (increase(nvmx_nested_round_trip_part_seconds_total{{{VM}}}'
        f'[$__range])) / ignoring (part) group_left sum by (reason) '
        f'(increase(nvmx_nested_round_trip_seconds_sum{{{VM}}}[$__range]))', "{{part}}")],
      kind="barchart", unit="percentunit",
      extra={"options": {"stacking": "normal", "orientation": "horizontal",
                         "showValue": "auto", "legend": {"displayMode": "list",
                                                         "placement": "bottom"}},
             "transformations": [{"id": "groupingToMatrix",
                                  "options": {"columnField": "part", "rowField": "reason",
                                              "valueField": "Value"}}]})
panels[-1]["targets"][0].update({"instant": True, "range": False, "format": "table"})
panel("Exit multiplication per reason",
      "The exit multiplication (exits of L1 inside each complete round trip of a reflected L2 "
      "exit, its resuming VMRUN/VMRESUME not counted), per reason of the reflected exit.",
      [(f'(sum by (reason) (rate(nvmx_nested_round_trip_l1_exits_total{{{VM}}}[{R}])) '
        f'or 0 * sum by (reason) (rate(nvmx_nested_round_trips_total{{{VM}}}[{R}]))) / '
        f'sum by (reason) (rate(nvmx_nested_round_trips_total{{{VM}}}[{R}]))', "{{reason}}")])
panel("Round trip time per reason (mean, p99)",
      "Complete round trips of reflected L2 exits, from the L2 exit to the next entry into L2. "
      "p99 from log2 buckets: within a factor of two; the mean is exact.",
      [(f'sum by (reason) (rate(nvmx_nested_round_trip_seconds_sum{{{VM}}}[{R}])) / '
        f'sum by (reason) (rate(nvmx_nested_round_trip_seconds_count{{{VM}}}[{R}]))',
        "mean {{reason}}"),
       (f'histogram_quantile(0.99, sum by (le, reason) '
        f'(rate(nvmx_nested_round_trip_seconds_bucket{{{VM}}}[{R}])))', "p99 {{reason}}")],
      unit="s")
panel("Top L2 exit reasons",
      "The ten most frequent L2 exit reasons over the dashboard's range, by handler.",
      [(f'topk(10, sum by (reason, handled_by) (increase(nvmx_l2_exits_total{{{VM}}}'
        f'[$__range])))', "{{reason}} by {{handled_by}}")],
      kind="bargauge",
      extra={"options": {"orientation": "horizontal", "displayMode": "gradient",
                         "reduceOptions": {"calcs": ["lastNotNull"], "values": False}}})
panel("L0-handled L2 exit time (p50, p99)",
      "L2 exits L0 handled itself, from the exit to L0's next entry; log2 buckets, so "
      "quantiles are within a factor of two. A reflected exit's cost is its round trip.",
      [(f'histogram_quantile(0.5, sum by (le) '
        f'(rate(nvmx_l2_exit_handling_seconds_bucket{{{VM},handled_by="L0"}}[{R}])))', "p50"),
       (f'histogram_quantile(0.99, sum by (le) '
        f'(rate(nvmx_l2_exit_handling_seconds_bucket{{{VM},handled_by="L0"}}[{R}])))', "p99")],
      unit="s")
panel("MSR/port exits: top offenders by cost",
      "The ten MSRs and the ten I/O ports whose exits cost the most time per second, of the "
      "VMs selected (one series per VM and key): an L2 exit handled in L0 costs L0's handling "
      "(kvm_exit to kvm_entry), a reflected one (by L1) its whole round trip through L1, L1's "
      "own exit (by none) L0's handling. The mechanism says why it exits and what setting "
      "changes it (nvmx bitmap, docs/bitmaps.md). nvmxd exports the first 32 series by cost "
      "one by one; the rest add up in msr/port=\"other\" per VM.",
      [(f'topk(10, rate(nvmx_msr_exit_cost_seconds_total{{{VM}}}[{R}]))',
        "{{vm}} MSR {{msr}} {{name}} {{access}} by {{handled_by}} ({{mechanism}})"),
       (f'topk(10, rate(nvmx_io_exit_cost_seconds_total{{{VM}}}[{R}]))',
        "{{vm}} port {{port}} {{name}} {{direction}} by {{handled_by}} ({{mechanism}})")],
      w=24, unit="percentunit")
panel("Synthesised exits to L1 and nested entries",
      "Exits L0 made up for L1 (no L2 exit of that reason), and the entries into L2 L0 "
      "emulated for L1.",
      [(f'sum by (reason) (rate(nvmx_synthesized_to_l1_total{{{VM}}}[{R}]))',
        "synthesised {{reason}}"),
       (f'sum(rate(nvmx_nested_entries_total{{{VM}}}[{R}]))', "nested entries"),
       (f'sum(rate(nvmx_nested_entries_failed_total{{{VM}}}[{R}]))', "failed nested entries")],
      unit="ops")
panel("Lost-event anomalies",
      "Anything above zero means counts are incomplete: map updates that failed, programs "
      "the kernel skipped, exits nvmx could not attribute, events --record dropped, "
      "interrupted event deliveries neither reinjected nor handed to L1.",
      [(f'sum(increase(nvmx_map_update_failures_total{{{J}}}[{R}]))', "map update failures"),
       (f'sum(increase(nvmx_bpf_program_recursion_misses_total{{{J}}}[{R}]))', "recursion misses"),
       (f'sum(increase(nvmx_unattributed_events_total{{{VM}}}[{R}]))', "unattributed"),
       (f'sum(increase(nvmx_interrupted_events_total{{{VM},outcome="lost"}}[{R}]))',
        "interrupted events lost"),
       (f'sum(increase(nvmx_ringbuf_dropped_events_total{{{J}}}[{R}]))', "ring-buffer drops")])
panel("Missing probes",
      "KVM tracepoints without nvmx's program (the tracepoint or its BTF type is missing).",
      [(f"nvmx_bpf_programs_missing{{{J}}}", "{{instance}}")], kind="stat", w=6)
panel("Privileges",
      "1: nvmxd serves without privileges; 0: as root; -1: CAP_BPF kept (kernel before "
      "5.19).",
      [(f"nvmx_privileges_dropped{{{J}}}", "{{instance}}")], kind="stat", w=6)
panel("nvmx overhead: CPU in BPF programs",
      "CPU seconds per second nvmx's programs run (needs kernel.bpf_stats_enabled=1 or "
      "nvmxd --bpf-stats), and the mean cost of one run.",
      [(f'sum by (program) (rate(nvmx_bpf_program_run_seconds_total{{{J}}}[{R}]))',
        "{{program}}")],
      unit="percentunit", stack=True)
panel("nvmx overhead: time per program run",
      "Mean run time of each program; compare with nvmx_baseline_kvm_exit (an empty "
      "program, nvmxd --baseline).",
      [(f'rate(nvmx_bpf_program_run_seconds_total{{{J}}}[{R}]) / '
        f'rate(nvmx_bpf_program_runs_total{{{J}}}[{R}])', "{{program}}")], unit="s")
panel("nvmx overhead: scrape duration and events",
      "How long a scrape takes to read the maps, and how many KVM events nvmx handles.",
      [(f"nvmx_scrape_duration_seconds{{{J}}}", "scrape {{instance}}"),
       (f'rate(nvmx_bpf_events_total{{{J}}}[{R}])', "events/s {{instance}}")])

def variable(name, label, query):
    """A query variable over $datasource, many values or All (.*), refreshed on time change."""
    return {"name": name, "label": label, "type": "query", "datasource": DS,
            "query": {"query": query, "refId": name}, "definition": query, "refresh": 2,
            "includeAll": True, "multi": True, "allValue": ".*", "current": {}, "hide": 0,
            "sort": 1}


panel("nvmxd process: CPU and memory",
      "nvmxd's own process, as every Prometheus client library exports it (process_*): CPU "
      "seconds per second in user space (its BPF programs' time is in the overhead panels "
      "above) and resident memory.",
      [(f'rate(process_cpu_seconds_total{{{J}}}[{R}])', "CPU {{instance}}"),
       (f'process_resident_memory_bytes{{{J}}}', "RSS {{instance}}")],
      w=24)
panels[-1]["fieldConfig"]["overrides"] = [
    {"matcher": {"id": "byRegexp", "options": "RSS.*"},
     "properties": [{"id": "unit", "value": "bytes"},
                    {"id": "custom.axisPlacement", "value": "right"}]},
    {"matcher": {"id": "byRegexp", "options": "CPU.*"},
     "properties": [{"id": "unit", "value": "percentunit"}]}]

dash = {
    "title": "nvmx: nested virtualization exits",
    "uid": "nvmx-nested-exits",
    "tags": ["nvmx", "kvm", "nested-virtualization"],
    "timezone": "",
    "schemaVersion": 37,
    "version": 1,
    "editable": True,
    "refresh": "30s",
    "time": {"from": "now-1h", "to": "now"},
    "templating": {"list": [
        {"name": "datasource", "label": "Prometheus", "type": "datasource",
         "query": "prometheus", "current": {}, "hide": 0},
        variable("job", "Job", "label_values(nvmx_build_info, job)"),
        variable("instance", "Instance",
                 'label_values(nvmx_build_info{job=~"$job"}, instance)'),
        variable("vm", "VM", f"label_values(nvmx_l2_exits_total{{{J}}}, vm)"),
    ]},
    "annotations": {"list": []},
    "panels": panels,
}
print(json.dumps(dash, indent=2))
