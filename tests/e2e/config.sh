#!/bin/sh
#
# config.sh: "licensehook -t" on good and bad configuration files, where
# the configuration comes from (-c, $LICENSEHOOK_CONF), that no secret
# ever reaches an error message, and what -t says about the database and
# the usage database.  TAP.  Needs only the binaries.

. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

require_build

# run_lh [VAR=VALUE...] -- ARG...: run licensehook with a clean
# environment; sets RC, OUT (stdout) and ERR (stderr).
run_lh() {
	_rl_n=0
	for _rl_a in "$@"; do
		[ "$_rl_a" = -- ] && break
		_rl_n=$((_rl_n + 1))
	done
	_rl_env=
	while [ "$_rl_n" -gt 0 ]; do
		_rl_env="$_rl_env $1"
		shift
		_rl_n=$((_rl_n - 1))
	done
	shift
	# shellcheck disable=SC2086
	env -i PATH="$PATH" $_rl_env "$LH_BIN" "$@" </dev/null \
	    >"$LH_TMP/out" 2>"$LH_TMP/err"
	RC=$?
	OUT=$(cat "$LH_TMP/out")
	ERR=$(cat "$LH_TMP/err")
}

GOOD=$LH_TMP/good.conf
write_config "$GOOD"

# bad_config DESC NAME-IN-MESSAGE: write $LH_TMP/bad.conf from stdin,
# check it and expect failure with NAME-IN-MESSAGE on stderr.
bad_config() {
	cat >"$LH_TMP/bad.conf"
	chmod 600 "$LH_TMP/bad.conf"
	run_lh -- -t -c "$LH_TMP/bad.conf"
	isnt "$RC" 0 "$1: exits non-zero"
	like "$ERR" "$2" "$1: the message names $2"
}

# no_leak DESC VALUE: VALUE appears in neither stdout nor stderr.
no_leak() {
	case "$OUT$ERR" in
	*"$2"*) fail "$1: value not echoed" "it was: $OUT $ERR" ;;
	*) pass "$1: value not echoed" ;;
	esac
}

# ---- where the configuration comes from ------------------------------------

run_lh -- -t -c "$GOOD"
is "$RC" 0 "-t -c good.conf: exits 0"
like "$OUT" 'syntax is ok' "-t -c good.conf: says the syntax is ok"
no_leak "-t -c good.conf" "$LH_SECRET"

run_lh LICENSEHOOK_CONF="$GOOD" -- -t
is "$RC" 0 "-t with LICENSEHOOK_CONF: exits 0"

run_lh LICENSEHOOK_CONF="$LH_TMP/absent.conf" -- -t -c "$GOOD"
is "$RC" 0 "-c wins over LICENSEHOOK_CONF"

run_lh LICENSEHOOK_CONF="$LH_TMP/absent.conf" -- -t
isnt "$RC" 0 "LICENSEHOOK_CONF naming a missing file: exits non-zero"
like "$ERR" "absent\\.conf" "LICENSEHOOK_CONF naming a missing file: names it"

run_lh -- -t -c "$LH_TMP/missing.conf"
isnt "$RC" 0 "-c missing file: exits non-zero"
like "$ERR" "missing\\.conf: .*([Nn]o such file|not found|does not exist)" \
    "-c missing file: says which file and why"

run_lh -- -h
is "$RC" 0 "-h: exits 0"
like "$OUT" '^usage: licensehook' "-h: usage on stdout"

run_lh -- -x
isnt "$RC" 0 "unknown option: exits non-zero"
like "$ERR" 'usage' "unknown option: usage on stderr"

cp "$GOOD" "$LH_TMP/ww.conf"
chmod 666 "$LH_TMP/ww.conf"
run_lh -- -t -c "$LH_TMP/ww.conf"
isnt "$RC" 0 "world-writable configuration: refused"

# ---- mistakes in the file ----------------------------------------------------

bad_config "unknown key" "colour" <<EOF
[licensehook]
database = $LH_DB
colour = blue
[stripe]
webhook_secret = $LH_SECRET
EOF
like "$ERR" 'line 3' "unknown key: the message names the line"

bad_config "unknown section" "frobnicate" <<EOF
[licensehook]
database = $LH_DB
[frobnicate]
[stripe]
webhook_secret = $LH_SECRET
EOF

bad_config "mode neither test nor live" "mode" <<EOF
[licensehook]
database = $LH_DB
mode = staging
[stripe]
webhook_secret = $LH_SECRET
EOF

bad_config "body_limit not a number" "body_limit" <<EOF
[licensehook]
database = $LH_DB
body_limit = lots
[stripe]
webhook_secret = $LH_SECRET
EOF

bad_config "negative tolerance" "tolerance" <<EOF
[licensehook]
database = $LH_DB
[stripe]
webhook_secret = $LH_SECRET
tolerance = -5
EOF

