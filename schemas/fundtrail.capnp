# fundtrail event catalogue, log entry and submission envelopes.
#
# Rules for changing this file (see docs/FORMAT.md):
# - Field numbers only grow. Never renumber a field, change its type, or reuse a number.
# - Events are hashed and signed in Cap'n Proto canonical form (capnp::canonicalize), never a
#   builder's raw bytes.
# - In JSON input, struct and field names are snake_case versions of the camelCase names here
#   (fundsDisbursed -> funds_disbursed, memberOrgId -> member_org_id), enumerants likewise.
# - Every field is required in JSON input unless annotated $optional.

@0x84b667c16dbc87c1;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("fundtrail::schema");

# ---------------------------------------------------------------------------------------------
# Annotations read by the JSON codec (ledger/json_codec.c++) through schema reflection.

annotation optional @0xd4a4b3c1f0a1e201 (field) :Void;
# The field may be omitted from JSON input; it then keeps its Cap'n Proto default.

annotation date @0xd4a4b3c1f0a1e202 (field) :Void;
# A Text field holding an ISO 8601 calendar date, YYYY-MM-DD (a UTC calendar day).

annotation allowZero @0xd4a4b3c1f0a1e203 (field) :Void;
# A Money field that may be zero. Every other Money field must be strictly positive.

# ---------------------------------------------------------------------------------------------
# Common types.

struct Money {
  # An exact amount: integer minor units (fen for CNY) and an ISO 4217 currency code.
  # In JSON it is one string: "1250000.00 CNY". Floating point is never used.
  minorUnits @0 :Int64;
  currency @1 :Text;
}

enum OrganisationKind {
  enterprise @0;
  university @1;
  researchInstitute @2;
  other @3;
}

enum Role {
  admin @0;          # alliance secretariat (executive body, Art. 8(3))
  signatory @1;      # a member's legal representative (Art. 8(2))
  funder @2;         # ministry programme office, local S&T bureau, bank, guarantor (Art. 10)
  fundManager @3;    # supporting unit entrusted with the alliance's funds (Art. 8(4))
  memberFinance @4;  # a member's finance department, for its own organisation only
  auditor @5;        # internal oversight (Art. 8(4))
  regulator @6;      # reads, verifies and co-signs tree heads; appends nothing
}

enum BudgetCategory {
  # The central fiscal research-fund expense classes.
  equipment @0;
  materials @1;
  testing @2;
  fuelPower @3;
  travelConferenceInternational @4;
  publicationIp @5;
  labour @6;
  expertConsultation @7;
  otherDirect @8;
  indirect @9;
}

enum SourceKind {
  centralGovernment @0;
  localGovernment @1;
  enterprise @2;
  loan @3;
  guarantee @4;
  other @5;
}

enum GovernanceKind {
  decisionMaking @0;
  consultation @1;
  executive @2;
}

enum RefundKind {
  unspentToFunder @0;
  vendorRefund @1;
}

enum OutcomeKind {
  patent @0;
  standard @1;
  software @2;
  paper @3;
  other @4;
}

enum Disposition {
  confirmed @0;
  falsePositive @1;
  remediated @2;
}

enum Severity {
  low @0;
  medium @1;
  high @2;
  critical @3;
}

struct BudgetLine {
  category @0 :BudgetCategory;
  amount @1 :Money $allowZero;
}

struct Share {
  # A share of an outcome or of revenue, in basis points (1/100 of a percent; 10000 = 100%).
  orgId @0 :Text;
  basisPoints @1 :UInt32;
}

struct TaskShare {
  orgId @0 :Text;
  description @1 :Text;
}

struct Payment {
  orgId @0 :Text;
  amount @1 :Money;
}

# ---------------------------------------------------------------------------------------------
# Events. Each event is one Cap'n Proto message whose root is Event.

