// RAII ownership of librdkafka C objects (lib/kafka only).
#pragma once
#include <memory>

#include <librdkafka/rdkafka.h>

namespace kpipe::kafka {

template <auto Fn>
struct Deleter {
    template <class T>
    void operator()(T* p) const noexcept {
        if (p) Fn(p);
    }
};

using ConfPtr = std::unique_ptr<rd_kafka_conf_t, Deleter<rd_kafka_conf_destroy>>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, Deleter<rd_kafka_queue_destroy>>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, Deleter<rd_kafka_event_destroy>>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, Deleter<rd_kafka_message_destroy>>;
using PartitionListPtr =
    std::unique_ptr<rd_kafka_topic_partition_list_t, Deleter<rd_kafka_topic_partition_list_destroy>>;
using AdminOptionsPtr = std::unique_ptr<rd_kafka_AdminOptions_t, Deleter<rd_kafka_AdminOptions_destroy>>;
using NewTopicPtr = std::unique_ptr<rd_kafka_NewTopic_t, Deleter<rd_kafka_NewTopic_destroy>>;
using DeleteTopicPtr = std::unique_ptr<rd_kafka_DeleteTopic_t, Deleter<rd_kafka_DeleteTopic_destroy>>;
using NewPartitionsPtr = std::unique_ptr<rd_kafka_NewPartitions_t, Deleter<rd_kafka_NewPartitions_destroy>>;
using ConfigResourcePtr = std::unique_ptr<rd_kafka_ConfigResource_t, Deleter<rd_kafka_ConfigResource_destroy>>;
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, Deleter<rd_kafka_error_destroy>>;
using HeadersPtr = std::unique_ptr<rd_kafka_headers_t, Deleter<rd_kafka_headers_destroy>>;
using TopicPtr = std::unique_ptr<rd_kafka_topic_t, Deleter<rd_kafka_topic_destroy>>;
using AlterGroupOffsetsPtr =
    std::unique_ptr<rd_kafka_AlterConsumerGroupOffsets_t, Deleter<rd_kafka_AlterConsumerGroupOffsets_destroy>>;
using ListGroupOffsetsPtr =
    std::unique_ptr<rd_kafka_ListConsumerGroupOffsets_t, Deleter<rd_kafka_ListConsumerGroupOffsets_destroy>>;

// Consumers are closed explicitly first (kafka::Consumer, bounded by --timeout), so
// destroying one must not try to leave the group again: that could block on a dead broker.
inline void destroy_handle(rd_kafka_t* rk) noexcept {
    rd_kafka_destroy_flags(rk, rd_kafka_type(rk) == RD_KAFKA_CONSUMER ? RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE : 0);
}
using HandlePtr = std::unique_ptr<rd_kafka_t, Deleter<destroy_handle>>;

inline void destroy_metadata(const rd_kafka_metadata_t* m) noexcept { rd_kafka_metadata_destroy(m); }
using MetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, Deleter<destroy_metadata>>;

}  // namespace kpipe::kafka
