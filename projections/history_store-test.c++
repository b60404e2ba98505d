// The history store: kept incrementally (with simulated crashes), rebuilt, behind the log, of
// another history, damaged or missing, it serves exactly the records the log gives, and a
// member's running figures fold as the projection's.
// The seed is printed on failure; FUNDTRAIL_TEST_SEED replays one.
#include "projections/history_store.h"

#include <gtest/gtest.h>

#include <rocksdb/db.h>

#include "ledger/json_codec.h"
#include "ledger/money.h"
#include "projections/projection_store.h"
#include "projections/random_ledger.h"
#include "projections/views.h"

namespace fundtrail::projections {
namespace {

// Every subject a history exists for: both grants and every registered organisation.
std::vector<Subject> HistorySubjects(const Ledger& ledger) {
  std::vector<Subject> subjects = {{SubjectKind::kGrant, "G-1"}, {SubjectKind::kGrant, "G-2"}};
  for (const auto& [id, org] : ledger.state().organisations.rows()) subjects.push_back({SubjectKind::kOrganisation, id});
  return subjects;
}

std::string Describe(const HistoryRecord& record) { return std::to_string(record.sequence) + " " + record.type; }

// ReadHistory (store and log) equals ReadHistoryFromLog (log alone) for `subject` as of `to`,
// and the store served up to `expect_stored_to`.
void ExpectStoreAsTheLog(const Ledger& ledger, const Subject& subject, uint64_t to, uint64_t expect_stored_to) {
  SCOPED_TRACE(SubjectKindName(subject.kind) + ":" + subject.id + " as of " + std::to_string(to));
  HistorySources sources;
  auto stored = ReadHistory(ledger, subject, to, &sources);
  ASSERT_TRUE(stored.has_value()) << stored.error().message();
  auto logged = ReadHistoryFromLog(ledger, subject, 1, to);
  ASSERT_TRUE(logged.has_value()) << logged.error().message();
  EXPECT_EQ(sources.stored_to, std::min(expect_stored_to, to));
  ASSERT_EQ(stored->size(), logged->size());
  for (size_t i = 0; i < stored->size(); ++i) {
    ASSERT_EQ((*stored)[i], (*logged)[i]) << Describe((*stored)[i]) << " against " << Describe((*logged)[i]);
  }
}

// A stored group of `records` (docs/FORMAT.md, section 6): be64 sequence || LEB128 length || record.
std::string Group(const std::vector<HistoryRecord>& records) {
  std::string group;
  for (const auto& record : records) {
    std::string bytes = EncodeHistoryRecord(record);
    group += SequenceKey(record.sequence);
    for (uint64_t length = bytes.size();; length >>= 7) {
      group.push_back(static_cast<char>((length & 0x7f) | (length >= 0x80 ? 0x80 : 0)));
      if (length < 0x80) break;
    }
    group += bytes;
  }
  return group;
}

Digest StoreDigest(const Ledger& ledger) {
  auto digest = DigestHistoryStore(ledger);
  EXPECT_TRUE(digest.has_value());
  return digest ? digest->digest : Digest{};
}

class HistoryStoreProperties : public ::testing::TestWithParam<uint64_t> {};

TEST_P(HistoryStoreProperties, IncrementalWithCrashesEqualsRebuiltAndTheLog) {
  const uint64_t seed = SeedFromEnvironment(GetParam());
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with FUNDTRAIL_TEST_SEED=" + std::to_string(seed) + ")");
  test::TempDir temp;
  auto made = RandomLedger::Make(seed, temp);
  ASSERT_TRUE(made.has_value()) << made.error().message();
  RandomLedger& random = **made;
  std::mt19937_64 crash(seed ^ 0x415);
  for (int batch = 0; batch < 60; ++batch) {
    Status appended = random.AppendRandomBatch();
    ASSERT_TRUE(appended.ok()) << appended.message();
    // Sometimes "crash" between the append and the store's update: it then lags, and reads take
    // the rest from the log.
    // Batches of a few events, so that a catch-up writes several, each with its checkpoint.
    if (crash() % 3 != 0) {
      ASSERT_TRUE(CatchUpHistory(random.ledger(), {.events_per_batch = 1 + crash() % 13}).ok());
    }
    if (crash() % 17 == 0) {
      random.Close();
      ASSERT_TRUE(random.Reopen().ok());
    }
    if (batch % 10 == 9) {
      auto checkpoint = ReadHistoryCheckpoint(random.ledger());
      ASSERT_TRUE(checkpoint.has_value());
      const uint64_t stored_to = checkpoint->has_value() ? (*checkpoint)->sequence : 0;
      for (const Subject& subject : HistorySubjects(random.ledger())) {
        ExpectStoreAsTheLog(random.ledger(), subject, random.ledger().head().sequence, stored_to);
      }
    }
  }
  Ledger& ledger = random.ledger();
  const uint64_t head = ledger.head().sequence;
  ASSERT_TRUE(CatchUpHistory(ledger).ok());
  const Digest incremental = StoreDigest(ledger);
  std::mt19937_64 pick(seed);
  for (const Subject& subject : HistorySubjects(ledger)) {
    ExpectStoreAsTheLog(ledger, subject, head, head);
    ExpectStoreAsTheLog(ledger, subject, 1 + pick() % head, head);
  }
  // A rebuild digests what it writes as DigestHistoryStore reads it back, whole and up to a point,
  // without reading it: equal to the incremental store's (whose groups straddle the point).
  for (uint64_t up_to : {uint64_t{1}, 1 + pick() % head, 1 + pick() % head, head}) {
    SCOPED_TRACE("up to " + std::to_string(up_to));
    auto incremental_part = DigestHistoryStore(ledger, up_to);
    ASSERT_TRUE(incremental_part.has_value());
    auto rebuilt = RebuildHistoryWithDigests(ledger, up_to, {.events_per_batch = 1 + pick() % 40});
    ASSERT_TRUE(rebuilt.has_value()) << rebuilt.error().message();
    EXPECT_EQ(HexEncode(rebuilt->whole.digest), HexEncode(incremental));
    ASSERT_TRUE(rebuilt->part.has_value());
    EXPECT_EQ(HexEncode(rebuilt->part->digest), HexEncode(incremental_part->digest));
    EXPECT_EQ(rebuilt->part->records, incremental_part->records);
    auto read_back = DigestHistoryStore(ledger, up_to);
    ASSERT_TRUE(read_back.has_value());
    EXPECT_EQ(HexEncode(read_back->digest), HexEncode(incremental_part->digest));
    EXPECT_EQ(HexEncode(StoreDigest(ledger)), HexEncode(incremental));
    if (up_to < head) {
      EXPECT_NE(HexEncode(rebuilt->part->digest), HexEncode(incremental));
    }
  }
  ASSERT_TRUE(RebuildHistory(ledger).ok());
  EXPECT_EQ(HexEncode(StoreDigest(ledger)), HexEncode(incremental)) << "rebuilt differs from incremental";
  ASSERT_TRUE(RebuildHistory(ledger, {.events_per_batch = 5}).ok());
  EXPECT_EQ(HexEncode(StoreDigest(ledger)), HexEncode(incremental)) << "batches of 5 differ from one batch";
  auto digest = DigestHistoryStore(ledger);
  ASSERT_TRUE(digest.has_value());
  EXPECT_GT(digest->records, head) << "a money event is kept under its grant and its member";
  uint64_t counted = 0;
  for (const Subject& subject : HistorySubjects(ledger)) {
    auto records = ReadHistory(ledger, subject, head);
    ASSERT_TRUE(records.has_value());
    counted += records->size();
  }
  EXPECT_EQ(digest->records, counted) << "every record is some grant's or organisation's";
}

INSTANTIATE_TEST_SUITE_P(Seeds, HistoryStoreProperties, ::testing::Values(11, 12, 13, 14));

// A store rebuilt from zero by several workers, each a part of the log of whole digest blocks
// (4,096 sequence numbers), equals the incrementally kept one, and so do its digests, whole and
// up to any point (a block's first and last sequence numbers included), however many workers.
TEST(HistoryStore, RebuiltByWorkersEqualsIncrementalAcrossDigestBlocks) {
  const uint64_t seed = SeedFromEnvironment(31);
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with FUNDTRAIL_TEST_SEED=" + std::to_string(seed) + ")");
  test::TempDir temp;
  auto made = RandomLedger::Make(seed, temp);
  ASSERT_TRUE(made.has_value()) << made.error().message();
  RandomLedger& random = **made;
  std::mt19937_64 pick(seed);
  while (random.ledger().head().sequence < 3 * 4096 + 50) {
    Status appended = random.AppendRandomBatch();
    ASSERT_TRUE(appended.ok()) << appended.message();
    if (pick() % 200 == 0) {
      ASSERT_TRUE(CatchUpHistory(random.ledger(), {.events_per_batch = 1 + pick() % 500}).ok());
    }
  }
  Ledger& ledger = random.ledger();
  const uint64_t head = ledger.head().sequence;
  ASSERT_TRUE(CatchUpHistory(ledger, {.events_per_batch = 777}).ok());
  const Digest incremental = StoreDigest(ledger);
  std::vector<uint64_t> points = {1, 4095, 4096, 8191, 8192, 1 + pick() % head, head};
  std::map<uint64_t, HistoryStoreDigest> parts;
  for (uint64_t point : points) {
    auto digest = DigestHistoryStore(ledger, point);
    ASSERT_TRUE(digest.has_value());
    parts[point] = *digest;
  }
  // Two workers up to every point; 1, 3 and 5 up to one picked at random.
  std::vector<std::pair<size_t, uint64_t>> runs;
  for (uint64_t point : points) runs.emplace_back(2, point);
  for (size_t workers : {size_t{1}, size_t{3}, size_t{5}}) runs.emplace_back(workers, points[pick() % points.size()]);
  for (const auto& [workers, point] : runs) {
    SCOPED_TRACE(std::to_string(workers) + " workers, up to " + std::to_string(point));
    auto rebuilt = RebuildHistoryWithDigests(ledger, point, {.events_per_batch = 1000 + pick() % 5000, .workers = workers});
    ASSERT_TRUE(rebuilt.has_value()) << rebuilt.error().message();
    EXPECT_EQ(HexEncode(rebuilt->whole.digest), HexEncode(incremental));
    EXPECT_EQ(HexEncode(StoreDigest(ledger)), HexEncode(incremental));
    ASSERT_TRUE(rebuilt->part.has_value());
    EXPECT_EQ(HexEncode(rebuilt->part->digest), HexEncode(parts[point].digest));
    EXPECT_EQ(rebuilt->part->records, parts[point].records);
    auto checkpoint = ReadHistoryCheckpoint(ledger);
    ASSERT_TRUE(checkpoint.has_value() && checkpoint->has_value());
    EXPECT_EQ((*checkpoint)->sequence, head);
    for (const Subject& subject : HistorySubjects(ledger)) ExpectStoreAsTheLog(ledger, subject, head, head);
  }
}

