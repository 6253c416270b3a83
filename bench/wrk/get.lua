-- GET a page of the API as a signed-in user (bearer token): the order page JSON, its
-- shortages, its production Gantt chart.
-- wrk -s get.lua URL -- PATH TOKEN
dofile("report.lua")

local path, headers

function init(args)
  path = args[1]
  headers = { ["Authorization"] = "Bearer " .. args[2] }
end

function request()
  issued = issued + 1
  return wrk.format("GET", path, headers)
end
