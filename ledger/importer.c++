#include "ledger/importer.h"

#include <algorithm>
#include <functional>
#include <unordered_map>

#include "ledger/import_mapping.h"
#include "ledger/json_codec.h"
#include "ledger/log_format.h"
#include "ledger/submission.h"

namespace fundtrail {

namespace {

uint64_t Hash64(std::string_view text) { return std::hash<std::string_view>{}(text); }

// What the first pass learns about the file.
struct Checked {
  std::vector<std::pair<uint64_t, uint64_t>> key_rows;  // (hash of the source key, row)
  std::vector<uint64_t> invoice_hashes;
  uint64_t error_count = 0;
  bool held_all = true;                   // `held` has every row's event
  std::vector<ImportedRow> held;
  std::vector<uint64_t> held_rows;
};

// Opens the file and reads up to its header.
struct OpenedFile {
  std::unique_ptr<CsvSource> source;
  std::optional<RowConverter> converter;
  uint64_t row = 0;  // rows read so far, as a spreadsheet numbers them
};

Result<OpenedFile> OpenFile(const std::string& path, const ImportMapping& mapping, TextEncoding encoding,
                            const LedgerState* state) {
  OpenedFile opened;
  auto source = CsvSource::Open(path, encoding, mapping.delimiter);
  if (!source) return Error(source.error());
  opened.source = std::move(*source);
  CsvRecord header;
  for (;;) {
    auto more = opened.source->Next(&header);
    if (!more) return Error(more.error());
    if (!*more) {
      return Error(Status::InvalidArgument(
          path + ": the file is empty" +
          (opened.row > 0 ? " after the " + std::to_string(opened.row) + " lines that [import] skip_lines skips" : "") +
          ": there is no header line; export the vouchers again with their column headers"));
    }
    ++opened.row;
    if (opened.row > mapping.skip_lines) break;
  }
  auto converter = RowConverter::Create(mapping, header.fields, state);
  if (!converter) return Error(converter.error().WithPrefix(path));
  opened.converter = std::move(*converter);
  return opened;
}

// Reads every row, reporting each error; keeps what the append needs (see importer.h, Memory).
Result<Checked> CheckFile(const std::string& path, const ImportMapping& mapping, TextEncoding encoding,
                          const LedgerState& state, size_t hold_max, const ImportMessages& messages,
                          ImportReport* report) {
  auto opened = OpenFile(path, mapping, encoding, &state);
  if (!opened) return Error(opened.error());
  Checked checked;
  CsvRecord record;
  std::vector<std::string> errors;
  for (;;) {
    auto more = opened->source->Next(&record);
    if (!more) return Error(more.error());
    if (!*more) break;
    uint64_t row = ++opened->row;
    if (opened->converter->Skipped(record)) {
      ++report->skipped;
      continue;
    }
    ++report->rows;
    errors.clear();
    auto imported = opened->converter->Convert(record, row, &errors);
    if (!imported) {
      checked.error_count += errors.size();
      for (const auto& error : errors) messages.error(path + ": " + error);
      continue;
    }
    checked.key_rows.emplace_back(Hash64(imported->source_key), row);
    checked.invoice_hashes.push_back(Hash64(imported->invoice_number));
    if (checked.held_all && checked.held.size() < hold_max) {
      checked.held.push_back(std::move(*imported));
      checked.held_rows.push_back(row);
    } else if (checked.held_all) {
      checked.held_all = false;
      checked.held.clear();
      checked.held.shrink_to_fit();
      checked.held_rows.clear();
    }
    if (messages.progress && report->rows % 1000000 == 0) {
      messages.progress("import: checked " + std::to_string(report->rows) + " rows");
    }
  }
  if (report->rows == 0 && checked.error_count == 0) {
    return Error(Status::InvalidArgument(path + ": the file has a header but no rows; nothing to import"));
  }
  // Two rows with one source key: the second could never be imported (it would read as changed).
  std::sort(checked.key_rows.begin(), checked.key_rows.end());
  for (size_t i = 1; i < checked.key_rows.size(); ++i) {
    if (checked.key_rows[i].first == checked.key_rows[i - 1].first) {
      ++checked.error_count;
      messages.error(path + ": row " + std::to_string(checked.key_rows[i].second) + ": the same source key as row " +
                     std::to_string(checked.key_rows[i - 1].second) +
                     " (organisation, period, voucher, line); each row needs its own; correct the voucher or line "
                     "number, or name the columns that identify a row in [import] source_key");
    }
  }
  std::sort(checked.invoice_hashes.begin(), checked.invoice_hashes.end());
  return checked;
}

// What the ledger already holds of the file's rows: expenditures that are not reversed, by
// source key and by invoice number.
struct InLedger {
  struct Entry {
    uint64_t sequence;
    std::string canonical_event;
  };
  std::unordered_map<std::string, Entry> by_key;
  std::unordered_map<std::string, uint64_t> by_invoice;
};

Result<InLedger> ScanLedger(const Ledger& ledger, const Checked& checked) {
  InLedger found;
  std::vector<uint64_t> key_hashes;
  for (const auto& [hash, row] : checked.key_rows) key_hashes.push_back(hash);
  LogEventReader reader;
  Status failure;
  Status scanned = ledger.ScanEntries(1, UINT64_MAX, [&](const StoredEntry& entry) {
    auto view = DecodeEntry(entry.record);
    if (!view) {
      failure = view.error().WithPrefix("sequence " + std::to_string(entry.sequence));
      return false;
    }
    failure = reader.Read(view->canonical_event, entry.sequence, [&](schema::Event::Reader event) {
      if (!event.isExpenditureRecorded()) return Status::Ok();
      if (ledger.state().reversed.Contains(std::to_string(entry.sequence))) return Status::Ok();
      auto expenditure = event.getExpenditureRecorded();
      std::string_view key(expenditure.getSourceKey().cStr(), expenditure.getSourceKey().size());
      if (!key.empty() && std::binary_search(key_hashes.begin(), key_hashes.end(), Hash64(key))) {
        found.by_key[std::string(key)] = {entry.sequence, std::string(view->canonical_event)};
      }
      std::string_view invoice(expenditure.getInvoiceNumber().cStr(), expenditure.getInvoiceNumber().size());
      if (std::binary_search(checked.invoice_hashes.begin(), checked.invoice_hashes.end(), Hash64(invoice))) {
        found.by_invoice.emplace(std::string(invoice), entry.sequence);
      }
      return Status::Ok();
    });
    return failure.ok();
  });
  if (!scanned.ok()) return Error(scanned);
  if (!failure.ok()) return Error(failure);
  return found;
}

// Hashes the file and the mapping: the submission ids of an import derive from both.
Result<Digest> ImportDigest(const std::string& input_path, const std::string& mapping_path) {
  Sha256 sha;
  sha.Update(std::string_view("fundtrail import\n"));
  for (const std::string* path : {&mapping_path, &input_path}) {
    std::FILE* file = std::fopen(path->c_str(), "rb");
    if (file == nullptr) return Error(Status::NotFound("cannot open " + *path));
    std::string buffer(1 << 20, '\0');
    size_t read;
    uint64_t size = 0;
    while ((read = std::fread(buffer.data(), 1, buffer.size(), file)) > 0) {
      sha.Update(std::string_view(buffer.data(), read));
      size += read;
    }
    bool failed = std::ferror(file);
    std::fclose(file);
    if (failed) return Error(Status::IoError("cannot read " + *path));
    sha.Update(std::string_view("\n" + std::to_string(size) + "\n"));
  }
  return sha.Finish();
}

// Builds and appends the submissions: rows in the order of the file, cut every
// `part_rows` data rows (so parts stay the same when run again), minus rows already in.
class Appender {
 public:
  Appender(const ImportOptions& options, Ledger& ledger, const PrivateKey* key, Clock* clock,
           const InLedger& in_ledger, const Digest& digest, size_t parts, const ImportMessages& messages,
           ImportReport* report)
      : options_(options), ledger_(ledger), key_(key), clock_(clock), in_ledger_(in_ledger), digest_(digest),
        parts_(parts), messages_(messages), report_(report) {}