// The slow reference of a member's history, the way it was computed before the store: the
// member's events (from the subject index) folded through a whole projection. Per event:
// sequence, grant, then received, spent and unspent (plain), empty when it concerns no grant.
std::vector<std::vector<std::string>> ReferenceMemberHistory(const Ledger& ledger, const std::string& org_id,
                                                             uint64_t to) {
  Projection projection;
  auto lookup = ledger.NewLookup();
  std::vector<std::vector<std::string>> rows;
  EXPECT_TRUE(ledger.ScanSubject(Subject{SubjectKind::kOrganisation, org_id}, 1, to, [&](uint64_t sequence) {
    auto entry = ledger.ReadEntry(sequence);
    auto view = DecodeEntry(entry->record);
    auto event = DecodedEvent::Open(view->canonical_event, "event");
    EXPECT_TRUE(projection.Apply(sequence, view->chain_hash, event->root(), lookup.get()).ok());
    schema::Event::Reader concerned = event->root();
    std::optional<EarlierEvent> target;
    if (concerned.isReversal()) {
      target = std::move(*lookup->Find(concerned.getReversal().getTargetSequence()));
      concerned = target->event.root();
    }
    std::string grant_id;
    for (const auto& subject : EventSubjects(concerned, "", ledger.state())) {
      if (subject.kind == SubjectKind::kGrant) grant_id = subject.id;
    }
    if (grant_id.empty()) {
      rows.push_back({std::to_string(sequence), "", "", "", ""});
      return true;
    }
    auto found = projection.member_grants().find({org_id, grant_id});
    MemberGrantFigures figures = found == projection.member_grants().end() ? MemberGrantFigures{} : found->second;
    rows.push_back({std::to_string(sequence), grant_id, FormatMoneyPlain({figures.received, "CNY"}),
                    FormatMoneyPlain({figures.spent, "CNY"}), FormatMoneyPlain({figures.unspent(), "CNY"})});
    return true;
  }).ok());
  return rows;
}

