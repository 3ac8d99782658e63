'use strict';
/*
 * WEBHOOK_SECRET=whsec_... gen_events.js COUNT OUT [FIXTURE]
 *
 * Write COUNT signed Stripe webhook deliveries to OUT, one a line:
 *
 *	<Stripe-Signature value> TAB <body>
 *
 * for bench/webhook.lua.  Each body is a whole checkout.session.completed
 * event wrapping the pay-rails Checkout Session of
 * tests/fixtures/stripe/ (as tests/e2e/lib.sh's make_event does), with
 * its own event id, session, subscription and customer, so that every
 * delivery is a new purchase: a new license, never a duplicate.  JSON on
 * one line (about 1.6 KB).
 *
 * Signed as Stripe signs (Stripe docs, "Verify webhook signatures
 * manually"): t=<now>,v1=HMAC-SHA256(secret, "<t>.<body>") in hex; the
 * secret comes from the environment, not the command line, which ps(1)
 * shows.  The
 * timestamp is the time of generation, so run.sh calls this right before
 * each load run: a receiver's tolerance (licensehook's and stripe-node's
 * default: 300 s) must cover the generation and the whole run.
 *
 * Only Node's own modules; no packages.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

function main(argv) {
	const secret = process.env.WEBHOOK_SECRET || '';
	if (argv.length < 2 || argv.length > 3 || secret === '') {
		process.stderr.write('usage: WEBHOOK_SECRET=whsec_... ' +
		    'gen_events.js COUNT OUT [FIXTURE]\n');
		return 2;
	}
	const [countArg, out] = argv;
	const count = Number(countArg);
	const fixture = argv[2] || path.join(__dirname, '..', 'tests',
	    'fixtures', 'stripe', 'pay-checkout.session.completed.json');
	if (!Number.isInteger(count) || count < 1) {
		process.stderr.write('gen_events.js: bad COUNT\n');
		return 2;
	}
	const data = JSON.parse(fs.readFileSync(fixture, 'utf8'));
	const now = Math.floor(Date.now() / 1000);
	/* Unique across runs: the same database sees several runs. */
	const run = now.toString(36) + crypto.randomBytes(4).toString('hex');
	const fd = fs.openSync(out, 'w', 0o600);
	const chunk = [];

	for (let i = 1; i <= count; i++) {
		const u = `${run}_${i}`;
		const obj = data.object;
		obj.id = `cs_bench_${u}`;
		obj.subscription = `sub_bench_${u}`;
		obj.customer = `cus_bench_${u}`;
		obj.created = now;
		if (obj.customer_details) {
			obj.customer_details.email = `buyer_${u}@example.com`;
			obj.customer_details.name = `Buyer ${i}`;
		}
		const body = JSON.stringify({
			id: `evt_bench_${u}`,
			object: 'event',
			api_version: '2024-06-20',
			created: now,
			livemode: false,
			pending_webhooks: 1,
			type: 'checkout.session.completed',
			data,
		});
		const v1 = crypto.createHmac('sha256', secret)
		    .update(`${now}.${body}`).digest('hex');
		chunk.push(`t=${now},v1=${v1}\t${body}\n`);
		if (chunk.length === 4096 || i === count) {
			fs.writeSync(fd, chunk.join(''));
			chunk.length = 0;
		}
	}
	fs.closeSync(fd);
	return 0;
}

process.exitCode = main(process.argv.slice(2));
