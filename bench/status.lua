-- wrk script: GET /status/{id} rotating over kickoff ids, with the bearer token.
-- usage: wrk ... -s status.lua URL -- IDS_FILE TOKEN [status|reversed]
-- Requests are formatted once in init() so that wrk spends its CPU on I/O, not on Lua.
local requests = {}
local n = 0
local i = 0

function init(args)
  local ids_file, token, shape = args[1], args[2], args[3] or "status"
  local headers = { ["Authorization"] = "Bearer " .. token }
  for id in io.lines(ids_file) do
    if id ~= "" then
      local path = shape == "reversed" and ("/" .. id .. "/status") or ("/status/" .. id)
      n = n + 1
      requests[n] = wrk.format("GET", path, headers)
    end
  end
  i = math.random(n) - 1
end

function request()
  i = i % n + 1
  return requests[i]
end
