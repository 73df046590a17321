# shellcheck shell=bash disable=SC2154
# demo_fallback.sh - sourced by demo.sh when network namespaces cannot
# be made (not root, or a container without them): the same job on the
# bundled captures, which make-corpus.sh recorded from the same real
# clients and servers.  Redact instead of capture --redact, replay into
# DPDK's net_pcap virtual port (a file) or the file backend; the L7
# replay needs a staging server on a network of our own, so it is
# skipped.  Defines main().
corpus=$shared/corpus/generated
TRACES="h2c-rest grpc rest-h1-ipv6 h2-tls"

stage_redact() {
	local t
	stage redact "the bundled captures, with 'tracewarp redact'"
	for t in $TRACES; do
		[ -f "$corpus/$t.pcap" ] || die "no bundled capture $corpus/$t.pcap"
		run "$tw" redact -r "$corpus/$t.pcap" -w "$out/$t.pcapng" \
			-p "$policy" --key-file "$out/demo.key" \
			--l7-out "$out/$t.jsonl" \
			--json >"$out/redact-$t.json"
		printf 'redact %-13s %6s packets, %s HTTP/2 and %s HTTP/1.1 connections, %s exchanges\n' \
			"$t" "$(jget "$out/redact-$t.json" 'd["packets"]')" \
			"$(jget "$out/redact-$t.json" 'd["streams"]["h2_flows"]')" \
			"$(jget "$out/redact-$t.json" 'd["streams"]["h1_flows"]')" \
			"$(wc -l <"$out/$t.jsonl")"
	done
	for t in $TRACES; do cat "$out/$t.jsonl"; done >"$out/exchanges.jsonl"
	# One trace to replay, in time order (the captures follow each
	# other, seconds apart).
	run mergecap -F pcapng -w "$out/redacted.pcapng" \
		$(for t in $TRACES; do echo "$out/$t.pcapng"; done)
}

stage_info() {
	stage info "what the redacted trace holds"
	run "$tw" info "$out/redacted.pcapng"
	"$tw" info --json "$out/redacted.pcapng" >"$out/info.json" ||
		die "tracewarp info --json failed"
}

stage_leaks() {
	local t files=()
	stage leak-check "the clients' secrets, searched in every file written"
	# The TLS key log beside its redacted capture: nothing stays hidden
	# by encryption from the oracle.
	cp "$corpus/h2-tls.keylog" "$out/"
	for t in $TRACES; do files+=("$out/$t.pcapng"); done
	"$shared/tools/leak-check.sh" "$corpus/secrets.txt" "${files[@]}" \
		"$out/exchanges.jsonl" >"$out/leaks.txt"
	local rc=$?
	cat "$out/leaks.txt"
	[ "$rc" -eq 0 ] || die "secrets found in the redacted files"
}

stage_replay() {
	local eal be sent got file=$out/sent.pcap
	stage replay "the redacted trace at 10x, gRPC flows x4, into a file"
	if have_dpdk; then
		be="DPDK net_pcap virtual port (--no-huge), into $file"
		eal="--lcores 0@$(cpu0) --no-huge --no-pci -m 256 --no-shconf"
		eal="$eal --no-telemetry --log-level=error --file-prefix=$tag"
		eal="$eal --vdev net_pcap0,tx_pcap=$file"
		run timeout 60 "$tw" replay --dpdk --eal "$eal" -x 10 \
			--amplify 'tcp port 50051*4' --json "$out/replay.json" \
			"$out/redacted.pcapng"
	else
		be="file backend (this build has no DPDK), into $file"
		run timeout 60 "$tw" replay -w "$file" --pcap -x 10 \
			--amplify 'tcp port 50051*4' --json "$out/replay.json" \
			"$out/redacted.pcapng"
	fi
	sent=$(jget "$out/replay.json" 'd["packets_sent"]')
	got=$(tshark -r "$file" 2>/dev/null | wc -l)
	echo "replay: backend $be"
	echo "replay: $sent frames sent ($(jget "$out/replay.json" \
		'd["amplified_copies"]') amplified copies), $got in $file"
	[ "$sent" -gt 0 ] && [ "$got" -eq "$sent" ] ||
		die "$got frames in $file of $sent sent"
}

main() {
	echo "demo: FALLBACK: no network namespaces here (needs root and" \
		"'ip netns'), so no live capture and no L7 replay: the bundled" \
		"captures in $corpus go through redact, info and replay" \
		"(file / net_pcap backends)"
	[ -d "$corpus" ] || { stage_name=setup; die "no bundled captures at $corpus"; }
	mkkey
	stage_redact
	stage_info
	stage_leaks
	stage_replay
	say "l7: SKIPPED (the staging server needs a network namespace);" \
		"the exchanges are in $out/exchanges.jsonl"
}
