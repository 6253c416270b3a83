-- Shared by every script here: remembers wrk's threads and, when the run is over, prints one
-- line `WRK_JSON {...}` that bench/bench_http.py parses (latencies in microseconds).
-- `issued` counts the requests the threads built (answered or still in flight at the end),
-- `wrapped` how often a thread ran out of pre-built requests and started again.

local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

issued, wrapped = 0, 0

function done(summary, latency, requests)
  local sent, again = 0, 0
  for _, thread in ipairs(threads) do
    sent = sent + (thread:get("issued") or 0)
    again = again + (thread:get("wrapped") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
      .. '"p999_us": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d, '
      .. '"status_errors": %d, "timeouts": %d, "issued": %d, "wrapped": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency:percentile(99.9), e.connect, e.read, e.write, e.status, e.timeout, sent, again))
end
