-- webhook.lua: wrk script for the webhook scenarios of bench/run.sh.
--
--   wrk -s webhook.lua URL -- FILE THREADS
--
-- FILE holds one signed delivery a line, "<Stripe-Signature> TAB <body>"
-- (bench/gen_events.js).  Thread k of THREADS takes lines k, k+THREADS,
-- ... so no event id is sent by two threads, and sends them in order,
-- each once; a thread that runs out starts again from its first line and
-- counts a wrap (the answers are then duplicates, which the summary line
-- shows: run.sh sizes FILE so that this does not happen).
--
-- Every answer is checked: not 200, or 200 with "duplicate", is counted.
-- done() prints one line for run.sh:
--   RESULT requests=N duration_us=N p50_us=N p99_us=N errors=N
--   non200=N duplicates=N wraps=N

local threads = {}
local nthreads = 0

function setup(thread)
	nthreads = nthreads + 1
	thread:set("tid", nthreads)
	table.insert(threads, thread)
end

function init(args)
	local file, total = args[1], tonumber(args[2])
	sigs, bodies = {}, {}
	local i = 0
	for line in io.lines(file) do
		if i % total == tid - 1 then
			local tab = line:find("\t", 1, true)
			sigs[#sigs + 1] = line:sub(1, tab - 1)
			bodies[#bodies + 1] = line:sub(tab + 1)
		end
		i = i + 1
	end
	path = wrk.path
	idx, wraps, non200, duplicates = 0, 0, 0, 0
	headers = { ["Content-Type"] = "application/json" }
end

function request()
	idx = idx + 1
	if idx > #bodies then
		idx = 1
		wraps = wraps + 1
	end
	headers["Stripe-Signature"] = sigs[idx]
	return wrk.format("POST", path, headers, bodies[idx])
end

function response(status, hdrs, body)
	if status ~= 200 then
		non200 = non200 + 1
	elseif body:find('"duplicate"', 1, true) then
		duplicates = duplicates + 1
	end
end

function done(summary, latency, requests)
	local n2, dup, wr = 0, 0, 0
	for _, t in ipairs(threads) do
		n2 = n2 + (t:get("non200") or 0)
		dup = dup + (t:get("duplicates") or 0)
		wr = wr + (t:get("wraps") or 0)
	end
	local e = summary.errors
	io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d " ..
	    "p99_us=%d errors=%d non200=%d duplicates=%d wraps=%d " ..
	    "timeouts=%d\n", summary.requests, summary.duration,
	    latency:percentile(50), latency:percentile(99),
	    e.connect + e.read + e.write + e.timeout + e.status, n2, dup, wr,
	    e.timeout))
end
