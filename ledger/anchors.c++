#include "ledger/anchors.h"

#include "ledger/dates.h"

namespace fundtrail {

namespace {

std::string Hex(std::string_view raw) { return HexEncode(AsBytes(raw)); }

}  // namespace

Result<std::string> ParseLedgerIdArgument(const std::string& text, const std::string& flag) {
  auto raw = HexDecode(text);
  if (!raw || raw->size() != 16) {
    return Error(Status::InvalidArgument(flag + ": \"" + text +
                                         "\" is not a ledger id: give its 32 hex digits (the \"ledger_id\" of a "
                                         "head file, or the ledger line of `fundtrail head`)"));
  }
  return *raw;
}

Result<GenesisIdentity> ReadGenesisIdentity(std::string_view genesis_entry_record) {
  auto entry = DecodeEntry(genesis_entry_record);
  if (!entry) return Error(entry.error().WithPrefix("the genesis entry"));
  auto event = DecodedEvent::Open(entry->canonical_event, "the genesis event");
  if (!event) return Error(event.error());
  if (event->root().which() != schema::Event::LEDGER_GENESIS) {
    return Error(Status::Corruption("event 1 is not the ledger's genesis"));
  }
  auto genesis = event->root().getLedgerGenesis();
  auto as_string = [](capnp::Data::Reader data) {
    return std::string(reinterpret_cast<const char*>(data.begin()), data.size());
  };
  auto operator_key = PublicKey::FromRaw(as_string(genesis.getOperatorPublicKey()));
  if (!operator_key) return Error(Status::Corruption("the genesis names an invalid operator key"));
  std::string ledger_id = as_string(genesis.getLedgerId());
  if (ledger_id.size() != 16) return Error(Status::Corruption("the genesis names a ledger id that is not 16 bytes"));
  return GenesisIdentity{std::move(ledger_id), std::move(*operator_key)};
}

Result<TrustAnchors> ReadTrustAnchors(const TrustAnchorArguments& arguments) {
  TrustAnchors anchors;
  if (!arguments.operator_key.empty()) {
    auto key = ReadPublicKeyArgument(arguments.operator_key, "--operator-key");
    if (!key) return Error(key.error());
    anchors.operator_key = std::move(*key);
    anchors.operator_key_source = "--operator-key " + arguments.operator_key;
  }
  if (!arguments.ledger_id.empty()) {
    auto id = ParseLedgerIdArgument(arguments.ledger_id, "--ledger-id");
    if (!id) return Error(id.error());
    anchors.ledger_id = std::move(*id);
    anchors.ledger_id_source = "--ledger-id " + arguments.ledger_id;
  }
  if (!arguments.trusted_head.empty()) {
    auto head = ReadCosignedHeadFile(arguments.trusted_head);
    if (!head) return Error(head.error());
    anchors.trusted_head = std::move(*head);
    anchors.trusted_head_source = "--trusted-head " + arguments.trusted_head;
  }
  if (!arguments.witness_policy.empty()) {
    auto policy = ReadWitnessPolicyFile(arguments.witness_policy);
    if (!policy) return Error(policy.error());
    anchors.witness_policy = std::move(*policy);
    anchors.witness_policy_source = "--witness-policy " + arguments.witness_policy;
  }
  return anchors;
}

std::string AnchorReport::Describe(const std::string& what) const {
  std::string trusted = "  trusted: ledger " + Hex(ledger_id) + ", operator key id " + Hex(operator_key_id);
  if (!anchored()) {
    return trusted + " (named by the " + what + "'s own genesis, not by an anchor)\n" +
           "  NOT ANCHORED: this proves only internal consistency; anyone could have made it with a key of "
           "their own. Anchor it with --operator-key OPERATOR.pub, --ledger-id ID, --trusted-head HEAD.json "
           "or --witness-policy POLICY.json\n";
  }
  std::string from;
  for (const auto& source : sources) from += (from.empty() ? "" : "; ") + source;
  std::string text = trusted + " (from " + from + ")\n";
  if (!witnesses.empty()) text += "  witnesses: " + witnesses + "\n";
  if (!key_anchored) {
    text += "  NOT ANCHORED TO A KEY: a ledger id alone does not show who made this " + what +
            " (anyone can copy it into a genesis of their own); add --operator-key OPERATOR.pub, --trusted-head "
            "HEAD.json or --witness-policy POLICY.json\n";
  }
  return text;
}

Status CheckHeadSignedBy(const TreeHead& head, const PublicKey& key, const std::string& name) {
  if (head.signature.empty()) {
    return Status::NotAnchored(name + " is not signed: only a head signed by the operator key (`fundtrail head "
                                      "--sign-key OPERATOR.pem --out FILE`) can be trusted");
  }
  if (head.key_id != key.key_id()) {
    return Status::NotAnchored(name + " is signed by key id " + Hex(head.key_id) + ", not by the operator key id " +
                               Hex(key.key_id()));
  }
  Status verified = VerifyTreeHeadSignature(head, key);
  if (!verified.ok()) return verified.WithPrefix(name);
  return Status::Ok();
}

Result<AnchorReport> CheckAnchors(const TrustAnchors& anchors, const std::string& ledger_id,
                                  const PublicKey& operator_key) {
  FT_ASSERT(ledger_id.size() == 16);
  AnchorReport report;
  report.ledger_id = ledger_id;
  report.operator_key_id = operator_key.key_id();
  if (anchors.ledger_id) {
    if (*anchors.ledger_id != ledger_id) {
      return Error(Status::NotAnchored("this is ledger " + Hex(ledger_id) + ", not ledger " + Hex(*anchors.ledger_id) +
                                       " given by " + anchors.ledger_id_source));
    }
    report.sources.push_back(anchors.ledger_id_source);
  }
  if (anchors.operator_key) {
    if (anchors.operator_key->raw() != operator_key.raw()) {
      return Error(Status::NotAnchored("the genesis names operator key id " + Hex(operator_key.key_id()) +
                                       ", not the operator key id " + Hex(anchors.operator_key->key_id()) +
                                       " given by " + anchors.operator_key_source +
                                       ": another operator made this ledger (or forged it)"));
    }
    report.sources.push_back(anchors.operator_key_source);
    report.key_anchored = true;
  }
  if (anchors.trusted_head) {
    const TreeHead& trusted = anchors.trusted_head->head;
    if (trusted.ledger_id != ledger_id) {
      return Error(Status::NotAnchored("the trusted head " + anchors.trusted_head_source + " is for ledger " +
                                       Hex(trusted.ledger_id) + ", this is ledger " + Hex(ledger_id)));
    }
    // A trusted head that does not verify with the operator key is no anchor, whatever the reason.
    Status signed_by = CheckHeadSignedBy(trusted, operator_key, "the trusted head " + anchors.trusted_head_source);
    if (!signed_by.ok()) return Error(Status::NotAnchored(signed_by.message()));
    report.sources.push_back(anchors.trusted_head_source + " (a head of " + std::to_string(trusted.tree_size) +
                             " entries signed at " + FormatTimestamp(trusted.timestamp_micros) + ")");
    report.key_anchored = true;
  }
  FT_ASSERT(report.anchored() || (!anchors.ledger_id && !anchors.operator_key && !anchors.trusted_head));
  return report;
}

Status CheckWitnessAnchor(const TrustAnchors& anchors, const CosignedHead& head, AnchorReport* report) {
  FT_ASSERT(report != nullptr);
  if (!anchors.witness_policy) return Status::Ok();
  QuorumReport quorum;
  Status witnessed = CheckWitnessQuorum(head, *anchors.witness_policy, &quorum);
  if (!witnessed.ok()) {
    return Status::NotAnchored("the head of " + std::to_string(head.head.tree_size) + " entries: " +
                               witnessed.message());
  }
  report->sources.push_back(anchors.witness_policy_source + " (a quorum of its witnesses co-signed the head)");
  report->witnesses = quorum.Describe();
  report->key_anchored = true;
  return Status::Ok();
}

Status CompareWithTrustedHead(const TreeHead& trusted, const std::optional<TreePoint>& shown, uint64_t log_size,
                              const Status& unreachable) {
  FT_ASSERT(!unreachable.ok());
  if (!shown) return unreachable;
  FT_ASSERT(shown->size == trusted.tree_size);
  if (shown->root == trusted.root_hash && shown->chain_hash == trusted.chain_hash) return Status::Ok();
  std::string kind = trusted.tree_size == log_size
                         ? "split view: two different heads of size " + std::to_string(trusted.tree_size)
                         : "the log is not an extension of the trusted head";
  return Status::Corruption(kind + ": at size " + std::to_string(trusted.tree_size) + " the log gives root " +
                            HexEncode(shown->root) + " and chain hash " + HexEncode(shown->chain_hash) +
                            ", the trusted head says root " + HexEncode(trusted.root_hash) + " and chain hash " +
                            HexEncode(trusted.chain_hash) + ": history was rewritten");
}

}  // namespace fundtrail
