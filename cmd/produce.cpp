// kpipe produce: not written yet.
#include "command.hpp"

namespace kpipe::cli {

void register_produce(CLI::App&, Commands&) {}

}  // namespace kpipe::cli
