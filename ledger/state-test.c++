#include "ledger/state.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace fundtrail {
namespace {

OrganisationRecord Organisation(const std::string& name, bool member = false) {
  OrganisationRecord record;
  record.name = name;
  record.kind = 1;
  record.sequence = 2;
  record.member = member;
  return record;
}

TEST(StateTest, RollbackRestoresOldValuesAndRemovesNewRows) {
  LedgerState state;
  state.organisations.Put("UNI", Organisation("大学"));
  state.vendors.Put("V-1", Presence{5});
  ASSERT_EQ(state.organisations.size(), 1u);

  state.Begin();
  state.organisations.Put("UNI", Organisation("大学", /*member=*/true));  // changed
  state.organisations.Put("ENT", Organisation("企业"));                   // new
  state.vendors.Put("V-2", Presence{9});                                   // new
  state.meta.Put("ledger", LedgerMeta{"00", "A", "11", 3});                // new
  ASSERT_TRUE(state.organisations.Find("UNI")->member);
  ASSERT_EQ(state.organisations.size(), 2u);
  state.Rollback();

  ASSERT_NE(state.organisations.Find("UNI"), nullptr);
  EXPECT_FALSE(state.organisations.Find("UNI")->member);
  EXPECT_EQ(state.organisations.Find("UNI")->name, "大学");
  EXPECT_FALSE(state.organisations.Contains("ENT"));
  EXPECT_EQ(state.organisations.size(), 1u);
  EXPECT_FALSE(state.vendors.Contains("V-2"));
  EXPECT_TRUE(state.vendors.Contains("V-1"));
  EXPECT_EQ(state.ledger(), nullptr);
}

TEST(StateTest, RollbackOfARowChangedTwiceReturnsToItsFirstValue) {
  LedgerState state;
  state.grants.Put("G-1", GrantRecord{"CNY", "F", "P", 0, 1, 2, 3});
  state.Begin();
  state.grants.Put("G-1", GrantRecord{"USD", "F", "P", 0, 1, 2, 3});
  state.grants.Put("G-1", GrantRecord{"EUR", "F", "P", 0, 1, 2, 3});
  state.tasks.Put("T-1", TaskRecord{"P", "A"});
  state.tasks.Put("T-1", TaskRecord{"P", "B"});
  state.Rollback();
  EXPECT_EQ(state.grants.Find("G-1")->currency, "CNY");
  EXPECT_FALSE(state.tasks.Contains("T-1"));
}

TEST(StateTest, CommitKeepsChangesAndEndsTheTransaction) {
  LedgerState state;
  state.Begin();
  state.vendors.Put("V-1", Presence{1});
  state.Commit();
  EXPECT_TRUE(state.vendors.Contains("V-1"));
  // A new transaction starts clean: rolling it back does not touch committed rows.
  state.Begin();
  EXPECT_TRUE(state.DirtyRows().empty());
  state.vendors.Put("V-2", Presence{2});
  state.Rollback();
  EXPECT_TRUE(state.vendors.Contains("V-1"));
  EXPECT_FALSE(state.vendors.Contains("V-2"));
}

TEST(StateTest, ChangesOutsideATransactionAreKept) {
  LedgerState state;
  state.findings.Put("F-1", Presence{4});
  state.Begin();
  state.Rollback();
  EXPECT_TRUE(state.findings.Contains("F-1"));
}

TEST(StateTest, DirtyRowsListsEachChangedRowOnceWithItsLatestValue) {
  LedgerState state;
  state.Begin();
  state.keys.Put("abcd", KeyRecord{"UNI", 16, "ff", 3, 0});
  state.keys.Put("abcd", KeyRecord{"UNI", 16, "ff", 3, 9});  // revoked in the same batch
  state.organisations.Put("UNI", Organisation("大学"));
  state.reversed.Put("12", Presence{13});
  state.keys.Put("abcd", KeyRecord{"UNI", 16, "ff", 3, 10});
  auto rows = state.DirtyRows();
  ASSERT_EQ(rows.size(), 3u);
  std::vector<std::string> keys;
  for (const auto& [key, value] : rows) {
    keys.push_back(key);
    ASSERT_TRUE(value.has_value()) << key;
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"key/abcd", "org/UNI", "reversed/12"}));
  auto key_row = nlohmann::json::parse(*rows[0].second);
  EXPECT_EQ(key_row["revoked_sequence"], 10);
  state.Commit();
}

TEST(StateTest, AnAbsentRowSerialisesAsNullopt) {
  // The writer deletes rows whose DirtyRows value is nullopt.
  LedgerState state;
  EXPECT_EQ(state.vendors.Serialise("missing"), std::nullopt);
  state.vendors.Put("present", Presence{1});
  EXPECT_EQ(state.vendors.Serialise("present"), std::optional<std::string>(R"({"sequence":1})"));
}

