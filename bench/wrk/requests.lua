-- wrk script for bench/run.py: sends the requests listed in a file, in turn, and prints
-- the results as one JSON line ("BENCH {...}") when done.
--
--   wrk -t1 -c8 -d5s -s bench/wrk/requests.lua http://127.0.0.1:PORT -- REQUESTS_FILE [SKIP]
--
-- SKIP requests at the top of the list are left out: the runs of one route go on down
-- the list, so a booking (a person and a lecture) is never sent twice.
--
-- REQUESTS_FILE has one request per line: METHOD <tab> PATH <tab> HEADERS <tab> BODY, where
-- HEADERS are "Name: value" pairs separated by the unit separator (\31) and BODY may be
-- empty. Every request is formatted once, at start-up, so the script costs wrk nothing per
-- request beyond taking the next one. With one thread (-t1) all connections share the list,
-- so a list of bookings by different people books each person once.

local queue = {}
local position = 0

function init(args)
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    local method, path, headers, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    if method then
      local fields = {}
      for pair in headers:gmatch("[^\31]+") do
        local name, value = pair:match("^([^:]+):%s*(.*)$")
        fields[name] = value
      end
      if body == "" then body = nil end
      queue[#queue + 1] = wrk.format(method, path, fields, body)
    end
  end
  file:close()
  assert(#queue > 0, "no requests in " .. args[1])
  position = (tonumber(args[2] or "0") or 0) % #queue
end

function request()
  position = position % #queue + 1
  return queue[position]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p90_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d}, "sent": %d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, e.connect, e.read, e.write,
    e.status, e.timeout, #queue))
end