struct Event {
  union {
    ledgerGenesis @0 :LedgerGenesis;
    organisationRegistered @1 :OrganisationRegistered;
    memberAdmitted @2 :MemberAdmitted;
    memberWithdrawn @3 :MemberWithdrawn;
    keyRegistered @4 :KeyRegistered;
    keyRevoked @5 :KeyRevoked;
    agreementRegistered @6 :AgreementRegistered;
    agreementSigned @7 :AgreementSigned;
    governanceBodyRegistered @8 :GovernanceBodyRegistered;
    projectRegistered @9 :ProjectRegistered;
    taskAssigned @10 :TaskAssigned;
    vendorRegistered @11 :VendorRegistered;
    grantAwarded @12 :GrantAwarded;
    budgetAdjusted @13 :BudgetAdjusted;
    fundsReceived @14 :FundsReceived;
    fundsDisbursed @15 :FundsDisbursed;
    expenditureRecorded @16 :ExpenditureRecorded;
    refundRecorded @17 :RefundRecorded;
    reversal @18 :Reversal;
    outcomeRegistered @19 :OutcomeRegistered;
    licenceGranted @20 :LicenceGranted;
    outcomeShared @21 :OutcomeShared;
    revenueDistributed @22 :RevenueDistributed;
    policySet @23 :PolicySet;
    flagDisposition @24 :FlagDisposition;
    findingRecorded @25 :FindingRecorded;
    grantTerminated @26 :GrantTerminated;  # validation version 4 on
  }
}

struct LedgerGenesis {
  # First event of every ledger, in a submission signed by the operator key it names.
  ledgerId @0 :Data;            # 16 random bytes chosen by `fundtrail init`
  allianceId @1 :Text;
  allianceName @2 :Text;
  allianceNameEn @3 :Text $optional;
  operatorPublicKey @4 :Data;   # raw 32-byte Ed25519 public key; signs tree heads
  date @5 :Text $date;
}

struct OrganisationRegistered {
  orgId @0 :Text;               # unified social credit code for Chinese entities
  name @1 :Text;
  nameEn @2 :Text $optional;
  kind @3 :OrganisationKind;
  legalRepresentative @4 :Text;
  taxId @5 :Text $optional;
  bankAccount @6 :Text $optional;
}

struct MemberAdmitted {
  orgId @0 :Text;
  date @1 :Text $date;
}

struct MemberWithdrawn {
  orgId @0 :Text;
  date @1 :Text $date;
  expelled @2 :Bool $optional;
  reason @3 :Text $optional;
}

struct KeyRegistered {
  publicKey @0 :Data;           # raw 32-byte Ed25519 public key; the key id is derived from it
  orgId @1 :Text;
  roles @2 :List(Role);
  label @3 :Text $optional;
}

struct KeyRevoked {
  keyId @0 :Data;               # 16 bytes, see docs/FORMAT.md
  reason @1 :Text $optional;
}

struct AgreementRegistered {
  agreementId @0 :Text;
  title @1 :Text;
  documentHash @2 :Data;        # SHA-256 of the signed agreement document
  goals @3 :List(Text);
  tasks @4 :List(TaskShare);    # division of tasks among members
  ownershipShares @5 :List(Share);
  revenueShares @6 :List(Share);
  licensingTerms @7 :Text $optional;
  date @8 :Text $date;
}

struct AgreementSigned {
  agreementId @0 :Text;
  orgId @1 :Text;
  signatoryName @2 :Text;
  date @3 :Text $date;
}

struct GovernanceBodyRegistered {
  bodyId @0 :Text;
  kind @1 :GovernanceKind;
  name @2 :Text;
  memberOrgIds @3 :List(Text);
  fullTimeStaff @4 :UInt32 $optional;
  date @5 :Text $date;
}

struct ProjectRegistered {
  projectId @0 :Text;
  name @1 :Text;
  nameEn @2 :Text $optional;
  agreementId @3 :Text $optional;
}

struct TaskAssigned {
  taskId @0 :Text;
  projectId @1 :Text;
  orgId @2 :Text;
  description @3 :Text;
}

