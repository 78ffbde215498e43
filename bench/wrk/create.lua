-- wrk script: POST /Users with unique userNames user<k>@bench.example, k = 0..N-1 split
-- across the threads (k = thread + i * threads), then stop. Prints one RESULT line.
--   wrk -t T -c C -d 2h -s create.lua -H 'Authorization: Bearer …' URL -- T N PATH_PREFIX DONE_FILE
-- wrk's main thread sleeps for the whole -d even when every thread has stopped, so the
-- last thread to finish sends wrk SIGINT (which ends the sleep); DONE_FILE counts them.
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(args[1])
  total = tonumber(args[2])
  prefix = args[3]
  done_file = args[4]
  i = 0
  sent = 0
  -- wrk.format replaces wrk.headers (the -H headers) when given a table: copy them.
  post_headers = {["Content-Type"] = "application/scim+json"}
  for name, value in pairs(wrk.headers) do
    post_headers[name] = value
  end
  answered = 0
  fillers = 0
  finished = false
  created = 0
  conflicts = 0
  client_errors = 0
  server_errors = 0
  -- wrk calls request() once on thread 0 before any connection, to check the request
  -- parses (script_verify_request), and never sends it: give it a throwaway.
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
  local body = '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],' ..
    '"userName":"user' .. k .. '@bench.example",' ..
    '"name":{"givenName":"Bench","familyName":"User ' .. k .. '"},' ..
    '"emails":[{"value":"user' .. k .. '@bench.example","type":"work","primary":true}],' ..
    '"active":true}'
  return wrk.format("POST", prefix .. "/Users", post_headers, body)
end

function response(status, headers, body)
  if status ~= 200 then
    answered = answered + 1
  elseif finished then
    fillers = fillers + 1
  end
  if status == 201 then
    created = created + 1
  elseif status == 409 then
    conflicts = conflicts + 1
  elseif status >= 500 then
    server_errors = server_errors + 1
  elseif status ~= 200 then
    client_errors = client_errors + 1
  end
  -- Stop once every POST is answered (or, should a connection have dropped one, after
  -- enough filler requests that it cannot still be in flight).
  if finished and (answered >= sent or fillers > 1000) and not stopped then
    stopped = true
    -- system() ignores SIGINT in wrk while the shell runs, hence the delayed kill.
    os.execute(string.format(
      "echo x >> '%s'; if [ $(wc -l < '%s') -ge %d ]; then (sleep 0.05; kill -INT $PPID) & fi",
      done_file, done_file, nthreads))
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local c, x, e4, e5 = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("created")
    x = x + thread:get("conflicts")
    e4 = e4 + thread:get("client_errors")
    e5 = e5 + thread:get("server_errors")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT created=%d conflicts=%d other_4xx=%d errors_5xx=%d seconds=%.2f rate=%.0f p99_ms=%.2f\n",
    c, x, e4, e5, seconds, c / seconds, latency:percentile(99) / 1000))
end
