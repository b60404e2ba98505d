// Seeded property tests of the projections: incremental equals rebuilt, crash plus catch-up
// equals no crash, debits equal credits per currency after every event, views as of N equal the
// views of a ledger holding only the first N events, a slow reference grants view agrees, and a
// grant's history (its own light fold, read in parts) equals the projection's fold of its events.
// The seed is printed on failure; FUNDTRAIL_TEST_SEED replays one.
#include <gtest/gtest.h>

#include <random>

#include "ledger/client.h"
#include "ledger/json_codec.h"
#include "ledger/money.h"
#include "ledger/test_util.h"
#include "projections/projection_store.h"
#include "projections/random_ledger.h"
#include "projections/views.h"

namespace fundtrail::projections {
namespace {

// The slow reference: grant totals by a direct scan, reversals by looking the target up in a
// map of everything seen so far.
std::map<std::string, std::map<std::string, int64_t>> ReferenceGrantTotals(const Ledger& ledger) {
  std::map<uint64_t, std::pair<std::string, json>> seen;  // sequence -> (type, event json)
  std::map<std::string, std::map<std::string, int64_t>> totals;
  auto amount = [](const json& event, const char* field) {
    return ParseMoney(event[field].get<std::string>())->minor_units;
  };
  auto apply = [&](const std::string& type, const json& event, int sign) {
    if (type == "grant_awarded") totals[event["grant_id"]]["awarded"] += sign * amount(event, "amount");
    if (type == "funds_received") totals[event["grant_id"]]["received"] += sign * amount(event, "amount");
    if (type == "funds_disbursed") totals[event["grant_id"]]["disbursed"] += sign * amount(event, "amount");
    if (type == "expenditure_recorded") totals[event["grant_id"]]["spent"] += sign * amount(event, "amount");
    if (type == "refund_recorded") totals[event["grant_id"]]["refunded"] += sign * amount(event, "amount");
  };
  EXPECT_TRUE(ledger.ScanEntries(1, UINT64_MAX, [&](const StoredEntry& entry) {
    auto view = DecodeEntry(entry.record);
    auto event = DecodedEvent::Open(view->canonical_event, "event");
    json object = json::parse(EncodeEventJson(event->root()).dump());
    std::string type = object["type"];
    if (type == "reversal") {
      const auto& [target_type, target] = seen.at(object["target_sequence"].get<uint64_t>());
      apply(target_type, target, -1);
    } else {
      apply(type, object, +1);
    }
    seen[entry.sequence] = {type, object};
    return true;
  }).ok());
  return totals;
}

// The slow reference of a grant's history, the way histories were computed before: every event
// of the grant's subject index folded through the whole projection, one read each. Per event:
// sequence, type, then received, disbursed, spent and available (plain) and the chain hash.
std::vector<std::vector<std::string>> ReferenceGrantHistory(const Ledger& ledger, const std::string& grant_id,
                                                            uint64_t to) {
  Projection projection;
  auto lookup = ledger.NewLookup();
  std::vector<std::vector<std::string>> rows;
  EXPECT_TRUE(ledger.ScanSubject(Subject{SubjectKind::kGrant, grant_id}, 1, to, [&](uint64_t sequence) {
    auto entry = ledger.ReadEntry(sequence);
    auto view = DecodeEntry(entry->record);
    auto event = DecodedEvent::Open(view->canonical_event, "event");
    EXPECT_TRUE(projection.Apply(sequence, view->chain_hash, event->root(), lookup.get()).ok());
    auto found = projection.grants().find(grant_id);
    GrantFigures grant = found == projection.grants().end() ? GrantFigures{} : found->second;
    std::string c = grant.currency.empty() ? "CNY" : grant.currency;
    rows.push_back({std::to_string(sequence), EventTypeName(event->root()), FormatMoneyPlain({grant.received, c}),
                    FormatMoneyPlain({grant.disbursed, c}), FormatMoneyPlain({grant.spent, c}),
                    FormatMoneyPlain({grant.available(), c}), HexEncode(view->chain_hash)});
    return true;
  }).ok());
  return rows;
}

// GrantHistory in every form against the reference, as of `to`.
void ExpectGrantHistoryAsTheReference(const Ledger& ledger, const std::string& grant_id, uint64_t to) {
  SCOPED_TRACE(grant_id + " as of " + std::to_string(to));
  auto reference = ReferenceGrantHistory(ledger, grant_id, to);
  auto csv = GrantHistory(ledger, grant_id, to, HistoryForm::kCsv);
  auto table = GrantHistory(ledger, grant_id, to, HistoryForm::kTable);
  auto json_rows = GrantHistory(ledger, grant_id, to, HistoryForm::kJson);
  ASSERT_TRUE(csv.has_value() && table.has_value() && json_rows.has_value());
  ASSERT_EQ(csv->csv_rows.size(), reference.size());
  ASSERT_EQ(table->rows.size(), reference.size());
  ASSERT_EQ(json_rows->json.size(), reference.size());
  EXPECT_TRUE(csv->rows.empty() && csv->json.empty()) << "only the form asked for is built";
  for (size_t i = 0; i < reference.size(); ++i) {
    const auto& want = reference[i];
    const auto& row = csv->csv_rows[i];
    ASSERT_EQ(row.size(), 10u);  // ... hash, reversed_by
    EXPECT_EQ(row[0], want[0]);
    EXPECT_EQ(row[1], want[1]) << "sequence " << want[0];
    EXPECT_EQ((std::vector<std::string>{row[4], row[5], row[6], row[7], row[8]}),
              (std::vector<std::string>{want[2], want[3], want[4], want[5], want[6]}))
        << "sequence " << want[0];
    EXPECT_EQ(table->rows[i][0], want[0]);
    EXPECT_EQ(table->rows[i][8], want[6].substr(0, 16));
    const auto& object = json_rows->json[i];
    EXPECT_EQ(object["sequence"].get<uint64_t>(), std::stoull(want[0]));
    EXPECT_EQ(object["amount"], row[3]);
    EXPECT_EQ(object["spent"], want[4]);
    EXPECT_EQ(object["hash"], want[6]);
    // The reversal that undoes the row, in every form alike.
    EXPECT_EQ(object["reversed"].get<bool>(), !row[9].empty()) << "sequence " << want[0];
    EXPECT_EQ(object.contains("reversed_by") ? std::to_string(object["reversed_by"].get<uint64_t>()) : "", row[9]);
    EXPECT_EQ(table->rows[i][9], row[9]);
  }
}

class ProjectionProperties : public ::testing::TestWithParam<uint64_t> {};

TEST_P(ProjectionProperties, GrantHistoryFoldsAsTheProjection) {
  uint64_t seed = SeedFromEnvironment(GetParam());
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with FUNDTRAIL_TEST_SEED=" + std::to_string(seed) + ")");
  test::TempDir temp;
  auto made = RandomLedger::Make(seed, temp);
  ASSERT_TRUE(made.has_value()) << made.error().message();
  RandomLedger& random = **made;
  for (int batch = 0; batch < 40; ++batch) ASSERT_TRUE(random.AppendRandomBatch().ok());
  const uint64_t head = random.ledger().head().sequence;
  std::mt19937_64 pick(seed);
  for (const char* grant : {"G-1", "G-2"}) {
    ExpectGrantHistoryAsTheReference(random.ledger(), grant, head);
    ExpectGrantHistoryAsTheReference(random.ledger(), grant, 1 + pick() % head);
  }
}

TEST(GrantHistory, ALongHistoryReadInPartsFoldsAsTheProjection) {
  // Thousands of events on one grant, so that the history is read and formatted in parts on
  // several threads (where the machine has the cores), with reversals and refunds among them.
  const uint64_t seed = SeedFromEnvironment(7);
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with FUNDTRAIL_TEST_SEED=" + std::to_string(seed) + ")");
  test::TempDir temp;
  auto made = RandomLedger::Make(seed, temp);
  ASSERT_TRUE(made.has_value()) << made.error().message();
  RandomLedger& random = **made;
  int invoice = 0;
  for (int round = 0; round < 6; ++round) {
    std::vector<json> expenditures;
    for (int i = 0; i < 500; ++i) {
      json event = test::ExpenditureJson("G-1", test::kUniversity, "V-1", test::Cny(1000 + i));
      event["invoice_number"] = "BULK-" + std::to_string(invoice++);
      expenditures.push_back(event);
    }
    ASSERT_TRUE(random.Append(random.alliance().finance_uni, expenditures).ok());
    for (int batch = 0; batch < 5; ++batch) ASSERT_TRUE(random.AppendRandomBatch().ok());
  }
  const uint64_t head = random.ledger().head().sequence;
  ExpectGrantHistoryAsTheReference(random.ledger(), "G-1", head);
  ExpectGrantHistoryAsTheReference(random.ledger(), "G-1", head / 2);
}

