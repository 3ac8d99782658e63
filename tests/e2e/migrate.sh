#!/bin/sh
#
# migrate.sh: the database file across upgrades and accidents, through the
# built licensehook (licensehook -t and plain CGI runs; licensectl too):
#
#   - a database at schema version 0 (an empty file, or an SQLite file
#     with user_version 0) passes -t, which says it will be upgraded and
#     changes nothing; the first request brings it to LH_SCHEMA_VERSION
#     (src/io.h), in WAL mode;
#   - a database from a newer release (user_version 99) is refused by -t
#     and by a request (503, Retry-After, a log line), and keeps its
#     version and its data;
#   - a file that is not a database is refused with a clear message and
#     neither changed nor recreated;
#   - a world-writable configuration file is refused at start-up;
#   - the database licensehook creates has no permissions for others,
#     whatever the umask it was started with;
#   - a database at schema version 1 (tests/fixtures/schema-v1.sql, made
#     by that release) passes -t, which says it will be upgraded; the
#     first request (or licensectl) moves its usage log, every row with
#     its rowid as id, to the usage database, which it creates with no
#     permissions for others, and drops rate_limits and validations; an
#     empty log makes no usage database; a usage database that cannot
#     be opened, is newer, or holds other rows under the same ids stops
#     the upgrade with 503 and leaves the database at version 1 with
#     its log, and a usage database that already has the rows (a copy
#     made before a crash) gets none twice.
#
# TAP.  Needs openssl and sqlite3.

. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

require_build
require_cmd openssl sqlite3

VERSION=$(sed -n 's/^#define[ 	]*LH_SCHEMA_VERSION[ 	]*\([0-9][0-9]*\).*/\1/p' \
    "$top_srcdir/src/io.h")
[ -n "$VERSION" ] || bail_out "no LH_SCHEMA_VERSION in src/io.h"
diag "current schema version: $VERSION"

E=$LH_TMP/event
URI=/api/v1/webhooks/stripe

# use_db NAME: point the configuration at $LH_TMP/NAME.db (a fresh log).
use_db() {
	LH_DB=$LH_TMP/$1.db
	LH_LOG=$LH_TMP/$1.log
	write_config "$LH_CONF"
}

# check_t: licensehook -t on $LH_CONF; sets RC, OUT, ERR.
check_t() {
	"$LH_BIN" -t -c "$LH_CONF" </dev/null >"$LH_TMP/t.out" 2>"$LH_TMP/t.err"
	RC=$?
	OUT=$(cat "$LH_TMP/t.out")
	ERR=$(cat "$LH_TMP/t.err")
}

# purchase: a signed checkout event as one CGI request.
purchase() {
	make_event "$E"
	cgi_request POST "$URI" "$E" HTTP_STRIPE_SIGNATURE="$(signature "$E")"
}

version_of() {
	sqlite3 -batch -noheader "$1" 'PRAGMA user_version;' 2>&1
}

# files_in: the directory's database files, for "nothing was created".
files_of() {
	(cd "$LH_TMP" && ls -d "$1" "$1"-* 2>/dev/null | tr '\n' ' ')
}

# ---- schema version 0: an empty file ---------------------------------------

use_db empty
: >"$LH_DB"
chmod 0640 "$LH_DB"
check_t
is "$RC" 0 "empty file: licensehook -t passes"
like "$OUT" "schema version 0 is upgraded to $VERSION" \
    "empty file: -t says what opening it will do"
is "$(version_of "$LH_DB")" 0 "empty file: -t changed nothing (version 0)"
purchase
is "$HTTP_STATUS" 200 "upgraded file: a purchase is stored (200)"
is "$(version_of "$LH_DB")" "$VERSION" \
    "empty file: the first request brought user_version to $VERSION"
is "$(sql 'PRAGMA journal_mode;')" wal "empty file: now in WAL mode"
is "$(sql "SELECT count(*) FROM sqlite_master WHERE type = 'table'
    AND name IN ('events', 'licenses', 'customers');")" 3 \
    "empty file: tables events, licenses, customers created"
check_t
like "$OUT" "schema $VERSION, wal" "upgraded file: -t reports schema $VERSION"
is "$(count licenses)" 1 "upgraded file: one license"

# ---- schema version 0: an SQLite file with user_version 0 -----------------------

use_db v0
sqlite3 -batch "$LH_DB" 'CREATE TABLE lh_probe (x); DROP TABLE lh_probe;
    PRAGMA user_version = 0;' || bail_out "sqlite3 cannot make $LH_DB"
