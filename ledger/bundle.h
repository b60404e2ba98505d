// Bundles: a self-contained export of the log's entries A..B (whole submissions) that a
// regulator verifies offline with `fundtrail-verify`, without RocksDB or the ledger directory.
// Pure (OpenSSL and the schema). docs/FORMAT.md, section 10, is the normative description.
//
// A bundle is "FTBUNDL1" followed by records, each  type (1 byte) || be32 length || payload,
// in this order:
//
//   1  header      JSON: format, ledger_id, from_sequence, to_sequence, tree_size, exported_at
//   2  head        JSON: the operator-signed tree head of size T >= B, with the witnesses'
//                  co-signatures if it has any (ledger/witness.h, CosignedHeadToJson)
//   3  submission  canonical(Submission), for the proven entries that follow (any number)
//   5  lookup      a proven entry (below): an event an event of the bundle refers to (the target
//                  of a reversal), proven against the head
//   4  context     a proven entry: an event before A that the validation state depends on (it
//                  changed organisations, keys, grants, ...), in sequence order, from the genesis
//   6  prefix      be64 (A - 1) || h_{A-1} (32) || be16 k || k x (level byte || 32-byte hash):
//                  the Merkle compact range of the first A - 1 leaves
//   3  submission  then its entries:
//   7  entry       be64 sequence || entry record        (A..B, in order, whole submissions)
//   8  consistency be64 B || be64 T || be16 k || k x 32-byte hash: RFC 9162 consistency proof
//   9  end         be64 number of entries || be64 number of submissions in the range
//
// A proven entry's payload is  be64 n || h_{n-1} (32) || be16 k || k x 32-byte inclusion proof
// hashes (leaf n - 1 in the head's tree of size T) || entry record; its submission is the one
// with the first sequence the entry record names, given by an earlier type 3 record.
//
// What verifying a bundle shows: every entry A..B replays (digests, chain, one signature per
// submission, keys valid and permitted, validation rules) on top of the context; the context and
// lookup events are in the signed head's tree; the range's leaves, appended to the prefix, give a
// tree that the head's tree extends (consistency proof); the head is signed by the operator key of
// the genesis. A bundle from sequence 1 shows everything `fundtrail verify` shows up to B. A
// partial bundle (A > 1) cannot show that its context is complete, e.g. that no key was revoked
// before A outside the context: no Merkle proof shows an absence.
#pragma once

#include <cstdint>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ledger/anchors.h"
#include "ledger/committed_fold.h"
#include "ledger/evidence.h"
#include "ledger/status.h"
#include "ledger/tree_head.h"
#include "ledger/witness.h"

namespace fundtrail {

inline constexpr char kBundleMagic[] = "FTBUNDL1";
inline constexpr const char* kBundleFormat = "fundtrail-bundle-1";
// The largest record a reader accepts (a submission of kSubmissionEventCountMax events is < 4 MiB).
inline constexpr uint32_t kBundleRecordSizeMax = 64u << 20;

enum class BundleRecord : uint8_t {
  kHeader = 1,
  kHead = 2,
  kSubmission = 3,
  kContext = 4,
  kLookup = 5,
  kPrefix = 6,
  kEntry = 7,
  kConsistency = 8,
  kEnd = 9,
};

struct BundleHeader {
  std::string ledger_id;  // 16 raw bytes
  uint64_t from_sequence = 0;
  uint64_t to_sequence = 0;
  uint64_t tree_size = 0;
  int64_t exported_at_micros = 0;
};

// Writes a bundle, record by record, in the order above. The writer does not check the order;
// the exporter (ledger/export.h) follows it and the verifier enforces it.
class BundleWriter {
 public:
  static Result<BundleWriter> Create(const std::string& path);

  Status Header(const BundleHeader& header);
  Status Head(const TreeHead& head, const std::vector<Cosignature>& cosignatures);
  Status Submission(std::string_view canonical_submission);
  // kContext or kLookup; the entry's submission bytes are not written (see Submission).
  Status Proven(BundleRecord type, const ProvenEntry& entry);
  Status Prefix(uint64_t size, const Digest& chain_hash, const std::vector<std::pair<uint32_t, Digest>>& range);
  Status Entry(uint64_t sequence, std::string_view record);
  Status Consistency(uint64_t old_size, uint64_t new_size, const std::vector<Digest>& proof);
  // Writes the end record, flushes and syncs the file.
  Status Finish(uint64_t entries, uint64_t submissions);

 private:
  BundleWriter() = default;
  Status Write(BundleRecord type, std::string_view payload);

  std::string path_;
  std::unique_ptr<std::ofstream> file_;
};

struct BundleReport {
  BundleHeader header;
  TreeHead head;
  std::vector<Cosignature> cosignatures;  // witnesses' co-signatures of the head, as given
  std::string operator_public_key_hex;
  std::string alliance_id;
  uint64_t entries = 0;
  uint64_t submissions = 0;
  uint64_t context_entries = 0;
  uint64_t lookup_entries = 0;
  bool trusted_head_checked = false;
  // Submissions whose views commitment was compared with the fold's (BundleVerifyOptions::views),
  // and those of another fold version, not compared.
  uint64_t views_checked = 0;
  uint64_t views_unchecked = 0;
  AnchorReport anchors;  // the ledger id and operator key trusted, and where the trust came from
};

struct BundleVerifyOptions {
  // What the user trusts (ledger/anchors.h), checked once the bundle itself verifies. A trusted
  // head, saved earlier: the bundle's log must extend it. Its size must be within what the bundle
  // can show: A - 1 <= size <= B, or the head's own size T. With a witness policy, the bundle's
  // head needs a quorum of co-signatures.
  TrustAnchors anchors;
  // Called now and then with (entries done, entries in the range).
  std::function<void(uint64_t, uint64_t)> progress;
  // The views' fold (projections/views_fold.h, empty), to compare each submission's views
  // commitment with what the log folds into; only a bundle from sequence 1 can.
  CommittedFold* views = nullptr;
};

// Verifies a bundle file, streaming (memory holds the validation state, the context and lookup
// events and one submission). Errors are Corruption naming the record or sequence number and
// what failed; NotAnchored when it verifies but does not match an anchor; InvalidArgument/IoError
// for an unreadable file or a trusted head outside the bundle's reach.
Result<BundleReport> VerifyBundle(const std::string& path, const BundleVerifyOptions& options);

}  // namespace fundtrail
