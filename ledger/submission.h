// Building and signing a submission on the client side: a batch of events, one signature.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ledger/crypto.h"
#include "ledger/log_format.h"
#include "ledger/status.h"

namespace fundtrail {

// What a client hands to the ledger: the signed body, its signature and the events, each in
// canonical form.
struct SignedSubmission {
  std::string canonical_body;             // canonical(SubmissionBody)
  std::string signature;                  // 64 bytes over SignedMessage(canonical_body)
  std::vector<std::string> canonical_events;
};

// The largest batch a submission may carry. Bounds the memory of append and verify.
inline constexpr size_t kSubmissionEventCountMax = 100000;
inline constexpr size_t kSubmissionIdSizeBytesMax = 128;

// Encodes one JSON event in canonical form. Errors name the field.
Result<std::string> EncodeEvent(const nlohmann::json& object);

// Builds and signs a submission of `canonical_events` for the ledger `ledger_id` (16 bytes).
// REQUIRES: 1 <= canonical_events.size() <= kSubmissionEventCountMax.
SignedSubmission SignSubmission(const PrivateKey& key, std::string_view ledger_id,
                                const std::string& submission_id, int64_t created_at_micros,
                                std::vector<std::string> canonical_events);

// A submission id derived from the content, used when the client gives none: re-running the
// same input with the same key then appends nothing twice.
std::string ContentSubmissionId(const std::string& key_id,
                                const std::vector<std::string>& canonical_events);

}  // namespace fundtrail
