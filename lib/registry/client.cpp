#include "registry/client.hpp"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

namespace kpipe::registry {

namespace {

size_t collect(char* data, size_t size, size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

std::string escape_path(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
        else out += fmt::format("%{:02X}", c);
    }
    return out;
}

// The registry's own message ({"error_code":40403,"message":"Schema not found"}), or the body.
std::string reason(const std::string& body) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_object() && j.contains("message") && j["message"].is_string()) return j["message"].get<std::string>();
    return body.size() > 200 ? body.substr(0, 200) + "..." : body;
}

}  // namespace

std::string type_from_registry(const std::string& name) {
    if (name == "PROTOBUF") return "protobuf";
    if (name == "JSON") return "json";
    return "avro";
}

std::string type_to_registry(const std::string& type) {
    if (type == "protobuf") return "PROTOBUF";
    if (type == "json") return "JSON";
    return "AVRO";
}

Client::Client(Config c) : config_(std::move(c)) {
    while (!config_.url.empty() && config_.url.back() == '/') config_.url.pop_back();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    curl_ = curl_easy_init();
}

Client::~Client() {
    if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

Result<Client::Response> Client::request(const std::string& path, const std::string* post) {
    auto* c = static_cast<CURL*>(curl_);
    if (!c) return fail(Exit::runtime, "schema registry: cannot start an HTTP client");
    curl_easy_reset(c);
    Response r;
    std::string url = config_.url + path;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout.count()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.timeout.count()));
    curl_easy_setopt(c, CURLOPT_USERAGENT, "kpipe");
    if (!config_.user.empty() || !config_.password.empty()) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
        curl_easy_setopt(c, CURLOPT_USERNAME, config_.user.c_str());
        curl_easy_setopt(c, CURLOPT_PASSWORD, config_.password.c_str());
    }
    if (!config_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, config_.ca_file.c_str());
    if (!config_.cert_file.empty()) curl_easy_setopt(c, CURLOPT_SSLCERT, config_.cert_file.c_str());
    if (!config_.key_file.empty()) curl_easy_setopt(c, CURLOPT_SSLKEY, config_.key_file.c_str());
    curl_slist* headers = curl_slist_append(nullptr, "Accept: application/vnd.schemaregistry.v1+json, application/json");
    if (post) {
        headers = curl_slist_append(headers, "Content-Type: application/vnd.schemaregistry.v1+json");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, post->c_str());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(post->size()));
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) {
        if (rc == CURLE_OPERATION_TIMEDOUT)
            return fail(Exit::connect, "schema registry {}: no answer within {} ms", config_.url, config_.timeout.count());
        return fail(Exit::connect, "schema registry {}: {}", config_.url, curl_easy_strerror(rc));
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    if (r.status == 401 || r.status == 403)
        return fail(Exit::connect, "schema registry {}: {} (HTTP {}): check the user and password", config_.url,
                    r.status == 401 ? "authentication failed" : "access denied", r.status);
    return r;
}

Result<void> Client::check() {
    auto r = request("/subjects", nullptr);
    if (!r) return std::unexpected(r.error());
    if (r->status != 200)
        return fail(Exit::connect, "schema registry {}: HTTP {} for /subjects: {} (is it the Confluent API's URL?)",
                    config_.url, r->status, reason(r->body));
    return {};
}

Result<Schema> Client::parse_schema(const std::string& what, const std::string& body, int32_t id) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_object() || !j.contains("schema") || !j["schema"].is_string())
        return fail(Exit::runtime, "schema registry {}: unexpected answer for {}", config_.url, what);
    Schema s;
    s.id = id;
    if (j.contains("id") && j["id"].is_number_integer()) s.id = j["id"].get<int32_t>();
    s.text = j["schema"].get<std::string>();
    s.type = type_from_registry(j.value("schemaType", std::string("AVRO")));
    if (j.contains("references") && j["references"].is_array())
        for (const auto& ref : j["references"]) {
            if (!ref.is_object()) continue;
            Reference r;
            r.name = ref.value("name", std::string());
            r.subject = ref.value("subject", std::string());
            r.version = ref.value("version", -1);
            s.references.push_back(std::move(r));
        }
    return s;
}

