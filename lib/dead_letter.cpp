#include "dead_letter.hpp"

namespace kpipe {

void WithDeadLetters::reject(const Item& item, std::string_view reason) {
    inner_.reject(item, reason);
    Item dead = item;
    reason_ = reason;
    source_ = places_.format(item.pos);
    dead.record.headers.push_back({"kpipe.error", reason_});
    dead.record.headers.push_back({"kpipe.source", source_});
    dead.envelope = {};
    (void)dead_->write(dead);  // a record it cannot send is reported by it
}

Result<Writer::State> WithDeadLetters::flush(bool all) {
    if (auto d = dead_->flush(all); !d) return d;
    return inner_.flush(all);
}

void WithDeadLetters::wait(int ms) {
    dead_->wait(0);
    inner_.wait(ms);
}

void WithDeadLetters::tick() {
    dead_->tick();
    inner_.tick();
}

Writer::End WithDeadLetters::finish(bool interrupted) {
    End end = inner_.finish(interrupted);
    End dead = dead_->finish(interrupted);
    end.failed += dead.failed;
    if (end.fatal && !dead.fatal) end.fatal = dead.fatal;
    if (end.after && !dead.after) end.after = dead.after;
    return end;
}

}  // namespace kpipe
