// Projections: a deterministic fold of the event stream into the figures auditors ask for
// (grants, members, the alliance, outcomes), on top of double-entry accounting. Pure: it never
// writes events, and the same events always give the same state (and the same Digest()).
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ledger/bytes.h"
#include "ledger/status.h"
#include "ledger/validator.h"
#include "schemas/fundtrail.capnp.h"

namespace fundtrail::projections {

// Amounts by budget category (schema::BudgetCategory as int).
using CategoryAmounts = std::map<int, int64_t>;

// The version of the views' fold (Projection::Apply and ToJson), recorded beside every views
// digest a submission commits. Raise it whenever a change to the fold or to ToJson changes the
// digest of any log: a replay compares only the digests of its own version.
inline constexpr uint16_t kViewsFoldVersion = 1;

struct GrantFigures {
  std::string title;
  std::string funder_org_id;
  std::string project_id;
  std::string currency;
  int source_kind = 0;
  std::string period_start;
  std::string period_end;
  uint64_t sequence = 0;        // where it was awarded
  int64_t awarded = 0;
  int64_t received = 0;         // paid in by the funder
  int64_t disbursed = 0;        // paid out to members
  int64_t spent = 0;            // expenditures less vendor refunds
  int64_t refunded = 0;         // returned to the funder
  CategoryAmounts budget;       // as awarded plus approved adjustments
  CategoryAmounts spent_by_category;
  // received - spent - refunded: money of this grant still held in the alliance.
  int64_t available() const { return received - spent - refunded; }
};

// What one event does to its grant's figures: which grant, the currency of its amount ("" for
// a budget adjustment, which moves no money) and the changes, in minor units. Projection::Apply
// folds it into GrantFigures, and a grant's history (views.h) folds it alone for the running
// balances, so that the two cannot disagree. The views point into the event.
struct GrantChange {
  std::string_view grant_id;
  std::string_view currency;
  int64_t awarded = 0;
  int64_t received = 0;
  int64_t disbursed = 0;
  int64_t spent = 0;
  int64_t refunded = 0;
};
// The change `event` makes to a grant's figures; nullopt when it makes none.
std::optional<GrantChange> GrantChangeOf(schema::Event::Reader event);
// Adds `sign` (+1, or -1 to undo a reversed event) times `change` to `grant`; the currency and
// the budget are the caller's.
void ApplyGrantChange(const GrantChange& change, int sign, GrantFigures& grant);
// Whether ApplyGrantChange would keep every figure (and what is available) within int64.
bool GrantChangeFits(const GrantFigures& grant, const GrantChange& change, int sign);

struct MemberGrantFigures {
  int64_t received = 0;         // disbursed to the member
  int64_t spent = 0;            // its expenditures less vendor refunds
  int64_t refunded = 0;         // returned by the member
  CategoryAmounts spent_by_category;
  int64_t unspent() const { return received - spent - refunded; }
};

// What one event does to a member's figures on a grant, shared by Projection::Apply and a
// member's history (views.h) as GrantChange is. The views point into the event.
struct MemberGrantChange {
  enum class Kind : uint8_t { kDisbursed = 1, kSpent = 2, kVendorRefund = 3, kFunderRefund = 4 };
  std::string_view org_id;
  std::string_view grant_id;
  Kind kind = Kind::kDisbursed;
  int64_t amount = 0;           // minor units
  int category = 0;             // schema::BudgetCategory, for kSpent
};
// The change `event` makes to a member's figures; nullopt when it makes none.
std::optional<MemberGrantChange> MemberGrantChangeOf(schema::Event::Reader event);
// Adds `sign` (+1, or -1 to undo a reversed event) times `change` to the figures of
// (change.org_id, change.grant_id) in `figures`. A disbursement or an expenditure creates the
// figures; a refund counts against the member only when it received money of the grant (else it
// is the fund manager returning pool money, which is no member's). Returns whether it did.
using MemberGrantMap = std::map<std::pair<std::string, std::string>, MemberGrantFigures>;
bool ApplyMemberGrantChange(const MemberGrantChange& change, int sign, MemberGrantMap& figures);
// Whether ApplyMemberGrantChange would keep every figure (and what is unspent) within int64.
bool MemberChangeFits(const MemberGrantMap& figures, const MemberGrantChange& change, int sign);

struct OrganisationInfo {
  std::string name;
  std::string name_en;
  int kind = 0;                 // schema::OrganisationKind
  bool member = false;
  std::string admitted_date;    // latest admission
  std::string withdrawn_date;   // latest withdrawal
  bool expelled = false;
};

struct AgreementInfo {
  std::string title;
  std::string date;
  std::set<std::string> signed_org_ids;
  std::map<std::string, uint32_t> revenue_shares;  // org -> basis points
  bool has_goals = false;
  bool has_task_division = false;
  bool has_ownership_shares = false;
  bool has_licensing_terms = false;
};

struct KeyInfo {
  std::string org_id;
  uint32_t roles = 0;           // bit (1 << schema::Role)
  bool revoked = false;
};

struct BodyInfo {
  std::string name;
  int kind = 0;                 // schema::GovernanceKind
  std::vector<std::string> member_org_ids;
  uint32_t full_time_staff = 0;
};

struct OutcomeInfo {
  std::string title;
  int kind = 0;                 // schema::OutcomeKind
  std::string grant_id;
  std::string date;
  std::map<std::string, uint32_t> owners;  // org -> basis points
  // Licences, sharing and revenue, by the sequence number of their event (reversals remove).
  std::map<uint64_t, nlohmann::json> licences;
  std::map<uint64_t, nlohmann::json> sharing;
  std::map<uint64_t, nlohmann::json> revenue;
  int64_t revenue_total = 0;
  std::string revenue_currency;
};

// A grant ended early by grant_terminated (validation version 4): the business date it ends, why,
// and the event. The views hold one per terminated grant.
struct TerminationInfo {
  std::string date;
  std::string reason;
  uint64_t sequence = 0;
};

struct Checkpoint {
  uint64_t sequence = 0;        // the last event folded in
  Digest chain_hash{};          // its chain hash
};

class Projection {
 public:
  // Folds event `sequence` in. `lookup` reads earlier events (for reversals); it may be null
  // when no reversal can occur. Never fails on a valid log: the ledger validated every event.
  // REQUIRES: sequence == checkpoint().sequence + 1 unless the caller folds a subset of the log
  // (histories), which is allowed for any increasing sequence.
  Status Apply(uint64_t sequence, const Digest& chain_hash, schema::Event::Reader event,
               EventLookup* lookup);

