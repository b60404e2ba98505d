// JSON <-> Cap'n Proto events, driven by schema reflection (schemas/fundtrail.capnp).
//
// An event in JSON is one object: {"type": "funds_disbursed", "grant_id": "G-1", ...}.
// Names are the schema's camelCase names in snake_case. Money is one string "1250.00 CNY",
// Data is hex, dates are "YYYY-MM-DD". Every field is required unless the schema marks it
// $optional; unknown fields are errors, so a typo never silently drops data.
#pragma once

#include <capnp/message.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ledger/status.h"
#include "schemas/fundtrail.capnp.h"

namespace fundtrail {

// Fills `event` from `object`. On error the message names the field and the reason, e.g.
//   field "amount": "12.345 CNY" has 3 decimals, CNY allows 2
// (callers add the line and event type). Structural checks only: references and permissions are
// the validator's job.
Status DecodeEventJson(const nlohmann::json& object, schema::Event::Builder event);

// The inverse: a JSON object with "type" first, then the fields in schema order.
nlohmann::ordered_json EncodeEventJson(schema::Event::Reader event);

// "funds_disbursed" for the event's union member.
std::string EventTypeName(schema::Event::Reader event);
std::string EventTypeName(schema::Event::Which which);
// All event type names, in schema order.
std::vector<std::string> EventTypeNames();
// nullopt if `name` is not an event type.
std::optional<schema::Event::Which> EventTypeFromName(std::string_view name);

std::string SnakeCase(std::string_view camel_case);
std::string CamelCase(std::string_view snake_case);

// The longest Text value accepted, in bytes.
inline constexpr size_t kTextSizeBytesMax = 4096;

}  // namespace fundtrail