TEST_P(HistoryStoreProperties, MemberHistoryFoldsAsTheProjection) {
  const uint64_t seed = SeedFromEnvironment(GetParam());
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with FUNDTRAIL_TEST_SEED=" + std::to_string(seed) + ")");
  test::TempDir temp;
  auto made = RandomLedger::Make(seed, temp);
  ASSERT_TRUE(made.has_value()) << made.error().message();
  RandomLedger& random = **made;
  for (int batch = 0; batch < 50; ++batch) ASSERT_TRUE(random.AppendRandomBatch().ok());
  ASSERT_TRUE(CatchUp(random.ledger()).ok());
  Ledger& ledger = random.ledger();
  const uint64_t head = ledger.head().sequence;
  std::mt19937_64 pick(seed);
  for (const std::string org : {test::kUniversity, test::kEnterprise, test::kFundManager, test::kFunder}) {
    for (uint64_t to : {head, 1 + pick() % head}) {
      SCOPED_TRACE(org + " as of " + std::to_string(to));
      auto reference = ReferenceMemberHistory(ledger, org, to);
      auto csv = MemberHistory(ledger, org, to, HistoryForm::kCsv);
      ASSERT_TRUE(csv.has_value()) << csv.error().message();
      ASSERT_EQ(csv->csv_rows.size(), reference.size());
      for (size_t i = 0; i < reference.size(); ++i) {
        const auto& row = csv->csv_rows[i];
        EXPECT_EQ((std::vector<std::string>{row[0], row[4], row[5], row[6], row[7]}), reference[i]);
      }
    }
  }
  // And the fold at the head equals the projection's figures for the members.
  auto projection = Load(ledger, head);
  ASSERT_TRUE(projection.has_value());
  for (const std::string org : {test::kUniversity, test::kEnterprise}) {
    auto csv = MemberHistory(ledger, org, head, HistoryForm::kCsv);
    ASSERT_TRUE(csv.has_value());
    std::map<std::string, std::string> last_unspent;
    for (const auto& row : csv->csv_rows) {
      if (!row[4].empty()) last_unspent[row[4]] = row[7];
    }
    for (const auto& [grant, unspent] : last_unspent) {
      const MemberGrantFigures& figures = projection->views.member_grants().at({org, grant});
      EXPECT_EQ(unspent, FormatMoneyPlain({figures.unspent(), "CNY"})) << org << " on " << grant;
    }
  }
}

// A store built from the small random ledger of `seed`, caught up.
struct Fixture {
  test::TempDir temp;
  std::unique_ptr<RandomLedger> random;
  void Make(uint64_t seed, int batches) {
    auto made = RandomLedger::Make(seed, temp);
    ASSERT_TRUE(made.has_value()) << made.error().message();
    random = std::move(*made);
    for (int batch = 0; batch < batches; ++batch) ASSERT_TRUE(random->AppendRandomBatch().ok());
    ASSERT_TRUE(CatchUp(random->ledger()).ok());
  }
  Ledger& ledger() { return random->ledger(); }
};

