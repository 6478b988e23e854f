#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "failure_report.hpp"
#include "kafka/fault.hpp"

using namespace kpipe;

namespace {

struct Captured {
    std::vector<std::string> lines;
    FailureReport::Emit emit() {
        return [this](std::string_view l) { lines.emplace_back(l); };
    }
};

}  // namespace

TEST_CASE("positions: lines and offsets, alone and as ranges") {
    Places places;
    uint32_t f = places.add("events.jsonl");
    uint32_t t = places.add("clickstream");
    CHECK(places.add("events.jsonl") == f);
    CHECK(places.format({f, -1, 17}) == "events.jsonl:17");
    CHECK(places.format({t, 2, 17}) == "clickstream [2] at offset 17");
    CHECK(places.format_range({f, -1, 17}, 20) == "events.jsonl:17-20");
    CHECK(places.format_range({t, 2, 17}, 20) == "clickstream [2] offsets 17-20");
    CHECK(places.format_range({t, 2, 17}, 17) == "clickstream [2] at offset 17");
}

TEST_CASE("failure report: consecutive lines merge across other partitions' deliveries") {
    Places places;
    uint32_t f = places.add("in.jsonl");
    Captured out;
    FailureReport r(places, out.emit());
    // Lines 1..9 went to three partitions; the partition of lines 1, 4, 7 failed, then
    // lines 10-12 all failed.
    for (int64_t line : {1, 4, 7, 10, 11, 12}) r.add({f, -1, line}, "not delivered: Broker: Not leader");
    r.print();
    CHECK(out.lines == std::vector<std::string>{"in.jsonl:1: not delivered: Broker: Not leader",
                                                "in.jsonl:4: not delivered: Broker: Not leader",
                                                "in.jsonl:7: not delivered: Broker: Not leader",
                                                "in.jsonl:10-12: not delivered: Broker: Not leader (3 records)"});
    r.finish("");
    CHECK(out.lines.back() == "6 record(s) failed: not delivered: Broker: Not leader");
}

TEST_CASE("failure report: reasons differing only in numbers are one reason") {
    Places places;
    uint32_t f = places.add("in.jsonl");
    Captured out;
    FailureReport r(places, out.emit());
    r.add({f, -1, 1}, "not delivered: timed out (last error: 127.0.0.1:9092 refused)");
    r.add({f, -1, 2}, "not delivered: timed out (last error: 127.0.0.1:9092 refused, 3 identical error(s) suppressed)");
    r.add({f, -1, 3}, "not delivered: timed out (last error: 127.0.0.1:9093 refused)");
    r.finish("");
    REQUIRE(out.lines.size() == 1);
    CHECK(out.lines[0] == "in.jsonl:1-3: not delivered: timed out (last error: 127.0.0.1:9092 refused) (3 records)");
}

TEST_CASE("failure report: at most max_lines ranges, then a count and the totals") {
    Places places;
    uint32_t f = places.add("in.jsonl");
    Captured out;
    FailureReport r(places, out.emit(), 5);
    for (int64_t line = 1; line <= 300; line += 3) r.add({f, -1, line}, "not delivered: too large");
    r.print();
    CHECK(out.lines.size() == 5);
    for (int64_t line = 1000; line < 1010; ++line) r.add({f, -1, line}, "not delivered: gone");
    r.finish("failed.jsonl");
    REQUIRE(out.lines.size() == 8);
    CHECK(out.lines[5] == "... and 96 more range(s) of 105 record(s); every failed record is in failed.jsonl");
    CHECK(out.lines[6] == "100 record(s) failed: not delivered: too large");
    CHECK(out.lines[7] == "10 record(s) failed: not delivered: gone");
    CHECK(r.total() == 110);
}

TEST_CASE("faults: librdkafka's codes map to kpipe's faults and exit codes") {
    using kafka::Fault;
    CHECK(kafka::fault_of(RD_KAFKA_RESP_ERR_NO_ERROR) == Fault::none);
    CHECK(kafka::fault_of(RD_KAFKA_RESP_ERR__QUEUE_FULL) == Fault::queue_full);
    CHECK(kafka::fault_of(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) == Fault::too_large);
    CHECK(kafka::fault_of(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT) == Fault::timed_out);
    CHECK(kafka::fault_of(RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) == Fault::purged_in_flight);
    CHECK(kafka::fault_of(RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED) == Fault::not_allowed);
    CHECK(kafka::fault_of(RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) == Fault::already_exists);
    CHECK(kafka::fault_of(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) == Fault::unreachable);
    CHECK(kafka::fault_of(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) == Fault::unknown_topic);
    CHECK(kafka::fault_of(RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE) == Fault::other);
    CHECK(kafka::exit_for(Fault::unknown_topic) == Exit::not_found);
    CHECK(kafka::exit_for(Fault::not_allowed) == Exit::connect);
    CHECK(kafka::exit_for(Fault::unreachable) == Exit::connect);
    CHECK(kafka::exit_for(Fault::invalid) == Exit::usage);
    CHECK(kafka::exit_for(Fault::timed_out) == Exit::data);
    CHECK(kafka::exit_for(Fault::already_exists) == Exit::runtime);
}