struct VendorRegistered {
  vendorId @0 :Text;
  name @1 :Text;
  taxId @2 :Text;
  legalRepresentative @3 :Text $optional;
  bankAccount @4 :Text $optional;
  registeredDate @5 :Text $date $optional;  # business registration date
}

struct GrantAwarded {
  grantId @0 :Text;
  title @1 :Text;
  funderOrgId @2 :Text;
  sourceKind @3 :SourceKind;
  amount @4 :Money;
  periodStart @5 :Text $date;
  periodEnd @6 :Text $date;
  budget @7 :List(BudgetLine);  # lines must sum to amount
  supervisingAuthority @8 :Text $optional;
  projectId @9 :Text;
  date @10 :Text $date;         # award date
}

struct BudgetAdjusted {
  grantId @0 :Text;
  lines @1 :List(BudgetLine);   # new amounts of the listed lines; other lines unchanged
  approvedBy @2 :Text;
  approvalReference @3 :Text $optional;
  date @4 :Text $date;
  funderApprovalReference @5 :Text $optional;
  # Validation version 4 on: the funder's approval (its document number) of an adjustment that
  # the undertaking unit (the fund manager) records; BR-2 counts an equipment increase only with it.
}

struct FundsReceived {
  grantId @0 :Text;
  amount @1 :Money;
  date @2 :Text $date;
  reference @3 :Text $optional;
}

struct FundsDisbursed {
  grantId @0 :Text;
  memberOrgId @1 :Text;
  amount @2 :Money;
  date @3 :Text $date;
  taskId @4 :Text $optional;
  reference @5 :Text $optional;
}

struct ExpenditureRecorded {
  grantId @0 :Text;
  orgId @1 :Text;               # the member that spent
  category @2 :BudgetCategory;
  vendorId @3 :Text;
  invoiceNumber @4 :Text;
  invoiceDate @5 :Text $date;
  paymentDate @6 :Text $date;
  amount @7 :Money;
  requester @8 :Text;
  approver @9 :Text;
  description @10 :Text;
  voucherDate @11 :Text $date $optional;   # booking date in the member's finance system
  payee @12 :Text $optional;
  expertName @13 :Text $optional;
  expertDays @14 :UInt32 $optional;        # person-days, for expert consultation
  expertIsAcademician @15 :Bool $optional;
  reference @16 :Text $optional;
  sourceKey @17 :Text $optional;
  # The row's key in the member's finance system, written by `fundtrail import`: by default
  # "ORG|PERIOD|VOUCHER|LINE" (organisation, accounting period, voucher number, line). A re-import
  # appends no row whose key is already in the ledger.
  invoiceTotal @18 :Money $optional;
  # Validation version 4 on: the invoice's whole amount, when this charge is only part of it (an
  # invoice split across grants). In the currency of the charge: originalAmount's if present,
  # else amount's; at least that charge.
  originalAmount @19 :Money $optional;
  exchangeRate @20 :Text $optional;
  # Validation version 4 on, both or neither: a payment in a currency other than the grant's.
  # originalAmount is what was paid; exchangeRate the grant-currency units per one unit of it, a
  # decimal string ("7.1234"); amount must equal originalAmount x exchangeRate rounded half to
  # even at the grant currency's minor unit (docs/FORMAT.md, section 5).
}

struct RefundRecorded {
  grantId @0 :Text;
  orgId @1 :Text;
  kind @2 :RefundKind;
  amount @3 :Money;
  date @4 :Text $date;
  vendorId @5 :Text $optional;
  reference @6 :Text $optional;
}

struct Reversal {
  # Corrects an earlier event; nothing is ever edited or deleted.
  targetSequence @0 :UInt64;
  reason @1 :Text;
}

struct OutcomeRegistered {
  outcomeId @0 :Text;
  kind @1 :OutcomeKind;
  title @2 :Text;
  grantId @3 :Text $optional;
  owners @4 :List(Share);
  date @5 :Text $date;
  identifier @6 :Text $optional;  # patent or standard number
}

