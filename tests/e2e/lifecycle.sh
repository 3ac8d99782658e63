#!/bin/sh
#
# lifecycle.sh: whole subscription stories through real nginx and
# licensehook workers under spawn-fcgi + multiwatch, each checked with
# "licensectl --json [--at TIME] show SUB" and SQL on the events and
# audit tables.  TAP.  Needs what lib.sh's require_e2e needs, and jq.
#
# Every story is one customer with one subscription, built by
# lifecycle/gen.sh from the fixture shapes, in both Stripe payload
# generations (old: before API 2025-03-31; new: basil).  An old invoice
# names its payment intent and charge; a basil one names neither, and
# each invoice.paid is followed by the invoice_payment.paid that ties
# the invoice to its payment intent (ignored:payment_recorded), which is
# how a later refund or dispute of that payment finds the license:
#
#   cyc     purchase, renewal, upgrade, downgrade (pending until the
#           period ends), failed payment (each grace step), recovery,
#           and an older snapshot delivered last (stale)
#   cpe     cancel at period end, then deleted: revoked
#   cnow    deleted at once: revoked (on_cancel = revoke)
#   cfree   deleted at once: the free tier (on_cancel = free_tier)
#   pause   paused (suspended), resumed (active)
#   refund  partial refund (nothing changes), full refund (revoked)
#   dwon    dispute opened (suspended), won (active again)
#   dlost   dispute opened (suspended), lost (revoked)
#   after   full refund (revoked), then a renewal, an upgrade, a dispute
#           lost and the subscription deleted: each taken with its usual
#           outcome, the key still revoked as refunded (the earliest)
#
# Each story runs once in order, with the state checked after each step,
# then again with fresh ids reversed, in two seeded random orders and in
# a seeded random order with every event delivered twice.  Whatever the
# order, the final state must be the in-order one, with every answer 200,
# repeats answered duplicate:true, one license per subscription, no event
# left deferred, every outcome one that licensehook(8) documents and an
# audit row, caused by an event, for every change.  A revocation is one
# more fact: a revoked license takes later events with their usual
# outcomes, and the earliest revocation stands.  Last, a price no tier
# lists (500 without a [tiers] default, 200 with), and tiers ranked by
# rank= rather than by their order in the file.
#
# LC_SEEDS ("1 29") and LC_DUP_SEED (47) choose the random orders; a
# failing order is printed as a diagnostic, so it can be replayed.

. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

require_e2e
require_build "$LH_BIN" "$LH_CTL"
require_cmd jq awk sed

LC_GEN_SH=$top_srcdir/tests/e2e/lifecycle/gen.sh
LC_DIR=$LH_TMP/lifecycle
LC_SEEDS=${LC_SEEDS:-"1 29"}
LC_DUP_SEED=${LC_DUP_SEED:-47}
CONF_REVOKE=$LH_TMP/lifecycle-revoke.conf
CONF_FREE=$LH_TMP/lifecycle-free.conf
mkdir -p "$LC_DIR" || bail_out "cannot create $LC_DIR"

# The state after each step is read with licensectl show, some 200 runs:
# under valgrind those run without it (at 1 to 2 s a run under memcheck
# they would take minutes), while the workers that take every event stay
# under it.  cli.sh runs licensectl show, --json and --at under memcheck.
LC_CTL=$LH_CTL
if [ -n "$LH_VG" ]; then
	LC_CTL=$LH_CTL_REAL
	skip "valgrind: memcheck on licensectl show after each step" \
	    "some 200 runs, too slow; the workers are under it, and cli.sh runs licensectl show under it"
fi

D=86400
# The story clock: every created time is relative to it, and states are
# compared as of it.
NOW=$(date +%s)

OK='\{"received":true\}'
BASIC_M=price_LC_BASIC_M
BASIC_Y=price_LC_BASIC_Y
PRO_M=price_LC_PRO_M
PRO_Y=price_LC_PRO_Y
BIZ_M=price_LC_BIZ_M
BIZ_Y=price_LC_BIZ_Y

# ---- configuration ------------------------------------------------------

# lc_config FILE ON_CANCEL DEFAULT_TIER: tiers free < basic < pro <
# business.  With a default tier the [tier] sections come in another
# order and rank= puts them back, so both ways of ranking are used.
lc_config() {
	{
		echo "# written by tests/e2e/lifecycle.sh"
		echo "[licensehook]"
		echo "database = $LH_DB"
		echo "mode = test"
		echo "log = $LH_LOG"
		echo
		echo "[stripe]"
		echo "webhook_secret = $LH_SECRET"
		echo "tolerance = 300"
		echo
		echo "[keys]"
		echo "prefix = $LH_KEY_PREFIX"
		echo "groups = 4"
		echo "group_length = 4"
		echo
		echo "[lifecycle]"
		echo "expiry_slack = 1d"
		echo "grace_reminder = 3d"
		echo "grace_free_tier = 7d"
		echo "grace_suspend = 14d"
		echo "free_tier = free"
		echo "on_cancel = $2"
		echo
		if [ -z "$3" ]; then
			printf '[tier free]\nmax_activations = 1\n\n'
			printf '[tier basic]\nprices = %s, %s\n\n' \
			    "$BASIC_M" "$BASIC_Y"
			printf '[tier pro]\nprices = %s, %s\n\n' \
			    "$PRO_M" "$PRO_Y"
			printf '[tier business]\nprices = %s, %s\n' \
			    "$BIZ_M" "$BIZ_Y"
		else
			printf '[tiers]\ndefault = %s\n\n' "$3"
			printf '[tier business]\nrank = 40\nprices = %s, %s\n\n' \
			    "$BIZ_M" "$BIZ_Y"
			printf '[tier basic]\nrank = 20\nprices = %s, %s\n\n' \
			    "$BASIC_M" "$BASIC_Y"
			printf '[tier free]\nrank = 10\n\n'
			printf '[tier pro]\nrank = 30\nprices = %s, %s\n' \
			    "$PRO_M" "$PRO_Y"
		fi
	} >"$1"
	chmod 600 "$1"
}

lc_config "$CONF_REVOKE" revoke ""
lc_config "$CONF_FREE" free_tier basic
LC_CONF=$CONF_REVOKE

start_workers "$CONF_REVOKE" || bail_out "cannot start licensehook"
start_nginx || bail_out "cannot start nginx"
diag "nginx on $LH_BASE, workers $(worker_pids | tr '\n' ' '), story clock $NOW"

# ---- stories --------------------------------------------------------------