TEST(StateTest, LoadRowRoundTripsEveryTable) {
  LedgerState original;
  original.organisations.Put("UNI", OrganisationRecord{"华东理工大学", 1, 3, true, 19737, 0, true});
  original.keys.Put("00ff", KeyRecord{"UNI", 0x11, "abcdef", 7, 0});
  original.grants.Put("G-1", GrantRecord{"CNY", "MOST", "P-1", 2, 19783, 20512, 12});
  original.projects.Put("P-1", Presence{10});
  original.tasks.Put("T-1", TaskRecord{"P-1", "UNI"});
  original.vendors.Put("V-1", Presence{11});
  original.agreements.Put("A-1", AgreementRecord{{"UNI", "ENT"}});
  original.bodies.Put("B-1", Presence{4});
  original.outcomes.Put("O-1", OutcomeRecord{"G-1"});
  original.licences.Put("L-1", Presence{20});
  original.findings.Put("F-1", Presence{21});
  original.reversed.Put("15", Presence{22});
  original.meta.Put("ledger", LedgerMeta{"00112233", "ALLIANCE", "d75a", 4});

  // Every row, as the writer would persist it.
  original.Begin();
  original.organisations.Put("UNI", *original.organisations.Find("UNI"));
  original.keys.Put("00ff", *original.keys.Find("00ff"));
  original.grants.Put("G-1", *original.grants.Find("G-1"));
  original.projects.Put("P-1", *original.projects.Find("P-1"));
  original.tasks.Put("T-1", *original.tasks.Find("T-1"));
  original.vendors.Put("V-1", *original.vendors.Find("V-1"));
  original.agreements.Put("A-1", *original.agreements.Find("A-1"));
  original.bodies.Put("B-1", *original.bodies.Find("B-1"));
  original.outcomes.Put("O-1", *original.outcomes.Find("O-1"));
  original.licences.Put("L-1", *original.licences.Find("L-1"));
  original.findings.Put("F-1", *original.findings.Find("F-1"));
  original.reversed.Put("15", *original.reversed.Find("15"));
  original.meta.Put("ledger", *original.ledger());
  auto rows = original.DirtyRows();
  original.Commit();
  ASSERT_EQ(rows.size(), 13u);

  LedgerState loaded;
  for (const auto& [key, value] : rows) {
    ASSERT_TRUE(value.has_value());
    Status status = loaded.LoadRow(key, *value);
    ASSERT_TRUE(status.ok()) << key << ": " << status.message();
  }
  const OrganisationRecord* org = loaded.organisations.Find("UNI");
  ASSERT_NE(org, nullptr);
  EXPECT_EQ(org->name, "华东理工大学");
  EXPECT_TRUE(org->member && org->ever_admitted);
  EXPECT_EQ(org->admitted_days, 19737);
  EXPECT_EQ(loaded.keys.Find("00ff")->roles, 0x11u);
  EXPECT_EQ(loaded.keys.Find("00ff")->registered_sequence, 7u);
  EXPECT_EQ(loaded.grants.Find("G-1")->period_end_days, 20512);
  EXPECT_EQ(loaded.grants.Find("G-1")->funder_org_id, "MOST");
  EXPECT_EQ(loaded.tasks.Find("T-1")->org_id, "UNI");
  EXPECT_EQ(loaded.agreements.Find("A-1")->signed_org_ids, (std::set<std::string>{"ENT", "UNI"}));
  EXPECT_EQ(loaded.outcomes.Find("O-1")->grant_id, "G-1");
  EXPECT_EQ(loaded.reversed.Find("15")->sequence, 22u);
  ASSERT_NE(loaded.ledger(), nullptr);
  EXPECT_EQ(loaded.ledger()->policy_version, 4u);
  EXPECT_EQ(loaded.ledger()->alliance_id, "ALLIANCE");
  EXPECT_EQ(loaded.projects.Find("P-1")->sequence, 10u);
  EXPECT_EQ(loaded.vendors.Find("V-1")->sequence, 11u);
  EXPECT_EQ(loaded.bodies.Find("B-1")->sequence, 4u);
  EXPECT_EQ(loaded.licences.Find("L-1")->sequence, 20u);
  EXPECT_EQ(loaded.findings.Find("F-1")->sequence, 21u);
  // Every loaded row serialises to the bytes it was loaded from.
  for (const auto& [key, value] : rows) {
    size_t slash = key.find('/');
    std::string table = key.substr(0, slash);
    std::string id = key.substr(slash + 1);
    std::optional<std::string> again;
    for (const StateTableBase* candidate :
         std::initializer_list<const StateTableBase*>{
             &loaded.organisations, &loaded.keys, &loaded.grants, &loaded.projects, &loaded.tasks,
             &loaded.vendors, &loaded.agreements, &loaded.bodies, &loaded.outcomes, &loaded.licences,
             &loaded.findings, &loaded.reversed, &loaded.meta}) {
      if (candidate->name() == table) again = candidate->Serialise(id);
    }
    EXPECT_EQ(again, value) << key;
  }
  // Loading is not a change: it marks nothing dirty.
  loaded.Begin();
  EXPECT_TRUE(loaded.DirtyRows().empty());
  loaded.Commit();
}