TEST_P(ProjectionProperties, IncrementalRebuiltAndReferenceAgree) {
  uint64_t seed = SeedFromEnvironment(GetParam());
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with FUNDTRAIL_TEST_SEED=" + std::to_string(seed) + ")");
  test::TempDir temp;
  auto made = RandomLedger::Make(seed, temp);
  ASSERT_TRUE(made.has_value()) << made.error().message();
  RandomLedger& random = **made;
  std::mt19937_64 crash(seed ^ 0x5eed);
  for (int batch = 0; batch < 60; ++batch) {
    Status appended = random.AppendRandomBatch();
    ASSERT_TRUE(appended.ok()) << appended.message();
    // Sometimes "crash" between the append and the projection update: the snapshot then lags
    // and must be caught up later with the same result.
    if (crash() % 3 != 0) {
      ASSERT_TRUE(CatchUp(random.ledger()).ok());
    }
    if (crash() % 17 == 0) {
      random.Close();
      ASSERT_TRUE(random.Reopen().ok());
    }
  }
  Ledger& ledger = random.ledger();
  uint64_t head = ledger.head().sequence;

  auto incremental = Load(ledger, head);
  ASSERT_TRUE(incremental.has_value()) << incremental.error().message();
  auto rebuilt = Rebuild(ledger, head);
  ASSERT_TRUE(rebuilt.has_value()) << rebuilt.error().message();
  EXPECT_EQ(HexEncode(incremental->StateDigest()), HexEncode(rebuilt->StateDigest()));
  ASSERT_TRUE(CatchUp(ledger).ok());
  auto caught_up = Load(ledger, head);
  EXPECT_EQ(HexEncode(caught_up->StateDigest()), HexEncode(rebuilt->StateDigest()));
  // The flags themselves, incremental (with simulated crashes) against rebuilt.
  auto flags = [](const Projections& p) {
    std::string all;
    for (const auto& flag : p.rules.Flags(20785)) all += FlagToJson(flag).dump() + "\n";
    return all;
  };
  EXPECT_EQ(flags(*incremental), flags(*rebuilt));

  // Debits equal credits per currency after every single event.
  Projection folding;  // the views' fold alone, checked after every event
  auto lookup = ledger.NewLookup();
  ASSERT_TRUE(ledger.ScanEntries(1, head, [&](const StoredEntry& entry) {
    auto view = DecodeEntry(entry.record);
    auto event = DecodedEvent::Open(view->canonical_event, "event");
    EXPECT_TRUE(folding.Apply(entry.sequence, view->chain_hash, event->root(), lookup.get()).ok());
    for (const auto& [currency, sum] : folding.TrialBalance()) {
      EXPECT_EQ(sum, 0) << "currency " << currency << " after sequence " << entry.sequence;
    }
    return true;
  }).ok());

  // The slow reference agrees with the projection's grant figures.
  auto reference = ReferenceGrantTotals(ledger);
  for (const auto& [id, grant] : rebuilt->views.grants()) {
    EXPECT_EQ(grant.awarded, reference[id]["awarded"]) << id;
    EXPECT_EQ(grant.received, reference[id]["received"]) << id;
    EXPECT_EQ(grant.disbursed, reference[id]["disbursed"]) << id;
    EXPECT_EQ(grant.spent, reference[id]["spent"]) << id;
    EXPECT_EQ(grant.refunded, reference[id]["refunded"]) << id;
  }
  EXPECT_EQ(rebuilt->views.grants().size(), 2u);
}

