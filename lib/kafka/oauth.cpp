#include "kafka/oauth.hpp"

#include "kafka/client.hpp"
#include "kafka/handles.hpp"

namespace kpipe::kafka {

namespace {

void refresh(rd_kafka_t* rk, const char* /*oauthbearer_config*/, void* opaque) noexcept {
    auto* st = static_cast<ClientState*>(opaque);
    try {
        auto token = st->tokens->fetch();
        if (!token) {
            rd_kafka_oauthbearer_set_token_failure(rk, st->scrub(token.error().message).c_str());
            return;
        }
        {
            std::lock_guard lock(st->mu);
            st->secrets.push_back(token->value);
            st->token_about = token->about;
        }
        char errstr[512];
        if (rd_kafka_oauthbearer_set_token(rk, token->value.c_str(), token->expires_ms, token->principal.c_str(),
                                           nullptr, 0, errstr, sizeof errstr) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_oauthbearer_set_token_failure(rk, errstr);
            return;
        }
        std::lock_guard lock(st->mu);
        st->token_expires_ms = token->expires_ms;
    } catch (const std::exception& e) {
        rd_kafka_oauthbearer_set_token_failure(rk, e.what());
    }
}

}  // namespace

void install_token_refresh(rd_kafka_conf_t* conf) {
    rd_kafka_conf_set_oauthbearer_token_refresh_cb(conf, refresh);
    // A queue of its own, so that the callback does not wait for rd_kafka_poll (which a
    // consumer or an admin call may not run while it waits for the broker).
    rd_kafka_conf_enable_sasl_queue(conf, 1);
}

Result<void> refresh_tokens_in_background(rd_kafka_t* rk) {
    ErrorPtr err(rd_kafka_sasl_background_callbacks_enable(rk));
    if (err) return fail(Exit::runtime, "cannot refresh OAUTHBEARER tokens in the background: {}",
                         rd_kafka_error_string(err.get()));
    return {};
}

}  // namespace kpipe::kafka
