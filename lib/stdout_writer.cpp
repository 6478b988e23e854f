#include "stdout_writer.hpp"

#include <thread>

namespace kpipe {

Result<Writer::State> StdoutWriter::write(const Item& item) {
    printer_.append(item, out_.buffer());
    if (listening()) pending_.push_back(item.pos);
    if (out_.should_flush()) return flush(false);
    return State::open;
}

void StdoutWriter::skip(const Item& item) {
    if (listening()) pending_.push_back(item.pos);
}

void StdoutWriter::reject(const Item& item, std::string_view reason) {
    fmt::print(stderr, "kpipe: {}: {}\n", places_.format(item.pos), reason);
}

Result<Writer::State> StdoutWriter::flush(bool all) {
    (void)all;  // every byte is out when flush returns
    auto st = out_.flush();
    if (!st) return std::unexpected(st.error());
    switch (*st) {
        case Output::State::open:
            for (const auto& p : pending_) done(p);
            pending_.clear();
            printer_.flushed();
            return State::open;
        case Output::State::closed: return State::closed;
        case Output::State::interrupted: return State::interrupted;
    }
    return State::open;
}

void StdoutWriter::wait(int ms) {
    if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

Writer::End StdoutWriter::finish(bool interrupted) {
    (void)interrupted;
    printer_.tick(true);
    return {};
}

}  // namespace kpipe
