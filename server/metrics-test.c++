#include "server/metrics.h"

#include <gtest/gtest.h>

namespace fundtrail::server {
namespace {

TEST(MetricsTest, RendersPrometheusTextWithCumulativeBuckets) {
  Metrics metrics;
  metrics.submissions_appended = 3;
  metrics.fsyncs = 2;
  metrics.queue_depth = 5;
  metrics.submission_latency.Observe(400);      // <= 0.0005 s
  metrics.submission_latency.Observe(1500);     // <= 0.002 s
  metrics.submission_latency.Observe(9000000);  // +Inf
  std::string text = metrics.Render();
  EXPECT_NE(text.find("fundtrail_submissions_total{outcome=\"appended\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE fundtrail_fsyncs_total counter\nfundtrail_fsyncs_total 2\n"), std::string::npos);
  EXPECT_NE(text.find("fundtrail_queue_depth 5\n"), std::string::npos);
  EXPECT_NE(text.find("fundtrail_submission_latency_seconds_bucket{le=\"0.0005\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("fundtrail_submission_latency_seconds_bucket{le=\"0.001\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("fundtrail_submission_latency_seconds_bucket{le=\"0.002\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("fundtrail_submission_latency_seconds_bucket{le=\"5\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("fundtrail_submission_latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("fundtrail_submission_latency_seconds_sum 9.001900\n"), std::string::npos);
  EXPECT_NE(text.find("fundtrail_submission_latency_seconds_count 3\n"), std::string::npos);
}

}  // namespace
}  // namespace fundtrail::server