  Status Add(ImportedRow row, uint64_t row_number) {
    if (rows_in_part_ == options_.submission_event_count_max) FT_RETURN_IF_ERROR(Flush());
    ++rows_in_part_;
    auto found = in_ledger_.by_key.find(row.source_key);
    if (found != in_ledger_.by_key.end()) {
      if (found->second.canonical_event == row.canonical_event) {
        ++report_->already;
        return Status::Ok();
      }
      ++report_->changed;
      messages_.warning(options_.input_path + ": row " + std::to_string(row_number) + ": changed: source key \"" +
                        row.source_key + "\" is in the ledger at sequence " + std::to_string(found->second.sequence) +
                        " with other content; not appended. To correct the ledger, reverse sequence " +
                        std::to_string(found->second.sequence) +
                        " (an event {\"type\": \"reversal\", \"target_sequence\": " +
                        std::to_string(found->second.sequence) +
                        ", \"reason\": \"...\"} with fundtrail append) and import the file again");
      return Status::Ok();
    }
    auto invoice = in_ledger_.by_invoice.find(row.invoice_number);
    if (invoice != in_ledger_.by_invoice.end()) {
      ++report_->invoice_warnings;
      messages_.warning(options_.input_path + ": row " + std::to_string(row_number) + ": invoice " +
                        row.invoice_number + " is already charged at sequence " + std::to_string(invoice->second) +
                        "; check that it is not charged twice (rules PU-3 and AN-1 will flag it)");
    }
    ++report_->new_rows;
    if (options_.check_only) return Status::Ok();  // counted, never appended: nothing to keep
    events_.push_back(std::move(row.canonical_event));
    rows_.push_back(row_number);
    return Status::Ok();
  }

