#!/bin/sh
#
# demo.sh: licensehook end to end on this machine, in one command.
#
#   sudo contrib/demo.sh          # install, build, start, send a webhook
#   contrib/demo.sh stop          # stop the demo's nginx and workers
#
# On Debian 12 (as root) it installs whatever build and run dependencies
# are missing, builds the tree (autoreconf, configure, make), then, all
# inside ./demo/:
#   - writes demo/licensehook.conf with a random whsec_ secret (kept on
#     later runs) and the database demo/licensehook.db;
#   - starts two licensehook workers under spawn-fcgi + multiwatch on the
#     unix socket demo/licensehook.sock;
#   - starts nginx on 127.0.0.1:8080 (or $PORT) with the shipped
#     nginx/licensehook.conf snippet, unchanged;
#   - posts a signed sample checkout.session.completed (built from the
#     pay-rails fixture in tests/fixtures/stripe/) and prints the answer;
#   - shows the license with licensectl.
# Everything is left running.  Running it again restarts the demo with the
# same configuration and database, and sends the same event again (which
# licensehook answers as a duplicate: no second license).

set -eu

cd "$(dirname "$0")/.."
TOP=$(pwd)
DEMO=$TOP/demo
PORT=${PORT:-8080}
SOCK=$DEMO/licensehook.sock
CONF=$DEMO/licensehook.conf
NGX=$DEMO/nginx

PACKAGES="build-essential autoconf automake libtool pkg-config libssl-dev
libsqlite3-dev libcjson-dev libfcgi-dev spawn-fcgi multiwatch nginx-light
sqlite3 curl openssl mandoc"

say() {
	printf '==> %s\n' "$*"
}

die() {
	printf 'demo.sh: %s\n' "$*" >&2
	exit 1
}

# ---- stop ----------------------------------------------------------------

# alive PID: running and not a zombie.
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	! grep -q '^[^)]*) [ZX] ' "/proc/$1/stat" 2>/dev/null
}

# children PID: its direct children (Linux /proc).
children() {
	for _s in /proc/[0-9]*/stat; do
		sed -n 's/^\([0-9]*\) (.*) [A-Za-z] \([0-9]*\) .*/\1 \2/p' \
		    "$_s" 2>/dev/null
	done | awk -v p="$1" '$2 == p { print $1 }'
}

# stop_pidfile FILE WHAT: TERM the process in FILE (nginx's master or
# multiwatch, which stop their own children), wait up to 10 s, then KILL
# it and whatever children it still has.
stop_pidfile() {
	[ -s "$1" ] || return 0
	_pid=$(cat "$1")
	if alive "$_pid"; then
		kill -TERM "$_pid" 2>/dev/null || true
		_i=0
		while alive "$_pid" && [ "$_i" -lt 100 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		if alive "$_pid"; then
			_kids=$(children "$_pid")
			# shellcheck disable=SC2086
			kill -KILL "$_pid" $_kids 2>/dev/null || true
		fi
		say "stopped $2 (pid $_pid)"
	fi
	rm -f "$1"
}

stop_demo() {
	stop_pidfile "$NGX/nginx.pid" nginx
	# multiwatch stops its workers when it gets TERM.
	stop_pidfile "$DEMO/licensehook.pid" "licensehook workers (multiwatch)"
	rm -f "$SOCK"
}

case ${1:-start} in
stop)
	stop_demo
	exit 0
	;;
start)
	;;
*)
	echo "usage: demo.sh [start | stop]" >&2
	exit 2
	;;
esac

# ---- packages --------------------------------------------------------------

# A package counts as present when installed; for nginx-light, any nginx
# (nginx-core, nginx-full, ... conflict with it) will do.
missing_packages() {
	for _p in $PACKAGES; do
		case $_p in
		nginx-light) command -v nginx >/dev/null 2>&1 && continue ;;
		esac
		dpkg-query -W -f='${Status}\n' "$_p" 2>/dev/null |
		    grep -q 'install ok installed' || printf '%s ' "$_p"
	done
}