# Each story_* prints gen.sh story lines without event ids, for the
# generation in LC_GEN; ids of the run are @T@, replaced per run
# (lc_run).  Event N gets evt_@T@_N.
lc_ids() {
	printf 'set cus=cus_@T@ sub=sub_@T@ cs=cs_@T@ dp=dp_@T@'
	printf ' email=buyer.@T@@example.com name=Buyer\n'
}

# lc_inpay CREATED X: in the new generation, the invoice_payment.paid
# that ties invoice in_@T@X to its payment intent pi_@T@X (Stripe sends
# one for every invoice payment since basil); nothing in the old one.
lc_inpay() {
	[ "$LC_GEN" = new ] || return 0
	echo "invoice_payment.paid created=$1 in=in_@T@$2 pi=pi_@T@$2"
}

# A purchase: checkout naming TIER, the subscription on PRICE for
# [T0, END], its first invoice paid (payment intent pi_@T@a, charge
# ch_@T@a).
lc_purchase() {
	lc_ids
	echo "checkout.session.completed created=$1 plan=$2"
	echo "customer.subscription.created created=$(($1 + 1)) since=$1" \
	    "status=active price=$3 pstart=$1 pend=$4 in=in_@T@a"
	echo "invoice.paid created=$(($1 + 2)) in=in_@T@a price=$3" \
	    "pstart=$1 pend=$4 pi=pi_@T@a ch=ch_@T@a" \
	    "reason=subscription_create"
	lc_inpay $(($1 + 2)) a
}

# cyc: times of the steps checked below.
C_T0=$((NOW - 40 * D))		# purchase, basic monthly
C_P1=$((NOW - 10 * D))		# first period end
C_P2=$((NOW + 20 * D))		# the renewed period's end
C_UP=$((NOW - 8 * D))		# to pro
C_DOWN=$((NOW - 6 * D))		# back to basic: pending until C_P2
C_FAIL=$((NOW - 5 * D))		# a payment fails: grace from here
C_PAID=$((NOW - 1 * D))		# the retry succeeds
story_cyc() {
	lc_purchase "$C_T0" basic "$BASIC_M" "$C_P1"
	echo "invoice.paid created=$((C_P1 + 60)) in=in_@T@b price=$BASIC_M" \
	    "pstart=$C_P1 pend=$C_P2 pi=pi_@T@b ch=ch_@T@b"
	lc_inpay $((C_P1 + 60)) b
	echo "customer.subscription.updated created=$C_UP since=$C_T0" \
	    "status=active price=$PRO_M pstart=$C_P1 pend=$C_P2 in=in_@T@b"
	echo "customer.subscription.updated created=$C_DOWN since=$C_T0" \
	    "status=active price=$BASIC_M pstart=$C_P1 pend=$C_P2 in=in_@T@b"
	echo "invoice.payment_failed created=$C_FAIL in=in_@T@c" \
	    "price=$BASIC_M pstart=$C_P1 pend=$C_P2 attempt=1" \
	    "pi=pi_@T@c ch=ch_@T@c reason=subscription_update"
	echo "invoice.paid created=$C_PAID in=in_@T@c price=$BASIC_M" \
	    "pstart=$C_P1 pend=$C_P2 attempt=2 pi=pi_@T@c ch=ch_@T@d" \
	    "reason=subscription_update"
	lc_inpay "$C_PAID" c
	# A snapshot from before the upgrade, delivered last (a retry).
	echo "customer.subscription.updated created=$((C_UP - 60))" \
	    "since=$C_T0 status=past_due price=$BASIC_M pstart=$C_P1" \
	    "pend=$C_P2 in=in_@T@b"
}

# cpe: pro monthly, cancellation requested, deleted at the period end.
E_T0=$((NOW - 35 * D))
E_P=$((NOW - 5 * D))
E_ASK=$((NOW - 15 * D))
story_cpe() {
	lc_purchase "$E_T0" pro "$PRO_M" "$E_P"
	echo "customer.subscription.updated created=$E_ASK since=$E_T0" \
	    "status=active cancel=true canceled=$E_ASK price=$PRO_M" \
	    "pstart=$E_T0 pend=$E_P in=in_@T@a"
	echo "customer.subscription.deleted created=$((E_P + 1))" \
	    "since=$E_T0 status=canceled cancel=true canceled=$E_ASK" \
	    "ended=$E_P price=$PRO_M pstart=$E_T0 pend=$E_P in=in_@T@a"
}

# cnow, cfree: business yearly, deleted at once.
N_T0=$((NOW - 10 * D))
N_P=$((N_T0 + 365 * D))
N_END=$((NOW - 2 * D))
story_cnow() {
	lc_purchase "$N_T0" business "$BIZ_Y" "$N_P"
	echo "customer.subscription.deleted created=$N_END since=$N_T0" \
	    "status=canceled cancel=false canceled=$N_END ended=$N_END" \
	    "price=$BIZ_Y pstart=$N_T0 pend=$N_P in=in_@T@a"
}
story_cfree() {
	story_cnow
}

# pause: pro monthly, paused, resumed.
S_T0=$((NOW - 20 * D))
S_P=$((NOW + 10 * D))
S_PAUSE=$((NOW - 10 * D))
S_RESUME=$((NOW - 3 * D))
story_pause() {
	lc_purchase "$S_T0" pro "$PRO_M" "$S_P"
	echo "customer.subscription.paused created=$S_PAUSE since=$S_T0" \
	    "status=paused price=$PRO_M pstart=$S_T0 pend=$S_P in=in_@T@a"
	echo "customer.subscription.resumed created=$S_RESUME since=$S_T0" \
	    "status=active price=$PRO_M pstart=$S_T0 pend=$S_P in=in_@T@a"
}

# refund: basic yearly; 500 of 2000 back, then the rest.
R_T0=$((NOW - 20 * D))
R_P=$((R_T0 + 365 * D))
story_refund() {
	lc_purchase "$R_T0" basic "$BASIC_Y" "$R_P"
	echo "charge.refunded created=$((NOW - 5 * D)) ch=ch_@T@a" \
	    "pi=pi_@T@a amount=2000 refunded=500 charged=$((R_T0 + 2))" \
	    "re=re_@T@a"
	echo "charge.refunded created=$((NOW - 4 * D)) ch=ch_@T@a" \
	    "pi=pi_@T@a amount=2000 refunded=2000 charged=$((R_T0 + 2))" \
	    "re=re_@T@b"
}

