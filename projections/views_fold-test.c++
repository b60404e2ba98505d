// The views commitment (docs/FORMAT.md, section 5): every submission that a writer with the views'
// fold appends commits the digest of the views after it; a replay folds the log and compares;
// readers take the stored views only when their digest is the commitment; `rebuild` mends them.
// The seed is printed on failure; FUNDTRAIL_TEST_SEED replays one.
#include "projections/views_fold.h"

#include <gtest/gtest.h>

#include "ledger/input_rules.h"
#include "ledger/submission.h"
#include "ledger/test_util.h"
#include "projections/projection_store.h"
#include "projections/random_ledger.h"

namespace fundtrail::projections {
namespace {

// A writer's ledger whose later submissions commit the views, like every fundtrail command's.
struct CommittingLedger {
  explicit CommittingLedger(uint64_t seed) {
    auto made = RandomLedger::Make(seed, temp);
    EXPECT_TRUE(made.has_value()) << made.error().message();
    random = std::move(*made);
    genesis_submissions = random->ledger().head().submission_count;
    Status attached = AttachViewsFold(random->ledger());
    EXPECT_TRUE(attached.ok()) << attached.message();
  }
  Status Grow(int batches) {
    for (int i = 0; i < batches; ++i) {
      FT_RETURN_IF_ERROR(random->AppendRandomBatch());
      FT_RETURN_IF_ERROR(CatchUp(random->ledger(), RulesSnapshot::kWhenLagging));
    }
    return Status::Ok();
  }
  Ledger& ledger() { return random->ledger(); }

  test::TempDir temp;
  std::unique_ptr<RandomLedger> random;
  uint64_t genesis_submissions = 0;  // appended before the fold was attached
};

// The first and last sequence of every submission, in order.
std::vector<std::pair<uint64_t, uint64_t>> SubmissionRanges(const Ledger& ledger) {
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  uint64_t first = 1;
  while (first <= ledger.head().sequence) {
    auto bytes = ledger.ReadSubmission(first);
    EXPECT_TRUE(bytes.has_value());
    auto decoded = DecodedSubmission::Open(*bytes, "submission");
    EXPECT_TRUE(decoded.has_value());
    const uint64_t last = first + decoded->root().getBody().getEventCount() - 1;
    ranges.emplace_back(first, last);
    first = last + 1;
  }
  return ranges;
}

class ViewsCommitmentProperties : public ::testing::TestWithParam<uint64_t> {};

TEST_P(ViewsCommitmentProperties, EverySubmissionCommitsWhatTheLogFoldsInto) {
  const uint64_t seed = SeedFromEnvironment(GetParam());
  SCOPED_TRACE("seed " + std::to_string(seed));
  CommittingLedger made(seed);
  ASSERT_TRUE(made.Grow(25).ok());
  Ledger& ledger = made.ledger();
  uint64_t committing = 0;
  for (const auto& [first, last] : SubmissionRanges(ledger)) {
    auto commitment = ledger.ViewsCommitmentAt(last);
    ASSERT_TRUE(commitment.has_value()) << commitment.error().message();
    auto bytes = ledger.ReadSubmission(first);
    auto decoded = DecodedSubmission::Open(*bytes, "submission");
    const uint16_t version = decoded->root().getValidationVersion();
    if (!commitment->has_value()) {
      EXPECT_EQ(version, kValidationVersionWithoutViews) << "submission at " << first;
      continue;
    }
    ++committing;
    // The views are committed from version 3 on; the writer appends at the current version.
    EXPECT_GE(version, kValidationVersionViews);
    EXPECT_EQ(version, kValidationVersionCurrent);
    EXPECT_EQ((*commitment)->submission_sequence, first);
    EXPECT_EQ((*commitment)->version, kViewsFoldVersion);
    auto rebuilt = Rebuild(ledger, last, RulesUse::kStateOnly);
    ASSERT_TRUE(rebuilt.has_value());
    EXPECT_EQ(HexEncode((*commitment)->digest), HexEncode(rebuilt->views.CommittedDigest())) << "at " << last;
    // Only a submission's last event has a commitment.
    if (first < last) {
      auto inside = ledger.ViewsCommitmentAt(last - 1);
      ASSERT_TRUE(inside.has_value());
      EXPECT_FALSE(inside->has_value());
    }
  }
  EXPECT_EQ(committing, ledger.head().submission_count - made.genesis_submissions);
  EXPECT_GT(committing, 10u);

  ViewsFold replayed;
  uint64_t checked = 0;
  Status verified = ledger.Verify(nullptr, nullptr, &replayed, &checked);
  ASSERT_TRUE(verified.ok()) << verified.message();
  EXPECT_EQ(checked, committing);
  EXPECT_EQ(HexEncode(replayed.views().StateDigest()), HexEncode(Rebuild(ledger, ledger.head().sequence)->views.StateDigest()));

  // The stored views are proven by the last commitment, and readers take them.
  auto stored = ReadStoredViews(ledger, ledger.head().sequence);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->check, ViewsCheck::kProven);
}

INSTANTIATE_TEST_SUITE_P(Seeds, ViewsCommitmentProperties, ::testing::Values(1, 2, 20261207));

TEST(ViewsCommitment, ChangedStoredViewsStopReadersUntilRebuilt) {
  CommittingLedger made(11);
  ASSERT_TRUE(made.Grow(12).ok());
  Ledger& ledger = made.ledger();
  const uint64_t head = ledger.head().sequence;
  auto truth = LoadViews(ledger, head);
  ASSERT_TRUE(truth.has_value()) << truth.error().message();
  const std::string honest = truth->ToJson().dump();

  // A figure changed, the checkpoint left as it was: what someone with database access would do.
  nlohmann::json forged = truth->ToJson();
  forged["grants"]["G-1"]["received"] = forged["grants"]["G-1"]["received"].get<int64_t>() + 1000000;
  ASSERT_TRUE(ledger.PutDerived("views", forged.dump()).ok());
  auto expect_refused = [](const Status& status) {
    EXPECT_EQ(status.code(), StatusCode::kCorruption);
    EXPECT_NE(status.message().find("column family \"projections\", key \"views\""), std::string::npos)
        << status.message();
    EXPECT_NE(status.message().find("fundtrail rebuild"), std::string::npos);
  };
  auto views_only = LoadViews(ledger, head);
  ASSERT_FALSE(views_only.has_value());
  expect_refused(views_only.error());
  auto both = Load(ledger, head);
  ASSERT_FALSE(both.has_value());
  expect_refused(both.error());
  // A writer that opens now refuses too: it would fold on top of them.
  EXPECT_EQ(AttachViewsFold(ledger).code(), StatusCode::kCorruption);
  auto check = ReadStoredViews(ledger, head);
  ASSERT_TRUE(check.has_value());
  EXPECT_EQ(check->check, ViewsCheck::kDiffered);

  ASSERT_TRUE(RebuildAndStore(ledger).has_value());
  auto mended = LoadViews(ledger, head);
  ASSERT_TRUE(mended.has_value()) << mended.error().message();
  EXPECT_EQ(mended->ToJson().dump(), honest);
}

// A writer that lies: honest views, but a digest with one bit flipped once the fold is beyond
// `lie_after`. The chain then covers the false commitment, and only a fold of the log finds it.
class LyingFold final : public CommittedFold {
 public:
  LyingFold(Projection views, uint64_t lie_after) : honest_(std::move(views)), lie_after_(lie_after) {}
  uint16_t version() const override { return honest_.version(); }
  void Begin() override { honest_.Begin(); }
  Status Apply(uint64_t sequence, schema::Event::Reader event, EventLookup* lookup) override {
    return honest_.Apply(sequence, event, lookup);
  }
  Digest StateDigest() override {
    Digest digest = honest_.StateDigest();
    if (honest_.views().checkpoint().sequence > lie_after_) digest[31] ^= 0x80;
    return digest;
  }
  void Commit(uint64_t sequence, const Digest& chain_hash) override { honest_.Commit(sequence, chain_hash); }
  void Rollback() override { honest_.Rollback(); }

