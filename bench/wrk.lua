-- wrk script of the bench: requests round-robin over a list (one session, path and body each), and the result
-- as one JSON line, percentiles straight from wrk's own histogram (microseconds).
-- args: <requests file: session TAB path TAB body-or-empty, one a line> <method>
local requests = {}
local next_request = 0

function init(args)
  local method = args[2]
  for line in io.lines(args[1]) do
    local session, path, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    if session then
      local headers = { Authorization = session }
      if body == "" then
        body = nil
      else
        headers["Content-Type"] = "application/json"
      end
      -- formatted once here: request() then costs a table lookup, not a string build
      requests[#requests + 1] = wrk.format(method, path, headers, body)
    end
  end
  -- threads start at different requests, so they do not walk the sessions in lockstep
  next_request = math.random(#requests) - 1
end

function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d,"non2xx":%d,"errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout))
end