# dwon, dlost: pro yearly; the first charge disputed, then closed.
P_T0=$((NOW - 20 * D))
P_P=$((P_T0 + 365 * D))
P_OPEN=$((NOW - 6 * D))
P_CLOSE=$((NOW - 2 * D))
lc_dispute() {
	lc_purchase "$P_T0" pro "$PRO_Y" "$P_P"
	echo "charge.dispute.created created=$P_OPEN ch=ch_@T@a pi=pi_@T@a" \
	    "amount=2000 dstatus=needs_response opened=$P_OPEN"
	echo "charge.dispute.closed created=$P_CLOSE ch=ch_@T@a pi=pi_@T@a" \
	    "amount=2000 dstatus=$1 opened=$P_OPEN"
}
story_dwon() {
	lc_dispute won
}
story_dlost() {
	lc_dispute lost
}

# after: basic monthly, refunded in full, then everything else happens
# anyway.  The later revocations (dispute lost, deleted) lose to the
# refund, the earliest, in any order.
A_T0=$((NOW - 40 * D))
A_P1=$((NOW - 10 * D))
A_P2=$((NOW + 20 * D))
A_REFUND=$((NOW - 30 * D))
A_UP=$((NOW - 8 * D))
A_OPEN=$((NOW - 6 * D))
A_LOST=$((NOW - 2 * D))
A_END=$((NOW - 1 * D))
story_after() {
	lc_purchase "$A_T0" basic "$BASIC_M" "$A_P1"
	echo "charge.refunded created=$A_REFUND ch=ch_@T@a pi=pi_@T@a" \
	    "amount=2000 refunded=2000 charged=$((A_T0 + 2)) re=re_@T@a"
	echo "invoice.paid created=$((A_P1 + 60)) in=in_@T@b price=$BASIC_M" \
	    "pstart=$A_P1 pend=$A_P2 pi=pi_@T@b ch=ch_@T@b"
	lc_inpay $((A_P1 + 60)) b
	echo "customer.subscription.updated created=$A_UP since=$A_T0" \
	    "status=active price=$PRO_M pstart=$A_P1 pend=$A_P2 in=in_@T@b"
	echo "charge.dispute.created created=$A_OPEN ch=ch_@T@b pi=pi_@T@b" \
	    "amount=2000 dstatus=needs_response opened=$A_OPEN"
	echo "charge.dispute.closed created=$A_LOST ch=ch_@T@b pi=pi_@T@b" \
	    "amount=2000 dstatus=lost opened=$A_OPEN"
	echo "customer.subscription.deleted created=$A_END since=$A_T0" \
	    "status=canceled cancel=false canceled=$A_END ended=$A_END" \
	    "price=$PRO_M pstart=$A_P1 pend=$A_P2 in=in_@T@b"
}

# ---- runs -------------------------------------------------------------------

# lc_prepare STORY GEN: the story's events, @T@ ids, one a line, in
# $LC_DIR/STORY.GEN (the story lines in STORY.GEN.story); sets LC_GEN
# to GEN and LC_K to the number of events.
lc_prepare() {
	LC_GEN=$2
	"story_$1" | awk '/^set / || /^#/ || /^$/ { print; next }
	    { n++; $1 = $1 " id=evt_@T@_" n; print }' >"$LC_DIR/$1.$2.story"
	if ! sh "$LC_GEN_SH" "$2" "$LC_DIR/$1.$2.story" >"$LC_DIR/$1.$2" \
	    2>"$LC_DIR/$1.$2.err"; then
		fail "$1/$2: gen.sh builds the events" \
		    "$(cat "$LC_DIR/$1.$2.err")"
		LC_K=0
		return 1
	fi
	LC_K=$(wc -l <"$LC_DIR/$1.$2" | tr -d ' ')
}

# lc_run STORY GEN VARIANT: a run with its own ids: LC_TAG, LC_SUB,
# LC_CUS, and event N in $LC_DIR/$LC_TAG.N.json; LC_GEN is GEN and
# LC_I, the last event lc_next delivered, 0.
lc_run() {
	LC_GEN=$2
	LC_I=0
	LC_TAG=$1$(printf '%s' "$2" | cut -c1)$3
	LC_SUB=sub_$LC_TAG
	LC_CUS=cus_$LC_TAG
	LC_WHAT="$1/$2 $4"
	sed "s/@T@/$LC_TAG/g" "$LC_DIR/$1.$2" |
	    awk -v p="$LC_DIR/$LC_TAG." '{ f = p NR ".json"; print >f; close(f) }'
}

# lc_step N DESC [ERE]: deliver event N of the run; the answer must be
# 200 and a body matching ERE (default exactly {"received":true}).
lc_step() {
	post_event "$LC_DIR/$LC_TAG.$1.json"
	like "$HTTP_STATUS $(json_compact "$HTTP_BODY")" "^200 ${3:-$OK}\$" \
	    "$LC_WHAT: event $1 $2: answered"
}

# lc_outcome N WANT: the events row of event N says WANT.
lc_outcome() {
	is "$(sql "SELECT outcome FROM events WHERE id = 'evt_${LC_TAG}_$1';")" \
	    "$2" "$LC_WHAT: event $1 recorded as $2"
}

# lc_next DESC [ERE]: lc_step for the event after the last one (LC_I),
# so that a step's number follows the generation's story.
lc_next() {
	LC_I=$((LC_I + 1))
	lc_step "$LC_I" "$@"
}

# lc_got WANT: lc_outcome for the last event lc_next delivered.
lc_got() {
	lc_outcome "$LC_I" "$1"
}

# lc_paid DESC X [WANT]: the next event is invoice.paid for in_@T@X
# (recorded as WANT, if given).  In the new generation the one after it
# is its invoice_payment.paid: ignored:payment_recorded, with invoice
# in_@T@X and payment intent pi_@T@X now recorded for the license.
lc_paid() {
	lc_next "$1"
	[ -z "${3:-}" ] || lc_got "$3"
	[ "$LC_GEN" = new ] || return 0
	lc_next "its invoice_payment.paid" \
	    '\{"received":true,"ignored":"payment_recorded"\}'
	lc_got ignored:payment_recorded
	is "$(sql "SELECT group_concat(p.ref, ' ') FROM (SELECT p.ref
		FROM payments p JOIN licenses l ON l.id = p.license_id
		WHERE p.provider = 'stripe' AND l.subscription_id = '$LC_SUB'
		AND p.ref IN ('in_$LC_TAG$2', 'pi_$LC_TAG$2')
		ORDER BY p.ref) p;")" "in_$LC_TAG$2 pi_$LC_TAG$2" \
	    "$LC_WHAT: invoice_payment.paid: invoice and payment intent recorded for the license"
}

