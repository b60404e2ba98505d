// Shared by the power-loss and full-disk tests: a ledger of the test alliance (a project, a task,
// a vendor and a grant), reopened through a fault-injecting file system
// (ledger/fault_file_system.h), and a stream of valid submissions to append to it.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ledger/fault_file_system.h"
#include "ledger/store.h"
#include "ledger/submission.h"
#include "ledger/test_util.h"

namespace fundtrail::testing {

inline uint64_t SeedFromEnvironment(uint64_t fallback) {
  const char* text = std::getenv("FUNDTRAIL_TEST_SEED");
  return text && *text ? std::strtoull(text, nullptr, 10) : fallback;
}

class DiskFixture {
 public:
  DiskFixture() : alliance_(temp_.path()) {}

  // Creates the ledger on the real disk and closes it.
  void Create() {
    auto created = Ledger::Create(directory(), alliance_.GenesisSubmission(clock_.NowMicros()), &clock_);
    ASSERT_TRUE(created.has_value()) << created.error().message();
    std::unique_ptr<Ledger> ledger = std::move(*created);
    for (const SignedSubmission& setup : SetupSubmissions()) {
      size_t failed = 0;
      auto receipt = ledger->Append(setup, &failed);
      ASSERT_TRUE(receipt.has_value()) << receipt.error().message();
    }
  }

  // Opens the ledger through the fault-injecting file system.
  Result<std::unique_ptr<Ledger>> Open(Ledger::Access access = Ledger::Access::kReadWrite,
                                       Ledger::StateCheck check = Ledger::StateCheck::kCheck) {
    return Ledger::Open(directory(), access, &clock_, check, env_.get());
  }

  // The `index`-th submission of a stream that a ledger accepts in any order and with any of
  // them missing: money paid in, paid out and spent on grant G-1, by three keys, 1 to 5 events.
  // Ids are unique, so a retry of one is recognised.
  SignedSubmission Next(uint64_t index) {
    const int events = 1 + static_cast<int>(index % 5);
    const PrivateKey* key = nullptr;
    std::vector<std::string> canonical;
    for (int i = 0; i < events; ++i) {
      const std::string amount = test::Cny(100 + static_cast<int64_t>(index) * 7 + i);
      test::json event;
      switch (index % 3) {
        case 0:
          key = &alliance_.funder;
          event = test::FundsReceivedJson("G-1", amount);
          break;
        case 1:
          key = &alliance_.fund_manager;
          event = test::FundsDisbursedJson("G-1", test::kUniversity, amount);
          break;
        default:
          key = &alliance_.finance_uni;
          event = test::ExpenditureJson("G-1", test::kUniversity, "V-1", amount);
          event["invoice_number"] = "INV-" + std::to_string(index) + "-" + std::to_string(i);
          break;
      }
      canonical.push_back(test::MustEncode(event));
    }
    return SignSubmission(*key, alliance_.ledger_id, "stream-" + std::to_string(index),
                          clock_.NowMicros(), std::move(canonical));
  }

  std::string directory() const { return temp_.File("ledger"); }
  FaultFileSystem& file_system() { return *file_system_; }
  const test::TestAlliance& alliance() const { return alliance_; }
  Clock* clock() { return &clock_; }

 private:
  std::vector<SignedSubmission> SetupSubmissions() {
    std::vector<std::string> admin = {
        test::MustEncode(test::ProjectJson("P-1")),
        test::MustEncode(test::TaskJson("T-1", "P-1", test::kUniversity)),
        test::MustEncode(test::VendorJson("V-1"))};
    std::vector<std::string> grant = {
        test::MustEncode(test::GrantJson("G-1", test::kFunder, "P-1"))};
    return {
        SignSubmission(alliance_.admin, alliance_.ledger_id, "setup-1", clock_.NowMicros(), admin),
        SignSubmission(alliance_.funder, alliance_.ledger_id, "setup-2", clock_.NowMicros(),
                       grant)};
  }

  test::TempDir temp_;
  test::TestAlliance alliance_;
  test::FixedClock clock_;
  std::shared_ptr<FaultFileSystem> file_system_ = std::make_shared<FaultFileSystem>();
  std::unique_ptr<rocksdb::Env> env_ = FaultFileSystem::NewEnv(file_system_);
};

}  // namespace fundtrail::testing