install_packages() {
	command -v dpkg-query >/dev/null 2>&1 || {
		say "not a Debian system: install the equivalents of:" \
		    "$(echo "$PACKAGES" | tr '\n' ' ')"
		return 0
	}
	_missing=$(missing_packages)
	[ -n "$_missing" ] || return 0
	if [ "$(id -u)" -ne 0 ]; then
		die "missing packages: $_missing(run as root, e.g. sudo $0)"
	fi
	say "installing $_missing"
	# Keep the nginx package from starting a system-wide nginx on port 80
	# (and from failing the install when that port is taken).
	_policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		_policy=/usr/sbin/policy-rc.d
	fi
	export DEBIAN_FRONTEND=noninteractive
	_rc=0
	# shellcheck disable=SC2086
	{ apt-get -q update &&
	    apt-get -q -y --no-install-recommends \
	    -o Dpkg::Options::=--force-confdef \
	    -o Dpkg::Options::=--force-confold install $_missing; } || _rc=$?
	[ -z "$_policy" ] || rm -f "$_policy"
	[ "$_rc" -eq 0 ] || die "apt-get failed ($_rc)"
}

install_packages

# ---- build -------------------------------------------------------------------

if [ ! -f Makefile ]; then
	say "autoreconf -fi && ./configure"
	autoreconf -fi
	./configure
fi
say "make"
make
if [ ! -x ./licensehook ] || [ ! -x ./licensectl ]; then
	die "the build produced no ./licensehook or ./licensectl"
fi

# ---- configuration -----------------------------------------------------------

stop_demo
mkdir -p "$DEMO" "$NGX/tmp"
chmod 750 "$DEMO"

if [ ! -f "$CONF" ]; then
	secret=whsec_$(openssl rand -base64 32 | tr -d '\n=+/' | cut -c1-32)
	say "writing $CONF (new random webhook secret)"
	(
		umask 077
		cat >"$CONF" <<EOF
# licensehook demo configuration, written by contrib/demo.sh.
# See licensehook.conf(5).

[licensehook]
database = $DEMO/licensehook.db
mode = test
body_limit = 1048576
log = $DEMO/licensehook.log

[stripe]
# In real use: the endpoint's signing secret from the Stripe dashboard.
webhook_secret = $secret
tolerance = 300

[keys]
prefix = LH
groups = 4
group_length = 4

[tiers]
default = basic

[tier basic]
max_activations = 1

[tier pro]
prices = price_PRO_M, price_PRO_Y
max_activations = 3
features = export, sync
EOF
	)
else
	say "keeping $CONF"
fi
secret=$(sed -n 's/^[[:space:]]*webhook_secret[[:space:]]*=[[:space:]]*//p' \
    "$CONF" | head -1)
[ -n "$secret" ] || die "no webhook_secret in $CONF"

./licensehook -t -c "$CONF" || die "licensehook -t -c $CONF failed"

# ---- licensehook under spawn-fcgi -------------------------------------------

say "starting 2 licensehook workers on $SOCK"
spawn-fcgi -s "$SOCK" -M 0660 -P "$DEMO/licensehook.pid" -- \
    "$(command -v multiwatch)" -f 2 -s TERM -- \
    "$TOP/licensehook" -c "$CONF" </dev/null >>"$DEMO/spawn-fcgi.log" 2>&1 ||
    die "spawn-fcgi failed; see $DEMO/spawn-fcgi.log"

# ---- nginx --------------------------------------------------------------------

# The snippet's "include fastcgi_params" is relative to nginx.conf's
# directory.
cp /etc/nginx/fastcgi_params "$NGX/fastcgi_params"
user=
# nginx workers would otherwise run as "nobody" and could not reach the
# 0660 socket.  In production run them as www-data and give the socket to
# www-data with spawn-fcgi -U/-G instead (see nginx/licensehook-upstream.conf).
[ "$(id -u)" -ne 0 ] || user="user root;"
cat >"$NGX/nginx.conf" <<EOF
# licensehook demo nginx, written by contrib/demo.sh.
$user
worker_processes 1;
pid $NGX/nginx.pid;
error_log $NGX/error.log;