  // Appends the part being built (nothing if none of its rows is new).
  Status Flush() {
    ++part_;
    rows_in_part_ = 0;
    if (events_.empty() || options_.check_only) {
      events_.clear();
      rows_.clear();
      return Status::Ok();
    }
    SignedSubmission submission = SignSubmission(*key_, ledger_.ledger_id(), ImportSubmissionId(digest_, part_, parts_),
                                                 clock_->NowMicros(), std::move(events_));
    events_.clear();
    size_t failed = SIZE_MAX;
    auto receipt = ledger_.Append(submission, &failed);
    if (!receipt) {
      std::string where = options_.input_path;
      if (failed < rows_.size()) where += ": row " + std::to_string(rows_[failed]);
      std::string appended = report_->receipts.empty() ? "nothing appended"
                                                       : std::to_string(report_->receipts.size()) +
                                                             " earlier submissions of this file were appended; "
                                                             "run the import again once fixed to add the rest";
      return receipt.error().WithPrefix(where).WithPrefix(appended);
    }
    rows_.clear();
    report_->receipts.push_back(std::move(*receipt));
    return Status::Ok();
  }

 private:
  const ImportOptions& options_;
  Ledger& ledger_;
  const PrivateKey* key_;
  Clock* clock_;
  const InLedger& in_ledger_;
  Digest digest_;
  size_t parts_;
  const ImportMessages& messages_;
  ImportReport* report_;
  size_t part_ = 0;
  size_t rows_in_part_ = 0;
  std::vector<std::string> events_;
  std::vector<uint64_t> rows_;
};

Result<TextEncoding> ChooseEncoding(const ImportOptions& options, const ImportMapping& mapping) {
  if (options.encoding) return *options.encoding;
  if (mapping.encoding) return *mapping.encoding;
  return DetectTextEncoding(options.input_path);
}

}  // namespace

std::string ImportSubmissionId(const Digest& digest, size_t part, size_t parts) {
  return "import-" + HexEncode(ByteSpan(digest.data(), 8)) + "-" + std::to_string(part) + "of" + std::to_string(parts);
}

Result<ImportReport> ImportCsv(const ImportOptions& options, Ledger& ledger, const PrivateKey* key, Clock* clock,
                               const ImportMessages& messages) {
  FT_ASSERT(options.check_only || key != nullptr);
  FT_ASSERT(options.submission_event_count_max >= 1 && options.submission_event_count_max <= kSubmissionEventCountMax);
  auto mapping = ReadImportMapping(options.mapping_path);
  if (!mapping) return Error(mapping.error());
  ImportReport report;
  auto encoding = ChooseEncoding(options, *mapping);
  if (!encoding) return Error(encoding.error());
  report.encoding = *encoding;

  // --check keeps no events: what it reports needs only the second, streaming pass.
  auto checked = CheckFile(options.input_path, *mapping, *encoding, ledger.state(),
                           options.check_only ? 0 : options.submission_event_count_max, messages, &report);
  if (!checked) return Error(checked.error());
  if (checked->error_count > 0) {
    return Error(Status::InvalidArgument(std::to_string(checked->error_count) +
                                         (checked->error_count == 1 ? " error in " : " errors in ") +
                                         options.input_path + "; nothing appended"));
  }
  auto in_ledger = ScanLedger(ledger, *checked);
  if (!in_ledger) return Error(in_ledger.error());
  auto digest = ImportDigest(options.input_path, options.mapping_path);
  if (!digest) return Error(digest.error());
  size_t part_rows = options.submission_event_count_max;
  size_t parts = std::max<size_t>(1, (report.rows + part_rows - 1) / part_rows);
  Appender appender(options, ledger, key, clock, *in_ledger, *digest, parts, messages, &report);

  if (checked->held_all) {
    for (size_t i = 0; i < checked->held.size(); ++i) {
      FT_RETURN_IF_ERROR(appender.Add(std::move(checked->held[i]), checked->held_rows[i]));
    }
    FT_RETURN_IF_ERROR(appender.Flush());
    return report;
  }
  // The second pass: the file was checked, so a row that fails now changed under us.
  checked->key_rows = {};
  auto opened = OpenFile(options.input_path, *mapping, *encoding, &ledger.state());
  if (!opened) return Error(opened.error());
  CsvRecord record;
  std::vector<std::string> errors;
  for (;;) {
    auto more = opened->source->Next(&record);
    if (!more) return Error(more.error());
    if (!*more) break;
    uint64_t row = ++opened->row;
    if (opened->converter->Skipped(record)) continue;
    auto imported = opened->converter->Convert(record, row, &errors);
    if (!imported) {
      return Error(Status::InvalidArgument(options.input_path + ": " + errors.front() +
                                           " (the file changed while it was imported?)"));
    }
    FT_RETURN_IF_ERROR(appender.Add(std::move(*imported), row));
  }
  FT_RETURN_IF_ERROR(appender.Flush());
  return report;
}

}  // namespace fundtrail