# ---- secrets never echoed ------------------------------------------------------

v=sk_live_e2eNOTAWHSEC$(uniq_id)
bad_config "secret without whsec_" "webhook_secret" <<EOF
[licensehook]
database = $LH_DB
[stripe]
webhook_secret = $v
EOF
no_leak "secret without whsec_" "$v"

v=whsec_e2eSPACE$(uniq_id)
bad_config "secret with a space" "webhook_secret" <<EOF
[licensehook]
database = $LH_DB
[stripe]
webhook_secret = $v tail
EOF
no_leak "secret with a space" "$v"

v=whsec_$(awk 'BEGIN { for (i = 0; i < 300; i++) printf "A" }')
bad_config "secret over 256 bytes" "webhook_secret" <<EOF
[licensehook]
database = $LH_DB
[stripe]
webhook_secret = $v
EOF
no_leak "secret over 256 bytes" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

v=whsec_e2eWRONGSECTION$(uniq_id)
bad_config "secret in the wrong section" "webhook_secret" <<EOF
[licensehook]
database = $LH_DB
webhook_secret = $v
[stripe]
webhook_secret = $LH_SECRET
EOF
no_leak "secret in the wrong section" "$v"
no_leak "secret in the wrong section (the good one)" "$LH_SECRET"

v=whsec_e2eWRONGKEY$(uniq_id)
bad_config "secret pasted as another key's value" "mode" <<EOF
[licensehook]
database = $LH_DB
mode = $v
[stripe]
webhook_secret = $LH_SECRET
EOF
no_leak "secret pasted as another key's value" "$v"

v=whsec_e2eASKEY$(uniq_id)
bad_config "secret pasted as a key" "line 4" <<EOF
[licensehook]
database = $LH_DB
[stripe]
$v
EOF
no_leak "secret pasted as a key" "$v"

# ---- the database -----------------------------------------------------------

LH_DB=$LH_TMP/no/such/dir/licensehook.db
write_config "$LH_TMP/nodir.conf"
run_lh -- -t -c "$LH_TMP/nodir.conf"
isnt "$RC" 0 "database in a missing directory: exits non-zero"
like "$ERR" 'no/such/dir' "database in a missing directory: names it"

# ---- the usage database -------------------------------------------------------

LH_DB=$LH_TMP/licensehook.db
bad_config "usage_database relative" "licensehook.usage_database: must be an absolute path" <<EOF
[licensehook]
database = $LH_DB
usage_database = usage.db
[stripe]
webhook_secret = $LH_SECRET
EOF
bad_config "usage_database is the database" "usage_database: must not be the database itself" <<EOF
[licensehook]
database = $LH_DB
usage_database = $LH_DB
[stripe]
webhook_secret = $LH_SECRET
EOF

run_lh -- -t -c "$GOOD"
unlike "$OUT$ERR" 'usage database' \
    "without the license API: -t says nothing of the usage database"
if [ -x "$LH_CTL" ]; then
	API=$LH_TMP/api.conf
	write_config "$API"
	printf '\n[api]\nkeys_dir = %s\n' "$LH_TMP/keys" >>"$API"
	"$LH_CTL" -c "$API" keys generate >/dev/null 2>&1 ||
	    bail_out "licensectl keys generate failed"
	run_lh -- -t -c "$API"
	is "$RC" 0 "license API on, no usage database yet: -t passes"
	like "$OUT" "usage database $LH_DB-usage does not exist yet; it is created on the first license API request" \
	    "license API on: -t names the usage database, next to the database"
	printf '{"license_key":"LH-2345-6789-ABCD-EFGH"}' >"$LH_TMP/v.json"
	_conf=$LH_CONF
	LH_CONF=$API
	cgi_request POST /api/v1/licenses/validate "$LH_TMP/v.json"
	LH_CONF=$_conf
	is "$HTTP_STATUS" 404 "a validation (unknown key) makes the usage database"
	run_lh -- -t -c "$API"
	is "$RC" 0 "usage database made: -t passes"
	like "$OUT" "usage database $LH_DB-usage is ok \\(schema [0-9]+, wal\\)" \
	    "usage database made: -t says it is ok"
	LH_USAGE_DB=$LH_TMP/usage/elsewhere.db
	write_config "$API"
	LH_USAGE_DB=
	printf '\n[api]\nkeys_dir = %s\n' "$LH_TMP/keys" >>"$API"
	run_lh -- -t -c "$API"
	isnt "$RC" 0 "usage_database in a missing directory: -t fails"
	like "$ERR" "usage database $LH_TMP/usage/elsewhere\\.db does not exist and its directory is not writable" \
	    "usage_database in a missing directory: -t names it"
else
	for _n in 1 2 3 4 5 6 7 8; do
		skip "usage database and -t: test $_n" "licensectl not built"
	done
fi

done_testing
