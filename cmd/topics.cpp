// kpipe topics: list, describe, create, delete, alter, add-partitions.
#include <algorithm>
#include <iostream>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "kafka/admin.hpp"
#include "terminal.hpp"

namespace kpipe::cli {
namespace {

using kafka::Client;
using kafka::Role;
using nlohmann::ordered_json;

struct TopicsOptions {
    Format format = Format::table;
    bool all = false;
    std::string filter;
    std::vector<std::string> topics;
    int partitions = -1;
    int replication = -1;
    std::vector<std::string> configs;
    std::vector<std::string> delete_configs;
    bool if_not_exists = false;
    bool if_exists = false;
    bool yes = false;
    int total = 0;
};

std::string join(const std::vector<int32_t>& v) {
    std::string s;
    for (auto x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
    return s;
}

kafka::Properties parse_configs(const std::vector<std::string>& kvs) {
    kafka::Properties out;
    for (const auto& kv : kvs) out.insert(value_or_throw(parse_property(kv)));
    return out;
}

const kafka::TopicInfo& require_topic(const kafka::ClusterInfo& info, const std::string& name) {
    if (auto* t = info.find(name)) return *t;
    throw Failure{{Exit::not_found, fmt::format("topic '{}' does not exist", name)}};
}

std::vector<TopicPartition> partitions_of(const kafka::TopicInfo& t) {
    std::vector<TopicPartition> out;
    for (const auto& p : t.partitions) out.push_back({t.name, p.id});
    return out;
}


Exit run_list(const Settings& s, const TopicsOptions& o) {
    auto client = value_or_throw(Client::create(s, Role::admin));
    auto info = value_or_throw(client.cluster());
    std::optional<std::regex> re;
    if (!o.filter.empty()) {
        try {
            re.emplace(o.filter, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
            throw Failure{{Exit::usage, fmt::format("invalid filter regex '{}': {}", o.filter, e.what())}};
        }
    }
    std::vector<const kafka::TopicInfo*> shown;
    std::vector<TopicPartition> tps;
    for (const auto& t : info.topics) {
        if (t.internal() && !o.all) continue;
        if (re && !std::regex_search(t.name, *re)) continue;
        shown.push_back(&t);
        auto p = partitions_of(t);
        tps.insert(tps.end(), p.begin(), p.end());
    }
    // A topic deleted since the metadata request is left out: it no longer exists.
    auto marks = value_or_throw(kafka::watermarks(client, tps, kafka::Missing::skip));
    std::map<std::string, int64_t> messages;
    std::set<std::string> gone;
    for (const auto& w : marks) {
        if (!w.exists) gone.insert(w.tp.topic);
        messages[w.tp.topic] += std::max<int64_t>(0, w.high - w.low);
    }
    std::erase_if(shown, [&](const kafka::TopicInfo* t) { return gone.contains(t->name); });

    if (o.format == Format::json) {
        ordered_json arr = ordered_json::array();
        for (const auto* t : shown)
            arr.push_back({{"name", t->name},
                           {"partitions", t->partitions.size()},
                           {"replication_factor", t->partitions.empty() ? 0 : t->partitions[0].replicas.size()},
                           {"messages", messages[t->name]},
                           {"internal", t->internal()}});
        print_stdout(arr.dump() + "\n");
        return Exit::ok;
    }
    Table table({"TOPIC", "PARTITIONS", "REPLICAS", "MESSAGES"}, Style{use_color(s, stdout)});
    for (size_t c = 1; c < 4; ++c) table.right_align(c);
    for (const auto* t : shown)
        table.add({t->name, std::to_string(t->partitions.size()),
                   std::to_string(t->partitions.empty() ? 0 : t->partitions[0].replicas.size()),
                   std::to_string(messages[t->name])});
    print_stdout(table.render());
    return Exit::ok;
}

Exit run_describe(const Settings& s, const TopicsOptions& o) {
    auto client = value_or_throw(Client::create(s, Role::admin));
    auto info = value_or_throw(client.cluster());
    struct Found {
        std::string name;
        std::vector<kafka::Watermark> marks;
        std::vector<kafka::ConfigEntry> configs;
    };
    std::vector<Found> found;
    std::vector<std::string> missing;  // named but not there, or deleted while being described
    for (const auto& name : o.topics) {
        const auto* t = info.find(name);
        if (!t) {
            missing.push_back(name);
            continue;
        }
        auto marks = value_or_throw(kafka::watermarks(client, partitions_of(*t), kafka::Missing::skip));
        if (!std::all_of(marks.begin(), marks.end(), [](const auto& w) { return w.exists; })) {
            missing.push_back(name);
            continue;
        }
        auto configs = kafka::describe_topic_config(client, name);
        if (!configs && configs.error().code == Exit::not_found) {
            missing.push_back(name);
            continue;
        }
        found.push_back({name, std::move(marks), value_or_throw(std::move(configs))});
    }
    // Asking the leaders may have waited for a new one to be elected: show the cluster as it is now.
    info = value_or_throw(client.cluster());
    ordered_json docs = ordered_json::array();
    std::string text;
    Style style{use_color(s, stdout)};
    for (const auto& [name, marks, configs] : found) {
        const auto* now = info.find(name);
        if (!now) {
            missing.push_back(name);
            continue;
        }
        const auto& t = *now;
        if (o.format == Format::json) {
            ordered_json parts = ordered_json::array();
            for (size_t i = 0; i < t.partitions.size(); ++i) {
                const auto& p = t.partitions[i];
                parts.push_back({{"partition", p.id},
                                 {"leader", p.leader},
                                 {"replicas", p.replicas},
                                 {"isr", p.isrs},
                                 {"low", marks[i].low},
                                 {"high", marks[i].high},
                                 {"messages", std::max<int64_t>(0, marks[i].high - marks[i].low)}});
            }
            ordered_json cfg = ordered_json::object();
            for (const auto& c : configs)
                if (!c.is_default) cfg[c.name] = c.is_sensitive ? ordered_json(nullptr) : ordered_json(c.value);
            docs.push_back({{"name", t.name},
                            {"internal", t.internal()},
                            {"partitions", parts},
                            {"configs", cfg}});
            continue;
        }
        text += fmt::format("{}{}{}  partitions {}  replication factor {}\n", style.bold(), t.name, style.reset(),
                            t.partitions.size(), t.partitions.empty() ? 0 : t.partitions[0].replicas.size());
        Table table({"PARTITION", "LEADER", "REPLICAS", "ISR", "LOW", "HIGH", "MESSAGES"}, style);
        for (size_t c : {0, 1, 4, 5, 6}) table.right_align(c);
        for (size_t i = 0; i < t.partitions.size(); ++i) {
            const auto& p = t.partitions[i];
            table.add({std::to_string(p.id), std::to_string(p.leader), join(p.replicas), join(p.isrs),
                       std::to_string(marks[i].low), std::to_string(marks[i].high),
                       std::to_string(std::max<int64_t>(0, marks[i].high - marks[i].low))});
        }
        text += table.render();
        Table ct({"CONFIG", "VALUE", "SOURCE"}, style);
        for (const auto& c : configs)
            if (!c.is_default) ct.add({c.name, c.is_sensitive ? "[sensitive]" : c.value, c.source});
        text += ct.empty() ? "(no non-default configs)\n" : ct.render();
        text += "\n";
    }
    print_stdout(o.format == Format::json ? docs.dump() + "\n" : text);
    for (const auto& n : info.nodes_down(o.topics)) fmt::print(stderr, "kpipe: warning: {}\n", n);
    for (const auto& name : missing) fmt::print(stderr, "kpipe: topic '{}' does not exist\n", name);
    return missing.empty() ? Exit::ok : Exit::not_found;
}

Exit report(const std::vector<kafka::Outcome>& outcomes, std::string_view verb, const Settings& s,
            kafka::Fault tolerated = kafka::Fault::none) {
    Exit worst = Exit::ok;
    for (const auto& r : outcomes) {
        if (r.ok() || r.fault == tolerated) {
            if (!s.quiet)
                fmt::print(stderr, "{} {}{}\n", verb, r.name, r.ok() ? "" : " (" + r.message + ")");
            continue;
        }
        fmt::print(stderr, "kpipe: topic '{}': {}\n", r.name, r.message);
        Exit e = kafka::exit_for(r.fault);
        if (worst == Exit::ok || e == Exit::runtime) worst = e;
    }
    return worst;
}

Exit run_create(const Settings& s, const TopicsOptions& o) {
    auto configs = parse_configs(o.configs);
    auto client = value_or_throw(Client::create(s, Role::admin));
    value_or_throw(client.cluster());
    std::vector<kafka::NewTopic> specs;
    for (const auto& t : o.topics) specs.push_back({t, o.partitions, o.replication, configs});
    auto res = value_or_throw(kafka::create_topics(client, specs));
    return report(res, "created", s,
                  o.if_not_exists ? kafka::Fault::already_exists : kafka::Fault::none);
}

bool confirm(const std::string& question) {
    fmt::print(stderr, "{} [y/N] ", question);
    std::fflush(stderr);
    std::string answer;
    if (!std::getline(std::cin, answer)) return false;
    return answer == "y" || answer == "Y" || answer == "yes";
}

Exit run_delete(const Settings& s, const TopicsOptions& o) {
    auto client = value_or_throw(Client::create(s, Role::admin));
    auto info = value_or_throw(client.cluster());
    std::vector<std::string> targets;
    for (const auto& t : o.topics) {
        if (info.find(t)) targets.push_back(t);
        else if (!o.if_exists) throw Failure{{Exit::not_found, fmt::format("topic '{}' does not exist", t)}};
    }
    if (targets.empty()) return Exit::ok;
    if (!o.yes) {
        if (!is_terminal(stdin))
            throw Failure{{Exit::usage, "refusing to delete topics without --yes (stdin is not a terminal)"}};
        std::string list;
        for (const auto& t : targets) list += (list.empty() ? "" : ", ") + t;
        if (!confirm(fmt::format("Delete {} topic(s): {}?", targets.size(), list))) {
            fmt::print(stderr, "nothing deleted\n");
            return Exit::ok;
        }
    }
    return report(value_or_throw(kafka::delete_topics(client, targets)), "deleted", s);
}

Exit run_alter(const Settings& s, const TopicsOptions& o) {
    auto set = parse_configs(o.configs);
    if (set.empty() && o.delete_configs.empty())
        throw Failure{{Exit::usage, "topics alter: nothing to change (give --config k=v or --delete-config k)"}};
    auto client = value_or_throw(Client::create(s, Role::admin));
    auto info = value_or_throw(client.cluster());
    const auto& topic = o.topics.front();
    require_topic(info, topic);
    ok_or_throw(kafka::alter_topic_config(client, topic, set, o.delete_configs));
    if (!s.quiet) fmt::print(stderr, "altered {}\n", topic);
    return Exit::ok;
}

Exit run_add_partitions(const Settings& s, const TopicsOptions& o) {
    auto client = value_or_throw(Client::create(s, Role::admin));
    auto info = value_or_throw(client.cluster());
    const auto& topic = o.topics.front();
    const auto& t = require_topic(info, topic);
    if (o.total <= static_cast<int>(t.partitions.size()))
        throw Failure{{Exit::usage, fmt::format("topic '{}' has {} partitions; --total must be larger, got {}", topic,
                                                t.partitions.size(), o.total)}};
    auto r = value_or_throw(kafka::add_partitions(client, topic, o.total));
    return report({r}, fmt::format("now {} partitions:", o.total), s);
}

}  // namespace

void register_topics(CLI::App& app, Commands& out) {
    auto o = std::make_shared<TopicsOptions>();
    auto* topics = app.add_subcommand("topics", "List, describe, create, delete and alter topics");
    auto bind = [&](CLI::App* sub, Exit (*fn)(const Settings&, const TopicsOptions&)) {
        out.push_back({sub, [o, fn](const Settings& s) { return fn(s, *o); }});
    };

    auto add_list_options = [&](CLI::App* sub) {
        add_format_option(*sub, o->format);
        sub->add_flag("-a,--all", o->all, "Include internal topics (__consumer_offsets, ...)");
        sub->add_option("filter", o->filter, "Only topics whose name matches this regex")->type_name("REGEX");
    };
    add_list_options(topics);
    bind(topics, run_list);
    auto* list = topics->add_subcommand("list", "List topics: partitions, replication factor, messages");
    add_list_options(list);
    bind(list, run_list);

    auto* describe = topics->add_subcommand("describe", "Partitions, leaders, replicas, ISR, watermarks and configs");
    describe->add_option("topic", o->topics, "Topic names")->required();
    add_format_option(*describe, o->format);
    bind(describe, run_describe);

    auto* create = topics->add_subcommand("create", "Create topics");
    create->add_option("topic", o->topics, "Topic names")->required();
    create->add_option("-p,--partitions", o->partitions, "Partition count (default: broker's num.partitions)")
        ->check(whole_number(1));
    create->add_option("-r,--replication-factor", o->replication, "Replication factor (default: broker's)")
        ->check(whole_number(1));
    create->add_option("-c,--config", o->configs, "Topic config key=value (repeatable)")->type_name("KEY=VALUE");
    create->add_flag("--if-not-exists", o->if_not_exists, "Succeed when a topic already exists");
    bind(create, run_create);

    auto* del = topics->add_subcommand("delete", "Delete topics (asks on a terminal; --yes otherwise)");
    del->add_option("topic", o->topics, "Topic names")->required();
    del->add_flag("-y,--yes", o->yes, "Do not ask for confirmation");
    del->add_flag("--if-exists", o->if_exists, "Succeed when a topic does not exist");
    bind(del, run_delete);

    auto* alter = topics->add_subcommand("alter", "Set or remove topic configs");
    alter->add_option("topic", o->topics, "Topic name")->required()->expected(1);
    alter->add_option("-c,--config", o->configs, "Set config key=value (repeatable)")->type_name("KEY=VALUE");
    alter->add_option("-d,--delete-config", o->delete_configs, "Remove a config override (repeatable)")
        ->type_name("KEY");
    bind(alter, run_alter);

    auto* addp = topics->add_subcommand("add-partitions", "Grow a topic to a total number of partitions");
    addp->add_option("topic", o->topics, "Topic name")->required()->expected(1);
    addp->add_option("--total", o->total, "New total partition count")->required()->check(whole_number(1));
    bind(addp, run_add_partitions);
}

}  // namespace kpipe::cli
