#include "server/auth.h"

#include <gtest/gtest.h>

#include "schemas/fundtrail.capnp.h"

namespace fundtrail::server {
namespace {

// A clock the test moves by hand.
class ManualClock : public Clock {
 public:
  int64_t NowMicros() override { return now_micros; }
  int64_t now_micros = 1764331200000000;
};

constexpr int64_t kSecond = 1000000;

uint32_t Bit(schema::Role role) { return uint32_t{1} << static_cast<uint32_t>(role); }

TEST(AuthMessageTest, IsTheDocumentedAsciiText) {
  EXPECT_EQ(AuthMessage("00112233445566778899aabbccddeeff", "abcd", "0123"),
            "fundtrail-auth-v1\nledger 00112233445566778899aabbccddeeff\nkey abcd\nnonce 0123\n");
}

TEST(AuthTablesTest, NonceIsSingleUseAndBoundToItsKey) {
  ManualClock clock;
  AuthTables tables({}, &clock);
  auto nonce = tables.NewNonce("k1");
  ASSERT_TRUE(nonce.has_value());
  EXPECT_EQ(nonce->value.size(), 64u);
  EXPECT_EQ(nonce->expires_micros, clock.now_micros + 60 * kSecond);
  EXPECT_TRUE(tables.TakeNonce(nonce->value, "k1").ok());
  Status again = tables.TakeNonce(nonce->value, "k1");
  EXPECT_FALSE(again.ok());
  EXPECT_NE(again.message().find("unknown or already used"), std::string::npos) << again.message();

  auto other = tables.NewNonce("k1");
  ASSERT_TRUE(other.has_value());
  EXPECT_NE(other->value, nonce->value);
  Status wrong_key = tables.TakeNonce(other->value, "k2");
  EXPECT_NE(wrong_key.message().find("issued for key k1"), std::string::npos) << wrong_key.message();
  // The failed attempt used it up.
  EXPECT_FALSE(tables.TakeNonce(other->value, "k1").ok());
  EXPECT_EQ(tables.nonce_count(), 0u);
}

TEST(AuthTablesTest, ExpiredNonceIsRefused) {
  ManualClock clock;
  AuthTables tables({}, &clock);
  auto nonce = tables.NewNonce("k1");
  ASSERT_TRUE(nonce.has_value());
  clock.now_micros += 60 * kSecond;
  Status taken = tables.TakeNonce(nonce->value, "k1");
  EXPECT_NE(taken.message().find("expired"), std::string::npos) << taken.message();
}

TEST(AuthTablesTest, TokenLivesFifteenMinutes) {
  ManualClock clock;
  AuthTables tables({}, &clock);
  auto token = tables.NewToken("k1");
  ASSERT_TRUE(token.has_value());
  auto key = tables.KeyOfToken(token->value);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(*key, "k1");
  clock.now_micros += 15 * 60 * kSecond - 1;
  EXPECT_TRUE(tables.KeyOfToken(token->value).has_value());
  clock.now_micros += 1;
  auto expired = tables.KeyOfToken(token->value);
  ASSERT_FALSE(expired.has_value());
  EXPECT_EQ(expired.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(expired.error().message().find("expired"), std::string::npos);
  auto unknown = tables.KeyOfToken(std::string(64, '0'));
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code(), StatusCode::kNotFound);
}

TEST(AuthTablesTest, TablesAreBoundedAndDropExpiredEntriesWhenFull) {
  ManualClock clock;
  AuthTables::Options options;
  options.nonces_max = 2;
  options.tokens_max = 2;
  AuthTables tables(options, &clock);
  ASSERT_TRUE(tables.NewNonce("a").has_value());
  ASSERT_TRUE(tables.NewNonce("b").has_value());
  auto third = tables.NewNonce("c");
  ASSERT_FALSE(third.has_value());
  EXPECT_EQ(third.error().code(), StatusCode::kBusy);
  ASSERT_TRUE(tables.NewToken("a").has_value());
  ASSERT_TRUE(tables.NewToken("b").has_value());
  EXPECT_EQ(tables.NewToken("c").error().code(), StatusCode::kBusy);
  clock.now_micros += 60 * kSecond;  // the nonces expire, the tokens not yet
  EXPECT_TRUE(tables.NewNonce("c").has_value());
  EXPECT_EQ(tables.nonce_count(), 1u);
  EXPECT_FALSE(tables.NewToken("c").has_value());
  clock.now_micros += 15 * 60 * kSecond;
  EXPECT_TRUE(tables.NewToken("c").has_value());
  EXPECT_EQ(tables.token_count(), 1u);
}

TEST(ReadScopeTest, OverseersReadEverythingMembersTheirOwnOrganisation) {
  for (auto role : {schema::Role::ADMIN, schema::Role::FUND_MANAGER, schema::Role::AUDITOR, schema::Role::REGULATOR}) {
    EXPECT_EQ(ScopeOfRoles(Bit(role)), ReadScope::kEverything) << static_cast<int>(role);
    EXPECT_EQ(ScopeOfRoles(Bit(role) | Bit(schema::Role::MEMBER_FINANCE)), ReadScope::kEverything);
  }
  for (auto role : {schema::Role::MEMBER_FINANCE, schema::Role::SIGNATORY, schema::Role::FUNDER}) {
    EXPECT_EQ(ScopeOfRoles(Bit(role)), ReadScope::kOwnOrganisation) << static_cast<int>(role);
  }
  EXPECT_EQ(ScopeOfRoles(0), ReadScope::kOwnOrganisation);
  EXPECT_EQ(RoleNames(Bit(schema::Role::MEMBER_FINANCE) | Bit(schema::Role::AUDITOR)),
            (std::vector<std::string>{"member_finance", "auditor"}));
}

TEST(ReadScopeTest, CallerOfKeyRefusesUnknownAndRevokedKeys) {
  LedgerState state;
  state.keys.Put("aa", KeyRecord{"UNI", Bit(schema::Role::MEMBER_FINANCE), "", 5, 0});
  state.keys.Put("bb", KeyRecord{"SEC", Bit(schema::Role::AUDITOR), "", 5, 9});
  auto member = CallerOfKey(state, "aa");
  ASSERT_TRUE(member.has_value());
  EXPECT_EQ(member->org_id, "UNI");
  EXPECT_EQ(member->scope, ReadScope::kOwnOrganisation);
  EXPECT_TRUE(member->may_read("UNI"));
  EXPECT_FALSE(member->may_read("ENT"));
  auto revoked = CallerOfKey(state, "bb");
  ASSERT_FALSE(revoked.has_value());
  EXPECT_NE(revoked.error().message().find("revoked at sequence 9"), std::string::npos);
  auto unknown = CallerOfKey(state, "cc");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message().find("not registered"), std::string::npos);
}

}  // namespace
}  // namespace fundtrail::server