# lc_inpays STORY: in the new generation, whatever the order, every
# invoice_payment.paid of the run ends ignored:payment_recorded for the
# subscription's license (deferred first if it came before its
# invoice's license), and the license has exactly the payment intents
# they name.
lc_inpays() {
	[ "$LC_GEN" = new ] || return 0
	is "$(sql "SELECT ifnull(group_concat(id || '=' || outcome, ' '), '')
	    FROM events WHERE id GLOB 'evt_${LC_TAG}_*'
	    AND type = 'invoice_payment.paid'
	    AND (outcome <> 'ignored:payment_recorded'
	    OR license_id IS NOT (SELECT id FROM licenses
		WHERE subscription_id = '$LC_SUB'));")" "" \
	    "$LC_WHAT: every invoice_payment.paid recorded as payment_recorded for the license"
	is "$(sql "SELECT ifnull(group_concat(ref, ' '), '') FROM (SELECT p.ref
	    FROM payments p JOIN licenses l ON l.id = p.license_id
	    WHERE l.subscription_id = '$LC_SUB' AND p.ref GLOB 'pi_*'
	    ORDER BY p.ref);")" \
	    "$(sed -n 's/^invoice_payment\.paid .* pi=\([^ ]*\).*/\1/p' \
	    "$LC_DIR/$1.$LC_GEN.story" | sed "s/@T@/$LC_TAG/g" | sort |
	    tr '\n' ' ' | sed 's/ $//')" \
	    "$LC_WHAT: the payment intents recorded for the license are those invoice_payment.paid named"
}

# The state as licensectl shows it, one shell assignment a line: LC_N
# (licenses shown), LC_FACTS and LC_FINAL (from the first time), then
# LC_Vi ("status valid tier reason") and LC_Gi (grace step, "-" if not
# shown) for the i-th time asked.
LC_JQ_STATE='
def view: if . == null then "none"
  else "\(.status) \(.valid) \(.tier) \(.reason // "-")" end;
def facts: if . == null then "none"
  else "paid=\(.paid_tier) pending=\(.pending_tier)@\(.pending_at)"
    + " sub=\(.subscription_status) end=\(.period_end)"
    + " expires=\(.expires_at) cape=\(.cancel_at_period_end)"
    + " grace=\(.grace_since) deadline=\(.grace_deadline)"
    + " disputed=\(.disputed) revoked=\(.revoked)" end;
def final: if . == null then "none"
  else "status=\(.status) valid=\(.valid) tier=\(.tier)"
    + " paid=\(.paid_tier) pending=\(.pending_tier) end=\(.period_end)"
    + " grace=\(.grace_since) disputed=\(.disputed) revoked=\(.revoked)"
  end;
