// A librdkafka handle built from Settings, with connection checks that fail within
// the configured timeout instead of hanging, and log lines scrubbed of secrets.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "error.hpp"
#include "kafka/handles.hpp"
#include "log_limiter.hpp"
#include "settings.hpp"
#include "token_source.hpp"

namespace kpipe::kafka {

enum class Role { producer, consumer, admin };

using Properties = std::map<std::string, std::string>;

struct Handle;

// Adjusts the conf just before the handle is created (e.g. to enable delivery-report events).
using ConfHook = std::function<void(rd_kafka_conf_t*)>;

struct PartitionInfo {
    int32_t id = 0;
    int32_t leader = -1;
    std::vector<int32_t> replicas;
    std::vector<int32_t> isrs;
};

struct TopicInfo {
    std::string name;
    std::vector<PartitionInfo> partitions;
    bool internal() const { return name.starts_with("__"); }
};

struct BrokerInfo {
    int32_t id = 0;
    std::string host;
    int port = 0;
};

struct ClusterInfo {
    std::vector<BrokerInfo> brokers;
    std::vector<TopicInfo> topics;  // sorted by name
    const TopicInfo* find(std::string_view topic) const;
    // One line per node that holds replicas of `topics` but is not among the live brokers
    // (down, fenced or unreachable), naming the partitions it holds.
    std::vector<std::string> nodes_down(const std::vector<std::string>& topics) const;
};

// How far the connection to one broker got, from librdkafka's broker state changes.
struct BrokerProgress {
    std::string state;                            // INIT, CONNECT, APIVERSION_QUERY, UP, DOWN, ...
    std::chrono::steady_clock::time_point since;  // when it entered `state`
    bool answered = false;                        // got past the first Kafka request
    int hangups = 0;  // connections lost within a second of the first Kafka request, unanswered
};

// Shared between the handle's callbacks (librdkafka threads) and the caller.
struct ClientState {
    std::mutex mu;
    std::string last_error;       // most recent error or warning from librdkafka
    bool auth_failed = false;
    std::string auth_error;       // the first authentication or authorization failure
    bool fatal = false;
    std::string fatal_reason;
    int verbosity = 0;
    LogLimiter log_limiter;  // -v lines from librdkafka that repeat are held back
    std::vector<std::string> secrets;
    std::map<std::string, BrokerProgress> brokers;  // by "host:port"
    std::string scrub(std::string text) const;
    // The OAUTHBEARER token source (kinds oauth, msk-iam) and what its last token was.
    std::unique_ptr<TokenSource> tokens;
    std::string token_about;
    int64_t token_expires_ms = 0;  // epoch ms: when the token librdkafka holds expires
    // Why no broker answered, when what happened says more than the last error: it is
    // not a Kafka listener. Empty otherwise. Needs `mu`.
    std::string not_kafka() const;
    // True when no broker has answered and each hung up on `n` or more first requests.
    bool hung_up_on_every_request(int n) const;
};

class Client {
public:
    // `defaults` sit under the user's settings; `forced` sit above them; `hook` runs last.
    static Result<Client> create(const Settings& settings, Role role, const Properties& defaults = {},
                                 const Properties& forced = {}, const ConfHook& hook = {});

    const Settings& settings() const { return *settings_; }

    // Waits (up to --timeout) until the cluster answers; exit 4 naming the brokers otherwise.
    Result<ClusterInfo> cluster();
    // Error for "could not reach the cluster within timeout" with the latest reason.
    Error connect_error(std::string_view what) const;
    // An error once librdkafka reported a fatal error or failed authentication.
    Result<void> usable() const;
    std::string last_error() const;
    // True when `reason` is a failed OAUTHBEARER token refresh while the token in use is
    // still valid: librdkafka tries again, the run carries on.
    bool token_refresh_can_wait(std::string_view reason) const;
    // What kpipe's last OAUTHBEARER token was ("" when it fetches none), for config check.
    std::string token_about() const;

    Client(Client&&) noexcept = default;
    Client& operator=(Client&&) noexcept = default;
    ~Client();

private:
    friend struct Handle;
    Client() = default;
    bool hung_up_on_every_request(int n) const;
    const Settings* settings_ = nullptr;
    Role role_ = Role::admin;
    std::unique_ptr<ClientState> state_;
    HandlePtr rk_;
};

std::string err_name(rd_kafka_resp_err_t err);

// A topic's metadata as kpipe keeps it (partitions sorted by id).
TopicInfo topic_info_of(const rd_kafka_metadata_topic_t& t);

}  // namespace kpipe::kafka
