// kpipe's own OAUTHBEARER tokens (lib/token_source.hpp) handed to librdkafka through its
// token refresh callback: librdkafka calls it before connecting and again at 80% of
// each token's lifetime, on its background thread, so tokens are refreshed while a
// long consume or tail runs.
#pragma once
#include <librdkafka/rdkafka.h>

#include "error.hpp"

namespace kpipe::kafka {

struct ClientState;

// Before rd_kafka_new: the callback, which takes the token source from the ClientState
// that is the conf's opaque, on a SASL queue of its own.
void install_token_refresh(rd_kafka_conf_t* conf);
// After rd_kafka_new: serve the callback on librdkafka's background thread.
Result<void> refresh_tokens_in_background(rd_kafka_t* rk);

}  // namespace kpipe::kafka
