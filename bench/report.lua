-- wrk script: one summary line per run (latencies in milliseconds).
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT p50=%.2f p95=%.2f p99=%.2f rps=%.1f requests=%d errors=%d\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6), summary.requests, errors))
end
