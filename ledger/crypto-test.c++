#include "ledger/crypto.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "ledger/test_util.h"

namespace fundtrail {
namespace {

using test::Hex;
using test::KeyFromSeed;
using test::TempDir;
using test::Unhex;

// RFC 8032, section 7.1, TEST 1 (empty message) and TEST 2 (one byte 0x72).
constexpr char kRfcTest1SecretKey[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr char kRfcTest1PublicKey[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr char kRfcTest1Signature[] =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b4"
    "6bd25bf5f0595bbe24655141438e7a100b";
constexpr char kRfcTest2SecretKey[] = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
constexpr char kRfcTest2PublicKey[] = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
constexpr char kRfcTest2Signature[] =
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d"
    "8c387b2eaeb4302aeeb00d291612bb0c00";

std::string Sha256Hex(std::string_view text) { return Hex(Sha256::Of(AsBytes(text))); }

TEST(CryptoTest, Sha256KnownVectors) {
  // FIPS 180-2 examples.
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(CryptoTest, Sha256PeekLeavesTheContextAsItIs) {
  Sha256 hash;
  hash.Update(std::string_view("a"));
  EXPECT_EQ(Hex(hash.Peek()), "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb");
  hash.Update(std::string_view("bc"));
  EXPECT_EQ(Hex(hash.Peek()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hex(hash.Finish()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CryptoTest, IncrementalSha256MatchesOneShotAndResets) {
  Sha256 hash;
  hash.Update(std::string_view("ab"));
  hash.Update(std::string_view(""));
  hash.Update(std::string_view("c"));
  EXPECT_EQ(Hex(hash.Finish()), Sha256Hex("abc"));
  // Finish() resets: the next message starts from nothing.
  hash.Update(std::string_view("abc"));
  EXPECT_EQ(Hex(hash.Finish()), Sha256Hex("abc"));
  hash.Update(std::string_view("garbage"));
  hash.Reset();
  EXPECT_EQ(Hex(hash.Finish()), Sha256Hex(""));
}

TEST(CryptoTest, Ed25519Rfc8032Test1FromPkcs8Pem) {
  TempDir directory;
  PrivateKey key = KeyFromSeed(Unhex(kRfcTest1SecretKey), directory.File("rfc1.pem"));
  EXPECT_EQ(Hex(key.public_key().raw()), kRfcTest1PublicKey);
  std::string signature = key.Sign(AsBytes(""));
  EXPECT_EQ(Hex(signature), kRfcTest1Signature);
  EXPECT_TRUE(key.public_key().Verify(AsBytes(""), signature));
}

TEST(CryptoTest, Ed25519Rfc8032Test2) {
  TempDir directory;
  PrivateKey key = KeyFromSeed(Unhex(kRfcTest2SecretKey), directory.File("rfc2.pem"));
  EXPECT_EQ(Hex(key.public_key().raw()), kRfcTest2PublicKey);
  EXPECT_EQ(Hex(key.Sign(AsBytes("\x72"))), kRfcTest2Signature);
}

TEST(CryptoTest, VerifyRejectsChangedMessageSignatureOrKey) {
  TempDir directory;
  PrivateKey key = KeyFromSeed(Unhex(kRfcTest2SecretKey), directory.File("rfc2.pem"));
  PrivateKey other = KeyFromSeed(Unhex(kRfcTest1SecretKey), directory.File("rfc1.pem"));
  const std::string message = "FTSIGN01 a batch of events";
  const std::string signature = key.Sign(AsBytes(message));
  ASSERT_TRUE(key.public_key().Verify(AsBytes(message), signature));

  EXPECT_FALSE(key.public_key().Verify(AsBytes(message + "."), signature));
  std::string changed_message = message;
  changed_message[3] ^= 0x01;
  EXPECT_FALSE(key.public_key().Verify(AsBytes(changed_message), signature));

  for (size_t bit = 0; bit < signature.size() * 8; bit += 37) {
    std::string changed = signature;
    changed[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    EXPECT_FALSE(key.public_key().Verify(AsBytes(message), changed)) << "bit " << bit;
  }
  EXPECT_FALSE(key.public_key().Verify(AsBytes(message), signature.substr(0, 63)));
  EXPECT_FALSE(key.public_key().Verify(AsBytes(message), signature + '\0'));
  EXPECT_FALSE(key.public_key().Verify(AsBytes(message), ""));

  EXPECT_FALSE(other.public_key().Verify(AsBytes(message), signature));
  // The same key, loaded from its raw bytes, verifies.
  auto raw = PublicKey::FromRaw(key.public_key().raw());
  ASSERT_TRUE(raw.has_value());
  EXPECT_TRUE(raw->Verify(AsBytes(message), signature));
}

TEST(CryptoTest, KeyIdDerivation) {
  // KeyId = first 16 bytes of SHA-256("FTKEYID1" || raw public key). Pinned for the RFC key,
  // computed with an independent SHA-256 implementation.
  EXPECT_EQ(Hex(DeriveKeyId(Unhex(kRfcTest1PublicKey))), "256e6537467434da55264ef7e96f7ed6");
  auto key = PublicKey::FromRaw(Unhex(kRfcTest1PublicKey));
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(Hex(key->key_id()), "256e6537467434da55264ef7e96f7ed6");
  EXPECT_EQ(key->key_id().size(), kKeyIdSizeBytes);
  std::string manual = Hex(Sha256::Of(AsBytes("FTKEYID1" + Unhex(kRfcTest2PublicKey)))).substr(0, 32);
  EXPECT_EQ(Hex(DeriveKeyId(Unhex(kRfcTest2PublicKey))), manual);
}

TEST(CryptoTest, PublicKeyFromRawRejectsWrongSizes) {
  for (size_t size : {0, 31, 33, 64}) {
    auto key = PublicKey::FromRaw(std::string(size, '\x01'));
    ASSERT_FALSE(key.has_value()) << size;
    EXPECT_EQ(key.error().message(),
              "an Ed25519 public key has 32 bytes, this one has " + std::to_string(size));
  }
}

TEST(CryptoTest, WritePemFilesRoundTripsAndRefusesToOverwrite) {
  TempDir directory;
  PrivateKey key = KeyFromSeed(Unhex(kRfcTest1SecretKey), directory.File("seed.pem"));
  const std::string path = directory.File("written.pem");
  ASSERT_TRUE(key.WritePemFiles(path).ok());

  struct stat info;
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u) << "the private key must be readable by its owner only";

  auto reloaded = PrivateKey::FromPemFile(path);
  ASSERT_TRUE(reloaded.has_value()) << reloaded.error().message();
  EXPECT_EQ(Hex(reloaded->public_key().raw()), kRfcTest1PublicKey);
  EXPECT_EQ(Hex(reloaded->Sign(AsBytes(""))), kRfcTest1Signature);
  auto public_key = PublicKey::FromPemFile(path + ".pub");
  ASSERT_TRUE(public_key.has_value()) << public_key.error().message();
  EXPECT_EQ(Hex(public_key->raw()), kRfcTest1PublicKey);
  // A private key file also yields its public key.
  auto from_private = PublicKey::FromPemFile(path);
  ASSERT_TRUE(from_private.has_value());
  EXPECT_EQ(Hex(from_private->raw()), kRfcTest1PublicKey);

  std::string before;
  {
    std::ifstream file(path);
    before.assign(std::istreambuf_iterator<char>(file), {});
  }
  PrivateKey other = KeyFromSeed(Unhex(kRfcTest2SecretKey), directory.File("other.pem"));
  Status overwrite = other.WritePemFiles(path);
  ASSERT_FALSE(overwrite.ok());
  EXPECT_EQ(overwrite.code(), StatusCode::kIoError);
  EXPECT_NE(overwrite.message().find("refusing to overwrite a key"), std::string::npos)
      << overwrite.message();
  std::ifstream file(path);
  std::string after(std::istreambuf_iterator<char>(file), {});
  EXPECT_EQ(after, before) << "the existing key file was changed";
}

TEST(CryptoTest, PemLoadingErrors) {
  TempDir directory;
  auto missing = PrivateKey::FromPemFile(directory.File("missing.pem"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);

  std::ofstream(directory.File("garbage.pem")) << "-----BEGIN PRIVATE KEY-----\nnot base64\n";
  auto garbage = PrivateKey::FromPemFile(directory.File("garbage.pem"));
  ASSERT_FALSE(garbage.has_value());
  EXPECT_EQ(garbage.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(garbage.error().message().find("is not an Ed25519 private key in PEM"), std::string::npos);
  EXPECT_FALSE(PublicKey::FromPemFile(directory.File("garbage.pem")).has_value());

  // A public key file is not a private key.
  PrivateKey key = KeyFromSeed(Unhex(kRfcTest1SecretKey), directory.File("key.pem"));
  ASSERT_TRUE(key.WritePemFiles(directory.File("pair.pem")).ok());
  EXPECT_FALSE(PrivateKey::FromPemFile(directory.File("pair.pem.pub")).has_value());
}

TEST(CryptoTest, GeneratedKeysDiffer) {
  auto first = PrivateKey::Generate();
  auto second = PrivateKey::Generate();
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_NE(first->public_key().raw(), second->public_key().raw());
  std::string signature = first->Sign(AsBytes("m"));
  EXPECT_TRUE(first->public_key().Verify(AsBytes("m"), signature));
  EXPECT_FALSE(second->public_key().Verify(AsBytes("m"), signature));
}

}  // namespace
}  // namespace fundtrail