"LC_N=" + ((.[0] // []) | length | tostring),
"LC_FACTS=" + ((.[0] // [])[0] | facts | @sh),
"LC_FINAL=" + ((.[0] // [])[0] | final | @sh),
(to_entries[] | "LC_V\(.key + 1)=" + ((.value // [])[0] | view | @sh)),
(to_entries[] | "LC_G\(.key + 1)="
    + ((.value // [])[0] | if . == null then "-" else (.grace // "-") end
    | tostring | @sh))
'

# lc_state AT...: licensectl's view of the run's subscription at each
# time (Unix seconds), into the LC_* variables above.
lc_state() {
	LC_N='?' LC_FACTS='?' LC_FINAL='?'
	_ls_i=0
	for _ls_at in "$@"; do
		_ls_i=$((_ls_i + 1))
		eval "LC_V$_ls_i='?' LC_G$_ls_i='?'"
		_ls_out=$("$LC_CTL" -c "$LC_CONF" --json --at "$_ls_at" \
		    show "$LC_SUB" 2>>"$LC_DIR/licensectl.err")
		printf '%s\n' "${_ls_out:-null}"
	done >"$LC_DIR/state.json"
	_ls_sh=$(jq -rs "$LC_JQ_STATE" <"$LC_DIR/state.json") || {
		diag "licensectl output is not JSON:" \
		    "$(cat "$LC_DIR/state.json")"
		return 1
	}
	eval "$_ls_sh"
}

# lc_view DESC WANT...: the view at the times of the last lc_state,
# "status valid tier reason" each, in order.
lc_view() {
	_lv_desc=$1
	shift
	_lv_i=0
	_lv_got=
	_lv_want=
	for _lv_w in "$@"; do
		_lv_i=$((_lv_i + 1))
		eval "_lv_got=\"\$_lv_got\${_lv_got:+, }\$LC_V$_lv_i\""
		_lv_want="$_lv_want${_lv_want:+, }$_lv_w"
	done
	is "$_lv_got" "$_lv_want" "$LC_WHAT: $_lv_desc"
}

# lc_facts DESC ERE: the stored facts (from licensectl) match ERE.
lc_facts() {
	like "$LC_FACTS" "$2" "$LC_WHAT: $1"
}

# lc_audit_of N OLD_TIER NEW_TIER NEW_STATUS: the audit row event N caused.
lc_audit_of() {
	is "$(sql "SELECT ifnull(old_tier, '-') || ' ' || new_tier || ' '
	    || new_status FROM audit WHERE cause = 'evt_${LC_TAG}_$1';")" \
	    "$2 $3 $4" "$LC_WHAT: event $1 audited: $2 -> $3, $4"
}

# lc_store: "licenses-for-the-subscription licenses-for-the-customer
# those-also-linked-to-the-checkout events-stored events-still-deferred"
# for the run.
lc_store() {
	sql "SELECT (SELECT count(*) FROM licenses
		WHERE subscription_id = '$LC_SUB')
	    || ' ' || (SELECT count(*) FROM licenses l
		JOIN customers c ON c.id = l.customer_id
		WHERE c.provider_customer_id = '$LC_CUS')
	    || ' ' || (SELECT count(*) FROM licenses l
		JOIN customers c ON c.id = l.customer_id
		WHERE c.provider_customer_id = '$LC_CUS'
		AND l.checkout_session_id = 'cs_$LC_TAG')
	    || ' ' || (SELECT count(*) FROM events
		WHERE id GLOB 'evt_${LC_TAG}_*')
	    || ' ' || (SELECT count(*) FROM events
		WHERE id GLOB 'evt_${LC_TAG}_*' AND ref IS NOT NULL);"
}

# The outcomes licensehook(8) documents ("Outcomes"): those that change
# a license (all but "exists", which only links a Checkout Session),
# and the reasons after "ignored:", "stale:" and "deferred:".
LC_CHANGED="'created', 'renewed', 'recovered', 'upgraded', 'downgraded',
    'downgrade_pending', 'grace_started', 'canceled', 'paused', 'resumed',
    'refunded', 'disputed', 'dispute_won', 'dispute_lost', 'dispute_closed',
    'updated'"
LC_OUTCOMES="$LC_CHANGED, 'exists',
    'ignored:unhandled_type', 'ignored:livemode_mismatch',
    'ignored:not_a_purchase', 'ignored:not_paid', 'ignored:customer_record',
    'ignored:recorded', 'ignored:no_subscription', 'ignored:unknown_status',
    'ignored:partial_refund', 'ignored:refund_recorded',
    'ignored:payment_recorded', 'ignored:unchanged',
    'stale:older_snapshot', 'stale:paid_since',
    'stale:older_dispute', 'deferred:no_license'"

# lc_outcomes: the run's events whose outcome is not a documented one.
lc_outcomes() {
	sql "SELECT ifnull(group_concat(id || '=' || outcome, ' '), '')
	    FROM events WHERE id GLOB 'evt_${LC_TAG}_*'
	    AND outcome NOT IN ($LC_OUTCOMES);"
}

# lc_audit: "" when the license has audit rows, each caused by an event
# of this run, and every event that changed it has its audit row; else
# what is wrong.
lc_audit() {
	sql "SELECT CASE WHEN n = 0 THEN 'no audit rows; ' ELSE '' END
	    || CASE WHEN orphans > 0 THEN orphans
		|| ' audit rows not caused by an event of this run; '
		ELSE '' END
	    || ifnull('changes without audit: ' || missing, '')
	FROM (SELECT
	    (SELECT count(*) FROM audit WHERE license_id = l.id) AS n,
	    (SELECT count(*) FROM audit WHERE license_id = l.id
		AND cause NOT IN (SELECT id FROM events
		WHERE id GLOB 'evt_${LC_TAG}_*')) AS orphans,
	    (SELECT group_concat(e.id || '=' || e.outcome, ' ')
		FROM events e WHERE e.id GLOB 'evt_${LC_TAG}_*'
		AND e.outcome IN ($LC_CHANGED)
		AND NOT EXISTS (SELECT 1 FROM audit a
		    WHERE a.cause = e.id AND a.license_id = l.id)) AS missing
	FROM licenses l WHERE l.subscription_id = '$LC_SUB');"
}

# lc_perm SEED K [2]: a permutation of 1..K (each twice with "2"), from
# a Park-Miller generator, so a seed gives the same order with any awk.
lc_perm() {
	awk -v seed="$1" -v k="$2" -v rep="${3:-1}" 'BEGIN {
		x = seed % 2147483647
		if (x <= 0)
			x += 2147483646
		m = k * rep
		for (i = 1; i <= m; i++)
			a[i] = int((i - 1) / rep) + 1
		for (i = m; i > 1; i--) {
			x = (x * 16807) % 2147483647
			j = 1 + x % i
			t = a[i]; a[i] = a[j]; a[j] = t
		}
		for (i = 1; i <= m; i++)
			printf "%s%s", a[i], (i < m ? " " : "\n")
	}'
}

# lc_sign N...: Stripe-Signature values for the run's events N..., in
# LC_SIG_N: what sign.sh gives (HMAC-SHA256 keyed with the secret over
# "TIMESTAMP.body"), all at one timestamp and from one openssl(1) rather
# than one sign.sh each, which was a quarter of the run time.  A run's
# deliveries take seconds, well inside the 300 s tolerance; a signature
# that were wrong would be answered 400 and show in LC_BAD.
lc_sign() {
	_sg_t=$(date +%s)
	_sg_ns=$(printf '%s\n' "$@" | sort -un | tr '\n' ' ')
	_sg_in=
	_sg_out=
	for _sg_n in $_sg_ns; do
		eval "LC_SIG_$_sg_n="
		_sg_in="$_sg_in $LC_DIR/$LC_TAG.$_sg_n.json"
		_sg_out="$_sg_out $LC_DIR/$LC_TAG.$_sg_n.signed"
	done
	# Each event file is one line, which print gives back byte for byte.
	# shellcheck disable=SC2086
	awk -v t="$_sg_t" 'FNR == 1 {
		if (out != "")
			close(out)
		out = FILENAME
		sub(/json$/, "signed", out)
		printf "%s.", t >out
	    } { print >out }' $_sg_in || return 1
	# openssl prints one "HMAC-...(FILE)= HEX" a file, in order.
	# shellcheck disable=SC2086
	eval "$(openssl dgst -sha256 -hmac "$LH_SECRET" $_sg_out |
	    awk -v t="$_sg_t" -v ns="$_sg_ns" 'BEGIN { split(ns, n, " ") }
	    $NF ~ /^[0-9a-f]+$/ { printf "LC_SIG_%s=t=%s,v1=%s\n", n[NR], t, $NF }')"
}

# lc_deliver N...: deliver the run's events in that order.  LC_BAD lists
# the answers that were not 200, or said duplicate:true on a first
# delivery, or did not on a repeat; LC_FIRST is the first answer.
lc_deliver() {
	LC_BAD=
	LC_FIRST=
	_ld_seen=" "
	lc_sign "$@"
	for _ld_n in "$@"; do
		_ld_sig=
		eval "_ld_sig=\$LC_SIG_$_ld_n"
		post_raw "$LC_DIR/$LC_TAG.$_ld_n.json" \
		    -H "Stripe-Signature: $_ld_sig"
		_ld_ans="$HTTP_STATUS $(json_compact "$HTTP_BODY")"
		LC_FIRST=${LC_FIRST:-$_ld_ans}
		case $_ld_seen in
		*" $_ld_n "*) _ld_rep=1 ;;
		*) _ld_rep=0; _ld_seen="$_ld_seen$_ld_n " ;;
		esac
		case $_ld_ans in
		200\ *'"duplicate":true'*) _ld_dup=1 ;;
		200\ *) _ld_dup=0 ;;
		*) _ld_dup=x ;;
		esac
		[ "$_ld_dup" = "$_ld_rep" ] ||
		    LC_BAD="$LC_BAD${LC_BAD:+; }event $_ld_n: $_ld_ans"
	done
}

# lc_in_order STORY GEN: deliver the run in order, with each step's
# checks (check_STORY), and keep the final state as the reference.
lc_in_order() {
	lc_run "$1" "$2" 0 "in order"
	"check_$1"
	lc_state "$NOW"
	printf '%s\n' "$LC_FINAL" >"$LC_DIR/ref.$1.$2"
	is "$(lc_store)" "1 1 1 $LC_K 0" "$LC_WHAT: one license for the\
 subscription, the customer and the checkout, $LC_K events stored, none\
 left deferred"
	is "$(lc_audit)" "" \
	    "$LC_WHAT: every change has an audit row caused by an event"
	is "$(lc_outcomes)" "" \
	    "$LC_WHAT: every outcome recorded is one licensehook(8) documents"
	lc_inpays "$1"
}

# lc_shuffled STORY GEN: the same story, fresh ids, in other orders.
lc_shuffled() {
	_sh_ref=$(cat "$LC_DIR/ref.$1.$2")
	_sh_v=0
	for _sh_how in reversed $LC_SEEDS "dup:$LC_DUP_SEED"; do
		_sh_v=$((_sh_v + 1))
		case $_sh_how in
		reversed)
			_sh_order=$(awk -v k="$LC_K" 'BEGIN {
			    for (i = k; i > 0; i--)
				printf "%s%s", i, (i > 1 ? " " : "\n") }')
			_sh_name=reversed
			;;
		dup:*)
			_sh_order=$(lc_perm "${_sh_how#dup:}" "$LC_K" 2)
			_sh_name="each twice, seed ${_sh_how#dup:}"
			;;
		*)
			_sh_order=$(lc_perm "$_sh_how" "$LC_K")
			_sh_name="shuffled, seed $_sh_how"
			;;
		esac
		lc_run "$1" "$2" "$_sh_v" "$_sh_name"
		# shellcheck disable=SC2086
		lc_deliver $_sh_order
		is "$LC_BAD" "" \
		    "$LC_WHAT: every answer 200, duplicate:true exactly on repeats"
		case $1/$_sh_how in
		cpe/reversed | cnow/reversed | after/reversed)
			like "$LC_FIRST" \
			    '^200 \{"received":true,"deferred":"[a-z_]+"\}$' \
			    "$LC_WHAT: deleted before any license: deferred"
			;;
		esac
		lc_state "$NOW"
		if [ "$LC_FINAL" = "$_sh_ref" ]; then
			pass "$LC_WHAT: final state as in order"
		else
			fail "$LC_WHAT: final state as in order" "$(printf \
			    'order:    %s\ngot:      %s\nin order: %s\n%s' \
			    "$_sh_order" "$LC_FINAL" "$_sh_ref" \
			    "$(sql "SELECT id || ' ' || type || ' -> ' || outcome
				FROM events WHERE id GLOB 'evt_${LC_TAG}_*'
				ORDER BY rowid;")")"
		fi
		is "$(lc_store)" "1 1 1 $LC_K 0" "$LC_WHAT: one license for the\
 subscription, the customer and the checkout, $LC_K events stored, none\
 left deferred"
		is "$(lc_audit)" "" \
		    "$LC_WHAT: every change has an audit row caused by an event"
		is "$(lc_outcomes)" "" \
		    "$LC_WHAT: every outcome recorded is one licensehook(8) documents"
		lc_inpays "$1"
	done
}

