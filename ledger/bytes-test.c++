#include "ledger/bytes.h"

#include <gtest/gtest.h>

#include <random>

namespace fundtrail {
namespace {

TEST(BytesTest, HexEncodesLowercase) {
  EXPECT_EQ(HexEncode(AsBytes("")), "");
  EXPECT_EQ(HexEncode(AsBytes(std::string("\x00\x01\x7f\x80\xff", 5))), "00017f80ff");
  EXPECT_EQ(HexEncode(AsBytes("\xab\xcd\xef")), "abcdef");
}

TEST(BytesTest, HexDecodesBothCases) {
  EXPECT_EQ(HexDecode("").value(), "");
  EXPECT_EQ(HexDecode("00017f80ff").value(), std::string("\x00\x01\x7f\x80\xff", 5));
  EXPECT_EQ(HexDecode("ABCDEF").value(), "\xab\xcd\xef");
  EXPECT_EQ(HexDecode("aBcD").value(), "\xab\xcd");
}

TEST(BytesTest, HexRoundTripsEveryByteAndRandomStrings) {
  std::string all;
  for (int byte = 0; byte < 256; ++byte) all += static_cast<char>(byte);
  EXPECT_EQ(HexDecode(HexEncode(AsBytes(all))).value(), all);
  std::mt19937 random(20241130);
  for (int round = 0; round < 200; ++round) {
    std::string bytes(random() % 70, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    std::string hex = HexEncode(AsBytes(bytes));
    ASSERT_EQ(hex.size(), 2 * bytes.size());
    ASSERT_EQ(HexDecode(hex).value(), bytes);
  }
}

TEST(BytesTest, HexDecodeErrors) {
  auto odd = HexDecode("abc");
  ASSERT_FALSE(odd.has_value());
  EXPECT_EQ(odd.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(odd.error().message(), "hex string has odd length 3");

  auto high = HexDecode("00g0");
  ASSERT_FALSE(high.has_value());
  EXPECT_EQ(high.error().message(), "not a hex digit at position 2");
  auto low = HexDecode("000g");
  ASSERT_FALSE(low.has_value());
  EXPECT_EQ(low.error().message(), "not a hex digit at position 3");
  for (std::string_view bad : {"0x", " 0", "-1", "\xc3\xa9", "0\n"}) {
    EXPECT_FALSE(HexDecode(bad).has_value()) << bad;
  }
}

TEST(BytesTest, BigEndianAndSequenceKeysSortInSequenceOrder) {
  uint8_t buffer[8];
  PutBigEndian64(0x0102030405060708ull, buffer);
  EXPECT_EQ(HexEncode(ByteSpan(buffer, 8)), "0102030405060708");
  EXPECT_EQ(GetBigEndian64(buffer), 0x0102030405060708ull);
  PutBigEndian64(UINT64_MAX, buffer);
  EXPECT_EQ(GetBigEndian64(buffer), UINT64_MAX);

  EXPECT_EQ(HexEncode(AsBytes(SequenceKey(1))), "0000000000000001");
  std::vector<uint64_t> sequences = {0, 1, 2, 255, 256, 65535, 65536, 1ull << 32, UINT64_MAX - 1, UINT64_MAX};
  for (size_t i = 1; i < sequences.size(); ++i) {
    EXPECT_LT(SequenceKey(sequences[i - 1]), SequenceKey(sequences[i])) << sequences[i];
  }
}

}  // namespace
}  // namespace fundtrail
