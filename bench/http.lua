-- wrk script of bench.http: each request takes the next of the file's lines, each line
-- "<path>\t<cookie header or nothing>", so that 50 connections use 50 distinct sessions.
-- Counts the answers other than 200 (wrk itself counts 3xx as good) and prints one JSON line.
-- (not_ok and offset are globals: wrk's thread:get and thread:set see only globals)
local lines = {}
local next_line = 1
not_ok = 0
offset = 0
local threads = {}
local started = 0

function setup(thread)
  thread:set("offset", started * 7)
  started = started + 1
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    local tab = line:find("\t", 1, true)
    table.insert(lines, { line:sub(1, tab - 1), line:sub(tab + 1) })
  end
  next_line = (offset % #lines) + 1
end

function request()
  local entry = lines[next_line]
  next_line = (next_line % #lines) + 1
  local headers = {}
  if entry[2] ~= "" then
    headers["Cookie"] = entry[2]
  end
  return wrk.format("GET", entry[1], headers)
end

function response(status, headers, body)
  if status ~= 200 then
    not_ok = not_ok + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("not_ok")
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "not_200": %d, ' ..
    '"socket_errors": %d, "timeouts": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    bad, e.connect + e.read + e.write, e.timeout))
end