# lc_story STORY GEN: in order, then shuffled.
lc_story() {
	lc_prepare "$1" "$2" || return 0
	lc_in_order "$1" "$2"
	lc_shuffled "$1" "$2"
}

# ---- the checks after each step, in order ---------------------------------

check_cyc() {
	lc_next "checkout, plan basic"
	lc_got created
	lc_state $((C_T0 + 60))
	lc_view "after checkout: active on basic" "active true basic -"
	is "$LC_N" 1 "$LC_WHAT: after checkout: one license"
	lc_facts "after checkout: no period yet" \
	    "^paid=basic pending=null@null sub=active end=null .*revoked=null\$"

	lc_next "subscription created, basic monthly"
	lc_paid "first invoice paid" a
	lc_state $((C_T0 + 60)) $((C_P1 + D)) $((C_P1 + D + 1))
	lc_view "after purchase: active through period end + slack" \
	    "active true basic -" "active true basic -" \
	    "expired false basic expired"
	lc_facts "after purchase: paid through the first period" \
	    "^paid=basic pending=null@null sub=active end=$C_P1 expires=$((C_P1 + D)) "

	lc_paid "renewal invoice paid" b renewed
	lc_state "$NOW" $((C_P1 + D + 1)) $((C_P2 + D)) $((C_P2 + D + 1))
	lc_view "after renewal: the period moved" \
	    "active true basic -" "active true basic -" \
	    "active true basic -" "expired false basic expired"
	lc_facts "after renewal: paid through the second period" \
	    "^paid=basic pending=null@null sub=active end=$C_P2 "

	lc_next "subscription updated to pro monthly"
	lc_got upgraded
	lc_audit_of "$LC_I" basic pro active
	lc_state "$NOW"
	lc_view "after upgrade: pro at once" "active true pro -"
	lc_facts "after upgrade: paid for pro, nothing pending" \
	    "^paid=pro pending=null@null sub=active end=$C_P2 "

	lc_next "subscription updated back to basic monthly"
	lc_got downgrade_pending
	lc_state "$NOW" $((C_P2 - 1)) "$C_P2"
	lc_view "after downgrade: pro until the period end, then basic" \
	    "active true pro -" "active true pro -" "active true basic -"
	lc_facts "after downgrade: basic pending from the period end" \
	    "^paid=pro pending=basic@$C_P2 sub=active end=$C_P2 "

	lc_next "payment failed"
	lc_got grace_started
	F=$C_FAIL
	lc_state "$F" $((F + 3 * D - 1)) $((F + 3 * D)) $((F + 7 * D - 1)) \
	    $((F + 7 * D)) $((F + 14 * D - 1)) $((F + 14 * D))
	lc_view "grace at 0, 3d-1, 3d, 7d-1, 7d (free tier), 14d-1, 14d (suspended)" \
	    "grace true pro -" "grace true pro -" "grace true pro -" \
	    "grace true pro -" "grace true free -" "grace true free -" \
	    "suspended false pro payment_failed"
	lc_facts "grace from the failed event's created time" \
	    "^paid=pro pending=basic@$C_P2 .* grace=$F deadline=$((F + 14 * D)) disputed=false revoked=null\$"
	if [ "$LC_G1" = - ]; then
		skip "$LC_WHAT: grace step names (warned, reminded at 3d)" \
		    "licensectl --json shows no grace step"
	else
		is "$LC_G1 $LC_G2 $LC_G3 $LC_G4 $LC_G5 $LC_G6 $LC_G7" \
		    "warned warned reminded reminded free_tier free_tier suspended" \
		    "$LC_WHAT: grace step names at the boundaries"
	fi

	lc_paid "retry paid" c recovered
	lc_state "$NOW" $((F + 14 * D))
	lc_view "after recovery: active on pro, also past the old deadline" \
	    "active true pro -" "active true pro -"
	lc_facts "after recovery: grace cleared, downgrade still pending" \
	    "^paid=pro pending=basic@$C_P2 sub=active end=$C_P2 .* grace=null deadline=null disputed=false revoked=null\$"
	_cc_facts=$LC_FACTS

	lc_next "older snapshot (past_due, basic) delivered late" \
	    '\{"received":true,"stale":"[a-z_]+"\}'
	lc_got stale:older_snapshot
	lc_state "$NOW"
	is "$LC_FACTS" "$_cc_facts" "$LC_WHAT: the older snapshot changed nothing"
}

