// Tests of the flag filters and flag ids as users type them (flag_query.h):
// every valid value is accepted in any case, every unknown one is an error that
// lists the valid values.
#include "projections/flag_query.h"

#include <gtest/gtest.h>

namespace fundtrail::projections {
namespace {

const std::vector<std::string> kKnown = {"alliance:A", "grant:G-1",   "grant:G-2", "org:ENT-1",
                                         "org:UNI-1",  "outcome:O-1", "vendor:V-1"};

Result<FlagFilter> Filter(const std::string& rule, const std::string& severity,
                          const std::string& subject, const std::string& status) {
  return MakeFlagFilter({rule, severity, subject, status}, kKnown);
}

std::string ErrorOf(const Result<FlagFilter>& filter) {
  EXPECT_FALSE(filter.has_value());
  return filter.has_value() ? "" : filter.error().message();
}

TEST(FlagFilterTest, ValuesInAnyCaseAreSpeltAsTheFlagsSpellThem) {
  auto filter = Filter("tp-1", "CRITICAL", "ORG:uni-1", "False-Positive");
  ASSERT_TRUE(filter.has_value()) << filter.error().message();
  EXPECT_EQ(filter->rule, "TP-1");
  EXPECT_EQ(filter->severity, "critical");
  EXPECT_EQ(filter->subject, "org:UNI-1");
  EXPECT_EQ(filter->status, "false_positive");
  auto member = Filter("", "", "member:ENT-1", "");
  ASSERT_TRUE(member.has_value());
  EXPECT_EQ(member->subject, "org:ENT-1");
  auto empty = Filter("", "", "", "");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->rule.empty() && empty->severity.empty() && empty->subject.empty() &&
              empty->status.empty());
}

TEST(FlagFilterTest, EveryRuleSeverityAndStatusIsAccepted) {
  for (const auto& rule : RuleIds()) EXPECT_TRUE(Filter(rule, "", "", "").has_value()) << rule;
  EXPECT_EQ(RuleIds().size(), 27u);
  for (const auto& severity : Severities())
    EXPECT_TRUE(Filter("", severity, "", "").has_value()) << severity;
  for (const auto& status : ReviewStatuses())
    EXPECT_TRUE(Filter("", "", "", status).has_value()) << status;
  for (const auto& subject : kKnown)
    EXPECT_TRUE(Filter("", "", subject, "").has_value()) << subject;
}

TEST(FlagFilterTest, UnknownValuesAreErrorsListingTheValidOnes) {
  EXPECT_EQ(ErrorOf(Filter("", "CRITICALL", "", "")),
            "--severity \"CRITICALL\" is not a severity; use one of: low, "
            "medium, high, critical");
  std::string rule = ErrorOf(Filter("TP-9", "", "", ""));
  EXPECT_EQ(rule.rfind("--rule \"TP-9\" is not a rule id (docs/RULES.md); use "
                       "one of: PU-1, PU-2",
                       0),
            0u)
      << rule;
  EXPECT_NE(rule.find("AL-3"), std::string::npos) << rule;
  EXPECT_EQ(ErrorOf(Filter("TP1", "", "", "")).rfind("--rule \"TP1\"", 0), 0u);
  EXPECT_EQ(ErrorOf(Filter("", "", "", "closed")),
            "--status \"closed\" is not a review status; use one of: open, "
            "confirmed, "
            "false_positive, remediated");
  EXPECT_EQ(ErrorOf(Filter("", "", "person:X", "")),
            "--subject \"person:X\": \"person\" is not a subject kind; use one "
            "of: grant, org, "
            "vendor, outcome, alliance (member is taken for org)");
  for (const char* malformed : {"UNI-1", "org:", ":UNI-1"}) {
    std::string error = ErrorOf(Filter("", "", malformed, ""));
    EXPECT_NE(error.find("KIND:ID"), std::string::npos) << malformed << ": " << error;
  }
  EXPECT_EQ(ErrorOf(Filter("", "", "org:NOPE", "")),
            "--subject \"org:NOPE\": the ledger has no org \"NOPE\"; it has: "
            "ENT-1, UNI-1");
  EXPECT_EQ(ErrorOf(Filter("", "", "vendor:v-2", "")),
            "--subject \"vendor:v-2\": the ledger has no vendor \"v-2\"; it "
            "has: V-1");
}

Flag MakeFlag(const std::string& id, const std::string& severity, std::vector<std::string> touches,
              const std::string& status = "open") {
  Flag flag;
  flag.id = id;
  flag.rule = id.substr(0, id.find('/'));
  flag.severity = severity;
  flag.subject = touches.front();
  flag.touches = std::move(touches);
  std::sort(flag.touches.begin(), flag.touches.end());
  flag.review_status = status;
  return flag;
}

TEST(FlagFilterTest, SubjectMatchesEverySubjectAFlagTouches) {
  Flag flag = MakeFlag("PU-1/12", "critical", {"grant:G-1", "org:UNI-1", "vendor:V-1"});
  EXPECT_TRUE(Filter("", "", "org:UNI-1", "")->Matches(flag));
  EXPECT_TRUE(Filter("", "", "vendor:V-1", "")->Matches(flag));
  EXPECT_TRUE(Filter("", "", "grant:G-1", "")->Matches(flag));
  EXPECT_FALSE(Filter("", "", "org:ENT-1", "")->Matches(flag));
  EXPECT_TRUE(Filter("pu-1", "Critical", "org:UNI-1", "OPEN")->Matches(flag));
  EXPECT_FALSE(Filter("PU-2", "", "", "")->Matches(flag));
  EXPECT_FALSE(Filter("", "high", "", "")->Matches(flag));
  EXPECT_FALSE(Filter("", "", "", "confirmed")->Matches(flag));
}

TEST(FindFlagTest, WholeIdsInAnyCaseAndUnambiguousShortForms) {
  std::vector<Flag> flags = {MakeFlag("PU-4/330/cap", "high", {"grant:G-1"}),
                             MakeFlag("TP-1/8/after", "critical", {"grant:G-1"}),
                             MakeFlag("TP-1/8/liquidation", "critical", {"grant:G-1"}),
                             MakeFlag("TP-2/512", "medium", {"grant:G-1"})};
  auto whole = FindFlag(flags, "PU-4/330/cap");
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ((*whole)->id, "PU-4/330/cap");
  EXPECT_EQ((*FindFlag(flags, "pu-4/330/CAP"))->id, "PU-4/330/cap");
  EXPECT_EQ((*FindFlag(flags, "PU-4/330"))->id,
            "PU-4/330/cap");  // the README's short form
  EXPECT_EQ((*FindFlag(flags, "tp-2/512"))->id, "TP-2/512");
  auto ambiguous = FindFlag(flags, "TP-1/8");
  ASSERT_FALSE(ambiguous.has_value());
  EXPECT_EQ(ambiguous.error().message(),
            "flag id \"TP-1/8\" names 2 flags (TP-1/8/after, "
            "TP-1/8/liquidation); give the whole id");
  for (const char* missing : {"PU-4/33", "PU-4/330/ca", "PU-4", "TP-2/512/x", ""}) {
    auto found = FindFlag(flags, missing);
    ASSERT_FALSE(found.has_value()) << missing;
    EXPECT_EQ(found.error().code(), StatusCode::kNotFound) << missing;
  }
}

}  // namespace
}  // namespace fundtrail::projections
