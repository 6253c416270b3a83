-- Replays requests built beforehand by bench/bench_http.py: signed WeChat safe-mode pushes
-- (AES-encrypted, SHA-1 signed) and signed DingTalk robot callbacks, each with its own
-- message id and signature. Lua has neither AES nor HMAC, so Python signs them into a file.
-- wrk -s replay.lua URL -- FILE THREADS
-- FILE holds raw HTTP requests, each as "<byte length>\n<request>". wrk thread i takes the
-- requests whose position modulo THREADS is i, so no two threads send the same message.
dofile("report.lua")

local requests, position = {}, 0

function init(args)
  local file = assert(io.open(args[1], "rb"))
  local data = file:read("*a")
  file:close()
  local total = tonumber(args[2])
  local at, n = 1, 0
  while at <= #data do
    local newline = data:find("\n", at, true)
    local length = tonumber(data:sub(at, newline - 1))
    if n % total == index then
      requests[#requests + 1] = data:sub(newline + 1, newline + length)
    end
    n = n + 1
    at = newline + length + 1
  end
end

function request()
  issued = issued + 1
  position = position + 1
  if position > #requests then
    position = 1
    wrapped = wrapped + 1
  end
  return requests[position]
end
