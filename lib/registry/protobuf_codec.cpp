// Protobuf through libprotobuf: the registry holds .proto text, parsed by libprotoc's
// parser into descriptors (its references, the imported files, fetched from the registry
// first; Google's well-known types come with libprotobuf), read and written as dynamic
// messages, and shown in the Protobuf JSON mapping (field names as in the .proto, every
// field shown, enums by name, 64-bit integers as strings, bytes as base64).
#include <google/protobuf/compiler/parser.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/json_util.h>

#include <map>
#include <regex>
#include <set>

#include <fmt/ranges.h>

#include "codec.hpp"
#include "registry/proto_files.hpp"
#include "registry/schema_codec.hpp"
#include "registry/wire_format.hpp"

namespace kpipe::registry {

namespace {

namespace pb = google::protobuf;

struct Errors : pb::io::ErrorCollector, pb::DescriptorPool::ErrorCollector {
    std::string first;
    void AddError(int line, pb::io::ColumnNumber column, const std::string& message) override {
        if (first.empty()) first = fmt::format("line {}:{}: {}", line + 1, column + 1, message);
    }
    void AddError(const std::string& filename, const std::string& element_name, const pb::Message*,
                  ErrorLocation, const std::string& message) override {
        if (first.empty()) first = fmt::format("{}: {}: {}", filename, element_name, message);
    }
};

// A schema is .proto text, or (as some clients register it) a serialized
// FileDescriptorProto in base64.
Result<pb::FileDescriptorProto> parse_proto(const std::string& text, const std::string& name) {
    if (!text.empty() && text.find_first_of(" \t\n{;") == std::string::npos) {
        pb::FileDescriptorProto file;
        if (auto bytes = base64_decode(text); bytes && file.ParseFromString(*bytes)) {
            file.set_name(name);
            return file;
        }
    }
    pb::io::ArrayInputStream in(text.data(), static_cast<int>(text.size()));
    Errors errors;
    pb::io::Tokenizer tokenizer(&in, &errors);
    pb::compiler::Parser parser;
    parser.RecordErrorsTo(&errors);
    pb::FileDescriptorProto file;
    if (!parser.Parse(&tokenizer, &file))
        return fail(Exit::data, "{}: not a .proto file libprotobuf can read: {}", name, errors.first);
    file.set_name(name);
    return file;
}

// Builds `file` into `pool` after its imports: references from the registry, or
// well-known types from libprotobuf's own descriptors.
class PoolBuilder {
public:
    PoolBuilder(pb::DescriptorPool& pool, Client* client) : pool_(pool), client_(client) {}

    Result<const pb::FileDescriptor*> build(const Schema& s, const std::string& name, int depth = 0) {
        if (depth > 32) return fail(Exit::data, "{}: references nested too deep", name);
        if (const auto* done = pool_.FindFileByName(name)) return done;
        auto file = parse_proto(s.text, name);
        if (!file) return std::unexpected(file.error());
        std::map<std::string, const Reference*> refs;
        for (const auto& r : s.references) refs[r.name] = &r;
        for (const auto& dep : file->dependency()) {
            if (pool_.FindFileByName(dep)) continue;
            if (auto it = refs.find(dep); it != refs.end() && client_) {
                auto ref = client_->version(it->second->subject, std::to_string(it->second->version));
                if (!ref) return std::unexpected(ref.error());
                if (auto r = build(*ref, dep, depth + 1); !r) return r;
                continue;
            }
            if (const auto* known = pb::DescriptorPool::generated_pool()->FindFileByName(dep)) {
                if (auto r = add_generated(known); !r) return r;
                continue;
            }
            return fail(Exit::data, "{} imports {}, which is neither a reference of the schema nor a well-known type",
                        name, dep);
        }
        Errors errors;
        const auto* built = pool_.BuildFileCollectingErrors(*file, &errors);
        if (!built) return fail(Exit::data, "{}: {}", name, errors.first);
        return built;
    }

private:
    Result<const pb::FileDescriptor*> add_generated(const pb::FileDescriptor* known) {
        for (int i = 0; i < known->dependency_count(); ++i)
            if (!pool_.FindFileByName(known->dependency(i)->name()))
                if (auto r = add_generated(known->dependency(i)); !r) return r;
        pb::FileDescriptorProto proto;
        known->CopyTo(&proto);
        Errors errors;
        const auto* built = pool_.BuildFileCollectingErrors(proto, &errors);
        if (!built) return fail(Exit::data, "{}: {}", known->name(), errors.first);
        return built;
    }

