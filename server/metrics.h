// The server's counters, exported in the Prometheus text format (GET /metrics). Thread-safe:
// every field is atomic; the writer thread and the event loop update them without a lock.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace fundtrail::server {

// A cumulative histogram of request latencies in microseconds, as Prometheus wants it: each
// bucket counts the observations at or below its bound.
class LatencyHistogram {
 public:
  // Upper bounds in microseconds; the last bucket (+Inf) is implicit.
  static constexpr std::array<uint64_t, 12> kBoundsMicros = {
      500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000, 5000000};

  void Observe(uint64_t micros);
  // The histogram's lines under `name` (…_bucket{le=…}, …_sum, …_count).
  void Render(const std::string& name, const std::string& help, std::string* out) const;

 private:
  std::array<std::atomic<uint64_t>, kBoundsMicros.size() + 1> counts_{};  // not cumulative
  std::atomic<uint64_t> sum_micros_{0};
};

struct Metrics {
  std::atomic<uint64_t> submissions_appended{0};   // 201
  std::atomic<uint64_t> submissions_retried{0};    // 200, already appended
  std::atomic<uint64_t> submissions_rejected{0};   // 4xx after the queue: invalid, denied, conflict
  std::atomic<uint64_t> submissions_refused{0};    // never queued: bad request, 413, 415, 408
  std::atomic<uint64_t> submissions_overloaded{0}; // 503, the queue was full
  std::atomic<uint64_t> events_appended{0};
  std::atomic<uint64_t> groups{0};                 // AppendGroup calls
  std::atomic<uint64_t> fsyncs{0};                 // groups that wrote, each synced once
  std::atomic<uint64_t> queue_depth{0};            // submissions waiting for the writer
  std::atomic<uint64_t> requests{0};
  LatencyHistogram submission_latency;             // POST /v1/submissions, arrival to answer

  // The Prometheus text exposition (version 0.0.4) of every metric.
  std::string Render() const;
};

}  // namespace fundtrail::server