events {
	worker_connections 64;
}

http {
	access_log $NGX/access.log;
	client_body_temp_path $NGX/tmp/body;
	fastcgi_temp_path $NGX/tmp/fastcgi;
	proxy_temp_path $NGX/tmp/proxy;
	scgi_temp_path $NGX/tmp/scgi;
	uwsgi_temp_path $NGX/tmp/uwsgi;
	default_type application/octet-stream;

	# nginx/licensehook-upstream.conf, pointed at the demo's socket.
	upstream licensehook {
		server unix:$SOCK;
	}

	server {
		listen 127.0.0.1:$PORT;
		server_name localhost;
		include $TOP/nginx/licensehook.conf;
	}
}
EOF
say "starting nginx on 127.0.0.1:$PORT"
nginx_e=
if nginx -h 2>&1 | grep -q -- '-e filename'; then
	nginx_e="-e $NGX/error.log"
fi
# shellcheck disable=SC2086
if ! nginx -p "$NGX/" -c "$NGX/nginx.conf" $nginx_e </dev/null; then
	stop_demo
	die "nginx did not start (port $PORT taken? try PORT=8081 $0)"
fi
i=0
while [ ! -s "$NGX/nginx.pid" ] && [ "$i" -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done

# ---- a signed webhook -------------------------------------------------------------

EVENT=$DEMO/event.json
if [ -f "$EVENT" ]; then
	say "sending demo/event.json again: the same event id, so licensehook" \
	    "answers duplicate and makes no second license"
else
	n=$(openssl rand -hex 8)
	{
		printf '{\n  "id": "evt_demo_%s",\n  "object": "event",\n' "$n"
		printf '  "api_version": "2024-06-20",\n  "created": %s,\n' \
		    "$(date +%s)"
		printf '  "livemode": false,\n  "pending_webhooks": 1,\n'
		printf '  "type": "checkout.session.completed",\n  "data": '
		sed -e "s|\"id\": \"cs_test_[A-Za-z0-9]*\"|\"id\": \"cs_demo_$n\"|" \
		    -e "s|\"subscription\": \"sub_[A-Za-z0-9]*\"|\"subscription\": \"sub_demo_$n\"|" \
		    -e 's|"metadata": {$|"metadata": {"plan": "pro"|' \
		    tests/fixtures/stripe/pay-checkout.session.completed.json
		printf '}\n'
	} >"$EVENT"
fi
sig=$(tests/e2e/sign.sh "$secret" "$EVENT")
URL=http://127.0.0.1:$PORT/api/v1/webhooks/stripe
say "POST $URL (checkout.session.completed, Stripe-Signature: ${sig%%,*},v1=...)"
echo
curl -sS -i --noproxy '*' --max-time 30 -H 'Expect:' \
    -H 'Content-Type: application/json' -H "Stripe-Signature: $sig" \
    --data-binary "@$EVENT" "$URL" | tr -d '\r'
echo
echo

email=$(sed -n 's/^ *"email": "\(.*\)",*$/\1/p' "$EVENT" | head -1)
say "./licensectl -c demo/licensehook.conf list"
./licensectl -c "$CONF" list
echo
say "./licensectl -c demo/licensehook.conf show $email"
./licensectl -c "$CONF" show "$email"
echo

cat <<EOF
licensehook is running: nginx on http://127.0.0.1:$PORT, 2 workers on
$SOCK.  Request log: demo/licensehook.log.

Send it something yourself:
  sig=\$(tests/e2e/sign.sh '<webhook_secret from demo/licensehook.conf>' demo/event.json)
  curl -i -H "Stripe-Signature: \$sig" --data-binary @demo/event.json $URL

Stop it:  contrib/demo.sh stop
EOF
