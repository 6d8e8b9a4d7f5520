-- wrk script for `cargo xtask bench`: POST the v1 stop of a different version per request.
-- wrk -t THREADS -s wrk_stop.lua URL -- PATHS_FILE TOTAL THREADS
--   PATHS_FILE: one request path per line; TOTAL: requests to complete over all threads.
-- Thread k of T sends paths k+1, k+1+T, k+1+2T, ... and stops after TOTAL/T responses (its share),
-- so the run sends TOTAL requests (plus at most the in-flight ones of the last round trip, which
-- wrap to the start of the list). Unsigned: run the server with auth off.
local thread_count = 0

function setup(thread)
  thread:set("index", thread_count)
  thread_count = thread_count + 1
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    if line ~= "" then
      table.insert(paths, line)
    end
  end
  total = tonumber(args[2]) or #paths
  local count = tonumber(args[3]) or 1
  first = tonumber(wrk.thread:get("index")) or 0
  step = count
  quota = math.floor(total / count)
  if first < total % count then
    quota = quota + 1
  end
  sent = 0
  received = 0
  headers = { ["Content-Type"] = "application/json" }
end

function request()
  local i = (first + sent * step) % #paths + 1
  sent = sent + 1
  return wrk.format("POST", paths[i], headers, "")
end

function response(status, headers, body)
  received = received + 1
  if received >= quota then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_us=%d status_errors=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout))
end
