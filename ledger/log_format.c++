#include "ledger/log_format.h"

#include <capnp/any.h>
#include <capnp/dynamic.h>
#include <capnp/schema.h>
#include <kj/exception.h>

#include "ledger/merkle.h"

#include <cstring>
#include <memory>
#include <vector>

namespace fundtrail {

namespace {
constexpr std::string_view kEventTag = "FTEVENT1";
constexpr std::string_view kSignTag = "FTSIGN01";
constexpr std::string_view kSubmissionTag = "FTSUBMT1";
constexpr std::string_view kChainTag = "FTCHAIN1";

// Reading a pointer field through the typed API checks what isCanonical() does not: that a text
// ends with its NUL terminator, and that each pointer is of the kind its field's type needs (a
// list, not a struct, for Data). A failed check throws. Open() reads every pointer field once,
// following a plan made once per root type from the schema, so that the throw happens inside
// Open() rather than in a caller that does not catch. (Walking with capnp::DynamicStruct does the
// same, but costs about five times the rest of Open().)
struct PointerPlan {
  struct Step {
    uint32_t pointer_index = 0;
    capnp::schema::Type::Which kind = capnp::schema::Type::VOID;          // TEXT, DATA, STRUCT, LIST
    capnp::schema::Type::Which element_kind = capnp::schema::Type::VOID;  // for LIST
    const PointerPlan* child = nullptr;  // for STRUCT, LIST of STRUCT and groups
    capnp::ListSchema list_schema;       // for LIST of STRUCT
    bool group = false;                  // read `child` on the same struct
    bool in_union = false;
    uint16_t discriminant = 0;
  };
  std::vector<Step> steps;
  uint32_t discriminant_offset = 0;  // in 16-bit units
  uint16_t discriminant_count = 0;   // members of the struct's union, 0 without one
  uint16_t pointer_count = 0;        // the pointers this schema knows
  std::vector<std::unique_ptr<PointerPlan>> children;  // owns every child plan
};

std::unique_ptr<PointerPlan> MakePointerPlan(capnp::StructSchema schema, int depth) {
  FT_ASSERT(depth < 32, "a recursive schema type; the pointer plan does not support it");
  auto plan = std::make_unique<PointerPlan>();
  plan->discriminant_offset = schema.getProto().getStruct().getDiscriminantOffset();
  plan->discriminant_count = schema.getProto().getStruct().getDiscriminantCount();
  plan->pointer_count = schema.getProto().getStruct().getPointerCount();
  for (auto field : schema.getFields()) {
    PointerPlan::Step step;
    auto proto = field.getProto();
    step.in_union = proto.getDiscriminantValue() != capnp::schema::Field::NO_DISCRIMINANT;
    step.discriminant = proto.getDiscriminantValue();
    if (proto.isGroup()) {
      plan->children.push_back(MakePointerPlan(field.getType().asStruct(), depth + 1));
      step.group = true;
      step.child = plan->children.back().get();
      plan->steps.push_back(step);
      continue;
    }
    auto type = field.getType();
    step.kind = type.which();
    step.pointer_index = proto.getSlot().getOffset();
    switch (step.kind) {
      case capnp::schema::Type::TEXT:
      case capnp::schema::Type::DATA:
        break;
      case capnp::schema::Type::STRUCT:
        plan->children.push_back(MakePointerPlan(type.asStruct(), depth + 1));
        step.child = plan->children.back().get();
        break;
      case capnp::schema::Type::LIST: {
        auto element = type.asList().getElementType();
        step.element_kind = element.which();
        FT_ASSERT(step.element_kind != capnp::schema::Type::LIST &&
                      step.element_kind != capnp::schema::Type::ANY_POINTER &&
                      step.element_kind != capnp::schema::Type::INTERFACE,
                  "a list type the pointer plan does not support");
        if (step.element_kind == capnp::schema::Type::STRUCT) {
          step.list_schema = type.asList();
          plan->children.push_back(MakePointerPlan(element.asStruct(), depth + 1));
          step.child = plan->children.back().get();
        }
        break;
      }
      case capnp::schema::Type::ANY_POINTER:
      case capnp::schema::Type::INTERFACE:
        FT_ASSERT(false, "a pointer type the pointer plan does not support");
        break;
      default:
        continue;  // data section: reads never throw
    }
    plan->steps.push_back(step);
  }
  return plan;
}

template <typename Element>
void ReadList(capnp::AnyPointer::Reader pointer) {
  for (auto element : pointer.getAs<capnp::List<Element>>()) (void)element;
}

// Sets *needs_full_check if the message holds what this walk cannot check: a list of structs (see
// below), or non-null pointers beyond those a struct's schema knows (a newer writer's fields).
void ReadEveryPointer(capnp::AnyStruct::Reader reader, const PointerPlan& plan, bool* needs_full_check) {
  auto pointers = reader.getPointerSection();
  for (size_t index = plan.pointer_count; index < pointers.size(); ++index) {
    if (!pointers[index].isNull()) *needs_full_check = true;
  }
  auto data = reader.getDataSection();
  uint16_t discriminant = 0;
  size_t at = size_t{plan.discriminant_offset} * 2;
  if (data.size() >= at + 2) discriminant = static_cast<uint16_t>(data[at] | (data[at + 1] << 8));
  // A union member this schema does not know has pointers of unknown types, which cannot be
  // checked (and an event of an unknown type is invalid anyway).
  KJ_REQUIRE(plan.discriminant_count == 0 || discriminant < plan.discriminant_count,
             "a union member unknown to this schema", discriminant);
  using Which = capnp::schema::Type::Which;
  for (const auto& step : plan.steps) {
    if (step.in_union && step.discriminant != discriminant) continue;
    if (step.group) {
      ReadEveryPointer(reader, *step.child, needs_full_check);
      continue;
    }
    if (step.pointer_index >= pointers.size() || pointers[step.pointer_index].isNull()) continue;
    auto pointer = pointers[step.pointer_index];
    switch (step.kind) {
      case Which::TEXT: pointer.getAs<capnp::Text>(); break;
      case Which::DATA: pointer.getAs<capnp::Data>(); break;
      case Which::STRUCT: ReadEveryPointer(pointer.getAs<capnp::AnyStruct>(), *step.child, needs_full_check); break;
      case Which::LIST:
        switch (step.element_kind) {
          case Which::STRUCT: {
            // isCanonical() ignores the top bit of a struct list's tag word (the element count
            // has 29 bits in a 30-bit field): such a message passes it, yet is not its own
            // canonical form. The tag is not reachable through the API, so the caller compares.
            *needs_full_check = true;
            // Through the schema, so that the list's element size is checked as a typed read would.
            for (auto element : pointer.getAs<capnp::DynamicList>(step.list_schema)) {
              ReadEveryPointer(capnp::AnyStruct::Reader(element.as<capnp::DynamicStruct>()), *step.child,
                               needs_full_check);
            }
            break;
          }
          case Which::TEXT: ReadList<capnp::Text>(pointer); break;
          case Which::DATA: ReadList<capnp::Data>(pointer); break;
          case Which::VOID: ReadList<capnp::Void>(pointer); break;
          case Which::BOOL: ReadList<bool>(pointer); break;
          case Which::INT8:
          case Which::UINT8: ReadList<uint8_t>(pointer); break;
          case Which::INT16:
          case Which::UINT16:
          case Which::ENUM: ReadList<uint16_t>(pointer); break;
          case Which::INT32:
          case Which::UINT32:
          case Which::FLOAT32: ReadList<uint32_t>(pointer); break;
          default: ReadList<uint64_t>(pointer); break;
        }
        break;
      default:
        break;
    }
  }
}

template <typename Root>
const PointerPlan& PlanFor() {
  static const std::unique_ptr<PointerPlan> plan = MakePointerPlan(capnp::Schema::from<Root>(), 0);
  return *plan;
}

}  // namespace

Digest ChainHasher::Event(std::string_view canonical_event) {
  hash_.Update(kEventTag);
  hash_.Update(canonical_event);
  return hash_.Finish();
}

Digest ChainHasher::Chain(const Digest& previous, uint64_t sequence,
                          const Digest& submission_digest, const Digest& event_digest) {
  // One contiguous 112-byte message: two SHA-256 blocks.
  uint8_t message[8 + 32 + 8 + 32 + 32];
  std::memcpy(message, kChainTag.data(), 8);
  std::memcpy(message + 8, previous.data(), 32);
  PutBigEndian64(sequence, message + 40);
  std::memcpy(message + 48, submission_digest.data(), 32);
  std::memcpy(message + 80, event_digest.data(), 32);
  hash_.Update(ByteSpan(message, sizeof message));
  return hash_.Finish();
}

Digest EventDigest(std::string_view canonical_event) {
  ChainHasher hasher;
  return hasher.Event(canonical_event);
}

std::string SignedMessage(std::string_view canonical_submission_body) {
  std::string message(kSignTag);
  message += canonical_submission_body;
  return message;
}

Digest SubmissionDigest(std::string_view canonical_submission) {
  Sha256 hash;
  hash.Update(kSubmissionTag);
  hash.Update(canonical_submission);
  return hash.Finish();
}

Digest ChainHash(const Digest& previous, uint64_t sequence, const Digest& submission_digest,
                 const Digest& event_digest) {
  ChainHasher hasher;
  return hasher.Chain(previous, sequence, submission_digest, event_digest);
}

Digest LogLeafHash(const Digest& chain_hash) {
  uint8_t leaf[8 + 32];
  std::memcpy(leaf, "FTLEAF01", 8);
  std::memcpy(leaf + 8, chain_hash.data(), 32);
  return MerkleLeafHash(ByteSpan(leaf, sizeof leaf));
}

std::string EncodeEntry(const Digest& chain_hash, uint64_t submission_sequence,
                        std::string_view canonical_event) {
  std::string record(kEntryHeaderSizeBytes, '\0');
  auto* bytes = reinterpret_cast<uint8_t*>(record.data());
  bytes[0] = kEntryFormatVersion;
  std::memcpy(bytes + 1, chain_hash.data(), 32);
  PutBigEndian64(submission_sequence, bytes + 33);
  record += canonical_event;
  return record;
}

Result<EntryView> DecodeEntry(std::string_view record) {
  if (record.size() < kEntryHeaderSizeBytes + 8) {
    return Error(Status::Corruption("entry record is " + std::to_string(record.size()) +
                                    " bytes, shorter than the smallest entry"));
  }
  const auto* bytes = reinterpret_cast<const uint8_t*>(record.data());
  if (bytes[0] != kEntryFormatVersion) {
    return Error(Status::Corruption("entry record has format version " + std::to_string(bytes[0]) +
                                    ", expected 1"));
  }
  EntryView view;
  std::memcpy(view.chain_hash.data(), bytes + 1, 32);
  view.submission_sequence = GetBigEndian64(bytes + 33);
  view.canonical_event = record.substr(kEntryHeaderSizeBytes);
  return view;
}

bool LogEventReader::KnownType(schema::Event::Which which) {
  // A constant of the compiled schema, so sharing it between threads is safe.
  static const size_t known = capnp::Schema::from<schema::Event>().getUnionFields().size();
  return static_cast<size_t>(which) < known;
}

Status LogEventReader::UnknownType(uint64_t sequence, schema::Event::Which which) {
  return Status::Corruption("sequence " + std::to_string(sequence) + " is of an event type this version does not know (union member " +
                            std::to_string(static_cast<unsigned>(which)) + "); run `fundtrail verify`");
}

Status LogEventReader::NotWords(std::string_view bytes, uint64_t sequence) {
  return Status::Corruption("sequence " + std::to_string(sequence) + " is " + std::to_string(bytes.size()) +
                            " bytes, not a whole number of 8-byte words; run `fundtrail verify`");
}

Status LogEventReader::Unreadable(uint64_t sequence, const kj::Exception& exception) {
  return Status::Corruption("sequence " + std::to_string(sequence) + " is not a valid Cap'n Proto message: " +
                            exception.getDescription().cStr() + "; run `fundtrail verify`");
}

template <typename Root>
Result<Decoded<Root>> Decoded<Root>::Open(std::string_view bytes, std::string_view what) {
  if (bytes.size() % sizeof(capnp::word) != 0 || bytes.empty()) {
    return Error(Status::Corruption(std::string(what) + " is " + std::to_string(bytes.size()) +
                                    " bytes, not a whole number of 8-byte words"));
  }
  Decoded decoded;
  decoded.words_ = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(decoded.words_.begin(), bytes.data(), bytes.size());
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
    // Canonical bytes are one segment without a segment table.
    decoded.segment_ = std::make_unique<kj::ArrayPtr<const capnp::word>>(decoded.words_.asPtr());
    decoded.reader_ = std::make_unique<capnp::SegmentArrayMessageReader>(
        kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>>(decoded.segment_.get(), 1));
    if (!decoded.reader_->isCanonical()) {
      decoded.reader_.reset();
      return;
    }
    // Callers read the message without catching, so everything that can throw on a read must
    // throw now: a text without its NUL terminator, say, is canonical but unreadable. These
    // checks, like isCanonical(), run under the default traversal limit, which also stops
    // amplification (a list of a billion zero-sized structs is a few words).
    auto checked_root = decoded.reader_->template getRoot<Root>();
    bool needs_full_check = false;
    ReadEveryPointer(capnp::AnyStruct::Reader(capnp::toAny(checked_root)), PlanFor<Root>(), &needs_full_check);
    if (needs_full_check) {
      // What the walk could not check, the slow way: canonical means equal to its own
      // canonicalisation. Events with lists of structs are rare (grants, agreements, outcomes);
      // the frequent ones (funds, expenditures) skip this.
      if (capnp::canonicalize(checked_root).asBytes() != decoded.words_.asBytes()) {
        decoded.reader_.reset();
        return;
      }
    }
    // Reads after the checks are not limited: the limit charges every access again, and callers
    // read a submission's event digests once per event, quadratic in the batch size (a
    // 5,000-event body would exceed the default 8M words).
    capnp::ReaderOptions options;
    options.traversalLimitInWords = kj::maxValue;
    decoded.reader_ = std::make_unique<capnp::SegmentArrayMessageReader>(
        kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>>(decoded.segment_.get(), 1), options);
    decoded.root_ = decoded.reader_->template getRoot<Root>();
  });
  KJ_IF_MAYBE(exception, failure) {
    return Error(Status::Corruption(std::string(what) + " is not a valid Cap'n Proto message: " +
                                    exception->getDescription().cStr()));
  }
  if (decoded.reader_ == nullptr) {
    return Error(Status::Corruption(std::string(what) + " is not in canonical form"));
  }
  return decoded;
}

template class Decoded<schema::Event>;
template class Decoded<schema::Submission>;
template class Decoded<schema::SubmissionBody>;

}  // namespace fundtrail
