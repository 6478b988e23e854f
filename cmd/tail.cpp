// kpipe tail: not written yet.
#include "command.hpp"

namespace kpipe::cli {

void register_tail(CLI::App&, Commands&) {}

}  // namespace kpipe::cli
