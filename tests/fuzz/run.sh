#!/bin/sh
#
# run.sh: run each libFuzzer target for a while; make fuzz calls it.
#
#   FUZZ_SECONDS=60 FUZZ_WORKDIR=DIR \
#       sh tests/fuzz/run.sh SRCDIR BUILDDIR NAME...
#
# Target NAME is BUILDDIR/tests/fuzz/fuzz_NAME.  It runs for FUZZ_SECONDS
# with its seeds (SRCDIR/tests/fuzz/NAME/, read only) and dictionary
# (SRCDIR/tests/fuzz/NAME.dict).  What it finds goes under
# FUZZ_WORKDIR/NAME/, never into the source tree: new inputs in corpus/
# (a later run starts from them too), a crashing input as crash-*,
# leak-*, timeout-* or oom-*, and libFuzzer's output in log.  FUZZ_FLAGS
# adds libFuzzer flags ("-only_ascii=1", "-max_len=8192").
#
# Prints one line per target: seconds run, inputs executed (libFuzzer's
# final stat::number_of_executed_units, else its "#N DONE" or "Done N
# runs" line), their rate, inputs added to corpus/ and edges covered;
# then, for each target that crashed, where its input is.  Exits 1 if
# any target crashed.

set -u

[ $# -ge 3 ] || {
	echo "usage: run.sh SRCDIR BUILDDIR NAME..." >&2
	exit 2
}
srcdir=$1
builddir=$2
shift 2
secs=${FUZZ_SECONDS:-60}
work=${FUZZ_WORKDIR:-fuzz-out}
flags=${FUZZ_FLAGS:-}
# UBSan reports end the run (-fno-sanitize-recover); show where.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export UBSAN_OPTIONS

case $secs in
''|*[!0-9]*)
	echo "run.sh: FUZZ_SECONDS must be a number of seconds" >&2
	exit 2 ;;
esac

# The last value of "stat::NAME: value" in log $1.
final_stat() {
	sed -n "s/^stat::$2:[[:space:]]*//p" "$1" | tail -n 1
}

failed=0
crashes=
table=$(printf '%-8s %8s %12s %9s %6s %6s  %s' \
    target seconds execs exec/s new cov result)
for name in "$@"; do
	bin=$builddir/tests/fuzz/fuzz_$name
	seeds=$srcdir/tests/fuzz/$name
	dict=$srcdir/tests/fuzz/$name.dict
	out=$work/$name
	if [ ! -x "$bin" ]; then
		echo "run.sh: $bin not built (configure --enable-fuzzing)" >&2
		exit 2
	fi
	mkdir -p "$out/corpus" || exit 2
	log=$out/log
	before=$(find "$out/corpus" -type f | wc -l)
	echo "fuzz_$name: ${secs}s, log in $log" >&2
	start=$(date +%s)
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
	    -dict="$dict" -artifact_prefix="$out/" $flags \
	    "$out/corpus" "$seeds" >"$log" 2>&1
	rc=$?
	end=$(date +%s)

	execs=$(final_stat "$log" number_of_executed_units)
	[ -n "$execs" ] || execs=$(sed -n \
	    -e 's/^#\([0-9][0-9]*\)[[:space:]]*DONE.*/\1/p' \
	    -e 's/^Done \([0-9][0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
	rate=$(final_stat "$log" average_exec_per_sec)
	cov=$(sed -n 's/^#[0-9].* cov: \([0-9][0-9]*\).*/\1/p' "$log" |
	    tail -n 1)
	after=$(find "$out/corpus" -type f | wc -l)
	new=$((after - before))
	result=ok
	if [ "$rc" -ne 0 ]; then
		failed=1
		artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' \
		    "$log" | tail -n 1)
		result="CRASH (exit $rc)"
		crashes="$crashes
fuzz_$name crashed (exit $rc).  Input: ${artifact:-none written, see the log}
  log:       $log
  reproduce: $bin ${artifact:-}
  keep it:   cp ${artifact:-INPUT} $seeds/  (a crashing input stays a seed)"
	fi
	table="$table
$(printf '%-8s %8s %12s %9s %6s %6s  %s' "$name" $((end - start)) \
    "${execs:-?}" "${rate:-?}" "$new" "${cov:-?}" "$result")"
done

echo
echo "$table"
if [ "$failed" -ne 0 ]; then
	echo "$crashes"
	exit 1
fi
exit 0