TEST_P(ProjectionProperties, AsOfEqualsALedgerOfTheFirstEvents) {
  uint64_t seed = SeedFromEnvironment(GetParam());
  SCOPED_TRACE("seed " + std::to_string(seed));
  test::TempDir temp;
  auto made = RandomLedger::Make(seed, temp);
  ASSERT_TRUE(made.has_value()) << made.error().message();
  RandomLedger& random = **made;
  for (int batch = 0; batch < 30; ++batch) ASSERT_TRUE(random.AppendRandomBatch().ok());
  ASSERT_TRUE(CatchUp(random.ledger()).ok());

  // A second ledger holding only the first k submissions, byte for byte the same.
  std::mt19937_64 pick(seed);
  size_t k = 2 + pick() % (random.submissions().size() - 2);
  test::TempDir other;
  test::FixedClock clock;
  auto copy = Ledger::Create(other.File("ledger"), random.submissions()[0], &clock);
  ASSERT_TRUE(copy.has_value()) << copy.error().message();
  for (size_t i = 1; i < k; ++i) {
    size_t failed = 0;
    ASSERT_TRUE((*copy)->Append(random.submissions()[i], &failed).has_value());
  }
  uint64_t n = (*copy)->head().sequence;
  auto as_of = Load(random.ledger(), n);
  auto whole = Load(**copy, n);
  ASSERT_TRUE(as_of.has_value() && whole.has_value());
  EXPECT_EQ(GrantsView(as_of->views).json.dump(), GrantsView(whole->views).json.dump());
  EXPECT_EQ(MembersView(as_of->views).json.dump(), MembersView(whole->views).json.dump());
  EXPECT_EQ(OutcomesView(as_of->views).json.dump(), OutcomesView(whole->views).json.dump());
  EXPECT_EQ(as_of->views.accounts(), whole->views.accounts());
  // The misuse flags as of N equal those of the ledger of the first N events too.
  // (Chain hashes differ between the two ledgers, which appended at other times, so the
  // evidence is compared by sequence number.)
  int32_t today = 20785;  // 2026-11-28
  auto flags = [&](const Projections& p) {
    std::string all;
    for (auto flag : p.rules.Flags(today)) {
      for (auto& evidence : flag.evidence) evidence.chain_hash = Digest{};
      for (auto& review : flag.reviews) review.chain_hash = Digest{};
      all += FlagToJson(flag).dump() + "\n";
    }
    return all;
  };
  EXPECT_EQ(flags(*as_of), flags(*whole));
}

