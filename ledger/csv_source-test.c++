#include "ledger/csv_source.h"

#include <gtest/gtest.h>
#include <iconv.h>

#include <fstream>
#include <string>
#include <vector>

#include "ledger/test_util.h"

namespace fundtrail {
namespace {

std::string Write(const test::TempDir& directory, const std::string& name, const std::string& bytes) {
  std::string path = directory.File(name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// UTF-8 to GB18030 through glibc iconv, as a GBK export would hold it.
std::string ToGb18030(const std::string& utf8) {
  iconv_t converter = iconv_open("GB18030", "UTF-8");
  std::string out(utf8.size() * 2 + 16, '\0');
  char* in = const_cast<char*>(utf8.data());
  size_t in_left = utf8.size();
  char* out_pointer = out.data();
  size_t out_left = out.size();
  EXPECT_NE(iconv(converter, &in, &in_left, &out_pointer, &out_left), static_cast<size_t>(-1));
  iconv_close(converter);
  out.resize(out.size() - out_left);
  return out;
}

std::vector<std::vector<std::string>> ReadAll(const std::string& path, TextEncoding encoding,
                                              std::vector<uint64_t>* lines = nullptr) {
  auto source = CsvSource::Open(path, encoding);
  EXPECT_TRUE(source.has_value());
  std::vector<std::vector<std::string>> records;
  CsvRecord record;
  for (;;) {
    auto more = (*source)->Next(&record);
    EXPECT_TRUE(more.has_value()) << more.error().message();
    if (!more || !*more) break;
    records.push_back(record.fields);
    if (lines) lines->push_back(record.line);
  }
  return records;
}

TEST(CsvSourceTest, ReadsRfc4180QuotesCommasLineBreaksAndCrlf) {
  test::TempDir directory;
  std::string path = Write(directory, "a.csv",
                           "凭证号,摘要,金额\r\n"
                           "记-1,\"正极材料, 样品\",\"36,018.26\"\r\n"
                           "记-2,\"第一行\r\n第二行\",\"他说\"\"好\"\"\"\r\n"
                           "记-3,,12\n"
                           "记-4,last,1");
  std::vector<uint64_t> lines;
  auto records = ReadAll(path, TextEncoding::kUtf8, &lines);
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[1], (std::vector<std::string>{"记-1", "正极材料, 样品", "36,018.26"}));
  EXPECT_EQ(records[2], (std::vector<std::string>{"记-2", "第一行\n第二行", "他说\"好\""}));
  EXPECT_EQ(records[3], (std::vector<std::string>{"记-3", "", "12"}));
  EXPECT_EQ(records[4], (std::vector<std::string>{"记-4", "last", "1"}));
  EXPECT_EQ(lines, (std::vector<uint64_t>{1, 2, 3, 5, 6}));
}

TEST(CsvSourceTest, RecordsCrossChunkBoundaries) {
  // Records much larger in total than a chunk, with a multi-byte character and CRLF at every
  // possible offset of a chunk boundary.
  test::TempDir directory;
  std::string text;
  size_t count = 0;
  while (text.size() < 3 * CsvSource::kChunkSizeBytes + 100) {
    text += "行" + std::to_string(count) + ",\"材料,费\"\r\n";
    ++count;
  }
  std::string path = Write(directory, "big.csv", text);
  auto records = ReadAll(path, TextEncoding::kUtf8);
  ASSERT_EQ(records.size(), count);
  for (size_t i = 0; i < count; ++i) {
    ASSERT_EQ(records[i], (std::vector<std::string>{"行" + std::to_string(i), "材料,费"})) << i;
  }
}

TEST(CsvSourceTest, DetectsUtf8BomAndGb18030) {
  test::TempDir directory;
  std::string text = "摘要,金额\n正极材料样品,36018.26\n";
  EXPECT_EQ(*DetectTextEncoding(Write(directory, "u.csv", text)), TextEncoding::kUtf8);
  EXPECT_EQ(*DetectTextEncoding(Write(directory, "ascii.csv", "a,b\n1,2\n")), TextEncoding::kUtf8);
  std::string bom = Write(directory, "bom.csv", "\xEF\xBB\xBF" + text);
  EXPECT_EQ(*DetectTextEncoding(bom), TextEncoding::kUtf8Bom);
  std::string gbk = Write(directory, "gbk.csv", ToGb18030(text));
  EXPECT_EQ(*DetectTextEncoding(gbk), TextEncoding::kGb18030);

  // Every reading gives the same UTF-8 records; the BOM is no part of the first header.
  auto expected = ReadAll(Write(directory, "u2.csv", text), TextEncoding::kUtf8);
  EXPECT_EQ(expected[0][0], "摘要");
  EXPECT_EQ(ReadAll(bom, TextEncoding::kUtf8Bom), expected);
  EXPECT_EQ(ReadAll(gbk, TextEncoding::kGb18030), expected);
}

TEST(CsvSourceTest, UndetectableEncodingsAreErrorsThatSayWhatToDo) {
  test::TempDir directory;
  // 0xFF is neither UTF-8 nor GB18030.
  auto bad = DetectTextEncoding(Write(directory, "bad.csv", "a,b\n\xFF\xFF,1\n"));
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("cannot detect the encoding"), std::string::npos) << bad.error().message();
  EXPECT_NE(bad.error().message().find("0xFF at offset 4"), std::string::npos) << bad.error().message();
  auto utf16 = DetectTextEncoding(Write(directory, "utf16.csv", std::string("\xFF\xFE" "a\0,\0", 6)));
  ASSERT_FALSE(utf16.has_value());
  EXPECT_NE(utf16.error().message().find("UTF-16"), std::string::npos);
  auto binary = DetectTextEncoding(Write(directory, "zero.csv", std::string("a,b\n\0\0", 6)));
  ASSERT_FALSE(binary.has_value());
  EXPECT_NE(binary.error().message().find("0x00"), std::string::npos);
  EXPECT_FALSE(DetectTextEncoding(directory.File("missing.csv")).has_value());
}

TEST(CsvSourceTest, ForcedEncodingThatDoesNotFitIsAnError) {
  test::TempDir directory;
  std::string path = Write(directory, "gbk.csv", ToGb18030("摘要\n材料\n"));
  auto source = CsvSource::Open(path, TextEncoding::kUtf8);
  ASSERT_TRUE(source.has_value());
  CsvRecord record;
  auto read = (*source)->Next(&record);
  ASSERT_FALSE(read.has_value());
  EXPECT_NE(read.error().message().find("--encoding gbk"), std::string::npos) << read.error().message();
}

TEST(CsvSourceTest, UnclosedQuoteAndTextAfterAQuoteAreErrors) {
  test::TempDir directory;
  auto source = CsvSource::Open(Write(directory, "q.csv", "a,b\n1,\"open\n2,3\n"), TextEncoding::kUtf8);
  CsvRecord record;
  ASSERT_TRUE(*(*source)->Next(&record));
  auto unclosed = (*source)->Next(&record);
  ASSERT_FALSE(unclosed.has_value());
  EXPECT_NE(unclosed.error().message().find("line 2: a quoted field is not closed"), std::string::npos)
      << unclosed.error().message();
  auto after = CsvSource::Open(Write(directory, "r.csv", "\"a\"b,c\n"), TextEncoding::kUtf8);
  auto read = (*after)->Next(&record);
  ASSERT_FALSE(read.has_value());
  EXPECT_NE(read.error().message().find("text after the closing quote"), std::string::npos);
}

TEST(CsvSourceTest, EmptyFileHasNoRecords) {
  test::TempDir directory;
  auto source = CsvSource::Open(Write(directory, "empty.csv", ""), TextEncoding::kUtf8);
  CsvRecord record;
  auto read = (*source)->Next(&record);
  ASSERT_TRUE(read.has_value());
  EXPECT_FALSE(*read);
}

}  // namespace
}  // namespace fundtrail
