#include "server/group_writer.h"

#include <gtest/gtest.h>

#include <future>
#include <set>
#include <thread>

#include "ledger/test_util.h"

namespace fundtrail::server {
namespace {

using test::kSecretariat;

class GroupWriterTest : public ::testing::Test {
 protected:
  GroupWriterTest() : alliance_(directory_.path()) {}

  void SetUp() override {
    auto ledger = Ledger::Create(directory_.File("ledger"), alliance_.GenesisSubmission(clock_.NowMicros()), &clock_);
    ASSERT_TRUE(ledger.has_value()) << ledger.error().message();
    ledger_ = std::move(*ledger);
  }

  // One vendor registration by the admin, under its own submission id.
  SignedSubmission Vendor(const std::string& vendor_id) {
    return SignSubmission(alliance_.admin, alliance_.ledger_id, "vendor-" + vendor_id, 1,
                          {test::MustEncode(test::VendorJson(vendor_id))});
  }

  test::TempDir directory_;
  test::TestAlliance alliance_;
  test::FixedClock clock_;
  std::unique_ptr<Ledger> ledger_;
  Metrics metrics_;
};

TEST_F(GroupWriterTest, SubmissionsFromManyThreadsAllLandWithDurableReceipts) {
  const uint64_t start = ledger_->head().sequence;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::vector<std::future<GroupWriter::Outcome>> outcomes;
  {
    GroupWriter writer(ledger_.get(), GroupWriter::Options{}, &metrics_, &clock_);
    std::mutex mutex;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          auto promise = std::make_shared<std::promise<GroupWriter::Outcome>>();
          {
            std::lock_guard lock(mutex);
            outcomes.push_back(promise->get_future());
          }
          bool queued = writer.Submit(Vendor("V-" + std::to_string(t) + "-" + std::to_string(i)),
                                      [promise](GroupWriter::Outcome outcome) { promise->set_value(std::move(outcome)); });
          ASSERT_TRUE(queued);
        }
      });
    }
    for (auto& thread : threads) thread.join();
    std::set<uint64_t> sequences;
    for (auto& future : outcomes) {
      GroupWriter::Outcome outcome = future.get();
      ASSERT_TRUE(outcome.receipt.has_value()) << outcome.receipt.error().message();
      EXPECT_FALSE(outcome.receipt->already_appended);
      sequences.insert(outcome.receipt->first_sequence);
      // Published before the answer: the head already covers the receipt.
      EXPECT_GE(writer.Published().tree_size, outcome.receipt->last_sequence);
    }
    EXPECT_EQ(sequences.size(), size_t{kThreads * kPerThread});
    EXPECT_EQ(*sequences.begin(), start + 1);
    EXPECT_EQ(*sequences.rbegin(), start + kThreads * kPerThread);
    TreeHead head = writer.Published();
    EXPECT_EQ(head.tree_size, start + kThreads * kPerThread);
    EXPECT_TRUE(head.signature.empty());
  }
  EXPECT_EQ(metrics_.submissions_appended.load(), 0u);  // counted by the HTTP layer, not here
  EXPECT_EQ(metrics_.events_appended.load(), uint64_t{kThreads * kPerThread});
  EXPECT_GE(metrics_.groups.load(), 1u);
  EXPECT_LE(metrics_.groups.load(), uint64_t{kThreads * kPerThread});
  EXPECT_EQ(metrics_.fsyncs.load(), metrics_.groups.load());
  EXPECT_EQ(metrics_.queue_depth.load(), 0u);
  EXPECT_EQ(ledger_->head().sequence, start + kThreads * kPerThread);
  Status verified = ledger_->Verify(nullptr);
  EXPECT_TRUE(verified.ok()) << verified.message();
}

TEST_F(GroupWriterTest, AFullQueueRefusesAndStopDrainsWhatIsQueued) {
  GroupWriter::Options options;
  options.queue_size_max = 2;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> blocked;
  std::vector<std::future<GroupWriter::Outcome>> outcomes;
  auto callback = [&outcomes]() {
    auto promise = std::make_shared<std::promise<GroupWriter::Outcome>>();
    outcomes.push_back(promise->get_future());
    return [promise](GroupWriter::Outcome outcome) { promise->set_value(std::move(outcome)); };
  };
  {
    GroupWriter writer(ledger_.get(), options, &metrics_, &clock_);
    // The first submission's callback holds the writer thread until released, so the queue fills.
    ASSERT_TRUE(writer.Submit(Vendor("V-1"), [&](GroupWriter::Outcome outcome) {
      EXPECT_TRUE(outcome.receipt.has_value());
      blocked.set_value();
      released.wait();
    }));
    blocked.get_future().wait();
    ASSERT_TRUE(writer.Submit(Vendor("V-2"), callback()));
    ASSERT_TRUE(writer.Submit(Vendor("V-3"), callback()));
    EXPECT_EQ(metrics_.queue_depth.load(), 2u);
    EXPECT_FALSE(writer.Submit(Vendor("V-4"), [](GroupWriter::Outcome) { FAIL() << "called"; }));
    release.set_value();
    writer.Stop();  // drains V-2 and V-3
    EXPECT_FALSE(writer.Submit(Vendor("V-5"), [](GroupWriter::Outcome) { FAIL() << "called"; }));
  }
  ASSERT_EQ(outcomes.size(), 2u);
  for (auto& future : outcomes) {
    GroupWriter::Outcome outcome = future.get();
    ASSERT_TRUE(outcome.receipt.has_value()) << outcome.receipt.error().message();
  }
  EXPECT_TRUE(ledger_->state().vendors.Contains("V-3"));
  EXPECT_FALSE(ledger_->state().vendors.Contains("V-4"));
}

TEST_F(GroupWriterTest, ARefusedSubmissionIsAnsweredWithItsErrorAndPublishedHeadsAreSigned) {
  GroupWriter::Options options;
  options.head_key = &alliance_.operator_key;
  std::promise<GroupWriter::Outcome> refused;
  {
    GroupWriter writer(ledger_.get(), options, &metrics_, &clock_);
    EXPECT_FALSE(writer.Published().signature.empty());
    SignedSubmission bad = SignSubmission(alliance_.admin, alliance_.ledger_id, "task", 1,
                                          {test::MustEncode(test::TaskJson("T-1", "P-404", kSecretariat))});
    ASSERT_TRUE(writer.Submit(std::move(bad), [&](GroupWriter::Outcome outcome) { refused.set_value(std::move(outcome)); }));
  }
  GroupWriter::Outcome outcome = refused.get_future().get();
  ASSERT_FALSE(outcome.receipt.has_value());
  EXPECT_EQ(outcome.receipt.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(outcome.failed_event_index, 0u);
  EXPECT_EQ(metrics_.fsyncs.load(), 0u);  // nothing written, nothing synced
}

}  // namespace
}  // namespace fundtrail::server
