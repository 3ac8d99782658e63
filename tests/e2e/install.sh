#!/bin/sh
#
# install.sh: "make install DESTDIR=..." from this build tree puts exactly
# the expected files where configure said (prefix, sbindir, sysconfdir,
# datadir, mandir, the systemd unit directory), fills the configured paths
# into what it generates, never touches an existing licensehook.conf, and
# "make uninstall" takes back everything it put there.  TAP.  Needs make.

. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

require_build "$LH_BIN" "$LH_CTL"
require_cmd "${MAKE:-make}"
[ -r "$top_builddir/Makefile" ] || skip_all "no Makefile in $top_builddir"

# make_in_build TARGET [VAR=VALUE...]: make in the build tree, outside
# whatever make runs this test.
make_in_build() {
	(cd "$top_builddir" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	    ${MAKE:-make} -s "$@") >"$LH_TMP/make.out" 2>&1
}

prefix=$(make_var prefix)
sbindir=$(make_var sbindir)
sysconfdir=$(make_var sysconfdir)
datadir=$(make_var datadir)
mandir=$(make_var mandir)
systemdsystemunitdir=$(make_var systemdsystemunitdir)
[ -n "$sbindir" ] && [ -n "$sysconfdir" ] && [ -n "$datadir" ] &&
    [ -n "$mandir" ] || bail_out "cannot read the directories from Makefile"
diag "prefix $prefix, sbindir $sbindir, sysconfdir $sysconfdir," \
    "systemd units: ${systemdsystemunitdir:-not installed}"

D=$LH_TMP/dest
SHARE=$datadir/licensehook

# An administrator's configuration, already in place.
mkdir -p "$D$sysconfdir"
printf '# mine\n[licensehook]\ndatabase = /srv/lh.db\n' \
    >"$D$sysconfdir/licensehook.conf"
chmod 0640 "$D$sysconfdir/licensehook.conf"
cp "$D$sysconfdir/licensehook.conf" "$LH_TMP/mine.conf"

make_in_build install DESTDIR="$D"
rc=$?
is "$rc" 0 "make install DESTDIR=... succeeds"
[ "$rc" -eq 0 ] || diag "$(cat "$LH_TMP/make.out")"

want() {
	echo "$sbindir/licensectl"
	echo "$sbindir/licensehook"
	echo "$mandir/man5/licensehook.conf.5"
	echo "$mandir/man8/licensectl.8"
	echo "$mandir/man8/licensehook.8"
	echo "$SHARE/nginx/licensehook.conf"
	echo "$SHARE/nginx/licensehook-upstream.conf"
	echo "$SHARE/apache/licensehook.conf"
	echo "$SHARE/apache/licensehook-fcgid.conf"
	echo "$SHARE/apache/licensehook-cgi.conf"
	echo "$SHARE/licensehook.conf.sample"
	for _n in key payment_failed grace_reminder grace_free_tier suspended \
	    reinstated downgraded trial_ending expiring revoked; do
		echo "$SHARE/templates/$_n.txt"
	done
	echo "$sysconfdir/licensehook.conf"
	echo "$sysconfdir/licensehook.conf.sample"
	if [ -n "$systemdsystemunitdir" ]; then
		for u in licensehook.socket licensehook.service \
		    licensehook-tick.service licensehook-tick.timer; do
			echo "$systemdsystemunitdir/$u"
		done
	fi
}
got=$(cd "$D" && find . -type f | sed 's|^\.||' | sort)
is "$got" "$(want | sort)" "exactly the expected files are installed"

for p in licensehook licensectl; do
	check "$sbindir/$p is executable" test -x "$D$sbindir/$p"
done
check "the existing licensehook.conf is left alone" \
    cmp -s "$D$sysconfdir/licensehook.conf" "$LH_TMP/mine.conf"
is "$(stat -c %a "$D$sysconfdir/licensehook.conf")" 640 \
    "the existing licensehook.conf keeps its mode"
sample=$D$sysconfdir/licensehook.conf.sample
check "the sample configuration is the commented one" \
    cmp -s "$sample" "$top_srcdir/contrib/licensehook.conf.sample"
"$(vg_wrap "$D$sbindir/licensehook")" -h >"$LH_TMP/h.out" 2>&1
like "$(cat "$LH_TMP/h.out")" "$sysconfdir/licensehook\\.conf" \
    "installed licensehook -h names $sysconfdir/licensehook.conf"

# What make filled in names the installed programs and files.
fcgid=$D$SHARE/apache/licensehook-fcgid.conf
like "$(cat "$fcgid")" "Define LICENSEHOOK_BIN $sbindir/licensehook\$" \
    "apache/licensehook-fcgid.conf: the installed licensehook"
like "$(cat "$fcgid")" "Define LICENSEHOOK_CONF $sysconfdir/licensehook\\.conf\$" \
    "apache/licensehook-fcgid.conf: the configuration file"
like "$(cat "$D$SHARE/apache/licensehook-cgi.conf")" \
    "Define LICENSEHOOK_BIN $sbindir/licensehook\$" \
    "apache/licensehook-cgi.conf: the installed licensehook"
if [ -n "$systemdsystemunitdir" ]; then
	like "$(cat "$D$systemdsystemunitdir/licensehook.service")" \
	    "^ExecStart=.* -- $sbindir/licensehook -c $sysconfdir/licensehook\\.conf\$" \
	    "licensehook.service: the installed licensehook"
else
	skip "licensehook.service: the installed licensehook" \
	    "configured --without-systemdsystemunitdir"
fi

# A second install over the first (an upgrade) changes nothing of the
# administrator's.
make_in_build install DESTDIR="$D"
is "$?" 0 "make install again succeeds"
check "the existing licensehook.conf is still left alone" \
    cmp -s "$D$sysconfdir/licensehook.conf" "$LH_TMP/mine.conf"

make_in_build uninstall DESTDIR="$D"
is "$?" 0 "make uninstall DESTDIR=... succeeds"
is "$(cd "$D" && find . -type f | sed 's|^\.||')" \
    "$sysconfdir/licensehook.conf" \
    "make uninstall removes everything but the existing licensehook.conf"

done_testing
