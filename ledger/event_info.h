// What an event is about: the subjects it touches (for the subject index and `fundtrail log
// --subject`) and a one-line summary (subject and amount) for listings.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "ledger/money.h"
#include "ledger/state.h"
#include "schemas/fundtrail.capnp.h"

namespace fundtrail {

enum class SubjectKind : char {
  kOrganisation = 'o',
  kGrant = 'g',
  kProject = 'p',
  kVendor = 'v',
};

// A set of subject kinds, to ask for only some.
class SubjectKinds {
 public:
  static SubjectKinds All() { return SubjectKinds(0xf); }
  SubjectKinds(std::initializer_list<SubjectKind> kinds) {
    for (SubjectKind kind : kinds) bits_ |= Bit(kind);
  }
  bool Has(SubjectKind kind) const { return (bits_ & Bit(kind)) != 0; }

 private:
  explicit SubjectKinds(unsigned bits) : bits_(bits) {}
  static unsigned Bit(SubjectKind kind) {
    switch (kind) {
      case SubjectKind::kOrganisation: return 1;
      case SubjectKind::kGrant: return 2;
      case SubjectKind::kProject: return 4;
      case SubjectKind::kVendor: return 8;
    }
    return 0;
  }
  unsigned bits_ = 0;
};

struct Subject {
  SubjectKind kind;
  std::string id;
  bool operator==(const Subject&) const = default;
};

// Parses "org:ID", "grant:ID", "project:ID" or "vendor:ID".
Result<Subject> ParseSubject(std::string_view text);
std::string SubjectKindName(SubjectKind kind);

// Every subject `event` touches. `author_org_id` (the signing key's organisation) is included.
// `state` is the validation state as of just before the event (for the grant's project).
// Only those of `kinds`, when given (cheaper than filtering afterwards).
std::vector<Subject> EventSubjects(schema::Event::Reader event, const std::string& author_org_id,
                                   const LedgerState& state, SubjectKinds kinds = SubjectKinds::All());
// The grant `event` concerns (EventSubjects' one grant subject), "" if none. Points into `event`.
std::string_view GrantIdOf(schema::Event::Reader event);
// The subjects the ledger indexes `event` under (the subject index, and the history store of
// projections/history_store.h): EventSubjects of the event with its author's organisation and,
// for a reversal, those of the event it reverses (`reversed`, null otherwise) without author.
std::vector<Subject> IndexedSubjects(schema::Event::Reader event, const std::string& author_org_id,
                                     const schema::Event::Reader* reversed, const LedgerState& state,
                                     SubjectKinds kinds = SubjectKinds::All());

struct EventSummary {
  std::string subject;          // "grant:G-1", the event's main subject
  std::optional<Money> amount;  // the event's amount, if it moves money
};
EventSummary SummariseEvent(schema::Event::Reader event);

}  // namespace fundtrail
