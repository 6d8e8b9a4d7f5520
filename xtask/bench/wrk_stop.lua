-- wrk script for `cargo xtask bench`: POST the stop of a different job per request (the v1 stop of a
-- version, or with a BODY the v2 terminate of a job).
--
--   wrk -t THREADS -c CONNECTIONS -d 600s -s wrk_stop.lua URL -- PATHS_FILE TOTAL THREADS REPORT_FILE [BODY]
--
-- PATHS_FILE: one request path per line, a few hundred more than TOTAL. TOTAL: successful (2xx)
-- responses to collect over all threads; thread k of T sends paths k+1, k+1+T, k+1+2T, … and stops
-- after its share of successes. Responses come back out of order over the connections, so when a
-- thread has its share, up to its connections' worth of later requests are still in flight: they
-- stop spare versions (hence the spare paths), and are not counted. wrk's main thread only ends at the
-- end of -d or on SIGINT, so each thread appends `started finished successes non_2xx`
-- (CLOCK_MONOTONIC seconds, through LuaJIT's FFI) to REPORT_FILE when done, and the caller sends
-- SIGINT once there are THREADS lines; the rate is sum(successes) / (max(finished) - min(started)).
-- BODY (default empty, the v1 stop's) is sent with every request, e.g. `{"action_type":"terminate"}`
-- on the v2 actions route. Unsigned requests: run the server with auth off.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } wrk_bench_timespec;
int clock_gettime(int clock_id, wrk_bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1

local function now()
  local t = ffi.new("wrk_bench_timespec")
  ffi.C.clock_gettime(CLOCK_MONOTONIC, t)
  return tonumber(t.tv_sec) + tonumber(t.tv_nsec) * 1e-9
end

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
  local total = tonumber(args[2]) or #paths
  local count = tonumber(args[3]) or 1
  report_file = args[4]
  body = args[5] or ""
  first = tonumber(wrk.thread:get("index")) or 0
  step = count
  quota = math.floor(total / count)
  if first < total % count then
    quota = quota + 1
  end
  sent = 0
  received = 0
  non_2xx = 0
  started = nil
  headers = { ["Content-Type"] = "application/json" }
end

function request()
  if started == nil then
    started = now()
  end
  local i = (first + sent * step) % #paths + 1
  sent = sent + 1
  return wrk.format("POST", paths[i], headers, body)
end

function response(status, headers, body)
  if received >= quota then
    return
  end
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
    return
  end
  received = received + 1
  if received == quota then
    local finished = now()
    local f = io.open(report_file, "a")
    f:write(string.format("%.6f %.6f %d %d\n", started, finished, received, non_2xx))
    f:close()
    wrk.thread:stop()
  end
end
