// produce's JSON events: a step that checks each event is one JSON value and takes the
// record's key and timestamp from its fields (--key, --timestamp). It runs after --where
// and --map, so those see, and may change, the event the fields are taken from.
#pragma once
#include <optional>
#include <string>

#include "field_path.hpp"
#include "pipeline.hpp"

namespace kpipe {

class EventFields : public Step {
public:
    EventFields(std::optional<FieldPath> key, std::optional<FieldPath> timestamp)
        : key_(std::move(key)), timestamp_(std::move(timestamp)) {}
    // An event that is not JSON, or a timestamp field Kafka cannot carry, is an error
    // naming the field.
    Result<bool> apply(Item& item) override;

private:
    std::optional<FieldPath> key_, timestamp_;
    JsonDocument json_;
    std::string key_scratch_;
};

// Kafka has no timestamps before 1970, and librdkafka sends the current time for 0.
Result<int64_t> sendable_time(int64_t ms);

}  // namespace kpipe