// What a crash during a rebuild from zero leaves: records without a checkpoint. Reads take the
// log, and the writer's catch-up rebuilds the store.
TEST(HistoryStore, RecordsWithoutACheckpointAreNotReadButRebuilt) {
  Fixture fixture;
  ASSERT_NO_FATAL_FAILURE(fixture.Make(22, 20));
  Ledger& ledger = fixture.ledger();
  const uint64_t head = ledger.head().sequence;
  const Digest good = StoreDigest(ledger);
  // Forge one record, so that reading the store would show it, then drop the checkpoint.
  auto records = ReadHistory(ledger, {SubjectKind::kGrant, "G-1"}, head);
  ASSERT_TRUE(records.has_value() && !records->empty());
  HistoryRecord forged = (*records)[0];
  forged.subject = "forged";
  ASSERT_TRUE(ledger.WriteHistory({{"r" + SubjectKey({SubjectKind::kGrant, "G-1"}, forged.sequence), Group({forged})}}).ok());
  ASSERT_TRUE(ledger.database()->Delete(rocksdb::WriteOptions(), ledger.column_family("history"), "c").ok());
  auto checkpoint = ReadHistoryCheckpoint(ledger);
  ASSERT_TRUE(checkpoint.has_value());
  EXPECT_FALSE(checkpoint->has_value());
  for (const Subject& subject : HistorySubjects(ledger)) ExpectStoreAsTheLog(ledger, subject, head, 0);
  ASSERT_TRUE(CatchUpHistory(ledger).ok());
  EXPECT_EQ(HexEncode(StoreDigest(ledger)), HexEncode(good));
  for (const Subject& subject : HistorySubjects(ledger)) ExpectStoreAsTheLog(ledger, subject, head, head);
}

TEST(HistoryStore, ACheckpointOfAnotherHistoryIsIgnoredThenRebuilt) {
  Fixture fixture;
  ASSERT_NO_FATAL_FAILURE(fixture.Make(21, 20));
  Ledger& ledger = fixture.ledger();
  const uint64_t head = ledger.head().sequence;
  const Digest good = StoreDigest(ledger);
  // The store claims to reflect the log up to the head, but of another chain.
  const std::string good_checkpoint = **ledger.GetHistory("c");
  ASSERT_EQ(good_checkpoint.size(), 41u);
  std::string checkpoint = good_checkpoint;
  checkpoint[20] = static_cast<char>(checkpoint[20] ^ 0x5a);
  ASSERT_TRUE(ledger.WriteHistory({{"c", checkpoint}}).ok());
  for (const Subject& subject : HistorySubjects(ledger)) ExpectStoreAsTheLog(ledger, subject, head, 0);
  ASSERT_TRUE(CatchUpHistory(ledger).ok());
  EXPECT_EQ(HexEncode(StoreDigest(ledger)), HexEncode(good));
  // A checkpoint beyond the log (the log was replaced by a shorter one) is of another history too.
  PutBigEndian64(head + 5, reinterpret_cast<uint8_t*>(checkpoint.data()));
  ASSERT_TRUE(ledger.WriteHistory({{"c", checkpoint}}).ok());
  for (const Subject& subject : HistorySubjects(ledger)) ExpectStoreAsTheLog(ledger, subject, head, 0);
  ASSERT_TRUE(CatchUpHistory(ledger).ok());
  EXPECT_EQ(HexEncode(StoreDigest(ledger)), HexEncode(good));
  // A store of another layout (an earlier version's checkpoint, without the layout byte, or a
  // later one) is not read but rebuilt.
  for (std::string other : {good_checkpoint.substr(0, 40), good_checkpoint.substr(0, 40) + '\x03',
                            good_checkpoint.substr(0, 40) + '\x05'}) {
    ASSERT_TRUE(ledger.WriteHistory({{"c", other}}).ok());
    for (const Subject& subject : HistorySubjects(ledger)) ExpectStoreAsTheLog(ledger, subject, head, 0);
    ASSERT_TRUE(CatchUpHistory(ledger).ok());
    EXPECT_EQ(HexEncode(StoreDigest(ledger)), HexEncode(good));
    for (const Subject& subject : HistorySubjects(ledger)) ExpectStoreAsTheLog(ledger, subject, head, head);
  }
}

TEST(HistoryStore, ADamagedRecordIsReportedAndRebuildMendsIt) {
  Fixture fixture;
  ASSERT_NO_FATAL_FAILURE(fixture.Make(22, 10));
  Ledger& ledger = fixture.ledger();
  const uint64_t head = ledger.head().sequence;
  auto records = ReadHistory(ledger, Subject{SubjectKind::kGrant, "G-1"}, head);
  ASSERT_TRUE(records.has_value() && records->size() > 2);
  // The group of records that begins with the grant's first event, one byte short.
  const uint64_t victim = (*records)[0].sequence;
  const std::string key = "r" + SubjectKey({SubjectKind::kGrant, "G-1"}, victim);
  auto group = ledger.GetHistory(key);
  ASSERT_TRUE(group.has_value() && group->has_value());
  ASSERT_TRUE(ledger.WriteHistory({{key, (*group)->substr(0, (*group)->size() - 1)}}).ok());
  auto history = GrantHistory(ledger, "G-1", head, HistoryForm::kTable);
  ASSERT_FALSE(history.has_value());
  EXPECT_EQ(history.error().code(), StatusCode::kCorruption);
  EXPECT_NE(history.error().message().find("sequence " + std::to_string(victim)), std::string::npos)
      << history.error().message();
  EXPECT_NE(history.error().message().find("fundtrail rebuild"), std::string::npos) << history.error().message();
  ASSERT_TRUE(RebuildAndStore(ledger).has_value());
  ExpectStoreAsTheLog(ledger, Subject{SubjectKind::kGrant, "G-1"}, head, head);
}

