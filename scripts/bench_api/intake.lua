-- wrk script: POST a complaint (the same body shape to both servers), a unique
-- Idempotency-Key per request, and a JSON summary line at the end.
-- Usage: wrk -t2 -c50 -d20s -s scripts/bench_api/intake.lua http://127.0.0.1:8000/v1/complaints
local counter = 0
-- A global, not a local: setup() sets it in each thread's own Lua state with thread:set,
-- which a local upvalue would not see (every thread would then send the same keys).
thread_id = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

local work_ids = {}
for i = 1, 20 do
  work_ids[i] = string.format("NTFJ0602%06d", i)
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"work_id":"%s","incident_at":"2026-11-20T09:30:00+08:00",' ..
    '"incident_place":"人民路与青年路路口","allegations":["执勤时态度恶劣，言语粗暴"],' ..
    '"complainant_name":"张三","complainant_phone":"19900001111"}',
    work_ids[(counter % #work_ids) + 1])
  local headers = {
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("bench-%d-%d-%d", thread_id, counter, os.time()),
  }
  return wrk.format("POST", nil, headers, body)
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format(
    '{"requests":%d,"duration_s":%.3f,"rps":%.1f,"p50_ms":%.2f,"p90_ms":%.2f,"p99_ms":%.2f,' ..
    '"max_ms":%.2f,"non_2xx":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, non2xx,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