is "$(version_of "$LH_DB")" 0 "user_version 0 file: made (delete journal)"
purchase
is "$HTTP_STATUS" 200 "user_version 0 file: first request upgrades it (200)"
is "$(version_of "$LH_DB") $(count licenses)" "$VERSION 1" \
    "user_version 0 file: now version $VERSION, with the license"
check_t
is "$RC" 0 "user_version 0 file, upgraded: licensehook -t passes"

use_db ctl
sqlite3 -batch "$LH_DB" 'PRAGMA user_version = 0; VACUUM;' ||
    bail_out "sqlite3 cannot make $LH_DB"
if [ -x "$LH_CTL" ]; then
	"$LH_CTL" -c "$LH_CONF" list </dev/null >"$LH_TMP/ctl.out" 2>&1
	is "$?" 0 "user_version 0 file: licensectl list runs"
	is "$(version_of "$LH_DB")" "$VERSION" \
	    "user_version 0 file: licensectl upgrades it too"
else
	skip "user_version 0 file: licensectl list runs" "licensectl not built"
	skip "user_version 0 file: licensectl upgrades it too" \
	    "licensectl not built"
fi

# ---- a database from a newer release ------------------------------------------

use_db v99
sqlite3 -batch "$LH_DB" "CREATE TABLE future (x TEXT);
    INSERT INTO future VALUES ('kept'); PRAGMA user_version = 99;" ||
    bail_out "sqlite3 cannot make $LH_DB"
cp "$LH_DB" "$LH_TMP/v99.orig"
check_t
is "$RC" 1 "user_version 99: licensehook -t fails"
like "$ERR" "schema version 99 is newer" \
    "user_version 99: -t says the schema is newer"
purchase
is "$HTTP_STATUS $(header Retry-After)" "503 30" \
    "user_version 99: a request is answered 503 with Retry-After"
like "$HTTP_BODY" '^\{"error":"storage_' "user_version 99: JSON storage error"
like "$(cat "$LH_LOG")" "database .*v99\\.db: .*schema version 99 is newer" \
    "user_version 99: logged, naming the file and the reason"
like "$(cat "$LH_LOG")" "POST $URI 503 .*error=storage_" \
    "user_version 99: and the request's 503 line"
is "$(version_of "$LH_DB")" 99 "user_version 99: still version 99"
is "$(sql 'SELECT x FROM future;')" kept "user_version 99: its data kept"
is "$(sql "SELECT count(*) FROM sqlite_master WHERE name = 'events';")" 0 \
    "user_version 99: no table of ours added"
if cmp -s "$LH_DB" "$LH_TMP/v99.orig"; then same=same; else same=changed; fi
is "$same" same "user_version 99: the file is byte for byte unchanged"

# ---- not a database ------------------------------------------------------------

use_db junk
head -c 65536 /dev/urandom >"$LH_DB"
chmod 0640 "$LH_DB"
cp "$LH_DB" "$LH_TMP/junk.orig"
check_t
is "$RC" 1 "random bytes: licensehook -t fails"
like "$ERR" "junk\\.db.*not a database" \
    "random bytes: -t names the file and says it is not a database"
purchase
is "$HTTP_STATUS" 503 "random bytes: a request is answered 503"
check "random bytes: the file is unchanged" cmp -s "$LH_DB" "$LH_TMP/junk.orig"
is "$(files_of junk.db)" "junk.db " \
    "random bytes: no -wal or -shm file, nothing recreated"

use_db gone
purchase
rm -f "$LH_DB" "$LH_DB-wal" "$LH_DB-shm" "$LH_DB-sync"
check_t
is "$RC" 0 "database deleted: -t passes (the first request creates it)"
is "$(files_of gone.db)" "" "database deleted: -t did not create it"

# ---- a world-writable configuration -------------------------------------------

use_db ww
chmod 0666 "$LH_CONF"
check_t
is "$RC" 1 "world-writable configuration: licensehook -t fails"
like "$ERR" "licensehook\\.conf.*world-writable" \
    "world-writable configuration: says so, naming the file"
purchase
isnt "$CGI_EXIT" 0 "world-writable configuration: a CGI run exits non-zero"
is "$HTTP_STATUS" 000 "world-writable configuration: and answers nothing"
like "$(cat "$LH_TMP/cgi.err")" "world-writable" \
    "world-writable configuration: the reason on stderr (the server's log)"
is "$(files_of ww.db)" "" "world-writable configuration: no database made"
chmod 0640 "$LH_CONF"
check_t
is "$RC" 0 "mode 0640 again: licensehook -t passes"

