-- validate.lua: wrk script for the validation scenarios of bench/run.sh
-- and for the two ceilings (nginx's own 200, the do-nothing responder),
-- which get the very same requests.
--
--   wrk -s validate.lua URL -- N
--
-- Each request is a form POST, license_key=<key of a license id drawn
-- uniformly from 1..N>, as Lemon Squeezy's clients send it.  The key of
-- id i is computed here exactly as bench/gen_db.sh writes it (keep the
-- two equal): x = i * 2654435761 mod 2^40, y = (i * 2246822519 +
-- 3266489917) mod 2^40, then four groups of four symbols, 5 bits each,
-- from x then y.  All below 2^53: exact in Lua numbers.
--
-- done() prints one line for run.sh:
--   RESULT requests=N duration_us=N p50_us=N p99_us=N errors=N timeouts=N
-- where errors counts socket errors, timeouts and non-2xx answers (an
-- unknown key would be a 404, a rate limit a 429).

local ALPHA = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
local P40 = 1099511627776
local syms = {}
for d = 0, 31 do syms[d] = ALPHA:sub(d + 1, d + 1) end
local pow = {}
for s = 0, 7 do pow[s] = 32 ^ s end

local function group(v, h)
	local g = ""
	for s = 0, 3 do
		g = g .. syms[math.floor(v / pow[4 * h + s]) % 32]
	end
	return g
end

function key_of(i)
	local x = (i * 2654435761) % P40
	local y = (i * 2246822519 + 3266489917) % P40
	return "LH-" .. group(x, 0) .. "-" .. group(x, 1) .. "-" ..
	    group(y, 0) .. "-" .. group(y, 1)
end

local threads = {}
local nthreads = 0

function setup(thread)
	nthreads = nthreads + 1
	thread:set("tid", nthreads)
	table.insert(threads, thread)
end

function init(args)
	n = tonumber(args[1]) or 1000
	math.randomseed(os.time() * 100 + tid)
	path = wrk.path
	headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
end

function request()
	return wrk.format("POST", path, headers,
	    "license_key=" .. key_of(math.random(n)))
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d " ..
	    "p99_us=%d errors=%d timeouts=%d\n", summary.requests,
	    summary.duration, latency:percentile(50), latency:percentile(99),
	    e.connect + e.read + e.write + e.timeout + e.status, e.timeout))
end