// What verify relies on: a store that agrees with the log is found to agree; one record changed
// (a figure, its chain hash), dropped or added, is found to differ up to the store's checkpoint.
TEST(HistoryStore, FindDifferingHistoryStoreComparesEveryRecordWithTheLog) {
  Fixture fixture;
  ASSERT_NO_FATAL_FAILURE(fixture.Make(30, 12));
  Ledger& ledger = fixture.ledger();
  const uint64_t head = ledger.head().sequence;
  auto agrees = [&] {
    auto found = FindDifferingHistoryStore(ledger, HistoryIndexOptions{.events_per_batch = 7});
    EXPECT_TRUE(found.has_value()) << found.error().message();
    return found.has_value() && !found->has_value();
  };
  ASSERT_TRUE(agrees());
  const Subject grant{SubjectKind::kGrant, "G-1"};
  auto records = ReadHistory(ledger, grant, head);
  ASSERT_TRUE(records.has_value() && records->size() >= 2);
  const std::string key = "r" + SubjectKey(grant, (*records)[0].sequence);
  const std::string group = **ledger.GetHistory(key);
  // The last byte of the group: a figure or the reversal's grant id, never read unless checked.
  std::string changed = group;
  changed.back() = static_cast<char>(changed.back() ^ 0x01);
  ASSERT_TRUE(ledger.WriteHistory({{key, changed}}).ok());
  auto found = FindDifferingHistoryStore(ledger);
  ASSERT_TRUE(found.has_value()) << found.error().message();
  EXPECT_EQ(*found, std::optional<uint64_t>(head));
  // One record fewer, then one too many.
  ASSERT_TRUE(ledger.WriteHistory({{key, Group({(*records)[0]})}}).ok());
  EXPECT_FALSE(agrees());
  HistoryRecord extra = (*records)[0];
  extra.sequence = 2;
  ASSERT_TRUE(ledger.WriteHistory({{key, group}, {"r" + SubjectKey(grant, 2), Group({extra})}}).ok());
  EXPECT_FALSE(agrees());
  ASSERT_TRUE(RebuildHistory(ledger).ok());
  EXPECT_TRUE(agrees());
}

TEST(HistoryStore, AGroupDroppedOrAddedIsCaughtByTheSubjectIndex) {
  Fixture fixture;
  ASSERT_NO_FATAL_FAILURE(fixture.Make(24, 12));
  Ledger& ledger = fixture.ledger();
  const uint64_t head = ledger.head().sequence;
  const Subject grant{SubjectKind::kGrant, "G-2"};
  auto records = ReadHistory(ledger, grant, head);
  ASSERT_TRUE(records.has_value() && records->size() >= 2);
  const std::string key = "r" + SubjectKey(grant, (*records)[0].sequence);
  const std::string group = **ledger.GetHistory(key);
  auto expect_caught = [&](const std::string& what) {
    auto read = ReadHistory(ledger, grant, head);
    ASSERT_FALSE(read.has_value()) << what;
    EXPECT_NE(read.error().message().find("disagree with the subject index"), std::string::npos)
        << read.error().message();
    EXPECT_NE(read.error().message().find("fundtrail rebuild"), std::string::npos);
  };
  // Only the grant's first record, as if the rest of the group had been dropped.
  ASSERT_TRUE(ledger.WriteHistory({{key, Group({(*records)[0]})}}).ok());
  expect_caught("a dropped record");
  // An extra, well-formed record of an event that is not the grant's.
  HistoryRecord extra = (*records)[0];
  extra.sequence = 2;
  ASSERT_TRUE(ledger.WriteHistory({{key, group}, {"r" + SubjectKey(grant, 2), Group({extra})}}).ok());
  expect_caught("an added record");
  // A key of another length among the grant's.
  ASSERT_TRUE(RebuildHistory(ledger).ok());
  ASSERT_TRUE(ledger.WriteHistory({{"r" + SubjectKey(grant, 3) + "x", group}}).ok());
  auto read = ReadHistory(ledger, grant, head);
  ASSERT_FALSE(read.has_value());
  EXPECT_NE(read.error().message().find("a key of"), std::string::npos) << read.error().message();
  ASSERT_TRUE(RebuildHistory(ledger).ok());
  ExpectStoreAsTheLog(ledger, grant, head, head);
}

