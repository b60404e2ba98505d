#include "ledger/crypto.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace fundtrail {

namespace {

const EVP_MD* Sha256Algorithm() {
  // Fetched once: implicit fetching by EVP_sha256() on every Init costs a lookup per hash.
  static EVP_MD* algorithm = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  FT_ASSERT(algorithm != nullptr, "OpenSSL has no SHA256");
  return algorithm;
}

std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  if (code == 0) return "unknown OpenSSL error";
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof buffer);
  ERR_clear_error();
  return buffer;
}

struct FileCloser {
  void operator()(FILE* file) const { std::fclose(file); }
};

}  // namespace

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  FT_ASSERT(context_ != nullptr);
  Reset();
}

Sha256::~Sha256() { EVP_MD_CTX_free(context_); }

void Sha256::Reset() { FT_ASSERT(EVP_DigestInit_ex2(context_, Sha256Algorithm(), nullptr) == 1); }

void Sha256::Update(ByteSpan bytes) {
  FT_ASSERT(EVP_DigestUpdate(context_, bytes.data(), bytes.size()) == 1);
}

Digest Sha256::Finish() {
  Digest digest;
  unsigned int size = 0;
  FT_ASSERT(EVP_DigestFinal_ex(context_, digest.data(), &size) == 1);
  FT_ASSERT(size == digest.size());
  Reset();
  return digest;
}

Digest Sha256::Peek() const {
  Sha256 copy;
  FT_ASSERT(EVP_MD_CTX_copy_ex(copy.context_, context_) == 1);
  return copy.Finish();
}

Digest Sha256::Of(ByteSpan bytes) {
  // One context per thread, reused: EVP_Digest allocates and frees a context on every call, and
  // the Merkle tree hashes two small messages per event (about 5% of verify, docs/BENCHMARKS.md).
  thread_local Sha256 hash;
  hash.Update(bytes);
  return hash.Finish();  // also resets it for the next call
}

std::string DeriveKeyId(std::string_view public_key_raw) {
  FT_ASSERT(public_key_raw.size() == kPublicKeySizeBytes);
  Sha256 hash;
  hash.Update(std::string_view("FTKEYID1"));
  hash.Update(public_key_raw);
  Digest digest = hash.Finish();
  return std::string(reinterpret_cast<const char*>(digest.data()), kKeyIdSizeBytes);
}

Result<PublicKey> PublicKey::FromRaw(std::string_view raw) {
  if (raw.size() != kPublicKeySizeBytes) {
    return Error(Status::InvalidArgument("an Ed25519 public key has 32 bytes, this one has " +
                                         std::to_string(raw.size())));
  }
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  if (key == nullptr) {
    return Error(Status::InvalidArgument("not an Ed25519 public key: " + OpenSslError()));
  }
  PublicKey result;
  result.raw_ = std::string(raw);
  result.key_id_ = DeriveKeyId(raw);
  result.key_ = std::shared_ptr<EVP_PKEY>(key, EvpPkeyDeleter());
  return result;
}

namespace {

Result<std::string> RawPublicKey(EVP_PKEY* key) {
  unsigned char raw[kPublicKeySizeBytes];
  size_t size = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(key, raw, &size) != 1 || size != kPublicKeySizeBytes) {
    return Error(Status::InvalidArgument("not an Ed25519 key: " + OpenSslError()));
  }
  return std::string(reinterpret_cast<const char*>(raw), size);
}

Result<std::unique_ptr<FILE, FileCloser>> OpenForReading(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) {
    return Error(Status::NotFound("cannot open key file " + path + ": " + std::strerror(errno)));
  }
  return std::unique_ptr<FILE, FileCloser>(file);
}

}  // namespace

Result<PublicKey> PublicKey::FromPemFile(const std::string& path) {
  auto file = OpenForReading(path);
  if (!file) return Error(file.error());
  EVP_PKEY* key = PEM_read_PUBKEY(file->get(), nullptr, nullptr, nullptr);
  if (key == nullptr) {
    // A private key file also holds the public key.
    std::rewind(file->get());
    key = PEM_read_PrivateKey(file->get(), nullptr, nullptr, nullptr);
  }
  if (key == nullptr || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(key);
    return Error(Status::InvalidArgument(path + " is not an Ed25519 PEM key (make one with "
                                                "`fundtrail keygen`)"));
  }
  EvpPkeyPointer owned(key);
  auto raw = RawPublicKey(key);
  if (!raw) return Error(raw.error());
  return FromRaw(*raw);
}

bool PublicKey::Verify(ByteSpan message, std::string_view signature) const {
  if (signature.size() != kSignatureSizeBytes || !key_) return false;
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  FT_ASSERT(context != nullptr);
  bool ok = EVP_DigestVerifyInit(context, nullptr, nullptr, nullptr, key_.get()) == 1 &&
            EVP_DigestVerify(context, reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(), message.data(), message.size()) == 1;
  EVP_MD_CTX_free(context);
  ERR_clear_error();
  return ok;
}

