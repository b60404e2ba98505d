// SHA-256 and Ed25519 through OpenSSL 3 (EVP). The verifier core depends on this and on the
// generated schema code only.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>

#include "ledger/bytes.h"
#include "ledger/status.h"

namespace fundtrail {

// Incremental SHA-256. Reusable: Reset() starts a new message without reallocating.
// Not thread-safe; use one per thread.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Reset();
  void Update(ByteSpan bytes);
  void Update(std::string_view text) { Update(AsBytes(text)); }
  Digest Finish();  // also resets
  // The digest of what was hashed so far, leaving the context as it is.
  Digest Peek() const;

  static Digest Of(ByteSpan bytes);

 private:
  EVP_MD_CTX* context_;
};

inline constexpr size_t kPublicKeySizeBytes = 32;
inline constexpr size_t kSignatureSizeBytes = 64;
inline constexpr size_t kKeyIdSizeBytes = 16;

// KeyId = first 16 bytes of SHA-256("FTKEYID1" || raw 32-byte public key).
std::string DeriveKeyId(std::string_view public_key_raw);

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using EvpPkeyPointer = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

// An Ed25519 public key, ready to verify many messages.
class PublicKey {
 public:
  static Result<PublicKey> FromRaw(std::string_view raw);  // 32 bytes
  static Result<PublicKey> FromPemFile(const std::string& path);

  const std::string& raw() const { return raw_; }
  const std::string& key_id() const { return key_id_; }
  bool Verify(ByteSpan message, std::string_view signature) const;

 private:
  std::string raw_;
  std::string key_id_;
  std::shared_ptr<EVP_PKEY> key_;
};

// An Ed25519 private key. Generated, or loaded from an unencrypted PKCS#8 PEM file.
class PrivateKey {
 public:
  static Result<PrivateKey> Generate();
  static Result<PrivateKey> FromPemFile(const std::string& path);

  // Writes "<path>" (private, mode 0600) and "<path>.pub" (public), both PEM. Refuses to overwrite.
  Status WritePemFiles(const std::string& path) const;

  const PublicKey& public_key() const { return public_key_; }
  std::string Sign(ByteSpan message) const;  // 64 bytes

 private:
  std::shared_ptr<EVP_PKEY> key_;
  PublicKey public_key_;
};

// An Ed25519 public key given on the command line: 64 hex digits, or a file holding either 64 hex
// digits or a PEM key (public or private). Errors name `flag`.
Result<PublicKey> ReadPublicKeyArgument(const std::string& argument, const std::string& flag);

}  // namespace fundtrail
