#include "ledger/input_rules.h"

#include <capnp/any.h>
#include <capnp/schema.h>

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

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

// Walks an event's Text and Money values. It runs for every event appended or replayed, so it
// reads the message through Cap'n Proto's untyped accessors (AnyStruct: a pointer slot by index)
// along a plan worked out once per struct type and thread from the schema (which pointer slots
// hold Text, Money, structs or lists of them), and builds no string unless it fails: the fields
// it descends into are kept on a stack and spelled out only for the error.
class InputChecker {
 public:
  Status Event(schema::Event::Reader event) {
    const EventPlan& plan = EventPlanOf();
    auto member = plan.members.find(static_cast<uint16_t>(event.which()));
    if (member == plan.members.end()) return Status::Ok();  // an unknown type is the decoder's to refuse
    capnp::AnyStruct::Reader any = capnp::toAny(event);
    auto pointers = any.getPointerSection();
    const uint32_t slot = member->second.first;
    if (slot >= pointers.size() || pointers[slot].isNull()) return Status::Ok();
    return Struct(pointers[slot].getAs<capnp::AnyStruct>(), *member->second.second);
  }

 private:
  struct Plan;
  struct Slot {
    enum class Kind { kText, kMoney, kStruct, kTextList, kMoneyList, kStructList };
    Kind kind;
    uint32_t pointer;              // the pointer slot's index
    const Plan* plan = nullptr;    // kStruct, kStructList
    capnp::StructSchema::Field field;
  };
  struct Plan {
    std::vector<Slot> slots;
  };
  struct EventPlan {
    // Event union discriminant -> (pointer slot, plan of the event type's struct).
    std::unordered_map<uint16_t, std::pair<uint32_t, const Plan*>> members;
  };
  struct Step {
    capnp::StructSchema::Field field;
    int64_t index;  // a list element's index, or -1
  };

  static bool IsMoney(capnp::StructSchema schema) {
    return schema.getProto().getId() == capnp::typeId<schema::Money>();
  }

  static const Plan* PlanOf(capnp::StructSchema schema) {
    thread_local std::unordered_map<uint64_t, Plan> cache;
    auto found = cache.find(schema.getProto().getId());
    if (found != cache.end()) return &found->second;
    Plan plan;
    for (auto field : schema.getNonUnionFields()) {
      if (!field.getProto().isSlot()) continue;  // the schema has no groups outside Event's union
      capnp::Type type = field.getType();
      const uint32_t pointer = field.getProto().getSlot().getOffset();
      if (type.isText()) {
        plan.slots.push_back({Slot::Kind::kText, pointer, nullptr, field});
      } else if (type.isStruct()) {
        capnp::StructSchema nested = type.asStruct();
        if (IsMoney(nested)) {
          plan.slots.push_back({Slot::Kind::kMoney, pointer, nullptr, field});
        } else {
          plan.slots.push_back({Slot::Kind::kStruct, pointer, PlanOf(nested), field});
        }
      } else if (type.isList()) {
        capnp::Type element = type.asList().getElementType();
        if (element.isText()) plan.slots.push_back({Slot::Kind::kTextList, pointer, nullptr, field});
        if (element.isStruct()) {
          capnp::StructSchema nested = element.asStruct();
          if (IsMoney(nested)) {
            plan.slots.push_back({Slot::Kind::kMoneyList, pointer, nullptr, field});
          } else {
            plan.slots.push_back({Slot::Kind::kStructList, pointer, PlanOf(nested), field});
          }
        }
        // Lists of Data, numbers or enums hold no Text; no list of lists holds any here.
        FT_ASSERT(!element.isList(), "a list of lists in an event: extend InputChecker");
      }
    }
    return &cache.emplace(schema.getProto().getId(), std::move(plan)).first->second;
  }

  static const EventPlan& EventPlanOf() {
    thread_local std::optional<EventPlan> plan;
    if (!plan) {
      plan.emplace();
      for (auto field : capnp::Schema::from<schema::Event>().getUnionFields()) {
        FT_ASSERT(field.getProto().isSlot() && field.getType().isStruct(), "an Event member that is no struct");
        plan->members.emplace(field.getProto().getDiscriminantValue(),
                              std::make_pair(field.getProto().getSlot().getOffset(), PlanOf(field.getType().asStruct())));
      }
    }
    return *plan;
  }

  Status Struct(capnp::AnyStruct::Reader reader, const Plan& plan) {
    auto pointers = reader.getPointerSection();
    for (const Slot& slot : plan.slots) {
      if (slot.pointer >= pointers.size() || pointers[slot.pointer].isNull()) continue;
      path_.push_back({slot.field, -1});
      FT_RETURN_IF_ERROR(SlotValue(pointers[slot.pointer], slot));
      path_.pop_back();
    }
    return Status::Ok();
  }

  Status SlotValue(capnp::AnyPointer::Reader pointer, const Slot& slot) {
    switch (slot.kind) {
      case Slot::Kind::kText:
        return Text(pointer.getAs<capnp::Text>());
      case Slot::Kind::kMoney:
        return Money(pointer.getAs<schema::Money>());
      case Slot::Kind::kStruct:
        return Struct(pointer.getAs<capnp::AnyStruct>(), *slot.plan);
      case Slot::Kind::kTextList:
        return Each(pointer.getAs<capnp::List<capnp::Text>>(), [&](capnp::Text::Reader text) { return Text(text); });
      case Slot::Kind::kMoneyList:
        return Each(pointer.getAs<capnp::List<schema::Money>>(),
                    [&](schema::Money::Reader money) { return Money(money); });
      case Slot::Kind::kStructList:
        return Each(pointer.getAs<capnp::AnyList>().as<capnp::List<capnp::AnyStruct>>(),
                    [&](capnp::AnyStruct::Reader element) { return Struct(element, *slot.plan); });
    }
    return Status::Ok();
  }

  template <typename List, typename Check>
  Status Each(List list, Check&& check) {
    for (uint32_t i = 0; i < list.size(); ++i) {
      path_.back().index = i;
      FT_RETURN_IF_ERROR(check(list[i]));
    }
    path_.back().index = -1;
    return Status::Ok();
  }

  std::string Path() const {
    std::string path;
    for (const auto& step : path_) {
      if (!path.empty()) path += '.';
      path += SnakeCase(step.field.getProto().getName().cStr());
      if (step.index >= 0) path += "[" + std::to_string(step.index) + "]";
    }
    return path;
  }
  Status FieldError(const std::string& message) const {
    return Status::InvalidArgument("field \"" + Path() + "\": " + message);
  }

  Status Text(capnp::Text::Reader text) const {
    std::string problem = TextProblem(std::string_view(text.cStr(), text.size()), /*allow_line_breaks=*/true);
    return problem.empty() ? Status::Ok() : FieldError(problem);
  }

  Status Money(schema::Money::Reader money) const {
    FT_RETURN_IF_ERROR(Text(money.getCurrency()));
    std::string_view currency(money.getCurrency().cStr(), money.getCurrency().size());
    auto limit = AmountLimitMinorUnits(currency);
    // An unsupported currency is the semantic rules' to report, with their own words.
    if (limit && money.getMinorUnits() > *limit) {
      return FieldError(FormatMoneyGrouped({money.getMinorUnits(), std::string(currency)}) + " exceeds the limit of " +
                        FormatMoneyGrouped({*limit, std::string(currency)}) + " for one amount");
    }
    return Status::Ok();
  }

  std::vector<Step> path_;
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
    // Printable ASCII, most of any text, needs no decoding.
    const unsigned char byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x7f) {
      ++i;
      continue;
    }
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
  return checker.Event(event);
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
