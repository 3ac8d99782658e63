#!/bin/sh
#
# gen.sh: Stripe events for one customer's story, built from the shapes
# of the fixtures in tests/fixtures/ (see mkevents.sh there), in either
# payload generation.  Used by tests/e2e/lifecycle.sh.  Needs jq.
#
#   sh gen.sh old|new [STORY] >EVENTS
#
# STORY (default: standard input) has one event a line, in the order the
# story happens; EVENTS gets one whole event a line (compact JSON, ready
# to sign and POST), in the same order.  A story line is
#
#   TYPE NAME=VALUE...
#
# Blank lines and lines starting with "#" are skipped.  "set NAME=VALUE..."
# gives defaults to every later line (usually the customer, subscription
# and invoice ids).  Values are ids, prices, words or Unix times: letters,
# digits and _ . , @ : + - only (no blanks, no quotes).
#
#   every type   id=evt_...  created=UNIX  (both required)
#                cus=cus_...  email=...  name=...
#   checkout.session.completed
#                cs=cs_...  sub=sub_... (omit for mode=payment)
#                plan=TIER (metadata.plan)  ref=... (client_reference_id)
#                mode=subscription|payment  paid=paid|unpaid
#   customer.subscription.{created,updated,deleted,paused,resumed}
#                sub=  status=active|trialing|past_due|canceled|paused...
#                price=PRICE[,PRICE...] (one item each)
#                pstart=UNIX pend=UNIX (the current period)
#                cancel=true|false (cancel_at_period_end)
#                canceled=UNIX ended=UNIX  since=UNIX (subscription created)
#                in=in_... (latest_invoice)
#   invoice.paid, invoice.payment_failed
#                in=  sub=  price=PRICE[,...] (one line each)
#                pstart= pend= (the lines' period)  attempt=N
#                reason=subscription_create|subscription_cycle|...
#                pi=pi_... ch=ch_... (old generation only: basil
#                invoices name neither)
#   invoice_payment.paid (new generation only: basil ties a payment to
#                its invoice with it, older versions name the payment on
#                the invoice)
#                in=  pi=pi_... (payment.type payment_intent) or, without
#                pi=, ch=ch_... (payment.type charge)  amount=CENTS
#                inpay=inpay_... (default inpay_ and the invoice id)
#   charge.refunded
#                ch=  pi=  amount=CENTS  refunded=CENTS  re=re_...
#                charged=UNIX (the charge's own created)
#   charge.dispute.created, charge.dispute.closed
#                dp=dp_...  ch=  pi=  amount=CENTS
#                dstatus=needs_response|won|lost|...
#                opened=UNIX (the dispute's own created)
#
# Generation "old" is the shape before Stripe API 2025-03-31:
# subscription.current_period_end at the top level, invoice.subscription,
# invoice.payment_intent/charge, line.price objects.  "new" is the basil
# shape: items.data[].current_period_end,
# invoice.parent.subscription_details.subscription and
# line.pricing.price_details.price, and invoice_payment.paid (the
# InvoicePayment fixture's shape) carries the payment.  Charges and
# disputes look the same in both.  Every price and plan carries empty metadata, so the tier can
# only come from the price id.

set -eu

dir=$(cd "$(dirname "$0")" && pwd)
fx=${LC_FIXTURES:-$dir/../../fixtures}

case ${1:-} in
old | new) gen=$1 ;;
*) echo "usage: gen.sh old|new [STORY]" >&2; exit 2 ;;
esac
story=${2:--}