 private:
  ViewsFold honest_;
  uint64_t lie_after_;
};

TEST(ViewsCommitment, AReplayRefusesACommitmentTheLogDoesNotFoldInto) {
  CommittingLedger made(12);
  ASSERT_TRUE(made.Grow(10).ok());
  Ledger& ledger = made.ledger();
  const uint64_t honest_until = ledger.head().sequence;
  auto views = LoadViews(ledger, honest_until);
  ASSERT_TRUE(views.has_value());
  ledger.SetViewsFold(std::make_unique<LyingFold>(std::move(*views), honest_until));
  ASSERT_TRUE(made.random->AppendRandomBatch().ok());
  const uint64_t lied_at = honest_until + 1;

  ViewsFold replayed;
  Status verified = ledger.Verify(nullptr, nullptr, &replayed, nullptr);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.code(), StatusCode::kCorruption);
  EXPECT_NE(verified.message().find("submission at sequence " + std::to_string(lied_at) + ": it commits the views digest"),
            std::string::npos)
      << verified.message();
  // Without the fold, the replay checks the log alone, which is intact.
  EXPECT_TRUE(ledger.Verify(nullptr).ok());
}

TEST(ViewsCommitment, AWriterWithoutTheFoldMayNotAppendToALedgerThatCommits) {
  CommittingLedger made(13);
  ASSERT_TRUE(made.Grow(3).ok());
  made.random->Close();
  ASSERT_TRUE(made.random->Reopen().ok());  // Ledger::Open alone: no fold
  const uint64_t head = made.ledger().head().sequence;
  Status refused = made.random->AppendRandomBatch();
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("commits its views in every submission"), std::string::npos) << refused.message();
  EXPECT_EQ(made.ledger().head().sequence, head);
  ASSERT_TRUE(AttachViewsFold(made.ledger()).ok());
  EXPECT_TRUE(made.random->AppendRandomBatch().ok());
}

// The fold refuses what would make a figure overflow, and Append then appends nothing.
TEST(ViewsCommitment, AnEventThatWouldOverflowAFigureIsRefused) {
  CommittingLedger made(14);
  Ledger& ledger = made.ledger();
  auto views = LoadViews(ledger, ledger.head().sequence);
  ASSERT_TRUE(views.has_value());
  nlohmann::json near_the_limit = views->ToJson();
  near_the_limit["grants"]["G-1"]["received"] = INT64_MAX - 5;
  auto edge = Projection::FromJson(near_the_limit);
  ASSERT_TRUE(edge.has_value());
  ledger.SetViewsFold(std::make_unique<ViewsFold>(std::move(*edge)));
  const uint64_t head = ledger.head().sequence;
  Status refused = made.random->Append(made.random->alliance().funder, {test::FundsReceivedJson("G-1", "1.00 CNY")});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ledger.head().sequence, head);
  // The fold is as it was: the refused event left nothing behind.
  const auto* fold = dynamic_cast<const ViewsFold*>(ledger.views_fold());
  ASSERT_NE(fold, nullptr);
  EXPECT_EQ(fold->views().grants().at("G-1").received, INT64_MAX - 5);
}

}  // namespace
}  // namespace fundtrail::projections