Result<PrivateKey> PrivateKey::Generate() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (key == nullptr) return Error(Status::IoError("key generation failed: " + OpenSslError()));
  PrivateKey result;
  result.key_ = std::shared_ptr<EVP_PKEY>(key, EvpPkeyDeleter());
  auto raw = RawPublicKey(key);
  FT_ASSERT(raw.has_value());
  auto public_key = PublicKey::FromRaw(*raw);
  FT_ASSERT(public_key.has_value());
  result.public_key_ = *public_key;
  return result;
}

Result<PrivateKey> PrivateKey::FromPemFile(const std::string& path) {
  auto file = OpenForReading(path);
  if (!file) return Error(file.error());
  EVP_PKEY* key = PEM_read_PrivateKey(file->get(), nullptr, nullptr, nullptr);
  if (key == nullptr || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(key);
    ERR_clear_error();
    return Error(Status::InvalidArgument(
        path + " is not an Ed25519 private key in PEM (make one with `fundtrail keygen`)"));
  }
  PrivateKey result;
  result.key_ = std::shared_ptr<EVP_PKEY>(key, EvpPkeyDeleter());
  auto raw = RawPublicKey(key);
  if (!raw) return Error(raw.error());
  auto public_key = PublicKey::FromRaw(*raw);
  if (!public_key) return Error(public_key.error());
  result.public_key_ = *public_key;
  return result;
}

namespace {

Status WritePem(const std::string& path, mode_t mode, EVP_PKEY* key, bool is_private) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, mode);
  if (fd < 0) {
    return Status::IoError("cannot create " + path + ": " + std::strerror(errno) +
                           (errno == EEXIST ? " (refusing to overwrite a key)" : ""));
  }
  std::unique_ptr<FILE, FileCloser> file(fdopen(fd, "w"));
  FT_ASSERT(file != nullptr);
  int written = is_private
                    ? PEM_write_PrivateKey(file.get(), key, nullptr, nullptr, 0, nullptr, nullptr)
                    : PEM_write_PUBKEY(file.get(), key);
  if (written != 1 || std::fflush(file.get()) != 0 || fsync(fd) != 0) {
    return Status::IoError("cannot write " + path + ": " + OpenSslError());
  }
  return Status::Ok();
}

}  // namespace

Status PrivateKey::WritePemFiles(const std::string& path) const {
  FT_RETURN_IF_ERROR(WritePem(path, 0600, key_.get(), /*is_private=*/true));
  Status written = WritePem(path + ".pub", 0644, key_.get(), /*is_private=*/false);
  // Never leave a private key beside a public key file that belongs to another key.
  if (!written.ok()) ::unlink(path.c_str());
  return written;
}

std::string PrivateKey::Sign(ByteSpan message) const {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  FT_ASSERT(context != nullptr);
  std::string signature(kSignatureSizeBytes, '\0');
  size_t size = signature.size();
  FT_ASSERT(EVP_DigestSignInit(context, nullptr, nullptr, nullptr, key_.get()) == 1);
  FT_ASSERT(EVP_DigestSign(context, reinterpret_cast<unsigned char*>(signature.data()), &size,
                           message.data(), message.size()) == 1);
  FT_ASSERT(size == kSignatureSizeBytes);
  EVP_MD_CTX_free(context);
  return signature;
}

namespace {

bool IsHexKey(std::string_view text) {
  return text.size() == 2 * kPublicKeySizeBytes &&
         std::all_of(text.begin(), text.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

Result<PublicKey> ReadPublicKeyArgument(const std::string& argument, const std::string& flag) {
  if (IsHexKey(argument)) return PublicKey::FromRaw(*HexDecode(argument));
  struct stat info {};
  if (::stat(argument.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) {
    return Error(Status::InvalidArgument(flag + ": " + argument + " is " +
                                         (S_ISDIR(info.st_mode) ? "a directory" : "not a regular file") +
                                         ", not a key file (give a PEM public key file, a file holding 64 hex "
                                         "digits, or the 64 hex digits)"));
  }
  std::ifstream file(argument);
  if (!file) {
    return Error(Status::NotFound(flag + ": cannot open " + argument +
                                  " (give a PEM public key file, a file holding 64 hex digits, or the 64 hex digits)"));
  }
  std::stringstream text;
  text << file.rdbuf();
  std::string content = text.str();
  while (!content.empty() && std::isspace(static_cast<unsigned char>(content.back()))) content.pop_back();
  while (!content.empty() && std::isspace(static_cast<unsigned char>(content.front()))) content.erase(0, 1);
  if (IsHexKey(content)) return PublicKey::FromRaw(*HexDecode(content));
  auto key = PublicKey::FromPemFile(argument);
  if (!key) {
    return Error(Status::InvalidArgument(flag + ": " + argument +
                                         " is neither an Ed25519 PEM key nor 64 hex digits of a raw public key"));
  }
  return key;
}

}  // namespace fundtrail
