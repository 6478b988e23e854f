// Certificate files as librdkafka wants them: PEM files are used in place; PKCS#12
// bundles (.p12/.pfx, as Java keystores and many consoles export them) are converted
// to PEM in memory with OpenSSL's PKCS12_parse.
#pragma once
#include <string>

#include "error.hpp"

namespace kpipe {

// True when the file is a PKCS#12 bundle (DER), false when it is PEM or anything else.
Result<bool> is_pkcs12(const std::string& path);

struct PemBundle {
    std::string key;    // PKCS#8 private key, PEM ("" when the bundle holds none)
    std::string cert;   // the bundle's own certificate then its chain, PEM
    std::string chain;  // the other certificates only, PEM
};

// Opens a PKCS#12 bundle with its password; `what` names the setting in errors.
Result<PemBundle> read_pkcs12(const std::string& path, const std::string& password, const std::string& what);

}  // namespace kpipe
