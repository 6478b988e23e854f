// lib/registry/proto_files: the files a .proto file imports.
#include <doctest/doctest.h>

#include "registry/proto_files.hpp"

using kpipe::Exit;
using kpipe::registry::proto_imports;

TEST_CASE("a .proto file's imports, without Google's well-known types") {
    auto imports = proto_imports(R"(syntax = "proto3";
import "google/protobuf/timestamp.proto";
import "shop/money.proto";
import public "shop/status.proto";
message Order { shop.Money total = 1; google.protobuf.Timestamp at = 2; }
)",
                                 "order.proto");
    REQUIRE(imports);
    CHECK(*imports == std::vector<std::string>{"shop/money.proto", "shop/status.proto"});
}

TEST_CASE("a .proto file libprotobuf cannot read is an error naming the file and the line") {
    auto imports = proto_imports("syntax = \"proto3\";\nmessage {\n", "broken.proto");
    REQUIRE_FALSE(imports);
    CHECK(imports.error().code == Exit::data);
    CHECK(imports.error().message.starts_with("broken.proto: not a .proto file libprotobuf can read: line 2:"));
}