# ---- the files licensehook creates ---------------------------------------------

# modes_ok DESC FILE...: none of the files has permissions for others.
modes_ok() {
	_mo_desc=$1
	shift
	for _mo in "$@"; do
		if [ -e "$LH_TMP/$_mo" ]; then
			_mo_m=$(stat -c %a "$LH_TMP/$_mo")
			is "$(( 0$_mo_m & 7 ))" 0 \
			    "$_mo_desc: $_mo has no world permissions ($_mo_m)"
		else
			fail "$_mo_desc: $_mo has no world permissions" \
			    "there is no $_mo"
		fi
	done
}

use_db made
(umask 000 && purchase && echo "$HTTP_STATUS" >"$LH_TMP/made.status")
is "$(cat "$LH_TMP/made.status" 2>/dev/null)" 200 \
    "CGI, umask 000: the first request creates the database (200)"
modes_ok "CGI, umask 000" made.db

# A FastCGI worker opens (and creates) the database at start and keeps it
# open, with its -wal and -shm files.
use_db fcgi
if command -v spawn-fcgi >/dev/null 2>&1 &&
    command -v multiwatch >/dev/null 2>&1; then
	umask 000
	start_workers "$LH_CONF" 1
	rc=$?
	umask 022
	is "$rc" 0 "FastCGI worker started with umask 000"
	wait_until 50 test -e "$LH_DB-shm"
	modes_ok "FastCGI, umask 000" fcgi.db fcgi.db-wal fcgi.db-shm
	stop_workers
else
	n=0
	while [ "$n" -lt 4 ]; do
		n=$((n + 1))
		skip "FastCGI, umask 000: test $n" \
		    "spawn-fcgi or multiwatch not installed"
	done
fi

# ---- schema 1: the usage log moves to the usage database ---------------------

V1_SQL=$top_srcdir/tests/fixtures/schema-v1.sql
V1_COLS="at, license_id, instance_id, op, code, addr, country, origin"
USAGE_VERSION=$(sed -n 's/^#define[ 	]*LH_USAGE_SCHEMA_VERSION[ 	]*\([0-9][0-9]*\).*/\1/p' \
    "$top_srcdir/src/io.h")

# use_v1 NAME: use_db NAME, the database loaded from the schema 1 dump.
use_v1() {
	use_db "$1"
	sqlite3 -batch "$LH_DB" <"$V1_SQL" ||
	    bail_out "sqlite3 cannot load $V1_SQL"
}

# v1_state: what the upgrade must move or keep: the version, the usage
# log (rowid and columns), the seats.
v1_log() {
	sql "SELECT rowid, $V1_COLS FROM validations ORDER BY rowid;" 2>&1
}
v1_state() {
	echo "version $(version_of "$LH_DB")"
	v1_log
	sql "SELECT * FROM instances;" 2>&1
}
# usage_log: the usage database's log, as v1_log shows the old one.
usage_log() {
	usql "SELECT id, $V1_COLS FROM validations ORDER BY id;" 2>&1
}

use_v1 v1
V1_LOG=$(v1_log)
V1_SEATS=$(sql "SELECT * FROM instances;")
is "$(count validations) $(count rate_limits)" "4 4" \
    "schema 1 dump: 4 usage log rows and 4 rate counters"
check_t
is "$RC" 0 "schema 1: licensehook -t passes"
like "$OUT" "schema version 1 is upgraded to $VERSION" \
    "schema 1: -t says it will be upgraded"
is "$(files_of v1.db-usage)" "" "schema 1: -t made no usage database"
(umask 000 && purchase && echo "$HTTP_STATUS" >"$LH_TMP/v1.status")
is "$(cat "$LH_TMP/v1.status" 2>/dev/null)" 200 \
    "schema 1: the first request (umask 000) upgrades it (200)"
is "$(version_of "$LH_DB")" "$VERSION" "schema 1: now version $VERSION"
is "$(sql "SELECT count(*) FROM sqlite_master WHERE name IN
    ('rate_limits', 'validations', 'validations_license');")" 0 \
    "schema 1: rate_limits and validations dropped from the database"
is "$(sql "SELECT count(*) FROM sqlite_master WHERE name =
    'events_received';")" 0 "schema 1: the index on received_at dropped"
is "$(usage_log)" "$V1_LOG" \
    "schema 1: the 4 usage log rows in the usage database, rowids as ids"
