#include "server/metrics.h"

namespace fundtrail::server {

void LatencyHistogram::Observe(uint64_t micros) {
  size_t bucket = 0;
  while (bucket < kBoundsMicros.size() && micros > kBoundsMicros[bucket]) ++bucket;
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(micros, std::memory_order_relaxed);
}

void LatencyHistogram::Render(const std::string& name, const std::string& help, std::string* out) const {
  *out += "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    std::string bound = "+Inf";
    if (i < kBoundsMicros.size()) {
      // Seconds, exactly: the bounds are whole microseconds.
      uint64_t micros = kBoundsMicros[i];
      std::string fraction = std::to_string(micros % 1000000);
      fraction = std::string(6 - fraction.size(), '0') + fraction;
      while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
      bound = std::to_string(micros / 1000000) + (fraction.empty() ? "" : "." + fraction);
    }
    *out += name + "_bucket{le=\"" + bound + "\"} " + std::to_string(cumulative) + "\n";
  }
  uint64_t sum = sum_micros_.load(std::memory_order_relaxed);
  std::string fraction = std::to_string(sum % 1000000);
  *out += name + "_sum " + std::to_string(sum / 1000000) + "." + std::string(6 - fraction.size(), '0') +
          fraction + "\n";
  *out += name + "_count " + std::to_string(cumulative) + "\n";
}

namespace {

void Counter(const std::string& name, const std::string& help, uint64_t value, std::string* out) {
  *out += "# HELP " + name + " " + help + "\n# TYPE " + name + " counter\n" + name + " " +
          std::to_string(value) + "\n";
}

}  // namespace

std::string Metrics::Render() const {
  std::string out;
  const std::string submissions = "fundtrail_submissions_total";
  out += "# HELP " + submissions + " Signed submissions received, by outcome.\n# TYPE " + submissions +
         " counter\n";
  auto outcome = [&](const char* name, const std::atomic<uint64_t>& value) {
    out += submissions + "{outcome=\"" + name + "\"} " + std::to_string(value.load()) + "\n";
  };
  outcome("appended", submissions_appended);
  outcome("already_appended", submissions_retried);
  outcome("rejected", submissions_rejected);
  outcome("refused", submissions_refused);
  outcome("overloaded", submissions_overloaded);
  Counter("fundtrail_events_appended_total", "Events appended through the server.", events_appended.load(), &out);
  Counter("fundtrail_groups_total", "Groups of submissions the writer appended (group commit).", groups.load(), &out);
  Counter("fundtrail_fsyncs_total", "Write-ahead log syncs: one per group that wrote.", fsyncs.load(), &out);
  Counter("fundtrail_http_requests_total", "HTTP requests answered.", requests.load(), &out);
  out += "# HELP fundtrail_queue_depth Submissions waiting for the writer.\n# TYPE fundtrail_queue_depth gauge\n";
  out += "fundtrail_queue_depth " + std::to_string(queue_depth.load()) + "\n";
  submission_latency.Render("fundtrail_submission_latency_seconds",
                            "POST /v1/submissions, from the request to the durable answer.", &out);
  return out;
}

}  // namespace fundtrail::server
