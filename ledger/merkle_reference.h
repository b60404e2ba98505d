// TEST ONLY: a slow, literal Merkle tree reference, used to check the fast one (ledger/merkle.h).
// Not part of any library. Every function transcribes a recursive definition of RFC 6962 section
// 2.1 (the same as RFC 9162 2.1) over the leaf *bytes*, hashing with Sha256 directly and sharing no
// code with merkle.c++. Each call costs O(n) hashes; use it on small trees.
//
//   MTH({})      = SHA-256()
//   MTH({d(0)})  = SHA-256(0x00 || d(0))
//   MTH(D[n])    = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])),  k the largest power of 2 < n
//
//   PATH(0, {d(0)}) = {}
//   PATH(m, D[n])   = PATH(m, D[0:k]) : MTH(D[k:n])        for m < k
//                   = PATH(m - k, D[k:n]) : MTH(D[0:k])    for m >= k
//
//   PROOF(m, D[n])              = SUBPROOF(m, D[n], true)
//   SUBPROOF(m, D[m], true)     = {}
//   SUBPROOF(m, D[m], false)    = {MTH(D[m])}
//   SUBPROOF(m, D[n], b)        = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])          for m <= k
//                               = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])  for m > k
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ledger/crypto.h"

namespace fundtrail::merkle_reference {

using Leaves = std::span<const std::string>;

// The largest power of two strictly less than n, by counting up. REQUIRES: n > 1.
inline uint64_t LargestPowerOfTwoBelow(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

inline Digest ConcatenatedHash(std::string_view prefix, const Digest& left, const Digest& right) {
  Sha256 hash;
  hash.Update(prefix);
  hash.Update(ByteSpan(left));
  hash.Update(ByteSpan(right));
  return hash.Finish();
}

// MTH(D[n]).
inline Digest Mth(Leaves leaves) {
  if (leaves.empty()) return Sha256::Of(ByteSpan());
  if (leaves.size() == 1) {
    Sha256 hash;
    hash.Update(std::string_view("\x00", 1));
    hash.Update(std::string_view(leaves[0]));
    return hash.Finish();
  }
  const uint64_t k = LargestPowerOfTwoBelow(leaves.size());
  return ConcatenatedHash(std::string_view("\x01", 1), Mth(leaves.subspan(0, k)),
                          Mth(leaves.subspan(k)));
}

// PATH(m, D[n]). REQUIRES: m < n.
inline std::vector<Digest> Path(uint64_t m, Leaves leaves) {
  if (leaves.size() == 1) return {};
  const uint64_t k = LargestPowerOfTwoBelow(leaves.size());
  std::vector<Digest> path;
  if (m < k) {
    path = Path(m, leaves.subspan(0, k));
    path.push_back(Mth(leaves.subspan(k)));
  } else {
    path = Path(m - k, leaves.subspan(k));
    path.push_back(Mth(leaves.subspan(0, k)));
  }
  return path;
}

// SUBPROOF(m, D[n], b). REQUIRES: 0 < m <= n.
inline std::vector<Digest> Subproof(uint64_t m, Leaves leaves, bool b) {
  if (m == leaves.size()) {
    if (b) return {};
    return {Mth(leaves)};
  }
  const uint64_t k = LargestPowerOfTwoBelow(leaves.size());
  std::vector<Digest> proof;
  if (m <= k) {
    proof = Subproof(m, leaves.subspan(0, k), b);
    proof.push_back(Mth(leaves.subspan(k)));
  } else {
    proof = Subproof(m - k, leaves.subspan(k), false);
    proof.push_back(Mth(leaves.subspan(0, k)));
  }
  return proof;
}

// PROOF(m, D[n]); the RFC defines it for 0 < m < n. Here also m == n ({}, as SUBPROOF gives) and
// m == 0 ({}, nothing to prove about the empty tree). REQUIRES: m <= n.
inline std::vector<Digest> Proof(uint64_t m, Leaves leaves) {
  if (m == 0) return {};
  return Subproof(m, leaves, true);
}

}  // namespace fundtrail::merkle_reference