TEST(HistoryStore, ForgedFiguresAreReportedNotOverflowed) {
  Fixture fixture;
  ASSERT_NO_FATAL_FAILURE(fixture.Make(25, 12));
  Ledger& ledger = fixture.ledger();
  const uint64_t head = ledger.head().sequence;
  const Subject grant{SubjectKind::kGrant, "G-1"};
  auto records = ReadHistory(ledger, grant, head);
  ASSERT_TRUE(records.has_value() && records->size() >= 2);
  // One record per group, so that one record can be replaced alone.
  ASSERT_TRUE(RebuildHistory(ledger, {.events_per_batch = 1}).ok());
  auto replace = [&](const HistoryRecord& record) {
    ASSERT_TRUE(ledger.WriteHistory({{"r" + SubjectKey(grant, record.sequence), Group({record})}}).ok());
  };
  // Two receipts of almost 2^63 minor units each: well-formed records, impossible figures.
  for (size_t i = 0; i < 2; ++i) {
    HistoryRecord forged = (*records)[i];
    forged.grant_sign = 1;
    forged.grant_id = "G-1";
    forged.grant_currency = "CNY";
    forged.received = INT64_MAX - 1;
    replace(forged);
  }
  auto history = GrantHistory(ledger, "G-1", head, HistoryForm::kCsv);
  ASSERT_FALSE(history.has_value());
  EXPECT_NE(history.error().message().find("would overflow"), std::string::npos) << history.error().message();
  // The same for a member's figures.
  ASSERT_TRUE(RebuildHistory(ledger, {.events_per_batch = 1}).ok());
  const Subject member{SubjectKind::kOrganisation, test::kUniversity};
  auto member_records = ReadHistory(ledger, member, head);
  ASSERT_TRUE(member_records.has_value() && member_records->size() >= 2);
  for (size_t i = 0; i < 2; ++i) {
    HistoryRecord forged = (*member_records)[i];
    forged.member_sign = 1;
    forged.member_org_id = test::kUniversity;
    forged.member_grant_id = "G-1";
    forged.member_kind = MemberGrantChange::Kind::kDisbursed;
    forged.member_amount = INT64_MAX - 1;
    ASSERT_TRUE(ledger.WriteHistory({{"r" + SubjectKey(member, forged.sequence), Group({forged})}}).ok());
  }
  auto member_history = MemberHistory(ledger, test::kUniversity, head, HistoryForm::kCsv);
  ASSERT_FALSE(member_history.has_value());
  EXPECT_NE(member_history.error().message().find("would overflow"), std::string::npos)
      << member_history.error().message();
  // The JSON form also reads each event from the log, whose hash must be the record's.
  ASSERT_TRUE(RebuildHistory(ledger, {.events_per_batch = 1}).ok());
  HistoryRecord other_hash = (*records)[0];
  other_hash.hash[0] ^= 1;
  replace(other_hash);
  auto json = GrantHistory(ledger, "G-1", head, HistoryForm::kJson);
  ASSERT_FALSE(json.has_value());
  EXPECT_NE(json.error().message().find("another hash than the log"), std::string::npos) << json.error().message();
}

// A grant in another currency: its rows, and the member's rows on it, show that currency (the
// member's rows take it from the grant as the ledger registered it), from the store and from the log.
TEST(HistoryStore, AGrantInAnotherCurrencyKeepsItInEveryRow) {
  Fixture fixture;
  ASSERT_NO_FATAL_FAILURE(fixture.Make(26, 4));
  RandomLedger& random = *fixture.random;
  json grant = test::GrantJson("G-USD", test::kFunder, "P-1", 0);
  grant["amount"] = "100000.00 USD";
  grant["budget"] = json::array({{{"category", "materials"}, {"amount", "100000.00 USD"}}});
  ASSERT_TRUE(random.Append(random.alliance().funder, {grant}).ok());
  ASSERT_TRUE(random.Append(random.alliance().funder, {test::FundsReceivedJson("G-USD", "60000.00 USD")}).ok());
  ASSERT_TRUE(random.Append(random.alliance().fund_manager,
                            {test::FundsDisbursedJson("G-USD", test::kUniversity, "25000.00 USD")})
                  .ok());
  json spent = test::ExpenditureJson("G-USD", test::kUniversity, "V-1", "1234.56 USD");
  spent["category"] = "materials";
  spent["invoice_number"] = "USD-1";
  ASSERT_TRUE(random.Append(random.alliance().finance_uni, {spent}).ok());
  Ledger& ledger = fixture.ledger();
  const uint64_t head = ledger.head().sequence;
  auto check = [&](const char* where) {
    SCOPED_TRACE(where);
    auto member = MemberHistory(ledger, test::kUniversity, head, HistoryForm::kCsv);
    ASSERT_TRUE(member.has_value()) << member.error().message();
    bool seen = false;
    for (const auto& row : member->csv_rows) {
      if (row[4] != "G-USD") continue;
      seen = true;
      EXPECT_NE(row[5].find("USD"), std::string::npos) << row[0] << ": " << row[5];
    }
    EXPECT_TRUE(seen);
    const auto& last = member->csv_rows.back();
    EXPECT_EQ(last[4], "G-USD");
    EXPECT_EQ(last[7], "23765.44 USD") << "unspent: 25,000.00 received less 1,234.56 spent";
    auto history = GrantHistory(ledger, "G-USD", head, HistoryForm::kCsv);
    ASSERT_TRUE(history.has_value());
    for (const auto& row : history->csv_rows) EXPECT_NE(row[7].find("USD"), std::string::npos) << row[0];
    EXPECT_EQ(history->csv_rows.back()[7], "58765.44 USD") << "available: 60,000.00 received less 1,234.56";
  };
  check("from the log, beyond the store's checkpoint");
  ASSERT_TRUE(CatchUp(ledger).ok());
  check("from the store");
}