INSTANTIATE_TEST_SUITE_P(Seeds, ProjectionProperties, ::testing::Values(1, 2, 3, 20261128));

TEST(ProjectionStore, ASnapshotOfAnotherHistoryIsRebuiltNotTrusted) {
  test::TempDir temp;
  auto made = RandomLedger::Make(7, temp);
  ASSERT_TRUE(made.has_value());
  Ledger& ledger = (*made)->ledger();
  for (int batch = 0; batch < 10; ++batch) ASSERT_TRUE((*made)->AppendRandomBatch().ok());
  const uint64_t head = ledger.head().sequence;
  auto truth = Rebuild(ledger, head);
  ASSERT_TRUE(truth.has_value());
  ASSERT_TRUE(CatchUp(ledger).ok());
  auto expect_truth = [&] {
    auto loaded = Load(ledger, head);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
    EXPECT_EQ(HexEncode(loaded->StateDigest()), HexEncode(truth->StateDigest()));
    auto views = LoadViews(ledger, head);
    ASSERT_TRUE(views.has_value()) << views.error().message();
    EXPECT_EQ(HexEncode(views->StateDigest()), HexEncode(truth->views.StateDigest()));
  };
  expect_truth();
  // Snapshots whose checkpoint hash disagrees with the log (written by a buggy or hostile tool).
  nlohmann::json views = truth->views.ToJson();
  views["grants"]["G-1"]["spent"] = 1;
  views["checkpoint"]["chain_hash"] = std::string(64, '0');
  ASSERT_TRUE(ledger.PutDerived("views", views.dump()).ok());
  expect_truth();
  auto stored_rules = ledger.GetDerived("rules");
  ASSERT_TRUE(stored_rules.has_value() && stored_rules->has_value());
  nlohmann::json rules = nlohmann::json::parse(**stored_rules);
  EXPECT_EQ(rules["sequence"].get<uint64_t>(), head);
  rules["chain_hash"] = std::string(64, '0');
  ASSERT_TRUE(ledger.PutDerived("rules", rules.dump()).ok());
  expect_truth();
  // Garbage is rebuilt too.
  ASSERT_TRUE(ledger.PutDerived("views", "not json").ok());
  ASSERT_TRUE(ledger.PutDerived("rules", "not json").ok());
  expect_truth();
  // The single snapshot of earlier versions is not read, and a writer removes it.
  ASSERT_TRUE(ledger.PutDerived("snapshot", truth->ToJson().dump()).ok());
  ASSERT_TRUE(CatchUp(ledger).ok());
  EXPECT_FALSE(ledger.GetDerived("snapshot")->has_value());
  expect_truth();
}