is "$(ucount rate_limits)" 0 "schema 1: the rate counters are let go"
is "$(usql 'PRAGMA user_version;') $(usql 'PRAGMA journal_mode;')" \
    "$USAGE_VERSION wal" "schema 1: the usage database at schema $USAGE_VERSION, WAL"
modes_ok "schema 1, umask 000" v1.db-usage
is "$(sql "SELECT * FROM instances;")" "$V1_SEATS" "schema 1: the seats kept"
is "$(count licenses)" 2 "schema 1: the license kept, and the new one"
is "$(sql 'PRAGMA integrity_check;') $(usql 'PRAGMA integrity_check;')" \
    "ok ok" "schema 1: both files pass integrity_check"
check_t
like "$OUT" "schema $VERSION, wal" "schema 1, upgraded: -t reports schema $VERSION"

# A copy made before a crash, or before a drop that failed: the rows are
# in the usage database already, and are not added again.
cp "$LH_DB-usage" "$LH_TMP/usage.copied"
use_v1 v1again
cp "$LH_TMP/usage.copied" "$LH_DB-usage"
purchase
is "$HTTP_STATUS $(version_of "$LH_DB")" "200 $VERSION" \
    "usage log copied before: the upgrade completes"
is "$(usage_log)" "$V1_LOG" "usage log copied before: no row twice"

if [ -x "$LH_CTL" ]; then
	use_v1 v1ctl
	"$LH_CTL" -c "$LH_CONF" list </dev/null >"$LH_TMP/ctl.out" 2>&1
	is "$? $(version_of "$LH_DB")" "0 $VERSION" \
	    "schema 1: licensectl list runs and upgrades it"
	is "$(usage_log)" "$V1_LOG" "schema 1: licensectl moved the usage log too"
else
	skip "schema 1: licensectl list runs and upgrades it" \
	    "licensectl not built"
	skip "schema 1: licensectl moved the usage log too" \
	    "licensectl not built"
fi

# An empty log: nothing to move, no usage database made for it.
use_v1 v1empty
sql 'DELETE FROM validations;'
purchase
is "$HTTP_STATUS $(version_of "$LH_DB")" "200 $VERSION" \
    "schema 1, empty usage log: upgraded"
is "$(files_of v1empty.db-usage)" "" "schema 1, empty usage log: no usage database made"

# v1_refused DESC: the last request failed the upgrade: 503 with
# Retry-After, the database still at version 1 with its log and seats.
v1_refused() {
	is "$HTTP_STATUS $(header Retry-After)" "503 30" "$1: 503 with Retry-After"
	is "$(v1_state)" "$V1_BEFORE" "$1: the database still at version 1, its log and seats kept"
}

# No usage database can be made: its directory does not exist.
use_v1 v1nodir
V1_BEFORE=$(v1_state)
LH_USAGE_DB=$LH_TMP/no-such-dir/usage.db
write_config "$LH_CONF"
purchase
v1_refused "usage database cannot be made"
like "$(cat "$LH_LOG")" "usage database .*no-such-dir/usage\.db: unable to open" \
    "usage database cannot be made: logged, naming the file"
LH_USAGE_DB=
write_config "$LH_CONF"
purchase
is "$HTTP_STATUS $(version_of "$LH_DB")" "200 $VERSION" \
    "usage database cannot be made: fixed, the retry upgrades it"
is "$(usage_log)" "$V1_LOG" "usage database cannot be made: then the log moved"

# A usage database from a newer release.
use_v1 v1newer
V1_BEFORE=$(v1_state)
sqlite3 -batch "$LH_DB-usage" 'PRAGMA user_version = 99;' ||
    bail_out "sqlite3 cannot make $LH_DB-usage"
cp "$LH_DB-usage" "$LH_TMP/v1newer.orig"
purchase
v1_refused "usage database of version 99"
like "$(cat "$LH_LOG")" "usage database schema version 99 is newer" \
    "usage database of version 99: logged"
check "usage database of version 99: unchanged" \
    cmp -s "$LH_DB-usage" "$LH_TMP/v1newer.orig"

# A usage database that holds another row under one of the ids.
use_v1 v1clash
V1_BEFORE=$(v1_state)
cp "$LH_TMP/usage.copied" "$LH_DB-usage"
usql 'UPDATE validations SET code = 9 WHERE id = 2;'
purchase
v1_refused "another row under a usage log id"
like "$(cat "$LH_LOG")" "1 usage log row is not in the usage database" \
    "another row under a usage log id: logged"
is "$(usql 'SELECT code FROM validations WHERE id = 2;')" 9 \
    "another row under a usage log id: that row left as it was"

done_testing
