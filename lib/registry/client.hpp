// A Confluent-compatible Schema Registry over HTTP (libcurl): schemas by id, by subject
// and version, registration and lookup. Basic auth and TLS for cloud registries. Every
// answer is cached: the registry is asked once per id.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "duration.hpp"
#include "error.hpp"

namespace kpipe::registry {

struct Config {
    std::string url;  // base URL of the Confluent API, e.g. http://host:8081 or .../apis/ccompat/v7
    std::string user, password;
    std::string ca_file, cert_file, key_file;
    Millis timeout{10'000};
};

struct Reference {
    std::string name;  // the import name (Protobuf), or the referenced type's name
    std::string subject;
    int version = -1;
};

// Where a schema stands under a subject.
struct Registered {
    int32_t id = -1;
    int version = -1;
};

struct Schema {
    int32_t id = -1;
    std::string type;  // "avro", "protobuf" or "json"
    std::string text;
    std::vector<Reference> references;
};

class Client {
public:
    explicit Client(Config c);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    const std::string& url() const { return config_.url; }
    // Whether the registry answers and takes the credentials: exit code 4 when not.
    Result<void> check();
    // An unknown id is Exit::not_found.
    Result<Schema> by_id(int32_t id);
    // The subjects the schema is registered under (a registry may share one schema
    // among several); empty when the registry says none.
    Result<std::vector<std::string>> subjects_of(int32_t id);
    Result<Schema> version(const std::string& subject, const std::string& version);  // "latest" or N
    // Registers `s` (text, type, references) under `subject`; the id the registry gives.
    Result<int32_t> register_schema(const std::string& subject, const Schema& s);
    // The id and version `s` already has under `subject`; Exit::not_found when it is not
    // registered.
    Result<Registered> lookup(const std::string& subject, const Schema& s);

private:
    struct Response {
        long status = 0;
        std::string body;
    };
    Result<Response> request(const std::string& path, const std::string* post);
    Result<Schema> parse_schema(const std::string& what, const std::string& body, int32_t id);

    Config config_;
    void* curl_ = nullptr;
    std::map<int32_t, Schema> by_id_;
    std::map<int32_t, std::vector<std::string>> subjects_;
    std::map<std::string, Schema> versions_;
};

// What `s` is under `subject`; one not registered is Exit::not_found saying "WHAT is not
// registered under subject 'SUBJECT' (register it to use it)".
Result<Registered> find_registered(Client& client, const std::string& subject, const Schema& s, std::string_view what);

// "AVRO" / absent, "PROTOBUF", "JSON" as the registry names them, and back.
std::string type_from_registry(const std::string& name);
std::string type_to_registry(const std::string& type);

}  // namespace kpipe::registry