// The CLI lets the rules' snapshot lag (an append then costs its events, not a rewrite of the
// rules' state); readers fold the lag, and the writer rewrites the snapshot once the lag reaches
// 10,000 events.
TEST(ProjectionStore, TheRulesSnapshotMayLagAndReadersFoldTheLag) {
  test::TempDir temp;
  auto made = RandomLedger::Make(8, temp);
  ASSERT_TRUE(made.has_value());
  RandomLedger& random = **made;
  Ledger& ledger = random.ledger();
  auto rules_at = [&]() -> uint64_t {
    auto stored = ledger.GetDerived("rules");
    if (!stored.has_value() || !stored->has_value()) return 0;
    return nlohmann::json::parse(**stored)["sequence"].get<uint64_t>();
  };
  auto expect_as_rebuilt = [&] {
    const uint64_t head = ledger.head().sequence;
    auto loaded = Load(ledger, head);
    auto rebuilt = Rebuild(ledger, head);
    ASSERT_TRUE(loaded.has_value() && rebuilt.has_value());
    EXPECT_EQ(HexEncode(loaded->StateDigest()), HexEncode(rebuilt->StateDigest()));
  };
  for (int batch = 0; batch < 20; ++batch) {
    ASSERT_TRUE(random.AppendRandomBatch().ok());
    ASSERT_TRUE(CatchUp(ledger, RulesSnapshot::kWhenLagging).ok());
  }
  // Written by the first catch-up (there was none), then left alone while the lag is short.
  EXPECT_GT(rules_at(), 0u);
  EXPECT_LT(rules_at(), ledger.head().sequence) << "a short lag leaves the rules' snapshot alone";
  auto views = LoadViews(ledger, ledger.head().sequence);
  ASSERT_TRUE(views.has_value());
  EXPECT_EQ(nlohmann::json::parse(**ledger.GetDerived("views"))["checkpoint"]["sequence"].get<uint64_t>(),
            ledger.head().sequence)
      << "the views' snapshot is kept at the head";
  expect_as_rebuilt();
  int invoice = 0;
  while (ledger.head().sequence < 10'500) {
    std::vector<json> expenditures;
    for (int i = 0; i < 1000; ++i) {
      json event = test::ExpenditureJson("G-1", test::kUniversity, "V-1", test::Cny(1000 + i));
      event["invoice_number"] = "LAG-" + std::to_string(invoice++);
      expenditures.push_back(event);
    }
    ASSERT_TRUE(random.Append(random.alliance().finance_uni, expenditures).ok());
    ASSERT_TRUE(CatchUp(ledger, RulesSnapshot::kWhenLagging).ok());
  }
  EXPECT_GE(rules_at(), 10'000u) << "the writer rewrote the rules' snapshot once the lag reached 10,000";
  ASSERT_TRUE(random.AppendRandomBatch().ok());
  ASSERT_TRUE(CatchUp(ledger, RulesSnapshot::kWhenLagging).ok());
  EXPECT_LT(rules_at(), ledger.head().sequence);
  expect_as_rebuilt();
  ASSERT_TRUE(CatchUp(ledger).ok());
  EXPECT_EQ(rules_at(), ledger.head().sequence);
  expect_as_rebuilt();
  // Where the rules' snapshot is, as recorded beside it, is checked against the log: a record
  // off the log makes the writer rewrite the snapshot at once.
  ASSERT_TRUE(random.AppendRandomBatch().ok());
  std::string off_the_log = SequenceKey(ledger.head().sequence - 1) + std::string(32, '\x01');
  ASSERT_TRUE(ledger.PutDerived("rules-at", off_the_log).ok());
  ASSERT_TRUE(CatchUp(ledger, RulesSnapshot::kWhenLagging).ok());
  EXPECT_EQ(rules_at(), ledger.head().sequence);
  expect_as_rebuilt();
}

TEST(Article8, ChecklistFollowsTheAlliance) {
  test::TempDir temp;
  auto made = RandomLedger::Make(9, temp);
  ASSERT_TRUE(made.has_value());
  auto projection = Rebuild((*made)->ledger(), (*made)->ledger().head().sequence);
  ASSERT_TRUE(projection.has_value());
  auto items = Article8Checklist(projection->views);
  ASSERT_EQ(items.size(), 6u);
  EXPECT_TRUE(items[0].met) << items[0].detail;   // an enterprise and a university are members
  EXPECT_FALSE(items[1].met) << items[1].detail;  // no agreement registered
  EXPECT_FALSE(items[2].met) << items[2].detail;  // no governance bodies
  EXPECT_TRUE(items[3].met) << items[3].detail;   // fund manager and auditor keys
}


// A grant_terminated (validation version 4) appears in the views, and so in the committed J, only
// once a grant is terminated: the views digest of every log without one is unchanged.
TEST(ProjectionTerminations, InTheViewsOnlyOnceAGrantIsTerminated) {
  Projection projection;
  uint64_t sequence = 0;
  auto apply = [&](const json& event) {
    std::string canonical = test::MustEncode(event);
    auto decoded = DecodedEvent::Open(canonical, "event");
    ASSERT_TRUE(decoded.has_value());
    ASSERT_TRUE(projection.Apply(++sequence, Digest{}, decoded->root(), nullptr).ok());
  };
  apply(test::GrantJson("G-1", "FUNDER", "P-1", 100000000));
  apply(test::FundsReceivedJson("G-1", "1000.00 CNY"));
  const std::string before = projection.CommittedJson();
  EXPECT_EQ(before.find("terminations"), std::string::npos) << before;
  apply({{"type", "grant_terminated"}, {"grant_id", "G-1"}, {"date", "2025-06-30"}, {"reason", "终止"}});
  ASSERT_EQ(projection.terminations().size(), 1u);
  EXPECT_EQ(projection.terminations().at("G-1").sequence, 3u);
  EXPECT_EQ(projection.terminations().at("G-1").reason, "终止");
  // It moves no money: the rest of J is as before.
  json after = json::parse(projection.CommittedJson());
  EXPECT_EQ(after["terminations"]["G-1"]["date"], "2025-06-30");
  after.erase("terminations");
  EXPECT_EQ(after.dump(), json::parse(before).dump());
  auto restored = Projection::FromJson(projection.ToJson());
  ASSERT_TRUE(restored.has_value());
  EXPECT_EQ(restored->CommittedDigest(), projection.CommittedDigest());
  // The grants view says so.
  ViewData view = GrantsView(projection);
  ASSERT_EQ(view.json.size(), 1u);
  EXPECT_EQ(view.json[0]["terminated"]["date"], "2025-06-30");
  EXPECT_NE(view.sections[0].title.find("terminated on 2025-06-30: 终止"), std::string::npos);
}

}  // namespace
}  // namespace fundtrail::projections