# lc_bought TIER [AT]: the events of lc_purchase, the checkout's
# outcome and the state after them, as of AT (default: now).
lc_bought() {
	lc_next "checkout, plan $1"
	lc_got created
	lc_next "subscription created"
	lc_paid "first invoice paid" a
	lc_state "${2:-$NOW}"
	lc_view "purchase: $1" "active true $1 -"
}

check_cpe() {
	lc_next "checkout, plan pro"
	lc_next "subscription created, pro monthly"
	lc_paid "first invoice paid" a
	lc_next "cancel at period end requested"
	lc_state $((E_ASK + 60)) $((E_P + D)) $((E_P + D + 1))
	lc_view "cancel at period end: valid until period end + slack" \
	    "active true pro -" "active true pro -" \
	    "expired false pro expired"
	lc_facts "cancel at period end: recorded, not revoked" \
	    "^paid=pro pending=null@null sub=active end=$E_P .*cape=true .*revoked=null\$"
	lc_next "subscription deleted at period end"
	lc_got canceled
	lc_state "$NOW" $((E_ASK + 60))
	lc_view "deleted: revoked, at any time" \
	    "revoked false pro canceled" "revoked false pro canceled"
	lc_facts "deleted: revoked canceled" "sub=canceled .*revoked=canceled\$"
}

check_cnow() {
	lc_bought business
	lc_next "subscription deleted at once"
	lc_got canceled
	lc_state "$NOW"
	lc_view "deleted: revoked" "revoked false business canceled"
	lc_facts "deleted: revoked canceled" "sub=canceled .*revoked=canceled\$"
}

check_cfree() {
	lc_bought business
	lc_next "subscription deleted at once"
	lc_got canceled
	lc_state "$NOW" "$N_P" $((N_P + 10 * D))
	lc_view "deleted with on_cancel = free_tier: free tier, for good" \
	    "active true free -" "active true free -" "active true free -"
	lc_facts "deleted with on_cancel = free_tier: not revoked" \
	    "sub=canceled end=$N_P expires=null .*revoked=null\$"
}

check_pause() {
	lc_bought pro
	lc_next "subscription paused"
	lc_got paused
	lc_state "$NOW"
	lc_view "paused: suspended" "suspended false pro paused"
	lc_facts "paused: subscription paused" "sub=paused "
	lc_next "subscription resumed"
	lc_got resumed
	lc_state "$NOW"
	lc_view "resumed: active" "active true pro -"
	lc_facts "resumed: subscription active" "sub=active "
}

# lc_charge_license: the last event (a refund or dispute, which names
# only its payment) was applied to the subscription's license.
lc_charge_license() {
	is "$(sql "SELECT count(*) FROM events e JOIN licenses l
	    ON l.id = e.license_id WHERE e.id = 'evt_${LC_TAG}_$LC_I'
	    AND l.subscription_id = '$LC_SUB';")" 1 \
	    "$LC_WHAT: event $LC_I applied to the subscription's license"
}

check_refund() {
	lc_bought basic
	_cr_before=$LC_FACTS
	lc_next "partial refund" '\{"received":true,"ignored":"[a-z_]+"\}'
	lc_got ignored:partial_refund
	lc_charge_license
	lc_state "$NOW"
	lc_view "partial refund: unchanged" "active true basic -"
	is "$LC_FACTS" "$_cr_before" "$LC_WHAT: partial refund: facts unchanged"
	lc_next "full refund"
	lc_got refunded
	lc_charge_license
	lc_state "$NOW"
	lc_view "full refund: revoked" "revoked false basic refunded"
	lc_facts "full refund: revoked refunded" "revoked=refunded\$"
}

lc_check_dispute() {
	lc_bought pro
	lc_next "dispute opened"
	lc_got disputed
	lc_charge_license
	lc_state "$NOW"
	lc_view "dispute open: suspended" "suspended false pro disputed"
	lc_facts "dispute open: disputed" "disputed=true revoked=null\$"
	lc_next "dispute closed, $1"
	lc_got "dispute_$1"
	lc_charge_license
}

check_dwon() {
	lc_check_dispute won
	lc_state "$NOW"
	lc_view "dispute won: active again" "active true pro -"
	lc_facts "dispute won: not disputed" "disputed=false revoked=null\$"
}

check_dlost() {
	lc_check_dispute lost
	lc_state "$NOW"
	lc_view "dispute lost: revoked" "revoked false pro dispute_lost"
	lc_facts "dispute lost: revoked" "revoked=dispute_lost\$"
}

