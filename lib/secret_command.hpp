// A secret read from a command's output (`password_command = "pass show kafka/prod"`),
// like AWS's credential_process: nothing secret has to sit in the config file.
#pragma once
#include <string>

#include "error.hpp"

namespace kpipe {

// Runs `command` with /bin/sh; its standard output less trailing line breaks is the
// secret. Its standard error goes to kpipe's (a password prompt stays visible). A
// non-zero exit or an empty output is a usage error naming `where`, never the output.
Result<std::string> run_secret_command(const std::string& command, const std::string& where);

}  // namespace kpipe
