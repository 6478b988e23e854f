// --dead-letter TOPIC: a Writer in front of another that also sends every rejected record
// (bad input, a failing --schema, --where or --map) to a topic, with headers saying why
// (kpipe.error) and where it came from (kpipe.source). The run still counts them as bad.
#pragma once
#include <memory>
#include <string>

#include "topic_writer.hpp"

namespace kpipe {

class WithDeadLetters : public Writer {
public:
    WithDeadLetters(Writer& inner, std::unique_ptr<TopicWriter> dead, const Places& places)
        : inner_(inner), dead_(std::move(dead)), places_(places) {}

    Result<State> write(const Item& item) override { return inner_.write(item); }
    void skip(const Item& item) override { inner_.skip(item); }
    void reject(const Item& item, std::string_view reason) override;
    Result<State> flush(bool all) override;
    void wait(int ms) override;
    void tick() override;
    bool gone() override { return inner_.gone(); }
    End finish(bool interrupted) override;

private:
    Writer& inner_;
    std::unique_ptr<TopicWriter> dead_;
    const Places& places_;
    std::string reason_, source_;
};

}  // namespace kpipe