TEST(HistoryStore, RecordsRoundTripAndEveryTruncationIsRejected) {
  HistoryRecord record;
  record.sequence = 77;
  record.hash.fill(0xab);
  record.type = "reversal";
  record.subject = "reversal (expenditure:INV-9)";
  record.amount = Money{-1234567, "CNY"};
  record.grant_sign = -1;
  record.grant_id = "G-1";
  record.grant_currency = "CNY";
  record.spent = 1234567;
  record.member_sign = -1;
  record.member_org_id = "中国科学院-1";
  record.member_grant_id = "G-1";
  record.member_kind = MemberGrantChange::Kind::kSpent;
  record.member_amount = 1234567;
  record.member_category = 3;
  record.concerns_grant_id = "G-1";
  record.subject += std::string(200, 'x');  // a length of two varint bytes
  const std::string bytes = EncodeHistoryRecord(record);
  auto decoded = DecodeHistoryRecord(77, bytes);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  EXPECT_EQ(*decoded, record);
  HistoryRecord plain;
  plain.sequence = 5;
  plain.type = "member_admitted";
  plain.subject = "org:X";
  auto decoded_plain = DecodeHistoryRecord(5, EncodeHistoryRecord(plain));
  ASSERT_TRUE(decoded_plain.has_value());
  EXPECT_EQ(*decoded_plain, plain);
  for (size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_FALSE(DecodeHistoryRecord(77, bytes.substr(0, size)).has_value()) << "truncated to " << size;
  }
  EXPECT_FALSE(DecodeHistoryRecord(77, bytes + "x").has_value()) << "trailing byte";
  for (char version : {'\x02', '\x04'}) {
    std::string other_version = bytes;
    other_version[0] = version;
    EXPECT_FALSE(DecodeHistoryRecord(77, other_version).has_value()) << "version " << int(version);
  }
  // Integers are zigzag varints: the extremes round-trip, in ten bytes at most.
  HistoryRecord extreme = record;
  extreme.amount = Money{INT64_MIN, "CNY"};
  extreme.awarded = INT64_MAX;
  extreme.received = -1;
  extreme.member_amount = INT64_MIN;
  auto decoded_extreme = DecodeHistoryRecord(77, EncodeHistoryRecord(extreme));
  ASSERT_TRUE(decoded_extreme.has_value()) << decoded_extreme.error().message();
  EXPECT_EQ(*decoded_extreme, extreme);
  // The type is the Event union's discriminant: one that names no type is damage.
  std::string unknown_type = EncodeHistoryRecord(plain);
  ASSERT_EQ(static_cast<uint8_t>(unknown_type[33]) & 0x80, 0);  // a one-byte varint after the hash
  unknown_type[33] = 0x7f;
  EXPECT_FALSE(DecodeHistoryRecord(5, unknown_type).has_value());
  // A varint of eleven bytes, or whose tenth byte holds more than the top bit, is damage.
  std::string overlong = EncodeHistoryRecord(plain);
  overlong.replace(33, 1, std::string(10, '\xff') + '\x01');
  EXPECT_FALSE(DecodeHistoryRecord(5, overlong).has_value());
  // A golden record (docs/FORMAT.md, section 6): an expenditure of 1,234.56 CNY by ORG-1 on G-1,
  // category 3, byte by byte.
  HistoryRecord spent;
  spent.sequence = 9;
  spent.hash.fill(0x11);
  spent.type = "expenditure_recorded";
  spent.subject = "grant:G-1 / ORG-1";
  spent.amount = Money{123456, "CNY"};
  spent.grant_sign = 1;
  spent.grant_id = "G-1";
  spent.grant_currency = "CNY";
  spent.spent = 123456;
  spent.member_sign = 1;
  spent.member_org_id = "ORG-1";
  spent.member_grant_id = "G-1";
  spent.member_kind = MemberGrantChange::Kind::kSpent;
  spent.member_amount = 123456;
  spent.member_category = 3;
  spent.concerns_grant_id = "G-1";
  // Strings are numbered from 0 in order: 0 the subject, 1 "CNY", 2 "G-1", 3 the grant's currency
  // (the same as 1), 4 "ORG-1", 5 the member's grant (the same as 2); the grant concerned is 2 too.
  const std::string golden =
      "03" + std::string(64, '1') +  // version, hash
      "10"                           // type: discriminant 16, expenditure_recorded
      "22" + HexEncode(AsBytes(std::string_view("grant:G-1 / ORG-1"))) +  // 17 bytes: 2 * 17
      "01" "80890f" "06434e59"  // amount: zigzag(123456) = 246912, "CNY" (2 * 3)
      "01" "06472d31" "03" "00" "00" "00" "80890f" "00"  // grant change: "G-1", string 1
      "01" "0a4f52472d31" "05" "02" "80890f" "06"        // member change: "ORG-1", string 2
      "05";                                              // concerns string 2
  EXPECT_EQ(HexEncode(AsBytes(EncodeHistoryRecord(spent))), golden);
  auto golden_bytes = HexDecode(golden);
  ASSERT_TRUE(golden_bytes.has_value());
  const std::string& golden_record = *golden_bytes;
  auto decoded_golden = DecodeHistoryRecord(9, golden_record);
  ASSERT_TRUE(decoded_golden.has_value()) << decoded_golden.error().message();
  EXPECT_EQ(*decoded_golden, spent);
  // A string may name only a string before it: not itself (6), nor one after.
  for (char reference : {'\x0d', '\x0f', '\x7f'}) {
    std::string forward = golden_record;
    forward.back() = reference;
    EXPECT_FALSE(DecodeHistoryRecord(9, forward).has_value()) << int(reference);
  }
  // Naming another earlier string is well formed: the grant concerned is then "CNY" (string 1).
  std::string other = golden_record;
  other.back() = '\x03';
  auto decoded_other = DecodeHistoryRecord(9, other);
  ASSERT_TRUE(decoded_other.has_value());
  EXPECT_EQ(decoded_other->concerns_grant_id, "CNY");
  // Version, hash, type, subject (length and bytes), no amount, no grant change, no member
  // change, no grant: a byte each but the hash and the subject.
  EXPECT_EQ(EncodeHistoryRecord(plain).size(), 1 + 32 + 1 + (1 + 5) + 1 + 1 + 1 + 1u);
}

