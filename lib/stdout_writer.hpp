// The Writer to stdout: records through a Printer into the Output buffer. A record is
// done once its bytes left (in exact mode: once the next program read them), which is
// when a group's offsets may be stored. Bad records are reported on stderr.
#pragma once
#include <vector>

#include "output.hpp"
#include "pipeline.hpp"
#include "printers.hpp"

namespace kpipe {

class StdoutWriter : public Writer {
public:
    StdoutWriter(Output& out, Printer& printer, const Places& places) : out_(out), printer_(printer), places_(places) {}

    Result<State> write(const Item& item) override;
    void skip(const Item& item) override;
    void reject(const Item& item, std::string_view reason) override;
    Result<State> flush(bool all) override;
    void wait(int ms) override;
    void tick() override { printer_.tick(false); }
    bool gone() override { return out_.reader_gone(); }
    End finish(bool interrupted) override;

private:
    Output& out_;
    Printer& printer_;
    const Places& places_;
    std::vector<Position> pending_;  // records in the buffer, when the source wants done()
};

}  // namespace kpipe