Result<Schema> Client::by_id(int32_t id) {
    if (auto it = by_id_.find(id); it != by_id_.end()) return it->second;
    auto r = request(fmt::format("/schemas/ids/{}", id), nullptr);
    if (!r) return std::unexpected(r.error());
    if (r->status == 404) return fail(Exit::not_found, "schema id {} is not in the registry", id);
    if (r->status != 200)
        return fail(Exit::runtime, "schema registry {}: HTTP {} for schema id {}: {}", config_.url, r->status, id,
                    reason(r->body));
    auto s = parse_schema(fmt::format("schema id {}", id), r->body, id);
    if (!s) return s;
    by_id_[id] = *s;
    return s;
}

Result<std::vector<std::string>> Client::subjects_of(int32_t id) {
    if (auto it = subjects_.find(id); it != subjects_.end()) return it->second;
    auto r = request(fmt::format("/schemas/ids/{}/versions", id), nullptr);
    if (!r) return std::unexpected(r.error());
    std::vector<std::string> subjects;
    if (r->status == 200) {
        auto j = nlohmann::json::parse(r->body, nullptr, false);
        if (j.is_array())
            for (const auto& v : j)
                if (v.is_object() && v.contains("subject") && v["subject"].is_string())
                    subjects.push_back(v["subject"].get<std::string>());
    }
    subjects_[id] = subjects;
    return subjects;
}

Result<Schema> Client::version(const std::string& subject, const std::string& version) {
    std::string key = subject + '\n' + version;
    if (version != "latest")
        if (auto it = versions_.find(key); it != versions_.end()) return it->second;
    auto r = request(fmt::format("/subjects/{}/versions/{}", escape_path(subject), version), nullptr);
    if (!r) return std::unexpected(r.error());
    if (r->status == 404)
        return fail(Exit::not_found, "subject '{}' {} is not in the registry ({})", subject,
                    version == "latest" ? std::string("has no version") : "version " + version, reason(r->body));
    if (r->status != 200)
        return fail(Exit::runtime, "schema registry {}: HTTP {} for subject '{}': {}", config_.url, r->status, subject,
                    reason(r->body));
    auto s = parse_schema(fmt::format("subject '{}'", subject), r->body, -1);
    if (!s) return s;
    if (s->id < 0) return fail(Exit::runtime, "schema registry {}: no id for subject '{}'", config_.url, subject);
    versions_[key] = *s;
    return s;
}

namespace {

std::string schema_body(const Schema& s) {
    nlohmann::json j;
    j["schema"] = s.text;
    if (s.type != "avro") j["schemaType"] = type_to_registry(s.type);
    if (!s.references.empty()) {
        j["references"] = nlohmann::json::array();
        for (const auto& r : s.references)
            j["references"].push_back({{"name", r.name}, {"subject", r.subject}, {"version", r.version}});
    }
    return j.dump();
}

}  // namespace

Result<int32_t> Client::register_schema(const std::string& subject, const Schema& s) {
    std::string body = schema_body(s);
    auto r = request(fmt::format("/subjects/{}/versions", escape_path(subject)), &body);
    if (!r) return std::unexpected(r.error());
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (r->status != 200 || !j.is_object() || !j.contains("id") || !j["id"].is_number_integer())
        return fail(r->status == 409 || r->status == 422 ? Exit::data : Exit::runtime,
                    "schema registry {}: registering under '{}' failed (HTTP {}): {}", config_.url, subject, r->status,
                    reason(r->body));
    return j["id"].get<int32_t>();
}

Result<Registered> Client::lookup(const std::string& subject, const Schema& s) {
    std::string body = schema_body(s);
    auto r = request(fmt::format("/subjects/{}", escape_path(subject)), &body);
    if (!r) return std::unexpected(r.error());
    if (r->status == 404)
        return fail(Exit::not_found, "the schema is not registered under subject '{}' ({})", subject, reason(r->body));
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    auto number = [&](const char* field) { return j.is_object() && j.contains(field) && j[field].is_number_integer(); };
    if (r->status != 200 || !number("id") || !number("version"))
        return fail(Exit::runtime, "schema registry {}: HTTP {} looking up the schema under '{}': {}", config_.url,
                    r->status, subject, reason(r->body));
    return Registered{j["id"].get<int32_t>(), j["version"].get<int>()};
}

Result<Registered> find_registered(Client& client, const std::string& subject, const Schema& s, std::string_view what) {
    auto found = client.lookup(subject, s);
    if (!found && found.error().code == Exit::not_found)
        return fail(Exit::not_found, "{} is not registered under subject '{}' (register it to use it)", what, subject);
    return found;
}

}  // namespace kpipe::registry