TEST(HistoryStore, ALedgerWithoutTheStoreIsServedFromTheLogUntilAWriterAddsIt) {
  Fixture fixture;
  ASSERT_NO_FATAL_FAILURE(fixture.Make(23, 15));
  const uint64_t head = fixture.ledger().head().sequence;
  auto expected = GrantHistory(fixture.ledger(), "G-2", head, HistoryForm::kCsv);
  ASSERT_TRUE(expected.has_value());
  const std::string directory = fixture.random->directory();
  fixture.random->Close();
  {
    // As a ledger written before the store existed: without the `history` column family.
    rocksdb::DBOptions options;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(options, directory + "/db", &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, directory + "/db", descriptors, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> database(raw);
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "history") {
        ASSERT_TRUE(database->DropColumnFamily(handles[i]).ok());
      }
    }
    for (auto* handle : handles) ASSERT_TRUE(database->DestroyColumnFamilyHandle(handle).ok());
  }
  test::FixedClock clock;
  {
    auto reader = Ledger::Open(directory, Ledger::Access::kReadOnly, &clock);
    ASSERT_TRUE(reader.has_value()) << reader.error().message();
    EXPECT_FALSE((*reader)->HasHistory());
    HistorySources sources;
    ASSERT_TRUE(ReadHistory(**reader, Subject{SubjectKind::kGrant, "G-2"}, head, &sources).has_value());
    EXPECT_EQ(sources.stored_to, 0u);
    auto served = GrantHistory(**reader, "G-2", head, HistoryForm::kCsv);
    ASSERT_TRUE(served.has_value()) << served.error().message();
    EXPECT_EQ(served->csv_rows, expected->csv_rows);
  }
  {
    auto writer = Ledger::Open(directory, Ledger::Access::kReadWrite, &clock);
    ASSERT_TRUE(writer.has_value()) << writer.error().message();
    EXPECT_TRUE((*writer)->HasHistory());
    ASSERT_TRUE(CatchUp(**writer).ok());
    ExpectStoreAsTheLog(**writer, Subject{SubjectKind::kGrant, "G-2"}, head, head);
    auto served = GrantHistory(**writer, "G-2", head, HistoryForm::kCsv);
    ASSERT_TRUE(served.has_value());
    EXPECT_EQ(served->csv_rows, expected->csv_rows);
  }
  {
    // Any other column family missing is damage: neither a reader nor a writer opens the ledger
    // (a writer must not replace the subject index by an empty one).
    rocksdb::DBOptions options;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(options, directory + "/db", &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, directory + "/db", descriptors, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> database(raw);
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "subjects") {
        ASSERT_TRUE(database->DropColumnFamily(handles[i]).ok());
      }
    }
    for (auto* handle : handles) ASSERT_TRUE(database->DestroyColumnFamilyHandle(handle).ok());
  }
  for (auto access : {Ledger::Access::kReadOnly, Ledger::Access::kReadWrite}) {
    auto opened = Ledger::Open(directory, access, &clock);
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error().code(), StatusCode::kCorruption);
    EXPECT_NE(opened.error().message().find("lacks the column family \"subjects\""), std::string::npos)
        << opened.error().message();
  }
}

// A grant_terminated (validation version 4) is a row of its grant's history: it moves no money,
// and its record survives the store's encoding.
TEST(HistoryStore, AGrantTerminationIsARowOfItsGrant) {
  const std::string canonical = test::MustEncode(
      {{"type", "grant_terminated"}, {"grant_id", "G-1"}, {"date", "2025-06-30"}, {"reason", "终止"}});
  auto decoded = DecodedEvent::Open(canonical, "event");
  ASSERT_TRUE(decoded.has_value());
  Digest hash{};
  hash[0] = 7;
  HistoryRecord record = MakeHistoryRecord(42, hash, decoded->root(), nullptr);
  EXPECT_EQ(record.type, "grant_terminated");
  EXPECT_EQ(record.subject, "grant:G-1");
  EXPECT_EQ(record.concerns_grant_id, "G-1");
  EXPECT_EQ(record.grant_sign, 0);
  EXPECT_EQ(record.member_sign, 0);
  EXPECT_FALSE(record.amount.has_value());
  auto round_trip = DecodeHistoryRecord(42, EncodeHistoryRecord(record));
  ASSERT_TRUE(round_trip.has_value()) << round_trip.error().message();
  EXPECT_EQ(*round_trip, record);
  EXPECT_EQ(GrantIdOf(decoded->root()), "G-1");
}

}  // namespace
}  // namespace fundtrail::projections
