-- wrk script: GET PATH_PREFIX/Users?filter=userName eq "user<k>@bench.example" for a random
-- k in 0..N-1 (every one exists). Prints one RESULT line.
--   wrk -t T -c C -d 30s --latency -s filter.lua [-H 'Authorization: …'] URL -- N PATH_PREFIX
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local function urlencode(text)
  return (text:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  total = tonumber(args[1])
  prefix = args[2]
  failed = 0
  math.randomseed(os.time() + tid * 7919)
end

function request()
  local k = math.random(0, total - 1)
  local filter = 'userName eq "user' .. k .. '@bench.example"'
  return wrk.format("GET", prefix .. "/Users?filter=" .. urlencode(filter))
end

function response(status, headers, body)
  if status ~= 200 then
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local f = 0
  for _, thread in ipairs(threads) do
    f = f + thread:get("failed")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT requests=%d failed=%d seconds=%.2f rate=%.0f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, f, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
