// fundtrail-import-bench: the CSV import figure of docs/BENCHMARKS.md (a program, never a test).
//
// Builds the demo ledger (`fundtrail demo`), writes a Kingdee-style voucher export of N rows
// (default 1,000,000; GBK or UTF-8) for the demo's provincial grant, and times, in one run:
//   1. reading the file's records alone (ledger/csv_source, in this process): the floor;
//   2. `fundtrail import --check` (decode, convert, check every row; append nothing);
//   3. `fundtrail import` (the same, then signed submissions of 100,000 events appended durably).
// Prints rows/s for each and the peak memory (VmHWM) of the import.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include "ledger/csv_source.h"

#ifndef FUNDTRAIL_BINARY
#define FUNDTRAIL_BINARY "fundtrail"
#endif
#ifndef FUNDTRAIL_SOURCE_DIR
#define FUNDTRAIL_SOURCE_DIR "."
#endif

namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs `argv` with stdout to /dev/null; returns the exit code and the child's peak RSS (KiB).
std::pair<int, long> Run(const std::vector<std::string>& argv) {
  pid_t child = fork();
  if (child == 0) {
    std::freopen("/dev/null", "w", stdout);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  struct rusage usage {};
  wait4(child, &status, 0, &usage);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128, usage.ru_maxrss};
}

const char* kVendors[][2] = {
    {"湖南钴源新材料有限公司", "materials"}, {"苏州华测新能源检测技术有限公司", "testing"},
    {"常州瑞拓精密设备有限公司", "equipment"}, {"江苏能投综合能源服务有限公司", "fuel_power"},
    {"常州博才人力资源服务有限公司", "labour"}};
const char* kBudgetNames[] = {"材料费", "测试化验加工费", "设备费", "燃料动力费", "劳务费"};

// Writes `rows` rows of a Kingdee-style export (UTF-8; the mapping is examples/import/kingdee.toml
// without its encoding line, with the title lines kept).
void WriteExport(const std::string& path, uint64_t rows) {
  std::ofstream out(path, std::ios::binary);
  out << "凭证查询\r\n单位：常州锂擎动力电池股份有限公司,,\r\n"
         "日期,会计期间,凭证字号,分录号,摘要,科目代码,科目名称,预算科目,借方金额,贷方金额,往来单位,发票号码,开票日期,"
         "付款日期,经办人,审核人,项目\r\n";
  std::mt19937_64 random(20261207);
  char line[1024];
  for (uint64_t row = 0; row < rows; ++row) {
    int month = 1 + static_cast<int>(row * 12 / rows);
    int day = 1 + static_cast<int>(random() % 28);
    size_t kind = random() % 5;
    uint64_t fen = 100000 + random() % 9000000;
    std::snprintf(line, sizeof(line),
                  "2026/%d/%d,2026.%d,记-%llu,%llu,\"%s\",5301.01,研发支出-资本化支出,%s,\"%llu,%03llu.%02llu\",,%s,"
                  "2632%016llu,2026/%d/%d,2026/%d/%d,王敏,郑凯,梯次利用课题\r\n",
                  month, day, month, static_cast<unsigned long long>(row / 2 + 1),
                  static_cast<unsigned long long>(row % 2 + 1), "电池材料及测试", kBudgetNames[kind],
                  static_cast<unsigned long long>(fen / 100000), static_cast<unsigned long long>(fen / 100 % 1000),
                  static_cast<unsigned long long>(fen % 100), kVendors[kind][0],
                  static_cast<unsigned long long>(row), month, day, month, day);
    out << line;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"fundtrail-import-bench: CSV import speed, from file to appended events"};
  uint64_t rows = 1'000'000;
  std::string directory = "/tmp/fundtrail-import-bench";
  app.add_option("--rows", rows, "rows in the generated export")->capture_default_str();
  app.add_option("--dir", directory, "working directory (replaced)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::filesystem::remove_all(directory);
  std::filesystem::create_directories(directory);
  std::string ledger = directory + "/demo-ledger";
  std::string csv = directory + "/export.csv";
  std::string mapping = directory + "/kingdee.toml";
  {
    std::ifstream in(std::string(FUNDTRAIL_SOURCE_DIR) + "/examples/import/kingdee.toml");
    std::ofstream out(mapping);
    std::string text;
    while (std::getline(in, text)) {
      if (!text.starts_with("encoding")) out << text << "\n";
    }
  }
  std::cerr << "building the demo ledger ..." << std::endl;
  if (Run({FUNDTRAIL_BINARY, "demo", "--ledger", ledger}).first != 0) {
    std::cerr << "fundtrail demo failed" << std::endl;
    return 1;
  }
  std::cerr << "writing " << rows << " rows ..." << std::endl;
  WriteExport(csv, rows);
  std::cout << "file: " << csv << ", " << rows << " rows, " << std::filesystem::file_size(csv) / 1000000 << " MB\n";

  auto start = Clock::now();
  auto source = fundtrail::CsvSource::Open(csv, fundtrail::TextEncoding::kUtf8);
  fundtrail::CsvRecord record;
  uint64_t records = 0;
  while (true) {
    auto more = (*source)->Next(&record);
    if (!more || !*more) break;
    ++records;
  }
  double read_seconds = SecondsSince(start);
  std::printf("1. read the records only:        %8.2f s  %10.0f rows/s\n", read_seconds, records / read_seconds);

  std::string key = std::string(FUNDTRAIL_SOURCE_DIR) + "/examples/power-battery/keys/finance-liqing.pem";
  start = Clock::now();
  auto [check_exit, check_kib] = Run({FUNDTRAIL_BINARY, "import", "--ledger", ledger, "--mapping", mapping, "--check", csv});
  double check_seconds = SecondsSince(start);
  std::printf("2. fundtrail import --check:     %8.2f s  %10.0f rows/s  peak %ld MB  (exit %d)\n", check_seconds,
              rows / check_seconds, check_kib / 1024, check_exit);
  start = Clock::now();
  auto [import_exit, import_kib] =
      Run({FUNDTRAIL_BINARY, "import", "--ledger", ledger, "--key", key, "--mapping", mapping, csv});
  double import_seconds = SecondsSince(start);
  std::printf("3. fundtrail import (appended):  %8.2f s  %10.0f rows/s  peak %ld MB  (exit %d)\n", import_seconds,
              rows / import_seconds, import_kib / 1024, import_exit);
  return check_exit == 0 && import_exit == 0 ? 0 : 1;
}
