-- wrk script: PATCH one group, adding (or removing) one member per request: the k-th line
-- of IDS_FILE, k = 0..N-1 split across the threads (k = thread + i * threads), then stop.
-- Prints one RESULT line. OP is add or remove.
--   wrk -t T -c C -d 2h -s members.lua -H 'Authorization: Bearer …' URL -- \
--       T IDS_FILE OP PATH_PREFIX GROUP_ID DONE_FILE
-- Stopping works as in create.lua (the last thread to finish sends wrk SIGINT).
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(args[1])
  ids = {}
  for line in io.lines(args[2]) do
    table.insert(ids, line)
  end
  total = #ids
  op = args[3]
  prefix = args[4]
  group = args[5]
  done_file = args[6]
  i = 0
  sent = 0
  patch_headers = {["Content-Type"] = "application/scim+json"}
  for name, value in pairs(wrk.headers) do
    patch_headers[name] = value
  end
  answered = 0
  fillers = 0
  finished = false
  applied = 0
  client_errors = 0
  server_errors = 0
  verifying = (tid == 0)
end

function request()
  if verifying then
    verifying = false
    return wrk.format("GET", prefix .. "/ServiceProviderConfig")
  end
  local k = tid + i * nthreads
  if k >= total then
    finished = true
    return wrk.format("GET", prefix .. "/ServiceProviderConfig")
  end
  i = i + 1
  sent = sent + 1
  local id = ids[k + 1]
  local operation
  if op == "add" then
    operation = '{"op":"add","path":"members","value":[{"value":"' .. id .. '"}]}'
  else
    operation = '{"op":"remove","path":"members[value eq \\"' .. id .. '\\"]"}'
  end
  local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[' ..
    operation .. ']}'
  return wrk.format("PATCH", prefix .. "/Groups/" .. group, patch_headers, body)
end

function response(status, headers, body)
  if status ~= 200 or not finished then
    answered = answered + 1
  else
    fillers = fillers + 1
  end
  if status == 204 then
    applied = applied + 1
  elseif status >= 500 then
    server_errors = server_errors + 1
  elseif status ~= 200 then
    client_errors = client_errors + 1
  end
  if finished and (answered >= sent or fillers > 1000) and not stopped then
    stopped = true
    os.execute(string.format(
      "echo x >> '%s'; if [ $(wc -l < '%s') -ge %d ]; then (sleep 0.05; kill -INT $PPID 2>/dev/null) & fi",
      done_file, done_file, nthreads))
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local a, e4, e5 = 0, 0, 0
  for _, thread in ipairs(threads) do
    a = a + thread:get("applied")
    e4 = e4 + thread:get("client_errors")
    e5 = e5 + thread:get("server_errors")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT applied=%d other_4xx=%d errors_5xx=%d seconds=%.2f rate=%.0f p50_ms=%.2f p99_ms=%.2f\n",
    a, e4, e5, seconds, a / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
