-- wrk script of bench/soak.sh: a mixed SCIM load, each request picked at random:
--   35% GET  /Users?filter=userName eq "user<k>@bench.example"   (k a random seeded user)
--   20% POST /Users                                               (a new, unique userName)
--   20% PATCH /Groups/{id}: add one member, or remove one member  (members[value eq "…"])
--   15% GET  /Users/{id}                                          (a random seeded user)
--   10% GET  /Users?startIndex=<random>&count=COUNT               (a page of the list)
-- Prints one RESULT line: the rate, p50/p99 of all requests, the requests sent of each
-- kind, and the answers that were not 2xx by status (wrk does not tell response() which
-- request it answers, so a status is not attributed to a kind; FIRST_NON2XX shows the
-- first such answer's status and body).
--   wrk -t T -c C -d 60s --latency -s soak.lua -H 'Authorization: Bearer …' URL -- \
--       T N PATH_PREFIX USER_IDS_FILE GROUP_IDS_FILE TAG COUNT
-- N: the seeded users are user0..user<N-1>@bench.example. USER_IDS_FILE: their ids, one a
-- line; GROUP_IDS_FILE: the groups' ids. TAG makes this run's created userNames unique
-- (soak-<TAG>-<thread>-<i>@bench.example), so every slice of a soak creates new users.
--
-- Membership PATCHes are real changes, each one an event: a thread adds a (group, user)
-- pair it does not hold and, once it holds PENDING pairs, removes its oldest in turn. Users
-- are split between the threads (user index = thread + k * threads), so two threads never
-- race on the same pair. A thread's pairs still held when a run ends stay members (a later
-- run may add one again: a no-op 204 without an event).
local threads = {}
local PENDING = 64

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local function urlencode(text)
  return (text:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local function read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if line ~= "" then
      table.insert(lines, line)
    end
  end
  return lines
end

local kinds = {"filter", "create", "patch_add", "patch_remove", "get", "list"}

function init(args)
  nthreads = tonumber(args[1])
  total = tonumber(args[2])
  prefix = args[3]
  user_ids = read_lines(args[4])
  group_ids = read_lines(args[5])
  tag = args[6]
  page = tonumber(args[7])
  math.randomseed(os.time() * 1000 + tid * 7919)
  json_headers = {["Content-Type"] = "application/scim+json"}
  for name, value in pairs(wrk.headers) do
    json_headers[name] = value
  end
  created = 0
  sent = {}
  for _, kind in ipairs(kinds) do
    sent[kind] = 0
  end
  bad_total = 0
  server_errors = 0
  bad_statuses = {}
  held, held_first, held_last = {}, 1, 0 -- the FIFO of pairs this thread added
  held_set = {}
  verifying = (tid == 0)
end

local function random_user_index()
  -- An index into user_ids owned by this thread (index - 1 = tid + k * nthreads).
  local count = math.floor((#user_ids - 1 - tid) / nthreads) + 1
  return tid + math.random(0, count - 1) * nthreads + 1
end

local function patch_body(operation)
  return '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[' ..
    operation .. ']}'
end

local function patch()
  local n = held_last - held_first + 1
  if n >= PENDING then
    local pair = held[held_first]
    held[held_first] = nil
    held_first = held_first + 1
    held_set[pair[1] .. " " .. pair[2]] = nil
    sent.patch_remove = sent.patch_remove + 1
    return wrk.format("PATCH", prefix .. "/Groups/" .. group_ids[pair[1]], json_headers,
      patch_body('{"op":"remove","path":"members[value eq \\"' .. user_ids[pair[2]] .. '\\"]"}'))
  end
  local g, u
  repeat
    g = math.random(1, #group_ids)
    u = random_user_index()
  until not held_set[g .. " " .. u]
  held_last = held_last + 1
  held[held_last] = {g, u}
  held_set[g .. " " .. u] = true
  sent.patch_add = sent.patch_add + 1
  return wrk.format("PATCH", prefix .. "/Groups/" .. group_ids[g], json_headers,
    patch_body('{"op":"add","path":"members","value":[{"value":"' .. user_ids[u] .. '"}]}'))
end

function request()
  if verifying then
    -- wrk calls request() once on thread 0 to check it parses, and never sends it.
    verifying = false
    return wrk.format("GET", prefix .. "/ServiceProviderConfig")
  end
  local r = math.random()
  if r < 0.35 then
    sent.filter = sent.filter + 1
    local k = math.random(0, total - 1)
    return wrk.format("GET", prefix .. "/Users?filter=" ..
      urlencode('userName eq "user' .. k .. '@bench.example"'))
  elseif r < 0.55 then
    sent.create = sent.create + 1
    created = created + 1
    local name = "soak-" .. tag .. "-" .. tid .. "-" .. created .. "@bench.example"
    local body = '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],' ..
      '"userName":"' .. name .. '",' ..
      '"name":{"givenName":"Soak","familyName":"User ' .. created .. '"},' ..
      '"emails":[{"value":"' .. name .. '","type":"work","primary":true}],' ..
      '"active":true}'
    return wrk.format("POST", prefix .. "/Users", json_headers, body)
  elseif r < 0.75 then
    return patch()
  elseif r < 0.90 then
    sent.get = sent.get + 1
    return wrk.format("GET", prefix .. "/Users/" .. user_ids[math.random(1, #user_ids)])
  else
    sent.list = sent.list + 1
    local start = math.random(1, math.max(1, total - page + 1))
    return wrk.format("GET", prefix .. "/Users?startIndex=" .. start .. "&count=" .. page)
  end
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    bad_total = bad_total + 1
    if status >= 500 then
      server_errors = server_errors + 1
    end
    bad_statuses[status] = (bad_statuses[status] or 0) + 1
    if not first_bad then
      first_bad = status .. " " .. ((body or ""):sub(1, 200):gsub("%s+", " "))
    end
  end
end

function done(summary, latency, requests)
  local totals, bad_n, e5 = {}, 0, 0
  for _, kind in ipairs(kinds) do
    totals[kind] = 0
  end
  local statuses, first = {}, nil
  for _, thread in ipairs(threads) do
    local s = thread:get("sent")
    for _, kind in ipairs(kinds) do
      totals[kind] = totals[kind] + (s and s[kind] or 0)
    end
    bad_n = bad_n + thread:get("bad_total")
    e5 = e5 + thread:get("server_errors")
    local b = thread:get("bad_statuses")
    if b then
      for status, count in pairs(b) do
        statuses[status] = (statuses[status] or 0) + count
      end
    end
    first = first or thread:get("first_bad")
  end
  local codes = {}
  for status, count in pairs(statuses) do
    table.insert(codes, status .. ":" .. count)
  end
  table.sort(codes)
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f rate=%.0f p50_ms=%.2f p99_ms=%.2f non2xx=%d errors_5xx=%d " ..
    "statuses=%s socket_errors=%d timeouts=%d " ..
    "filter=%d create=%d patch_add=%d patch_remove=%d get=%d list=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, bad_n, e5,
    #codes > 0 and table.concat(codes, ",") or "-",
    errors.connect + errors.read + errors.write, errors.timeout,
    totals.filter, totals.create, totals.patch_add, totals.patch_remove, totals.get, totals.list))
  if first then
    io.write("FIRST_NON2XX " .. first .. "\n")
  end
end
