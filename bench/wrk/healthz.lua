-- GET /healthz, the ceiling every other request kind is compared with.
-- wrk -s healthz.lua http://host:port/healthz
dofile("report.lua")

function request()
  issued = issued + 1
  return wrk.format("GET", "/healthz")
end