TEST(StateTest, LoadRowRejectsBadRows) {
  LedgerState state;
  Status no_table = state.LoadRow("UNI", "{}");
  EXPECT_EQ(no_table.code(), StatusCode::kCorruption);
  EXPECT_EQ(no_table.message(), "state key \"UNI\" has no table");
  Status unknown = state.LoadRow("planet/earth", "{}");
  EXPECT_EQ(unknown.code(), StatusCode::kCorruption);
  EXPECT_EQ(unknown.message(), "state key \"planet/earth\" names an unknown table");
  Status not_json = state.LoadRow("org/UNI", "{not json");
  EXPECT_EQ(not_json.code(), StatusCode::kCorruption);
  EXPECT_EQ(not_json.message(), "state row org/UNI is not valid JSON");
  Status wrong_shape = state.LoadRow("org/UNI", R"({"name": 5})");
  EXPECT_EQ(wrong_shape.code(), StatusCode::kCorruption);
  EXPECT_EQ(wrong_shape.message().rfind("state row org/UNI: ", 0), 0u) << wrong_shape.message();
  EXPECT_FALSE(state.organisations.Contains("UNI"));
  // An id may itself contain a slash: only the first one separates the table.
  ASSERT_TRUE(state.LoadRow("vendor/V/1", R"({"sequence": 3})").ok());
  EXPECT_TRUE(state.vendors.Contains("V/1"));
}

}  // namespace
}  // namespace fundtrail

namespace fundtrail {
namespace {

// The state digest (docs/FORMAT.md, section 5): the same rows give the same digest whatever the
// order they were put in; any change to a row, an added or a removed row changes it; a rollback
// restores it.
TEST(StateDigestTest, FollowsTheRowsNotTheirHistory) {
  LedgerState a, b;
  a.organisations.Put("UNI", Organisation("大学"));
  a.vendors.Put("V-1", Presence{5});
  a.keys.Put("00ff", KeyRecord{"UNI", 8, "ab", 3, 0});
  b.keys.Put("00ff", KeyRecord{"UNI", 8, "ab", 3, 0});
  b.vendors.Put("V-1", Presence{5});
  b.organisations.Put("UNI", Organisation("大学"));
  EXPECT_EQ(a.ComputeDigest(), b.ComputeDigest());
  EXPECT_TRUE(a.DifferingTables(b).empty());

  const Digest before = a.ComputeDigest();
  a.Begin();
  a.keys.Put("00ff", KeyRecord{"UNI", 8, "ab", 3, 7});  // revoked
  EXPECT_NE(a.ComputeDigest(), before);
  EXPECT_EQ(a.DifferingTables(b), std::vector<std::string>{"key"});
  a.Rollback();
  EXPECT_EQ(a.ComputeDigest(), before);

  b.reversed.Put("12", Presence{13});
  EXPECT_NE(b.ComputeDigest(), before);
  EXPECT_EQ(a.DifferingTables(b), std::vector<std::string>{"reversed"});
}

// The digest of an empty state, and of one row, from the documented encoding alone.
TEST(StateDigestTest, MatchesTheDocumentedEncoding) {
  const std::vector<std::string> tables = {"agreement", "body", "finding", "grant", "key", "licence", "meta",
                                           "org", "outcome", "project", "reversed", "task", "vendor"};
  auto str = [](const std::string& text) {
    std::string out(4, '\0');
    for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(text.size() >> (24 - 8 * i));
    return out + text;
  };
  auto be64 = [](uint64_t value) {
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(value >> (56 - 8 * i));
    return out;
  };
  std::string empty = "FTSTATE1";
  for (const auto& name : tables) empty += str(name) + be64(0);
  LedgerState state;
  EXPECT_EQ(state.ComputeDigest(), Sha256::Of(AsBytes(empty)));

  state.vendors.Put("V-1", Presence{5});
  std::string one = "FTSTATE1";
  for (const auto& name : tables) {
    one += str(name) + be64(name == "vendor" ? 1 : 0);
    if (name == "vendor") one += str("V-1") + be64(5);
  }
  EXPECT_EQ(state.ComputeDigest(), Sha256::Of(AsBytes(one)));
}

}  // namespace
}  // namespace fundtrail
