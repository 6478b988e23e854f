// Profile kinds: `kind = "confluent-cloud"` and a few keys stand for the librdkafka
// settings a cloud's Kafka needs (README "Cloud clusters").
//
//   confluent-cloud  brokers, api_key, api_secret           SASL_SSL PLAIN
//   event-hubs       connection_string [brokers]            SASL_SSL PLAIN, $ConnectionString;
//                                                           EntityPath is the default topic
//   msk-iam          brokers [region] [aws_profile]         SASL_SSL OAUTHBEARER, a SigV4-signed
//                                                           token kpipe makes and refreshes
//   msk-scram        brokers, user, password                SASL_SSL SCRAM-SHA-512
//   aiven            brokers, ca_file, cert_file, key_file  SSL with a client certificate
//   oauth            brokers, token_endpoint, client_id,    SASL_SSL OAUTHBEARER, a token kpipe
//                    client_secret [scope] [token_ca_file]  fetches (client credentials) and refreshes
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "error.hpp"
#include "settings.hpp"

namespace kpipe {

// One key of a profile as read from the file (env references expanded, *_command run).
struct ProfileEntry {
    Value value;
    std::string where;  // "FILE:LINE: key 'NAME'" for errors
};
using ProfileEntries = std::map<std::string, ProfileEntry>;

// What a kind expands to.
struct KindExpansion {
    std::map<std::string, Value> kafka;
    std::map<std::string, Value> auth;
    Value default_topic;
};

// The names of the kinds, for messages and docs.
const std::vector<std::string_view>& profile_kinds();
// Keys a kind takes besides the generic ones (brokers, ca_file...).
bool is_kind_key(std::string_view key);
// Profile keys that hold secrets (each may also be given as KEY_command).
bool is_secret_profile_key(std::string_view key);

// Expands `kind` using (and removing) its keys from `keys`; `source` names the profile.
Result<KindExpansion> expand_kind(const ProfileEntry& kind, ProfileEntries& keys, const std::string& source);

// Azure Event Hubs: the connection string as the portal prints it.
struct EventHubsConnection {
    std::string bootstrap;    // NAMESPACE.servicebus.windows.net:9093
    std::string normalized;   // the string without stray spaces, sent as the SASL password
    std::string entity_path;  // "" when the string has none
};
Result<EventHubsConnection> parse_event_hubs(std::string_view connection_string);

// The AWS region in an MSK bootstrap address (b-1.x.kafka.REGION.amazonaws.com:9098), or "".
std::string msk_region_of(std::string_view brokers);

}  // namespace kpipe