struct LicenceGranted {
  licenceId @0 :Text;
  outcomeId @1 :Text;
  licenseeName @2 :Text;
  licenseeOrgId @3 :Text $optional;
  exclusive @4 :Bool $optional;
  date @5 :Text $date;
  terms @6 :Text $optional;
}

struct OutcomeShared {
  outcomeId @0 :Text;
  recipient @1 :Text;
  date @2 :Text $date;
  recipientOrgId @3 :Text $optional;
  description @4 :Text $optional;
}

struct RevenueDistributed {
  outcomeId @0 :Text;
  total @1 :Money;
  payments @2 :List(Payment);   # must sum to total
  date @3 :Text $date;
}

struct PolicySet {
  version @0 :UInt32;           # strictly increasing
  document @1 :Text;            # the policy as a JSON object
}

struct FlagDisposition {
  flagId @0 :Text;
  disposition @1 :Disposition;
  note @2 :Text;
}

struct GrantTerminated {
  # The funder ends a grant early (validation version 4 on); the unspent money falls due.
  grantId @0 :Text;
  date @1 :Text $date;          # the business date the grant ends
  reason @2 :Text;
}

struct FindingRecorded {
  findingId @0 :Text;
  subject @1 :Text;
  severity @2 :Severity;
  text @3 :Text;
  flagIds @4 :List(Text) $optional;
}

# ---------------------------------------------------------------------------------------------
# Envelopes.

struct SubmissionBody {
  # The signed part of a submission. The signature covers
  #   "FTSIGN01" || canonical(SubmissionBody)
  # so one signature authorises a whole batch; eventDigests binds every event in it, and lets a
  # verifier name the exact event that was altered.
  ledgerId @0 :Data;            # 16 bytes; stops replay into another ledger
  submissionId @1 :Text;        # client-chosen; makes retries safe
  keyId @2 :Data;               # 16 bytes
  createdAt @3 :Int64;          # client clock, microseconds since 1970-01-01T00:00:00Z
  eventCount @4 :UInt32;
  eventDigests @5 :List(Data);  # d_i = SHA-256("FTEVENT1" || canonical(Event_i)), in order
}

struct Submission {
  # Stored once per submission, keyed by the sequence number of its first event.
  body @0 :SubmissionBody;
  signature @1 :Data;           # 64-byte Ed25519 signature
  firstSequence @2 :UInt64;
  appendedAt @3 :Int64;         # ledger clock, microseconds since the epoch, UTC
  # Format 2 (docs/FORMAT.md, sections 2 and 5): set by the ledger, like firstSequence and
  # appendedAt, and so covered by the submission digest and the chain. Absent in submissions
  # written before format 2, whose digests therefore did not change.
  validationVersion @4 :UInt16; # the validation rules the events were checked under; 0 means 1
  stateDigest @5 :Data;         # 32 bytes: digest of the validation state after this submission
  # Format 3 (docs/FORMAT.md, section 5, "The views commitment"): set by the ledger from
  # validation version 3 on, and so covered by the submission digest and the chain.
  viewsVersion @6 :UInt16;      # the version of the views' fold that computed viewsDigest
  viewsDigest @7 :Data;         # 32 bytes: digest of the views' state after this submission
}

# ---------------------------------------------------------------------------------------------
# Tree heads.

struct TreeHead {
  # The state of the log at one moment. The operator key signs
  #   "FTHEAD01" || canonical(TreeHead)
  # A regulator who keeps a signed head can later prove that the log only grew since.
  ledgerId @0 :Data;            # 16 bytes
  treeSize @1 :UInt64;          # number of entries
  rootHash @2 :Data;            # RFC 9162 root of the first treeSize entries' leaves
  chainHash @3 :Data;           # h_treeSize
  timestamp @4 :Int64;          # operator clock, microseconds since the epoch, UTC
}
