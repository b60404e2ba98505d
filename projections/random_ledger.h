// Test support: seeded random ledgers of the test alliance for the projections' property tests.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <random>

#include "ledger/client.h"
#include "ledger/test_util.h"

namespace fundtrail::projections {

using test::json;

inline uint64_t SeedFromEnvironment(uint64_t fallback) {
  const char* text = std::getenv("FUNDTRAIL_TEST_SEED");
  return text && *text ? std::strtoull(text, nullptr, 10) : fallback;
}

// A ledger of the test alliance with a project, tasks, vendors and two grants, plus a random
// stream of money events appended in random batches.
class RandomLedger {
 public:
  RandomLedger(uint64_t seed, const std::string& directory)
      : random_(seed), alliance_(directory + "/keys") {}

  static Result<std::unique_ptr<RandomLedger>> Make(uint64_t seed, const test::TempDir& temp) {
    std::filesystem::create_directories(temp.File("keys"));
    auto made = std::make_unique<RandomLedger>(seed, temp.path());
    made->directory_ = temp.File("ledger");
    SignedSubmission genesis = made->alliance_.GenesisSubmission(made->clock_.NowMicros());
    made->submissions_.push_back(genesis);
    auto ledger = Ledger::Create(made->directory_, genesis, &made->clock_);
    if (!ledger) return Error(ledger.error());
    made->ledger_ = std::move(*ledger);
    FT_RETURN_IF_ERROR(made->Append(made->alliance_.admin,
                                    {test::ProjectJson("P-1"), test::TaskJson("T-U", "P-1", test::kUniversity),
                                     test::TaskJson("T-E", "P-1", test::kEnterprise), test::VendorJson("V-1"),
                                     test::VendorJson("V-2")}));
    FT_RETURN_IF_ERROR(made->Append(made->alliance_.funder, {test::GrantJson("G-1", test::kFunder, "P-1")}));
    FT_RETURN_IF_ERROR(made->Append(made->alliance_.funder_other,
                                    {test::GrantJson("G-2", test::kFunderOther, "P-1", 50000000)}));
    return made;
  }

  // Appends one random batch of money events; returns false if the batch was rejected (which a
  // random stream may cause, e.g. a refund of money never disbursed is still valid, so only
  // permission mistakes could; none are generated).
  Status AppendRandomBatch() {
    std::uniform_int_distribution<int> kind(0, 5);
    std::uniform_int_distribution<int> size(1, 12);
    std::uniform_int_distribution<int64_t> fen(1, 5000000);
    std::string grant = random_() % 2 ? "G-1" : "G-2";
    bool university = random_() % 2;
    std::string org = university ? test::kUniversity : test::kEnterprise;
    std::vector<json> events;
    const PrivateKey* key = nullptr;
    int batch = size(random_);
    switch (kind(random_)) {
      case 0:
        key = grant == "G-1" ? &alliance_.funder : &alliance_.funder_other;
        for (int i = 0; i < batch; ++i) events.push_back(test::FundsReceivedJson(grant, test::Cny(fen(random_))));
        break;
      case 1:
        key = &alliance_.fund_manager;
        for (int i = 0; i < batch; ++i) events.push_back(test::FundsDisbursedJson(grant, org, test::Cny(fen(random_))));
        break;
      case 2:
      case 3:
        key = university ? &alliance_.finance_uni : &alliance_.finance_ent;
        for (int i = 0; i < batch; ++i) {
          json event = test::ExpenditureJson(grant, org, random_() % 2 ? "V-1" : "V-2", test::Cny(fen(random_)));
          event["category"] = random_() % 3 == 0 ? "equipment" : random_() % 2 ? "materials" : "testing";
          event["invoice_number"] = "INV-" + std::to_string(invoice_++);
          events.push_back(event);
        }
        break;
      case 4:
        key = university ? &alliance_.finance_uni : &alliance_.finance_ent;
        events.push_back(test::RefundJson(grant, org, test::Cny(fen(random_) / 10 + 1)));
        break;
      case 5: {
        // Reverse a random earlier money event that is not reversed yet (the admin may).
        key = &alliance_.admin;
        if (reversible_.empty()) return Status::Ok();
        size_t index = random_() % reversible_.size();
        events.push_back(test::ReversalJson(reversible_[index]));
        reversible_.erase(reversible_.begin() + index);
        break;
      }
    }
    uint64_t first = ledger_->head().sequence + 1;
    FT_RETURN_IF_ERROR(Append(*key, events));
    if (events[0]["type"] != "reversal") {
      for (size_t i = 0; i < events.size(); ++i) reversible_.push_back(first + i);
    }
    return Status::Ok();
  }

  Status Append(const PrivateKey& key, const std::vector<json>& events) {
    std::vector<std::string> canonical;
    for (const auto& event : events) canonical.push_back(test::MustEncode(event));
    SignedSubmission submission = SignSubmission(key, alliance_.ledger_id, "s-" + std::to_string(submissions_.size()),
                                                 clock_.NowMicros(), canonical);
    size_t failed = 0;
    auto receipt = ledger_->Append(submission, &failed);
    if (!receipt) return receipt.error();
    submissions_.push_back(std::move(submission));
    return Status::Ok();
  }

  Ledger& ledger() { return *ledger_; }
  const test::TestAlliance& alliance() const { return alliance_; }
  const std::vector<SignedSubmission>& submissions() const { return submissions_; }
  test::FixedClock& clock() { return clock_; }
  const std::string& directory() const { return directory_; }
  void Close() { ledger_.reset(); }
  Status Reopen() {
    auto ledger = Ledger::Open(directory_, Ledger::Access::kReadWrite, &clock_);
    if (!ledger) return ledger.error();
    ledger_ = std::move(*ledger);
    return Status::Ok();
  }

 private:
  std::mt19937_64 random_;
  test::TestAlliance alliance_;
  test::FixedClock clock_;
  std::string directory_;
  std::unique_ptr<Ledger> ledger_;
  std::vector<SignedSubmission> submissions_;
  std::vector<uint64_t> reversible_;
  int invoice_ = 0;
};

}  // namespace fundtrail::projections
