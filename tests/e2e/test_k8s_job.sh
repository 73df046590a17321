#!/usr/bin/env bash
# tools/k8s/replay-indexed-job.yaml, run here as the cluster would: the
# manifest, filled in as its header says (envsubst on its own variables
# only), must be an Indexed Job of SHARDS pods all in parallel, and its
# container's own shell command, run by SHARDS processes at once with
# JOB_COMPLETION_INDEX 0..SHARDS-1 and one START_AT (a dry run: -w FILE in
# place of -i IFACE), must give shards that are disjoint and whose union
# is what one process sends with the same command as shard 1/1.
set -u
tw=${TRACEWARP:?}
command -v envsubst >/dev/null || { echo "envsubst (gettext-base) needed"; exit 77; }
cd "$(dirname "$0")/../.." || exit 1
trace=${SHARED:?}/corpus/public/tcpreplay-test.pcap
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
PY=/usr/bin/python3
fail=0

export SHARDS=3 IMAGE=tracewarp:test TRACE_PVC=traces
export TRACE=$(basename "$trace") IFACE=eth1 SPEEDUP=5
export START_AT=$(date -u -d '+2 sec' +%Y-%m-%dT%H:%M:%SZ)
vars='${SHARDS} ${START_AT} ${IMAGE} ${TRACE_PVC} ${TRACE} ${IFACE} ${SPEEDUP}'
envsubst "$vars" <tools/k8s/replay-indexed-job.yaml >"$tmp/job.yaml"
grep -v '^ *#' "$tmp/job.yaml" | grep -E '\$\{[A-Z_]+\}' &&
	{ echo "FAILED: unfilled variables"; fail=1; }

# The Job's shape, and its command with -w "$OUT" in place of -i.
$PY - "$tmp/job.yaml" "$tmp/cmd.sh" <<'PYEOF' || fail=1
import sys, yaml
job = yaml.safe_load(open(sys.argv[1]))
spec = job["spec"]
c = spec["template"]["spec"]["containers"][0]
want = {"kind": job["kind"], "mode": spec["completionMode"],
        "completions": spec["completions"],
        "parallelism": spec["parallelism"]}
if want != {"kind": "Job", "mode": "Indexed", "completions": 3,
            "parallelism": 3}:
    sys.exit("FAILED: not an Indexed Job of 3 parallel pods: %r" % want)
cmd = c["args"][0]
env = {e["name"]: e["value"] for e in c["env"]}
if env["TW_SHARDS"] != "3" or env["TW_IFACE"] != "eth1":
    sys.exit("FAILED: the pod's environment: %r" % env)
if '-i "$TW_IFACE"' not in cmd or "--start-at" not in cmd:
    sys.exit("FAILED: the command lost -i \"$TW_IFACE\" or --start-at: "
             + cmd)
with open(sys.argv[2], "w") as f:
    for k in ("TW_START_AT", "TW_SPEEDUP"):
        f.write("%s='%s'\n" % (k, env[k]))
    f.write(cmd.replace('-i "$TW_IFACE"', '-w "$OUT"') + "\n")
PYEOF
[ "$fail" -eq 0 ] || exit 1

mkdir -p "$tmp/bin" "$tmp/traces"
ln -s "$tw" "$tmp/bin/tracewarp"
cp "$trace" "$tmp/traces/"
pod() { # pod INDEX SHARDS OUT: the container's command, as a pod runs it
	PATH=$tmp/bin:$PATH JOB_COMPLETION_INDEX=$1 TW_SHARDS=$2 OUT=$3 \
		TW_TRACE=$tmp/traces/$TRACE timeout 60 sh "$tmp/cmd.sh" >"$3.json"
}
pids=()
parts=()
for i in $(seq 0 $((SHARDS - 1))); do
	pod "$i" "$SHARDS" "$tmp/shard$i.pcapng" &
	pids+=($!)
	parts+=("$tmp/shard$i.pcapng")
done
pod 0 1 "$tmp/whole.pcapng" &
pids+=($!)
for p in "${pids[@]}"; do
	wait "$p" || { echo "FAILED: a pod exited $?"; fail=1; }
done
[ "$(date +%s)" -ge "$(date -d "$START_AT" +%s)" ] ||
	{ echo "FAILED: the pods ended before START_AT"; fail=1; }
$PY tests/e2e/frames_check.py shards "$tmp/whole.pcapng" "${parts[@]}" ||
	{ echo "FAILED: shards are not the whole"; fail=1; }
[ "$fail" -eq 0 ] && echo "k8s Indexed Job: $SHARDS pods' shards make the whole"
exit "$fail"
