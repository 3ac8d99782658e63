'use strict';
/*
 * The typical peer bench/run.sh measures licensehook against: a Node.js
 * service written the way the Stripe and better-sqlite3 docs show, run
 * as a cluster of PEER_WORKERS processes (like pm2's cluster mode)
 * behind the same nginx, reverse-proxied with upstream keep-alive.
 *
 *   POST /webhook         express.raw() body, then stripe.webhooks
 *                         .constructEvent(raw body, Stripe-Signature,
 *                         secret) (HMAC-SHA256, 300 s tolerance); then
 *                         one BEGIN IMMEDIATE transaction on a WAL
 *                         database with synchronous=FULL: insert the
 *                         event (its id is the primary key, so a
 *                         duplicate inserts nothing) and, for a
 *                         checkout.session.completed, a license with a
 *                         fresh random key; COMMIT; {"received":true}.
 *                         The same durable work licensehook does per
 *                         event, minus licensehook's customers, audit
 *                         and deferred-event bookkeeping.
 *   POST /validate/NAME   express.urlencoded() body, then one prepared
 *                         SELECT of the license and its customer by
 *                         license_key from the database NAME (the same
 *                         files licensehook serves), and a JSON answer
 *                         shaped like Lemon Squeezy's.  Nothing is
 *                         written and nothing is signed: licensehook
 *                         also counts rate limits, logs the use and
 *                         signs with Ed25519, so this is the cheaper
 *                         endpoint of the two.
 *
 * Environment: PEER_PORT (on 127.0.0.1), PEER_WORKERS, PEER_SECRET
 * (the whsec_ webhook secret), PEER_WEBHOOK_DB (made here),
 * PEER_LICENSE_DBS ("NAME=PATH,NAME=PATH": licensehook's databases).
 * The primary prints "ready" when every worker listens.
 */
const cluster = require('node:cluster');
const crypto = require('node:crypto');

const port = Number(process.env.PEER_PORT || 3000);
const workers = Number(process.env.PEER_WORKERS || 1);
const secret = process.env.PEER_SECRET || '';
const webhookDb = process.env.PEER_WEBHOOK_DB || 'peer-webhook.db';
const licenseDbs = (process.env.PEER_LICENSE_DBS || '').split(',')
    .filter(Boolean).map((s) => s.split('='));

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  created INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS licenses (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  checkout_session_id TEXT UNIQUE,
  customer TEXT,
  email TEXT,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL
);`;

/* Crockford-like alphabet, as licensehook's keys. */
const ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';

function newKey() {
	const b = crypto.randomBytes(16);
	let k = 'LH';
	for (let i = 0; i < 16; i++)
		k += (i % 4 === 0 ? '-' : '') + ALPHABET[b[i] & 31];
	return k;
}

function openDb(file) {
	const Database = require('better-sqlite3');
	const db = new Database(file, { timeout: 5000 });
	db.pragma('journal_mode = WAL');
	db.pragma('synchronous = FULL');
	return db;
}

function primary() {
	/* The schema once, before the workers race for it. */
	openDb(webhookDb).exec(SCHEMA);
	let up = 0;
	cluster.on('listening', () => {
		if (++up === workers)
			process.stdout.write('ready\n');
	});
	cluster.on('exit', (w, code, sig) => {
		process.stderr.write(`peer: worker ${w.process.pid} exited ` +
		    `(${sig || code})\n`);
	});
	for (let i = 0; i < workers; i++)
		cluster.fork();
	const stop = () => {
		for (const id in cluster.workers)
			cluster.workers[id].process.kill('SIGTERM');
		process.exit(0);
	};
	process.on('SIGTERM', stop);
	process.on('SIGINT', stop);
}

function worker() {
	const express = require('express');
	const Stripe = require('stripe');
	const stripe = Stripe('sk_test_bench_peer_never_used');
	const wdb = openDb(webhookDb);
	const insEvent = wdb.prepare('INSERT OR IGNORE INTO events' +
	    ' (id, type, created, received_at, body) VALUES (?, ?, ?, ?, ?)');
	const insLicense = wdb.prepare('INSERT INTO licenses' +
	    ' (key, checkout_session_id, customer, email, status, created_at)' +
	    ' VALUES (?, ?, ?, ?, ?, ?)');
	const record = wdb.transaction((event, raw) => {
		const now = Math.floor(Date.now() / 1000);
		if (insEvent.run(event.id, event.type, event.created, now, raw)
		    .changes === 0)
			return false;
		if (event.type === 'checkout.session.completed') {
			const o = event.data.object;
			insLicense.run(newKey(), o.id, o.customer,
			    o.customer_details ? o.customer_details.email : null,
			    'active', now);
		}
		return true;
	});
	const lookups = {};
	for (const [name, file] of licenseDbs) {
		lookups[name] = openDb(file).prepare('SELECT l.id, l.key,' +
		    ' l.status, l.tier, l.created_at, l.expires_at,' +
		    ' c.email, c.name FROM licenses l' +
		    ' LEFT JOIN customers c ON c.id = l.customer_id' +
		    ' WHERE l.key = ?');
	}

	const app = express();
	app.post('/webhook', express.raw({ type: 'application/json',
	    limit: '1mb' }), (req, res) => {
		let event;
		try {
			event = stripe.webhooks.constructEvent(req.body,
			    req.get('stripe-signature'), secret);
		} catch (e) {
			return res.status(400).json({ error: 'bad_signature',
			    message: e.message });
		}
		let fresh;
		try {
			fresh = record.immediate(event, req.body);
		} catch (e) {
			return res.status(503).json({ error: 'storage',
			    message: e.message });
		}
		res.json(fresh ? { received: true } :
		    { received: true, duplicate: true });
	});
	app.post('/validate/:db', express.urlencoded({ extended: false,
	    limit: '16kb' }), (req, res) => {
		const lookup = lookups[req.params.db];
		const key = String((req.body && req.body.license_key) || '')
		    .toUpperCase();
		if (lookup === undefined)
			return res.status(404).json({ error: 'not_found' });
		const row = key ? lookup.get(key) : undefined;
		if (row === undefined)
			return res.status(404).json({ valid: false,
			    error: 'license_key not found', license_key: null });
		const valid = ['active', 'trialing', 'grace']
		    .includes(row.status);
		res.json({
			valid,
			error: valid ? null : `license_key is ${row.status}`,
			license_key: {
				id: row.id,
				status: row.status,
				key: row.key,
				created_at: new Date(row.created_at * 1000)
				    .toISOString(),
				expires_at: row.expires_at ?
				    new Date(row.expires_at * 1000)
				    .toISOString() : null,
			},
			meta: {
				customer_name: row.name,
				customer_email: row.email,
			},
			tier: row.tier,
		});
	});
	app.listen(port, '127.0.0.1');
}

if (cluster.isPrimary)
	primary();
else
	worker();
