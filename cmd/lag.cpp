// kpipe lag: not written yet.
#include "command.hpp"

namespace kpipe::cli {

void register_lag(CLI::App&, Commands&) {}

}  // namespace kpipe::cli
