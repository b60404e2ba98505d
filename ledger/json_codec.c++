#include "ledger/json_codec.h"

#include <capnp/dynamic.h>
#include <capnp/schema.h>

#include "ledger/bytes.h"
#include "ledger/dates.h"
#include "ledger/money.h"

namespace fundtrail {

namespace {

// Annotation ids, as declared in schemas/fundtrail.capnp.
constexpr uint64_t kOptionalAnnotationId = 0xd4a4b3c1f0a1e201ull;
constexpr uint64_t kDateAnnotationId = 0xd4a4b3c1f0a1e202ull;
constexpr uint64_t kAllowZeroAnnotationId = 0xd4a4b3c1f0a1e203ull;

bool HasAnnotation(capnp::StructSchema::Field field, uint64_t id) {
  for (auto annotation : field.getProto().getAnnotations()) {
    if (annotation.getId() == id) return true;
  }
  return false;
}

bool IsMoney(capnp::Type type) {
  return type.isStruct() &&
         type.asStruct().getProto().getId() == capnp::typeId<schema::Money>();
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

Status FieldError(const std::string& path, const std::string& message) {
  return Status::InvalidArgument("field " + Quote(path) + ": " + message);
}

std::string JsonKind(const nlohmann::json& value) {
  if (value.is_string()) return "a string";
  if (value.is_boolean()) return "a boolean";
  if (value.is_number()) return "a number";
  if (value.is_array()) return "a list";
  if (value.is_object()) return "an object";
  return "null";
}

std::string FieldNames(capnp::StructSchema schema) {
  std::string names;
  for (auto field : schema.getFields()) {
    if (!names.empty()) names += ", ";
    names += SnakeCase(field.getProto().getName().cStr());
  }
  return names;
}

Status DecodeStruct(const nlohmann::json& object, capnp::DynamicStruct::Builder builder,
                    const std::string& path_prefix, bool skip_type_key);

Status CheckText(const std::string& path, const std::string& text, bool required) {
  if (required && text.empty()) return FieldError(path, "is empty");
  if (text.size() > kTextSizeBytesMax) {
    return FieldError(path, "is " + std::to_string(text.size()) + " bytes long, the limit is " +
                                std::to_string(kTextSizeBytesMax));
  }
  for (unsigned char c : text) {
    if (c < 0x20 && c != '\n' && c != '\t') {
      return FieldError(path, "contains a control character");
    }
  }
  return Status::Ok();
}

Result<capnp::DynamicValue::Reader> DecodeEnum(const nlohmann::json& value, capnp::EnumSchema schema,
                                               const std::string& path) {
  std::string allowed;
  for (auto enumerant : schema.getEnumerants()) {
    if (!allowed.empty()) allowed += ", ";
    allowed += SnakeCase(enumerant.getProto().getName().cStr());
  }
  if (!value.is_string()) {
    return Error(FieldError(path, "is " + JsonKind(value) + ", expected one of: " + allowed));
  }
  std::string name = value.get<std::string>();
  KJ_IF_MAYBE(enumerant, schema.findEnumerantByName(CamelCase(name))) {
    if (SnakeCase(CamelCase(name)) == name) return capnp::DynamicValue::Reader(capnp::DynamicEnum(*enumerant));
  }
  return Error(FieldError(path, Quote(name) + " is not one of: " + allowed));
}

Status DecodeMoney(const nlohmann::json& value, capnp::DynamicStruct::Builder money,
                   bool allow_zero, const std::string& path) {
  if (!value.is_string()) {
    return FieldError(path, "is " + JsonKind(value) + ", expected an amount like \"1250.00 CNY\"");
  }
  auto parsed = ParseMoney(value.get<std::string>());
  if (!parsed) return FieldError(path, parsed.error().message());
  if (parsed->minor_units == 0 && !allow_zero) {
    return FieldError(path, Quote(value.get<std::string>()) + " is zero; amounts must be positive");
  }
  auto typed = money.as<schema::Money>();
  typed.setMinorUnits(parsed->minor_units);
  typed.setCurrency(parsed->currency);
  return Status::Ok();
}

Status DecodeInteger(const nlohmann::json& value, capnp::Type type, const std::string& path,
                     capnp::DynamicValue::Reader* out) {
  if (!value.is_number_integer()) {
    return FieldError(path, "is " + JsonKind(value) + ", expected a whole number");
  }
  if (value.is_number_unsigned() || value.get<int64_t>() >= 0) {
    uint64_t number = value.get<uint64_t>();
    uint64_t max = type.which() == capnp::schema::Type::UINT32 ? UINT32_MAX
                   : type.which() == capnp::schema::Type::INT64 ? INT64_MAX
                                                                : UINT64_MAX;
    if (number > max) return FieldError(path, std::to_string(number) + " is too large");
    *out = type.which() == capnp::schema::Type::INT64
               ? capnp::DynamicValue::Reader(static_cast<int64_t>(number))
               : capnp::DynamicValue::Reader(number);
    return Status::Ok();
  }
  if (type.which() != capnp::schema::Type::INT64) {
    return FieldError(path, std::to_string(value.get<int64_t>()) + " is negative");
  }
  *out = capnp::DynamicValue::Reader(value.get<int64_t>());
  return Status::Ok();
}

Status DecodeList(const nlohmann::json& value, capnp::DynamicStruct::Builder parent,
                  capnp::StructSchema::Field field, const std::string& path) {
  if (!value.is_array()) return FieldError(path, "is " + JsonKind(value) + ", expected a list");
  auto element_type = field.getType().asList().getElementType();
  auto list = parent.init(field, value.size()).as<capnp::DynamicList>();
  for (size_t i = 0; i < value.size(); ++i) {
    const auto& element = value[i];
    std::string element_path = path + "[" + std::to_string(i) + "]";
    switch (element_type.which()) {
      case capnp::schema::Type::TEXT: {
        if (!element.is_string()) {
          return FieldError(element_path, "is " + JsonKind(element) + ", expected a string");
        }
        FT_RETURN_IF_ERROR(CheckText(element_path, element.get<std::string>(), true));
        list.set(i, capnp::Text::Reader(element.get_ref<const std::string&>().c_str()));
        break;
      }
      case capnp::schema::Type::ENUM: {
        auto decoded = DecodeEnum(element, element_type.asEnum(), element_path);
        if (!decoded) return decoded.error();
        list.set(i, *decoded);
        break;
      }
      case capnp::schema::Type::STRUCT: {
        auto child = list[i].as<capnp::DynamicStruct>();
        if (IsMoney(element_type)) {
          FT_RETURN_IF_ERROR(DecodeMoney(element, child, false, element_path));
        } else {
          FT_RETURN_IF_ERROR(DecodeStruct(element, child, element_path + ".", false));
        }
        break;
      }
      default:
        FT_ASSERT(false, "list element type not supported by the JSON codec");
    }
  }
  return Status::Ok();
}

Status DecodeField(const nlohmann::json& value, capnp::DynamicStruct::Builder builder,
                   capnp::StructSchema::Field field, const std::string& path, bool required) {
  auto type = field.getType();
  switch (type.which()) {
    case capnp::schema::Type::TEXT: {
      if (!value.is_string()) return FieldError(path, "is " + JsonKind(value) + ", expected a string");
      const auto& text = value.get_ref<const std::string&>();
      FT_RETURN_IF_ERROR(CheckText(path, text, required));
      if (HasAnnotation(field, kDateAnnotationId)) {
        auto date = ParseDate(text);
        if (!date) return FieldError(path, date.error().message());
      }
      builder.set(field, capnp::Text::Reader(text.c_str()));
      return Status::Ok();
    }
    case capnp::schema::Type::DATA: {
      if (!value.is_string()) {
        return FieldError(path, "is " + JsonKind(value) + ", expected a hex string");
      }
      auto bytes = HexDecode(value.get<std::string>());
      if (!bytes) return FieldError(path, bytes.error().message());
      if (required && bytes->empty()) return FieldError(path, "is empty");
      builder.set(field, capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(bytes->data()),
                                             bytes->size()));
      return Status::Ok();
    }
    case capnp::schema::Type::BOOL:
      if (!value.is_boolean()) return FieldError(path, "is " + JsonKind(value) + ", expected true or false");
      builder.set(field, value.get<bool>());
      return Status::Ok();
    case capnp::schema::Type::UINT32:
    case capnp::schema::Type::UINT64:
    case capnp::schema::Type::INT64: {
      capnp::DynamicValue::Reader number;
      FT_RETURN_IF_ERROR(DecodeInteger(value, type, path, &number));
      builder.set(field, number);
      return Status::Ok();
    }
    case capnp::schema::Type::ENUM: {
      auto decoded = DecodeEnum(value, type.asEnum(), path);
      if (!decoded) return decoded.error();
      builder.set(field, *decoded);
      return Status::Ok();
    }
    case capnp::schema::Type::STRUCT: {
      auto child = builder.init(field).as<capnp::DynamicStruct>();
      if (IsMoney(type)) {
        return DecodeMoney(value, child, HasAnnotation(field, kAllowZeroAnnotationId), path);
      }
      return DecodeStruct(value, child, path + ".", false);
    }
    case capnp::schema::Type::LIST:
      return DecodeList(value, builder, field, path);
    default:
      FT_ASSERT(false, "field type not supported by the JSON codec");
  }
  return Status::Ok();
}

Status DecodeStruct(const nlohmann::json& object, capnp::DynamicStruct::Builder builder,
                    const std::string& path_prefix, bool skip_type_key) {
  auto schema = builder.getSchema();
  std::string where = path_prefix.empty() ? "" : " in " + Quote(path_prefix.substr(0, path_prefix.size() - 1));
  if (!object.is_object()) {
    return Status::InvalidArgument("expected a JSON object" + where + ", got " + JsonKind(object));
  }
  for (const auto& [key, value] : object.items()) {
    if (skip_type_key && key == "type") continue;
    std::string camel = CamelCase(key);
    bool found = false;
    KJ_IF_MAYBE(field, schema.findFieldByName(camel)) {
      found = SnakeCase(camel) == key;
      (void)field;
    }
    if (!found) {
      return Status::InvalidArgument("unknown field " + Quote(path_prefix + key) +
                                     " (allowed: " + FieldNames(schema) + ")");
    }
  }
  for (auto field : schema.getFields()) {
    std::string name = SnakeCase(field.getProto().getName().cStr());
    bool optional = HasAnnotation(field, kOptionalAnnotationId);
    auto found = object.find(name);
    if (found == object.end() || found->is_null()) {
      if (optional) continue;
      return Status::InvalidArgument("missing field " + Quote(path_prefix + name));
    }
    FT_RETURN_IF_ERROR(DecodeField(*found, builder, field, path_prefix + name, !optional));
  }
  return Status::Ok();
}

nlohmann::ordered_json EncodeValue(capnp::DynamicValue::Reader value, capnp::Type type);

nlohmann::ordered_json EncodeStruct(capnp::DynamicStruct::Reader reader) {
  nlohmann::ordered_json object = nlohmann::ordered_json::object();
  for (auto field : reader.getSchema().getFields()) {
    bool optional = HasAnnotation(field, kOptionalAnnotationId);
    if (optional && !reader.has(field, capnp::HasMode::NON_DEFAULT)) continue;
    object[SnakeCase(field.getProto().getName().cStr())] = EncodeValue(reader.get(field), field.getType());
  }
  return object;
}

nlohmann::ordered_json EncodeValue(capnp::DynamicValue::Reader value, capnp::Type type) {
  switch (type.which()) {
    case capnp::schema::Type::TEXT:
      return std::string(value.as<capnp::Text>().cStr());
    case capnp::schema::Type::DATA: {
      auto data = value.as<capnp::Data>();
      return HexEncode(ByteSpan(data.begin(), data.size()));
    }
    case capnp::schema::Type::BOOL:
      return value.as<bool>();
    case capnp::schema::Type::UINT32:
    case capnp::schema::Type::UINT64:
      return value.as<uint64_t>();
    case capnp::schema::Type::INT64:
      return value.as<int64_t>();
    case capnp::schema::Type::ENUM: {
      KJ_IF_MAYBE(enumerant, value.as<capnp::DynamicEnum>().getEnumerant()) {
        return SnakeCase(enumerant->getProto().getName().cStr());
      }
      return value.as<capnp::DynamicEnum>().getRaw();
    }
    case capnp::schema::Type::STRUCT: {
      if (IsMoney(type)) {
        auto money = value.as<schema::Money>();
        return FormatMoneyPlain({money.getMinorUnits(), money.getCurrency().cStr()});
      }
      return EncodeStruct(value.as<capnp::DynamicStruct>());
    }
    case capnp::schema::Type::LIST: {
      nlohmann::ordered_json array = nlohmann::ordered_json::array();
      auto element_type = type.asList().getElementType();
      for (auto element : value.as<capnp::DynamicList>()) array.push_back(EncodeValue(element, element_type));
      return array;
    }
    default:
      FT_ASSERT(false, "field type not supported by the JSON codec");
  }
  return nullptr;
}

}  // namespace

std::string SnakeCase(std::string_view camel_case) {
  std::string out;
  for (char c : camel_case) {
    if (c >= 'A' && c <= 'Z') {
      out += '_';
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      out += c;
    }
  }
  return out;
}

std::string CamelCase(std::string_view snake_case) {
  std::string out;
  bool upper = false;
  for (char c : snake_case) {
    if (c == '_') {
      upper = true;
    } else if (upper && c >= 'a' && c <= 'z') {
      out += static_cast<char>(c - 'a' + 'A');
      upper = false;
    } else {
      out += c;
      upper = false;
    }
  }
  return out;
}

std::vector<std::string> EventTypeNames() {
  std::vector<std::string> names;
  for (auto field : capnp::Schema::from<schema::Event>().getUnionFields()) {
    names.push_back(SnakeCase(field.getProto().getName().cStr()));
  }
  return names;
}

std::string EventTypeName(schema::Event::Which which) {
  // By discriminant, computed from the schema once: logs and histories name every row's type.
  // A constant of the compiled schema, so sharing it between threads is safe.
  static const std::vector<std::string> names_by_discriminant = [] {
    std::vector<std::string> names;
    for (auto field : capnp::Schema::from<schema::Event>().getUnionFields()) {
      const uint16_t discriminant = field.getProto().getDiscriminantValue();
      if (names.size() <= discriminant) names.resize(discriminant + 1);
      names[discriminant] = SnakeCase(field.getProto().getName().cStr());
    }
    return names;
  }();
  const auto index = static_cast<size_t>(which);
  if (index < names_by_discriminant.size() && !names_by_discriminant[index].empty()) {
    return names_by_discriminant[index];
  }
  return "unknown_" + std::to_string(static_cast<int>(which));
}

std::string EventTypeName(schema::Event::Reader event) { return EventTypeName(event.which()); }

std::optional<schema::Event::Which> EventTypeFromName(std::string_view name) {
  for (auto field : capnp::Schema::from<schema::Event>().getUnionFields()) {
    if (SnakeCase(field.getProto().getName().cStr()) == name) {
      return static_cast<schema::Event::Which>(field.getProto().getDiscriminantValue());
    }
  }
  return std::nullopt;
}

Status DecodeEventJson(const nlohmann::json& object, schema::Event::Builder event) {
  if (!object.is_object()) {
    return Status::InvalidArgument("expected a JSON object, got " + JsonKind(object));
  }
  auto type = object.find("type");
  if (type == object.end()) {
    return Status::InvalidArgument("missing field \"type\" (the event type, e.g. \"expenditure_recorded\")");
  }
  if (!type->is_string()) return FieldError("type", "is " + JsonKind(*type) + ", expected a string");
  auto which = EventTypeFromName(type->get<std::string>());
  if (!which) {
    std::string all;
    for (const auto& name : EventTypeNames()) all += (all.empty() ? "" : ", ") + name;
    return Status::InvalidArgument("unknown event type " + Quote(type->get<std::string>()) +
                                   " (known: " + all + ")");
  }
  capnp::DynamicStruct::Builder dynamic = event;
  for (auto field : dynamic.getSchema().getUnionFields()) {
    if (field.getProto().getDiscriminantValue() != static_cast<uint16_t>(*which)) continue;
    auto body = dynamic.init(field).as<capnp::DynamicStruct>();
    return DecodeStruct(object, body, "", /*skip_type_key=*/true);
  }
  FT_ASSERT(false, "event type without a union field");
  return Status::Ok();
}

nlohmann::ordered_json EncodeEventJson(schema::Event::Reader event) {
  capnp::DynamicStruct::Reader dynamic = event;
  nlohmann::ordered_json object = nlohmann::ordered_json::object();
  KJ_IF_MAYBE(field, dynamic.which()) {
    object["type"] = SnakeCase(field->getProto().getName().cStr());
    auto body = EncodeStruct(dynamic.get(*field).as<capnp::DynamicStruct>());
    for (auto& [key, value] : body.items()) object[key] = value;
  } else {
    object["type"] = "unknown";
  }
  return object;
}

}  // namespace fundtrail