    pb::DescriptorPool& pool_;
    Client* client_;
};

// "INVALID_ARGUMENT:(lines[0].qty): invalid value "x" for type TYPE_INT32" as
// ".lines[0].qty: invalid value "x" for type TYPE_INT32".
std::string tidy_status(const std::string& text) {
    static const std::regex with_path(R"(^(?:[A-Z_]+:)?\s*\(([^)]*)\)\s*:?\s*(.*)$)");
    std::smatch m;
    if (std::regex_match(text, m, with_path)) return fmt::format(".{}: {}", m[1].str(), m[2].str());
    static const std::regex code(R"(^[A-Z_]+:\s*)");
    return std::regex_replace(text, code, "");
}

class ProtobufCodec : public Codec {
public:
    ProtobufCodec(std::unique_ptr<pb::DescriptorPool> pool, const pb::FileDescriptor* file)
        : pool_(std::move(pool)), file_(file), factory_(pool_.get()) {
        print_.preserve_proto_field_names = true;
        print_.always_print_primitive_fields = true;
    }

    Result<void> decode(std::string_view payload, std::string& out, std::string& message) override {
        auto indexes = take_message_indexes(payload);
        if (!indexes) return fail(Exit::data, "the Protobuf message indexes are malformed");
        const pb::Descriptor* d = by_indexes(*indexes);
        if (!d) return fail(Exit::data, "no message at indexes {} in {}", fmt::join(*indexes, ","), file_->name());
        pb::Message& m = scratch(d);
        m.Clear();
        if (!m.ParseFromArray(payload.data(), static_cast<int>(payload.size())))
            return fail(Exit::data, "not a Protobuf {} message", d->full_name());
        std::string json;
        auto st = pb::util::MessageToJsonString(m, &json, print_);
        if (!st.ok()) return fail(Exit::data, "{}: {}", d->full_name(), tidy_status(st.ToString()));
        out += json;
        message = d->full_name();
        return {};
    }

    Result<void> encode(std::string_view json, std::string& out, std::string_view message) override {
        const pb::Descriptor* d = nullptr;
        if (message.empty()) {
            if (file_->message_type_count() == 0) return fail(Exit::data, "{} defines no message", file_->name());
            d = file_->message_type(0);
        } else {
            d = pool_->FindMessageTypeByName(std::string(message));
            if (!d || d->file() != file_)
                return fail(Exit::data, "message {} is not defined in {}", message, file_->name());
        }
        pb::Message& m = scratch(d);
        m.Clear();
        auto st = pb::util::JsonStringToMessage(pb::StringPiece(json.data(), json.size()), &m, parse_);
        if (!st.ok()) return fail(Exit::data, "{}", tidy_status(st.ToString()));
        append_message_indexes(out, indexes_of(d));
        if (!m.AppendToString(&out)) return fail(Exit::data, "{}: cannot serialize the message", d->full_name());
        return {};
    }

private:
    const pb::Descriptor* by_indexes(const std::vector<int>& indexes) const {
        const pb::Descriptor* d = nullptr;
        for (size_t i = 0; i < indexes.size(); ++i) {
            int n = indexes[i];
            if (i == 0) {
                if (n >= file_->message_type_count()) return nullptr;
                d = file_->message_type(n);
            } else {
                if (n >= d->nested_type_count()) return nullptr;
                d = d->nested_type(n);
            }
        }
        return d;
    }

    static std::vector<int> indexes_of(const pb::Descriptor* d) {
        std::vector<int> out;
        for (; d; d = d->containing_type()) out.insert(out.begin(), d->index());
        return out;
    }

    pb::Message& scratch(const pb::Descriptor* d) {
        auto& m = messages_[d];
        if (!m) m.reset(factory_.GetPrototype(d)->New());
        return *m;
    }

    std::unique_ptr<pb::DescriptorPool> pool_;
    const pb::FileDescriptor* file_;
    pb::DynamicMessageFactory factory_;
    std::map<const pb::Descriptor*, std::unique_ptr<pb::Message>> messages_;
    pb::util::JsonPrintOptions print_;
    pb::util::JsonParseOptions parse_;
};

}  // namespace

Result<std::vector<std::string>> proto_imports(const std::string& text, const std::string& name) {
    auto file = parse_proto(text, name);
    if (!file) return std::unexpected(file.error());
    std::vector<std::string> out;
    for (const auto& dep : file->dependency())
        if (!pb::DescriptorPool::generated_pool()->FindFileByName(dep)) out.push_back(dep);
    return out;
}

Result<std::unique_ptr<Codec>> make_protobuf_codec(const Schema& s, Client* client) {
    pb::SetLogHandler(nullptr);  // libprotobuf's warnings (e.g. no syntax line) would go to stderr
    auto pool = std::make_unique<pb::DescriptorPool>();
    PoolBuilder builder(*pool, client);
    auto file = builder.build(s, fmt::format("schema-{}.proto", s.id));
    if (!file) return fail(file.error().code, "schema id {}: {}", s.id, file.error().message);
    return std::make_unique<ProtobufCodec>(std::move(pool), *file);
}

}  // namespace kpipe::registry
