-- wrk script for benchmarks/intake.py: every request a new order, signed beforehand (wrk's
-- Lua has no HMAC). INTAKE_DELIVERIES names the file of "signature<TAB>delivery id<TAB>body"
-- lines; thread k of INTAKE_THREADS sends the lines k, k + n, k + 2n… and stops, never
-- sending one twice, when its share runs out.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local every = tonumber(os.getenv("INTAKE_THREADS"))
  requests = {}
  sent = 0
  exhausted = false
  local n = 0
  for line in io.lines(os.getenv("INTAKE_DELIVERIES")) do
    if n % every == id then
      local signature, delivery, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      table.insert(requests, wrk.format("POST", nil, {
        ["Content-Type"] = "application/json",
        ["X-WC-Webhook-Source"] = "https://shop.example/",
        ["X-WC-Webhook-Topic"] = "order.created",
        ["X-WC-Webhook-Resource"] = "order",
        ["X-WC-Webhook-Event"] = "created",
        ["X-WC-Webhook-ID"] = "11",
        ["X-WC-Webhook-Delivery-ID"] = delivery,
        ["X-WC-Webhook-Signature"] = signature,
      }, body))
    end
    n = n + 1
  end
end

function request()
  sent = sent + 1
  if sent > #requests then
    exhausted = true
    wrk.thread:stop()
    return requests[#requests]
  end
  return requests[sent]
end

function done(summary, latency, requests)
  local ran_out = false
  for _, thread in ipairs(threads) do
    ran_out = ran_out or thread:get("exhausted")
  end
  local e = summary.errors
  io.write(string.format(
    'INTAKE {"requests": %d, "seconds": %.3f, "refused": %d, "socket_errors": %d, ' ..
    '"p50_ms": %.2f, "p99_ms": %.2f, "ran_out": %s}\n',
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, tostring(ran_out)))
end
