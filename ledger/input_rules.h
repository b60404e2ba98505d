// The rules of validation version 2 on what any event may hold, whatever its type: every Text is
// valid UTF-8 of at most 4,096 bytes without control characters (tab and newline allowed) or
// bidirectional overrides and isolates, and every amount is within its currency's limit.
// docs/FORMAT.md, section 5, "Validation versions", states them exactly.
//
// A submission records the version its events were checked under (Submission.validationVersion,
// set by the ledger); version 1, that of every submission written before format 2, lacks these
// rules, so that ledgers written before them still verify. The writer always appends at
// kValidationVersionCurrent, and a replay requires versions never to decrease.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "ledger/status.h"
#include "schemas/fundtrail.capnp.h"

namespace fundtrail {

inline constexpr uint16_t kValidationVersionCurrent = 4;
// Version 4 checks events as version 3 does, and adds what reality needs (docs/FORMAT.md,
// section 5, "Validation versions"): the event grant_terminated; the fields
// budgetAdjusted.funderApprovalReference and expenditureRecorded.invoiceTotal, .originalAmount
// and .exchangeRate; budget_adjusted by the fund manager. An earlier version refuses them, so
// that a verifier that does not know them refuses a ledger that holds them.
inline constexpr uint16_t kValidationVersionEvents = 4;
// Version 3 checks events as version 2 does, and requires every submission to commit the views'
// digest (Submission.viewsDigest, docs/FORMAT.md section 5, "The views commitment"): a verifier
// that knows only version 2 refuses such a ledger clearly instead of ignoring the commitment.
inline constexpr uint16_t kValidationVersionViews = 3;
// What a writer without the views' fold appends (the ledger's own tests, tools below the
// projections): version 2, which a ledger already at version 3 refuses.
inline constexpr uint16_t kValidationVersionWithoutViews = 2;
inline constexpr size_t kEventTextSizeBytesMax = 4096;
// Every currency's limit is 10^12 of its major unit (1,000,000,000,000.00 CNY), in minor units.
inline constexpr int kAmountLimitMajorDigits = 12;

// The validation version a stored submission records: its validationVersion, 0 (absent) read as 1.
uint16_t ValidationVersionOf(schema::Submission::Reader submission);

// The largest amount, in minor units, of a supported currency (10^(12 + its decimals)), or
// nullopt for an unsupported currency.
std::optional<int64_t> AmountLimitMinorUnits(std::string_view currency);

// True if `text` is well-formed UTF-8: no stray continuation bytes, truncated sequences, overlong
// forms, surrogates or code points above U+10FFFF. JSON input always is; a submission built by
// another client may not be, and text kept in the validation state must be (its rows are JSON),
// whatever the validation version.
bool IsUtf8(std::string_view text);

// Why `text` breaks the version 2 rule for Text, or "" if it does not. `allow_line_breaks`: tab
// and newline are allowed (in event Text; not in a submission id).
std::string TextProblem(std::string_view text, bool allow_line_breaks);

// Checks every Text and every Money in `event` (all fields, nested structs and lists) against
// the version 2 rules; the error names the field path, e.g. field "budget[2].amount".
Status CheckEventInput(schema::Event::Reader event);

// A submission id of version 2: 1 to 128 bytes of UTF-8 without control characters, line
// breaks or bidirectional overrides.
Status CheckSubmissionIdV2(std::string_view submission_id);

}  // namespace fundtrail
