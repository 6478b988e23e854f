// kpipe consume: not written yet.
#include "command.hpp"

namespace kpipe::cli {

void register_consume(CLI::App&, Commands&) {}

}  // namespace kpipe::cli