check_after() {
	lc_bought basic $((A_T0 + 60))
	lc_next "full refund"
	lc_got refunded
	lc_charge_license
	lc_state "$NOW"
	lc_view "full refund: revoked" "revoked false basic refunded"
	lc_facts "full refund: revoked refunded" \
	    "^paid=basic pending=null@null sub=active end=$A_P1 .*revoked=refunded\$"

	lc_paid "renewal invoice paid after the refund" b renewed
	lc_state "$NOW" $((A_P2 + D + 1))
	lc_view "renewed while revoked: still revoked, at any time" \
	    "revoked false basic refunded" "revoked false basic refunded"
	lc_facts "renewed while revoked: the period moved" \
	    "^paid=basic pending=null@null sub=active end=$A_P2 .*revoked=refunded\$"

	lc_next "subscription updated to pro monthly after the refund"
	lc_got upgraded
	lc_audit_of "$LC_I" basic pro revoked
	lc_state "$NOW"
	lc_view "upgraded while revoked: still revoked" \
	    "revoked false pro refunded"
	lc_facts "upgraded while revoked: paid for pro" \
	    "^paid=pro pending=null@null sub=active end=$A_P2 .*revoked=refunded\$"

	lc_next "dispute opened on the renewal's payment"
	lc_got disputed
	lc_charge_license
	lc_state "$NOW"
	lc_view "disputed while revoked: revoked, not suspended" \
	    "revoked false pro refunded"
	lc_facts "disputed while revoked: disputed" \
	    "disputed=true revoked=refunded\$"

	lc_next "dispute closed, lost"
	lc_got dispute_lost
	lc_charge_license
	lc_state "$NOW"
	lc_view "dispute lost after the refund: revoked as refunded" \
	    "revoked false pro refunded"
	lc_facts "dispute lost after the refund: the earlier revocation stands" \
	    "disputed=false revoked=refunded\$"

	lc_next "subscription deleted"
	lc_got canceled
	lc_state "$NOW"
	lc_view "deleted after the refund: revoked as refunded" \
	    "revoked false pro refunded"
	lc_facts "deleted after the refund: canceled, the refund stands" \
	    "^paid=pro pending=null@null sub=canceled end=$A_P2 .*disputed=false revoked=refunded\$"
}

# ---- on_cancel = revoke, no default tier --------------------------------------

for gen in old new; do
	for story in cyc cpe cnow pause refund dwon dlost after; do
		lc_story "$story" "$gen"
	done
done

# ---- a price no tier lists --------------------------------------------------

# lc_rows: row counts of every table, to show that nothing was stored.
lc_rows() {
	sql "SELECT (SELECT count(*) FROM events) || ' ' ||
	    (SELECT count(*) FROM licenses) || ' ' ||
	    (SELECT count(*) FROM customers) || ' ' ||
	    (SELECT count(*) FROM payments) || ' ' ||
	    (SELECT count(*) FROM audit);"
}

story_unknown() {
	lc_ids
	echo "customer.subscription.created created=$((NOW - D)) status=active" \
	    "price=price_LC_UNKNOWN pstart=$((NOW - D)) pend=$((NOW + 29 * D))"
	echo "checkout.session.completed created=$((NOW - 2 * D)) plan=basic"
	echo "customer.subscription.updated created=$((NOW - D))" \
	    "status=active price=price_LC_UNKNOWN pstart=$((NOW - D))" \
	    "pend=$((NOW + 29 * D))"
}

# lc_step_500 N DESC: event N is answered 500 with a JSON error, and
# nothing is stored (the row counts are still $_rows).
lc_step_500() {
	post_event "$LC_DIR/$LC_TAG.$1.json"
	is "$HTTP_STATUS" 500 "$LC_WHAT: $2: 500"
	like "$(json_compact "$HTTP_BODY")" '^\{"error":"[a-z_]+"' \
	    "$LC_WHAT: $2: a JSON error"
	is "$(lc_rows)" "$_rows" "$LC_WHAT: $2: nothing stored"
}

# Event 1 creates a license from an unknown price; 2 and 3 are another
# subscription: a checkout, then a plan change to the unknown price.
for gen in old new; do
	lc_prepare unknown "$gen" || continue
	lc_run unknown "$gen" 0 "no default tier"
	_rows=$(lc_rows)
	lc_step_500 1 "new subscription on an unknown price"
	lc_state "$NOW"
	is "$LC_N" 0 "$LC_WHAT: no license for the subscription"
	LC_SUB=sub_${LC_TAG}b
	sed "s/sub_$LC_TAG/$LC_SUB/g; s/cus_$LC_TAG/cus_${LC_TAG}b/g" \
	    "$LC_DIR/$LC_TAG.2.json" >"$LC_DIR/$LC_TAG.2b.json"
	sed "s/sub_$LC_TAG/$LC_SUB/g; s/cus_$LC_TAG/cus_${LC_TAG}b/g" \
	    "$LC_DIR/$LC_TAG.3.json" >"$LC_DIR/$LC_TAG.3b.json"
	lc_step 2b "checkout of another subscription, plan basic"
	lc_state "$NOW"
	_facts=$LC_FACTS
	_rows=$(lc_rows)
	lc_step_500 3b "plan change to an unknown price"
	lc_state "$NOW"
	lc_view "plan change to an unknown price: license unchanged" \
	    "active true basic -"
	is "$LC_FACTS" "$_facts" "$LC_WHAT: facts unchanged"
done

# ---- on_cancel = free_tier, default tier basic, explicit ranks ---------------

stop_workers
start_workers "$CONF_FREE" || bail_out "cannot restart licensehook"
LC_CONF=$CONF_FREE

for gen in old new; do
	lc_story cfree "$gen"

	lc_prepare unknown "$gen" || continue
	lc_run unknown "$gen" 9 "default tier basic"
	lc_step 1 "new subscription on an unknown price"
	lc_state "$NOW"
	lc_view "the default tier" "active true basic -"
	is "$LC_N" 1 "$LC_WHAT: one license"
done

# Ranks from rank=, not from the order of the [tier] sections.
story_rank() {
	lc_ids
	echo "customer.subscription.created created=$((NOW - 5 * D))" \
	    "since=$((NOW - 5 * D)) status=active price=$PRO_Y" \
	    "pstart=$((NOW - 5 * D)) pend=$((NOW + 360 * D))"
	echo "customer.subscription.updated created=$((NOW - 4 * D))" \
	    "since=$((NOW - 5 * D)) status=active price=$BIZ_Y" \
	    "pstart=$((NOW - 5 * D)) pend=$((NOW + 360 * D))"
	echo "customer.subscription.updated created=$((NOW - 3 * D))" \
	    "since=$((NOW - 5 * D)) status=active price=$BASIC_Y,$BASIC_M" \
	    "pstart=$((NOW - 5 * D)) pend=$((NOW + 360 * D))"
}
for gen in old new; do
	lc_prepare rank "$gen" || continue
	lc_run rank "$gen" 0 "explicit ranks"
	lc_step 1 "subscription created, pro yearly"
	lc_step 2 "updated to business yearly"
	lc_outcome 2 upgraded
	lc_step 3 "updated to basic"
	lc_outcome 3 downgrade_pending
	lc_state "$NOW" $((NOW + 360 * D))
	lc_view "business (rank 40) until the period end, then basic" \
	    "active true business -" "active true basic -"
done

# licensectl says "no license matches" where none is expected.
if grep -v 'no license matches' "$LC_DIR/licensectl.err" >"$LC_DIR/ctl.err"
then
	diag "licensectl said:" "$(sort -u "$LC_DIR/ctl.err")"
fi
done_testing
