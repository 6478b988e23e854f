// Whole small files (certificates, schemas, checkpoints) read into memory, with the
// reason when that cannot be done: a directory, a missing file or a read error is an
// error value, never an exception from the stream library.
#pragma once
#include <string>

#include "error.hpp"

namespace kpipe {

// The bytes of the regular file at `path`. On failure the message is
// "PATH: REASON" (e.g. "/etc/ssl: is a directory"); the code is Exit::usage.
Result<std::string> read_file_text(const std::string& path);

}  // namespace kpipe