# The story as a JSON array of objects, all values strings.
params=$(awk '
	function fail(msg) {
		printf "gen.sh: story line %d: %s\n", NR, msg >"/dev/stderr"
		bad = 1
		exit 2
	}
	/^[ \t]*(#|$)/ { next }
	{
		for (i = 2; i <= NF; i++) {
			eq = index($i, "=")
			if (eq < 2)
				fail("not NAME=VALUE: " $i)
			k = substr($i, 1, eq - 1)
			v = substr($i, eq + 1)
			if (k !~ /^[a-z_]+$/ || v !~ /^[A-Za-z0-9_.,@:+-]*$/)
				fail("bad name or value: " $i)
			if ($1 == "set")
				def[k] = v
			else
				cur[k] = v
		}
		if ($1 == "set")
			next
		out = sprintf("{\"type\":\"%s\"", $1)
		for (k in def)
			if (!(k in cur))
				out = out sprintf(",\"%s\":\"%s\"", k, def[k])
		for (k in cur)
			out = out sprintf(",\"%s\":\"%s\"", k, cur[k])
		if (!("id" in cur) && !("id" in def))
			fail("no id=")
		if (!("created" in cur))
			fail("no created=")
		ev[++n] = out "}"
		delete cur
	}
	END {
		if (bad)
			exit 2
		printf "["
		for (i = 1; i <= n; i++)
			printf "%s%s", (i > 1 ? "," : ""), ev[i]
		print "]"
	}' "$story")

exec jq -c -n --arg gen "$gen" --argjson steps "$params" \
    --slurpfile co "$fx/checkout.session.completed.json" \
    --slurpfile sub_old "$fx/customer.subscription.created-old.json" \
    --slurpfile sub_new "$fx/customer.subscription.created-new.json" \
    --slurpfile inv_old "$fx/invoice.paid-old.json" \
    --slurpfile inv_new "$fx/invoice.paid-new.json" \
    --slurpfile inpay "$fx/invoice_payment.paid-pi.json" \
    --slurpfile charge "$fx/charge.refunded.full.json" \
    --slurpfile dispute "$fx/charge.dispute.created.json" '

def num($k): if .[$k] == null then null else (.[$k] | tonumber) end;
def flag($k): .[$k] == "true";
def prices: (.price // "") | split(",") | map(select(. != ""));

# The checkout session.
def checkout($p):
  $co[0].data.object
  | .id = $p.cs
  | .customer = $p.cus
  | .subscription = ($p.sub // null)
  | .mode = ($p.mode // (if $p.sub then "subscription" else "payment" end))
  | .payment_status = ($p.paid // "paid")
  | .metadata = (if $p.plan then {plan: $p.plan} else {} end)
  | .client_reference_id = ($p.ref // null)
  | .customer_details.email = ($p.email // null)
  | .customer_details.name = ($p.name // null)
  | .expires_at = ($p | num("created")) + 86400
  | .livemode = false;

# One subscription item per price, with the period on the item (new) or
# not (old).
def sub_items($p; $tmpl):
  [ $p | prices | to_entries[] | .key as $i | .value as $price
    | $tmpl
    | .id = "si_\($p.sub)_\($i)"
    | .created = ($p | num("since") // num("created"))
    | .subscription = $p.sub
    | .quantity = 1
    | .metadata = {}
    | .price.id = $price
    | .price.metadata = {}
    | .price.nickname = null
    | .price.product = "prod_\($price)"
    | if $gen == "new" then
        .plan.id = $price | .plan.metadata = {}
        | .plan.product = "prod_\($price)"
        | .current_period_start = ($p | num("pstart"))
        | .current_period_end = ($p | num("pend"))
      else . end ];

def subscription($p):
  (if $gen == "old" then $sub_old[0] else $sub_new[0] end).data.object as $s
  | $s
  | .id = $p.sub
  | .customer = $p.cus
  | .status = ($p.status // "active")
  | .created = ($p | num("since") // num("created"))
  | .cancel_at_period_end = ($p | flag("cancel"))
  | .canceled_at = ($p | num("canceled"))
  | .ended_at = ($p | num("ended"))
  | .trial_start = null
  | .trial_end = null
  | .latest_invoice = ($p.in // null)
  | .livemode = false
  | .metadata = {}
  | .items.data = sub_items($p; $s.items.data[0])
  | .items.total_count = (.items.data | length)
  | .items.url = "/v1/subscription_items?subscription=\($p.sub)"
  | if $gen == "old" then
      .current_period_start = ($p | num("pstart"))
      | .current_period_end = ($p | num("pend"))
      | .billing_cycle_anchor = ($p | num("pstart"))
      | .start = ($p | num("since") // num("created"))
    else
      .start_date = ($p | num("since") // num("created"))
      | .billing_cycle_anchor = ($p | num("pstart"))
      | .cancel_at = (if ($p | flag("cancel")) then ($p | num("pend"))
          else null end)
      | .pause_collection = null
      | .trial_settings.end_behavior.missing_payment_method =
          "create_invoice"
    end;

# One invoice line per price, all for the same period.
def lines($p; $tmpl):
  [ $p | prices | to_entries[] | .key as $i | .value as $price
    | $tmpl
    | .id = "il_\($p.in)_\($i)"
    | .period = {start: ($p | num("pstart")), end: ($p | num("pend"))}
    | .metadata = {}
    | .quantity = 1
    | if $gen == "old" then
        .price.id = $price | .price.metadata = {}
        | .price.product = "prod_\($price)"
        | .plan.id = $price | .plan.metadata = {}
        | .plan.product = "prod_\($price)"
        | .subscription = $p.sub
        | .subscription_item = "si_\($p.sub)_\($i)"
      else
        .invoice = $p.in
        | .pricing.price_details = {price: $price,
            product: "prod_\($price)"}
        | .parent.subscription_item_details.subscription = $p.sub
        | .parent.subscription_item_details.subscription_item =
            "si_\($p.sub)_\($i)"
      end ];

def invoice($p; $paid):
  (if $gen == "old" then $inv_old[0] else $inv_new[0] end).data.object
      as $i
  | ($p | num("created")) as $t
  | $i
  | .id = $p.in
  | .customer = $p.cus
  | .customer_email = ($p.email // null)
  | .customer_name = ($p.name // null)
  | .created = $t
  | .effective_at = $t
  | .webhooks_delivered_at = $t
  | .period_start = ($p | num("pstart"))
  | .period_end = ($p | num("pstart"))
  | .billing_reason = ($p.reason // "subscription_cycle")
  | .attempt_count = ($p | num("attempt") // 1)
  | .attempted = true
  | .number = "\($p.in)-0001"
  | .lines.data = lines($p; $i.lines.data[0])
  | .lines.total_count = (.lines.data | length)
  | .lines.url = "/v1/invoices/\($p.in)/lines"
  | .status_transitions.finalized_at = $t
  | if $paid then
      .status = "paid" | .amount_paid = .amount_due
      | .amount_remaining = 0 | .next_payment_attempt = null
      | .status_transitions.paid_at = $t
    else
      .status = "open" | .amount_paid = 0
      | .amount_remaining = .amount_due
      | .next_payment_attempt = $t + 259200
      | .status_transitions.paid_at = null
    end
  | if $gen == "old" then
      .subscription = $p.sub
      | .payment_intent = ($p.pi // null)
      | .charge = ($p.ch // null)
      | .paid = $paid
    else
      .parent.subscription_details = {metadata: {}, subscription: $p.sub}
    end;

# The InvoicePayment tying a payment to its invoice (basil only).
def invoice_payment($p):
  if $gen != "new" then
    error("gen.sh: invoice_payment.paid is basil (new) only")
  elif ($p.in // null) == null then
    error("gen.sh: invoice_payment.paid needs in=")
  else . end
  | ($p | num("created")) as $t
  | $inpay[0].data.object
  | (($p | num("amount")) // .amount_paid) as $amount
  | .id = ($p.inpay // "inpay_\($p.in)")
  | .invoice = $p.in
  | .payment = (if $p.pi then {type: "payment_intent", payment_intent: $p.pi}
      elif $p.ch then {type: "charge", charge: $p.ch}
      else error("gen.sh: invoice_payment.paid needs pi= or ch=") end)
  | .amount_paid = $amount
  | .amount_requested = $amount
  | .created = $t
  | .status = "paid"
  | .is_default = true
  | .status_transitions = {canceled_at: null, paid_at: $t}
  | .livemode = false;

def charge($p):
  ($p | num("amount") // 2000) as $amount
  | ($p | num("refunded") // $amount) as $back
  | $charge[0].data.object
  | .id = $p.ch
  | .customer = $p.cus
  | .payment_intent = ($p.pi // null)
  | .created = ($p | num("charged") // num("created"))
  | .amount = $amount
  | .amount_captured = $amount
  | .amount_refunded = $back
  | .refunded = ($back >= $amount)
  | .billing_details.email = ($p.email // null)
  | .billing_details.name = ($p.name // null)
  | .refunds.url = "/v1/charges/\($p.ch)/refunds"
  | .refunds.data = [.refunds.data[0]
      | .id = ($p.re // "re_\($p.ch)")
      | .amount = $back
      | .charge = $p.ch
      | .payment_intent = ($p.pi // null)
      | .created = ($p | num("created"))]
  | .livemode = false;

def dispute($p):
  ($p | num("opened") // num("created")) as $opened
  | $dispute[0].data.object
  | .id = $p.dp
  | .charge = $p.ch
  | .payment_intent = ($p.pi // null)
  | .amount = ($p | num("amount") // 2000)
  | .created = $opened
  | .status = ($p.dstatus // "needs_response")
  | .evidence_details.due_by = $opened + 604800
  | .livemode = false;

def object($p):
  if $p.type | startswith("checkout.session.") then checkout($p)
  elif $p.type | startswith("customer.subscription.") then subscription($p)
  elif $p.type == "invoice.paid" or $p.type == "invoice.payment_succeeded"
    then invoice($p; true)
  elif $p.type == "invoice.payment_failed" then invoice($p; false)
  elif $p.type == "invoice_payment.paid" then invoice_payment($p)
  elif $p.type == "charge.refunded" then charge($p)
  elif $p.type | startswith("charge.dispute.") then dispute($p)
  else error("gen.sh: no template for \($p.type)") end;

$steps[]
| . as $p
| {id: $p.id, object: "event",
   api_version: (if $gen == "old" then "2022-08-01"
     else "2025-03-31.basil" end),
   created: ($p | num("created")), livemode: false, pending_webhooks: 1,
   request: {id: null, idempotency_key: null}, type: $p.type,
   data: {object: object($p)}}
'
