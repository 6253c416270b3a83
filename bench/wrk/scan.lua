-- POST /api/scans, one receipt per request, each with a client id no other request has.
-- wrk -s scan.lua URL -- RUN ORDER_ID TOKEN MATERIAL [MATERIAL ...]
-- floor.lua sends the same requests to the bench-only floor route (bench/floor_app.py).
-- The client id is built from the run number, wrk's thread and a counter, so every scan of
-- a benchmark (every run, every thread) is a new one and must be counted exactly once.
dofile("report.lua")

path = path or "/api/scans"

local run, order, headers, materials

function init(args)
  run = tonumber(args[1])
  order = args[2]
  headers = {
    ["Authorization"] = "Bearer " .. args[3],
    ["Content-Type"] = "application/json",
  }
  materials = {}
  for i = 4, #args do
    materials[#materials + 1] = args[i]
  end
end

function request()
  issued = issued + 1
  local client_id = string.format(
    "%08x-%04x-4000-8000-%012x", run, index, issued)
  local body = string.format(
    '{"client_id": "%s", "result": "%s", "scanType": "CODE_128", "action": "receive", '
      .. '"quantity": 1, "order_id": %s, "confirm_over": true}',
    client_id, materials[(issued % #materials) + 1], order)
  return wrk.format("POST", path, headers, body)
end
