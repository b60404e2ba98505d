#include "ledger/input_rules.h"

#include <capnp/dynamic.h>
#include <capnp/schema.h>

#include <string>

#include "ledger/json_codec.h"
#include "ledger/money.h"
#include "ledger/submission.h"

namespace fundtrail {

namespace {

// Decodes the code point at text[*i] and advances *i; nullopt on malformed UTF-8 (stray
// continuation bytes, truncated sequences, overlong forms, surrogates, beyond U+10FFFF).
std::optional<uint32_t> NextCodePoint(std::string_view text, size_t* i) {
  unsigned char lead = static_cast<unsigned char>(text[*i]);
  size_t length = 0;
  uint32_t code = 0, smallest = 0;
  if (lead < 0x80) {
    *i += 1;
    return lead;
  } else if ((lead & 0xe0) == 0xc0) {
    length = 2, code = lead & 0x1f, smallest = 0x80;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3, code = lead & 0x0f, smallest = 0x800;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4, code = lead & 0x07, smallest = 0x10000;
  } else {
    return std::nullopt;
  }
  if (text.size() - *i < length) return std::nullopt;
  for (size_t k = 1; k < length; ++k) {
    unsigned char next = static_cast<unsigned char>(text[*i + k]);
    if ((next & 0xc0) != 0x80) return std::nullopt;
    code = (code << 6) | (next & 0x3f);
  }
  if (code < smallest || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return std::nullopt;
  *i += length;
  return code;
}

std::string CodePointName(uint32_t code) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "U+%04X", code);
  return buffer;
}

class InputChecker {
 public:
  Status Struct(capnp::DynamicStruct::Reader reader, const std::string& path) {
    capnp::StructSchema schema = reader.getSchema();
    if (schema.getProto().getId() == capnp::typeId<schema::Money>()) return Money(reader, path);
    for (auto field : schema.getNonUnionFields()) FT_RETURN_IF_ERROR(Field(reader, field, path));
    KJ_IF_MAYBE(active, reader.which()) { FT_RETURN_IF_ERROR(Field(reader, *active, path)); }
    return Status::Ok();
  }

 private:
  static std::string Join(const std::string& path, capnp::StructSchema::Field field) {
    std::string name = SnakeCase(field.getProto().getName().cStr());
    return path.empty() ? name : path + "." + name;
  }
  static Status FieldError(const std::string& path, const std::string& message) {
    return Status::InvalidArgument("field \"" + path + "\": " + message);
  }

  Status Field(capnp::DynamicStruct::Reader reader, capnp::StructSchema::Field field, const std::string& path) {
    capnp::Type type = field.getType();
    if (!type.isText() && !type.isStruct() && !type.isList()) return Status::Ok();
    if (!type.isStruct() && !reader.has(field)) return Status::Ok();
    std::string where = Join(path, field);
    // A union member that is a plain struct group (an event type) is not a level of its own.
    bool is_event_type = path.empty() && reader.getSchema().getProto().getId() == capnp::typeId<schema::Event>();
    capnp::DynamicValue::Reader value = reader.get(field);
    return Value(value, type, is_event_type ? std::string() : where);
  }

  Status Value(capnp::DynamicValue::Reader value, capnp::Type type, const std::string& path) {
    if (type.isText()) return Text(value.as<capnp::Text>(), path);
    if (type.isStruct()) return Struct(value.as<capnp::DynamicStruct>(), path);
    if (type.isList()) {
      capnp::Type element = type.asList().getElementType();
      if (!element.isText() && !element.isStruct() && !element.isList()) return Status::Ok();
      auto list = value.as<capnp::DynamicList>();
      for (uint32_t i = 0; i < list.size(); ++i) {
        FT_RETURN_IF_ERROR(Value(list[i], element, path + "[" + std::to_string(i) + "]"));
      }
    }
    return Status::Ok();
  }

  static Status Text(capnp::Text::Reader text, const std::string& path) {
    std::string problem = TextProblem(std::string_view(text.cStr(), text.size()), /*allow_line_breaks=*/true);
    return problem.empty() ? Status::Ok() : FieldError(path, problem);
  }

  static Status Money(capnp::DynamicStruct::Reader reader, const std::string& path) {
    auto money = reader.as<schema::Money>();
    std::string currency(money.getCurrency().cStr(), money.getCurrency().size());
    auto limit = AmountLimitMinorUnits(currency);
    // An unsupported currency is the semantic rules' to report, with their own words.
    if (limit && money.getMinorUnits() > *limit) {
      return FieldError(path, FormatMoneyGrouped({money.getMinorUnits(), currency}) + " exceeds the limit of " +
                                  FormatMoneyGrouped({*limit, currency}) + " for one amount");
    }
    return Status::Ok();
  }
};

}  // namespace

bool IsUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    if (!NextCodePoint(text, &i)) return false;
  }
  return true;
}

uint16_t ValidationVersionOf(schema::Submission::Reader submission) {
  uint16_t version = submission.getValidationVersion();
  return version == 0 ? 1 : version;
}

std::optional<int64_t> AmountLimitMinorUnits(std::string_view currency) {
  auto exponent = CurrencyExponent(currency);
  if (!exponent) return std::nullopt;
  int64_t limit = 1;
  for (int i = 0; i < kAmountLimitMajorDigits + *exponent; ++i) limit *= 10;
  return limit;
}

std::string TextProblem(std::string_view text, bool allow_line_breaks) {
  if (text.size() > kEventTextSizeBytesMax) {
    return "is " + std::to_string(text.size()) + " bytes long, the limit is " +
           std::to_string(kEventTextSizeBytesMax);
  }
  size_t i = 0;
  while (i < text.size()) {
    size_t at = i;
    auto code = NextCodePoint(text, &i);
    if (!code) return "is not valid UTF-8 (at byte " + std::to_string(at) + ")";
    bool line_break = *code == '\t' || *code == '\n';
    if ((*code < 0x20 && !(allow_line_breaks && line_break)) || (*code >= 0x7f && *code <= 0x9f)) {
      return "contains the control character " + CodePointName(*code) + " at byte " + std::to_string(at);
    }
    if ((*code >= 0x202a && *code <= 0x202e) || (*code >= 0x2066 && *code <= 0x2069)) {
      return "contains the bidirectional formatting character " + CodePointName(*code) + " at byte " +
             std::to_string(at) + ", which can make text display other than it reads";
    }
  }
  return std::string();
}

Status CheckEventInput(schema::Event::Reader event) {
  InputChecker checker;
  return checker.Struct(capnp::toDynamic(event), std::string());
}

Status CheckSubmissionIdV2(std::string_view submission_id) {
  if (submission_id.empty() || submission_id.size() > kSubmissionIdSizeBytesMax) {
    return Status::InvalidArgument("the submission id must have 1 to " + std::to_string(kSubmissionIdSizeBytesMax) +
                                   " bytes");
  }
  std::string problem = TextProblem(submission_id, /*allow_line_breaks=*/false);
  if (!problem.empty()) return Status::InvalidArgument("the submission id " + problem);
  return Status::Ok();
}

}  // namespace fundtrail