  const Checkpoint& checkpoint() const { return checkpoint_; }

  // Double-entry: balance of every account, per currency. Every monetary event posts balanced
  // entries, so the balances of each currency sum to zero.
  const std::map<std::string, std::map<std::string, int64_t>>& accounts() const { return accounts_; }
  // Sum of all account balances per currency (all zero unless there is a bug).
  std::map<std::string, int64_t> TrialBalance() const;

  const std::map<std::string, GrantFigures>& grants() const { return grants_; }
  // (member org id, grant id) -> figures.
  const std::map<std::pair<std::string, std::string>, MemberGrantFigures>& member_grants() const {
    return member_grants_;
  }
  const std::map<std::string, OrganisationInfo>& organisations() const { return organisations_; }
  const std::map<std::string, AgreementInfo>& agreements() const { return agreements_; }
  const std::map<std::string, BodyInfo>& bodies() const { return bodies_; }
  const std::map<std::string, OutcomeInfo>& outcomes() const { return outcomes_; }
  const std::map<std::string, KeyInfo>& keys() const { return keys_; }
  // Terminated grants, by grant id.
  const std::map<std::string, TerminationInfo>& terminations() const { return terminations_; }
  const std::string& alliance_id() const { return alliance_id_; }
  const std::string& alliance_name() const { return alliance_name_; }

  // The whole state as JSON (deterministic: ordered maps) and back.
  nlohmann::json ToJson() const;
  static Result<Projection> FromJson(const nlohmann::json& json);
  // SHA-256 of ToJson().dump(): equal for equal states.
  Digest StateDigest() const;
  // The digest a submission commits of the views (docs/FORMAT.md, section 5, "The views
  // commitment"): SHA-256("FTVIEWS1" || be16(kViewsFoldVersion) || the JSON text of ToJson()
  // without its "checkpoint"), which names no chain hash, so that a submission can commit it.
  Digest CommittedDigest() const;
  // J of that digest: the JSON text of ToJson() without "checkpoint".
  std::string CommittedJson() const;
  // Where the fold stands: the writer folds a submission before its chain hashes exist, and sets
  // them once it is written (ViewsFold::Commit).
  void set_checkpoint(const Checkpoint& checkpoint) { checkpoint_ = checkpoint; }

 private:
  Status Post(const std::string& debit, const std::string& credit, int64_t amount,
            const std::string& currency);
  // Applies the money effects of `event` with sign +1, or undoes them with -1 (reversals).
  // Every figure is checked for overflow: money is never allowed to wrap (each amount is bounded
  // from validation version 2 on, but their sums are not).
  Status ApplyMoney(uint64_t sequence, schema::Event::Reader event, int sign);
  Status AddChecked(int64_t& into, int64_t delta, const std::string& what, const std::string& currency);
  static Status FiguresOverflow(const std::string& what, const std::string& currency);
  GrantFigures& Grant(const std::string& id, const std::string& currency);

  Checkpoint checkpoint_;
  std::string alliance_id_;
  std::string alliance_name_;
  std::map<std::string, std::map<std::string, int64_t>> accounts_;
  std::map<std::string, GrantFigures> grants_;
  std::map<std::pair<std::string, std::string>, MemberGrantFigures> member_grants_;
  std::map<std::string, OrganisationInfo> organisations_;
  std::map<std::string, AgreementInfo> agreements_;
  std::map<std::string, BodyInfo> bodies_;
  std::map<std::string, OutcomeInfo> outcomes_;
  std::map<std::string, KeyInfo> keys_;                              // by key id (hex)
  // Budget adjustments by sequence: category -> (old, new), so a reversal can restore.
  std::map<uint64_t, std::map<int, std::pair<int64_t, int64_t>>> adjustments_;
  // In the views JSON (and so in J) only once a grant is terminated, so that the digest of a log
  // without terminations is that of views version 1 as before.
  std::map<std::string, TerminationInfo> terminations_;
};

}  // namespace fundtrail::projections
