// The wire format of `fundtrail serve` (docs/FORMAT.md, section "Signed submissions on the
// wire"): a signed submission as one JSON object, the file `fundtrail sign` writes and the body
// of POST /v1/submissions; and the receipt and error objects the server answers with.
//
//   {"format": "fundtrail-signed-submission-1",
//    "body": HEX(canonical(SubmissionBody)),
//    "signature": HEX(64-byte Ed25519 signature over "FTSIGN01" || canonical(SubmissionBody)),
//    "events": [HEX(canonical(Event_1)), ..., HEX(canonical(Event_n))]}
//
// Lowercase or uppercase hex digits; no other field. The bytes are exactly those of
// SignedSubmission (ledger/submission.h): the server checks them as `fundtrail append` does.
// Pure: nlohmann-json only, for the standalone tools too.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "ledger/status.h"
#include "ledger/submission.h"

namespace fundtrail {

inline constexpr char kSignedSubmissionFormat[] = "fundtrail-signed-submission-1";

// The envelope of `submission`, as JSON text (one line, no newline).
std::string EncodeSignedSubmission(const SignedSubmission& submission);

// Parses an envelope strictly: a duplicate or unknown field, a field of the wrong type, hex that
// does not decode, a signature that is not 64 bytes, no events or more than
// kSubmissionEventCountMax is InvalidArgument "<where>: ..." naming the field (and the index of a
// bad event). Whether the bytes inside are canonical and signed is the ledger's to check.
Result<SignedSubmission> DecodeSignedSubmission(std::string_view text, const std::string& where);

}  // namespace fundtrail
