// Man pages and shell completions, generated from the CLI11 definition itself so they
// never go stale: `kpipe generate-docs DIR` writes DIR/man/*.1 and DIR/completions/*.
// tests/integration/test_docs.py checks the checked-in files match. Hidden from --help.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "command.hpp"
#include "kafka/client.hpp"
#include "kafka/groups.hpp"
#include "version.hpp"

namespace kpipe::cli {
namespace {

namespace fs = std::filesystem;

// What a value completes to, where the option's own definition cannot tell.
std::string completion_kind(const CLI::Option* o) {
    static const std::set<std::string> file_opts{"--config", "--failed"};
    static const std::set<std::string> group_opts{"--group"};
    static const std::set<std::string> topic_opts{"--topic"};
    if (!o->get_lnames().empty()) {
        std::string l = "--" + o->get_lnames().front();
        if (file_opts.count(l)) return "file";
        if (group_opts.count(l)) return "group";
        if (topic_opts.count(l)) return "topic";
    }
    if (o->get_positional()) {
        std::string n = o->get_name(true);
        if (n == "topic") return "topic";
        if (n == "group") return "group";
        if (n == "file") return "file";
    }
    return "";
}

// Choices CLI11 shows in the type name: "WHEN:{auto,always,never}", "F:{json->1,table->0} OR {1,0}".
std::vector<std::string> choices(const CLI::Option* o) {
    std::string t = o->get_type_name();
    auto open = t.find('{');
    auto close = t.find('}', open == std::string::npos ? 0 : open);
    std::vector<std::string> out;
    if (open == std::string::npos || close == std::string::npos) return out;
    std::string inner = t.substr(open + 1, close - open - 1);
    size_t start = 0;
    while (start <= inner.size()) {
        auto comma = inner.find(',', start);
        if (comma == std::string::npos) comma = inner.size();
        std::string item = inner.substr(start, comma - start);
        item = item.substr(0, item.find("->"));
        if (!item.empty()) out.push_back(item);
        start = comma + 1;
    }
    return out;
}

std::string roff(std::string s) {
    std::string out;
    for (char c : s) {
        if (c == '\\') out += "\\e";
        else if (c == '-') out += "\\-";
        else out += c;
    }
    // A line starting with '.' or '\'' would be a request.
    std::string fixed;
    bool bol = true;
    for (char c : out) {
        if (bol && (c == '.' || c == '\'')) fixed += "\\&";
        fixed += c;
        bol = c == '\n';
    }
    return fixed;
}

std::string flag_names(const CLI::Option* o) {
    std::string s;
    for (const auto& n : o->get_snames()) s += (s.empty() ? "-" : ", -") + n;
    for (const auto& n : o->get_lnames()) s += (s.empty() ? "--" : ", --") + n;
    return s;
}

bool hidden(const CLI::App* a) { return a->get_group().empty(); }

// A flag (-v, --help, --version) takes no value; CLI11 gives flags a type size of 1 too.
bool takes_value(const CLI::Option* o) { return o->get_expected_max() != 0; }

std::vector<const CLI::App*> visible_subs(const CLI::App* app) {
    std::vector<const CLI::App*> out;
    for (auto* s : app->get_subcommands({}))
        if (!hidden(s)) out.push_back(s);
    return out;
}

std::string path_of(const CLI::App* a) {
    std::string p;
    for (; a; a = a->get_parent()) p = a->get_name() + (p.empty() ? "" : " " + p);
    return p;
}

void options_section(std::string& out, const CLI::App* app, bool globals) {
    for (const CLI::Option* o : app->get_options()) {
        bool is_global = o->get_group() == "Global options";
        if (is_global != globals || o->get_name() == "--help") continue;
        out += ".TP\n";
        if (o->get_positional()) out += ".I " + roff(o->get_name(true)) + "\n";
        else {
            out += ".B " + roff(flag_names(o));
            std::string t = o->get_type_name();
            if (o->get_type_size() != 0 && !t.empty()) out += " \" " + roff(t) + "\"";
            out += "\n";
        }
        out += roff(o->get_description()) + "\n";
    }
}

std::string man_page(const CLI::App* app, const CLI::App* root) {
    std::string path = path_of(app);
    std::string name = path;
    for (auto& c : name)
        if (c == ' ') c = '-';
    std::string upper = name;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string out = fmt::format(".TH {} 1 \"\" \"kpipe {}\" \"kpipe manual\"\n", upper, kpipe::version);
    out += ".SH NAME\n" + roff(name) + " \\- " + roff(app->get_description()) + "\n";
    out += ".SH SYNOPSIS\n.B " + roff(path) + "\n[\\fIOPTIONS\\fR]";
    auto subs = visible_subs(app);
    if (!subs.empty()) out += " [\\fICOMMAND\\fR]";
    for (const CLI::Option* o : app->get_options())
        if (o->get_positional()) out += " \\fI" + roff(o->get_name(true)) + "\\fR" + (o->get_expected_max() > 1 ? "..." : "");
    out += "\n";
    out += ".SH DESCRIPTION\n" + roff(app->get_description()) + ".\n";
    if (!subs.empty()) {
        out += ".SH COMMANDS\n";
        for (auto* s : subs) out += ".TP\n.B " + roff(s->get_name()) + "\n" + roff(s->get_description()) + "\n";
    }
    std::string opts;
    options_section(opts, app, false);
    if (!opts.empty()) out += ".SH OPTIONS\n" + opts;
    std::string globals;
    options_section(globals, root, true);
    out += ".SH GLOBAL OPTIONS\nThese work before or after any command.\n" + globals;
    if (app != root && !app->get_footer().empty() && app->get_footer() != root->get_footer()) out += ".SH NOTES\n.nf\n" + roff(app->get_footer()) + "\n.fi\n";
    out += ".SH ENVIRONMENT\n.TP\n.B KPIPE_BROKERS\nBootstrap brokers (overridden by \\-b).\n"
           ".TP\n.B KPIPE_PROFILE\nProfile name (overridden by \\-\\-profile).\n"
           ".TP\n.B KPIPE_CONFIG\nConfig file (overridden by \\-\\-config).\n"
           ".TP\n.B NO_COLOR\nWhen set and not empty, no colour unless \\-\\-color always.\n";
    out += ".SH FILES\n.TP\n.I $XDG_CONFIG_HOME/kpipe/config.toml\nProfiles (default ~/.config/kpipe/config.toml).\n";
    out += ".SH EXIT STATUS\n"
           ".TP\n0\nSuccess; also a clean stop by broken pipe, and Ctrl\\-C of an endless consume or tail.\n"
           ".TP\n1\nRuntime error not covered below.\n"
           ".TP\n2\nUsage error: bad flag, bad offset spec, bad template, bad config.\n"
           ".TP\n3\nData error: some records not delivered, or bad input lines.\n"
           ".TP\n4\nCannot connect or authenticate within \\-\\-timeout.\n"
           ".TP\n5\nNot found: topic, partition or group.\n"
           ".TP\n6\nThreshold exceeded (lag \\-\\-max\\-lag and similar checks).\n"
           ".TP\n130\nInterrupted before the work was complete.\n";
    out += ".SH SEE ALSO\n";
    std::string see;
    if (app != root) see += "\\fBkpipe\\fR(1)";
    for (auto* s : subs) {
        std::string n = path_of(s);
        for (auto& c : n)
            if (c == ' ') c = '-';
        see += std::string(see.empty() ? "" : ", ") + "\\fB" + roff(n) + "\\fR(1)";
    }
    out += see + "\n";
    return out;
}

void write_file(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream f(p, std::ios::binary);
    f << text;
    if (!f) throw Failure{{Exit::runtime, fmt::format("cannot write {}", p.string())}};
}

void walk(const CLI::App* app, const std::function<void(const CLI::App*)>& fn) {
    fn(app);
    for (auto* s : visible_subs(app)) walk(s, fn);
}

// bash: one case per command path; words are subcommands and flags; values by kind.
std::string bash_completion(const CLI::App* root) {
    std::string cases, value_cases;
    walk(root, [&](const CLI::App* a) {
        std::string words;
        for (auto* s : visible_subs(a)) words += s->get_name() + " ";
        for (const CLI::Option* o : a->get_options()) {
            if (o->get_positional()) continue;
            for (const auto& n : o->get_lnames()) words += "--" + n + " ";
            for (const auto& n : o->get_snames()) words += "-" + n + " ";
        }
        std::string positional;
        for (const CLI::Option* o : a->get_options())
            if (o->get_positional() && positional.empty()) positional = completion_kind(o);
        cases += fmt::format("        \"{}\") words=\"{}\"; positional=\"{}\" ;;\n", path_of(a), words, positional);
        for (const CLI::Option* o : a->get_options()) {
            if (o->get_positional() || !takes_value(o)) continue;
            std::string kind = completion_kind(o);
            auto ch = choices(o);
            std::string action;
            if (!ch.empty()) {
                std::string list;
                for (const auto& c : ch) list += c + " ";
                action = fmt::format("COMPREPLY=($(compgen -W \"{}\" -- \"$cur\"))", list);
            } else if (kind == "file") action = "COMPREPLY=($(compgen -f -- \"$cur\"))";
            else if (kind == "group" || kind == "topic")
                action = fmt::format("COMPREPLY=($(compgen -W \"$(kpipe __complete {}s 2>/dev/null)\" -- \"$cur\"))", kind);
            else action = "COMPREPLY=()";
            std::string pats;
            for (const auto& n : o->get_lnames()) pats += fmt::format("{}\"{}:--{}\"", pats.empty() ? "" : "|", path_of(a), n);
            for (const auto& n : o->get_snames()) pats += fmt::format("{}\"{}:-{}\"", pats.empty() ? "" : "|", path_of(a), n);
            value_cases += fmt::format("        {}) {}; return ;;\n", pats, action);
        }
    });
    return fmt::format(R"BASH(# bash completion for kpipe (generated by `kpipe generate-docs`; do not edit)
# Sets `words` (subcommands and flags) and `positional` (what arguments complete to) for a command path.
_kpipe_node() {{
    case "$1" in
{}    esac
}}
_kpipe() {{
    local cur prev path="kpipe" words positional i w
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="${{COMP_WORDS[i]}}"
        case "$w" in -*) continue ;; esac
        _kpipe_node "$path"
        [[ " $words " == *" $w "* ]] && path="$path $w"
    done
    case "$path:$prev" in
{}    esac
    _kpipe_node "$path"
    if [[ "$cur" != -* && ( "$positional" == topic || "$positional" == group ) ]]; then
        COMPREPLY=($(compgen -W "$(kpipe __complete "${{positional}}s" 2>/dev/null)" -- "$cur"))
    elif [[ "$cur" != -* && "$positional" == file ]]; then
        COMPREPLY=($(compgen -f -- "$cur"))
    else
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
    fi
}}
complete -F _kpipe kpipe
)BASH",
                       cases, value_cases);
}

std::string fish_completion(const CLI::App* root) {
    std::string out = "# fish completion for kpipe (generated by `kpipe generate-docs`; do not edit)\n"
                      "complete -c kpipe -f\n";
    walk(root, [&](const CLI::App* a) {
        std::vector<std::string> chain;
        for (const CLI::App* p = a; p->get_parent(); p = p->get_parent()) chain.insert(chain.begin(), p->get_name());
        std::string cond;
        if (chain.empty()) cond = "__fish_use_subcommand";
        else {
            cond = "__fish_seen_subcommand_from " + chain.back();
            std::string subs;
            for (auto* s : visible_subs(a)) subs += " " + s->get_name();
            if (!subs.empty() && chain.size() >= 1) cond += "; and not __fish_seen_subcommand_from" + subs;
        }
        // Descriptions go in single quotes: an apostrophe becomes a double quote.
        auto fish_text = [](std::string text) {
            for (auto& c : text)
                if (c == '\'') c = '"';
            return text;
        };
        for (auto* s : visible_subs(a))
            out += fmt::format("complete -c kpipe -n '{}' -a {} -d '{}'\n",
                               chain.empty() ? "__fish_use_subcommand" : "__fish_seen_subcommand_from " + chain.back(),
                               s->get_name(), fish_text(s->get_description()));
        for (const CLI::Option* o : a->get_options()) {
            std::string desc = fish_text(o->get_description());
            if (o->get_positional()) {
                std::string kind = completion_kind(o);
                if (kind == "topic" || kind == "group")
                    out += fmt::format("complete -c kpipe -n '{}' -a '(kpipe __complete {}s 2>/dev/null)'\n", cond, kind);
                else if (kind == "file")
                    out += fmt::format("complete -c kpipe -n '{}' -F\n", cond);
                continue;
            }
            std::string spec;
            for (const auto& n : o->get_snames()) spec += " -s " + n;
            for (const auto& n : o->get_lnames()) spec += " -l " + n;
            if (takes_value(o)) {
                // -x: a value, and no file names unless the value is a file (-r -F).
                auto ch = choices(o);
                std::string kind = completion_kind(o);
                spec += kind == "file" ? " -r" : " -x";
                if (!ch.empty()) {
                    std::string list;
                    for (const auto& c : ch) list += (list.empty() ? "" : " ") + c;
                    spec += " -a '" + list + "'";
                } else if (kind == "file") spec += " -F";
                else if (kind == "group" || kind == "topic")
                    spec += fmt::format(" -a '(kpipe __complete {}s 2>/dev/null)'", kind);
            }
            out += fmt::format("complete -c kpipe -n '{}'{} -d '{}'\n", chain.empty() ? "true" : cond, spec, desc);
        }
    });
    return out;
}

// zsh runs the bash completion through bashcompinit: one definition for both shells. The
// bash functions are inlined so that this one file works wherever it is installed on
// $fpath (site-functions, vendor-completions). It is the body of the autoloaded _kpipe:
// it defines the completion, then completes the word that loaded it.
std::string zsh_completion(const CLI::App* root) {
    return "#compdef kpipe\n# zsh completion for kpipe (generated by `kpipe generate-docs`; do not edit)\n"
           "autoload -U +X bashcompinit && bashcompinit\n" +
           bash_completion(root) + "_bash_complete -F _kpipe\n";
}

Exit generate(const CLI::App* root, const std::string& dir) {
    fs::path base(dir);
    walk(root, [&](const CLI::App* a) {
        std::string n = path_of(a);
        for (auto& c : n)
            if (c == ' ') c = '-';
        write_file(base / "man" / (n + ".1"), man_page(a, root));
    });
    write_file(base / "completions" / "kpipe.bash", bash_completion(root));
    write_file(base / "completions" / "kpipe.fish", fish_completion(root));
    write_file(base / "completions" / "_kpipe", zsh_completion(root));
    return Exit::ok;
}

// Names for completion: quick, silent, and empty when the cluster does not answer.
Exit complete_names(const Settings& s, const std::string& what) {
    Settings quick = s;
    quick.timeout = std::min(quick.timeout, Millis(2000));
    auto client = kafka::Client::create(quick, kafka::Role::admin);
    if (!client) return Exit::ok;
    auto info = client->cluster();
    if (!info) return Exit::ok;
    if (what == "topics") {
        for (const auto& t : info->topics)
            if (!t.internal()) fmt::print("{}\n", t.name);
    } else if (auto groups = kafka::list_groups(*client)) {
        for (const auto& g : *groups) fmt::print("{}\n", g.group);
    }
    return Exit::ok;
}

}  // namespace

void register_generate(CLI::App& app, Commands& out) {
    auto dir = std::make_shared<std::string>(".");
    auto* gen = app.add_subcommand("generate-docs", "Write man pages and shell completions")->group("");
    gen->add_option("dir", *dir, "Output directory (man/ and completions/ go below it)");
    const CLI::App* root = &app;
    out.push_back({gen, [root, dir](const Settings&) { return generate(root, *dir); }});

    auto what = std::make_shared<std::string>();
    auto* comp = app.add_subcommand("__complete", "Names for shell completion")->group("");
    comp->add_option("what", *what, "topics or groups")->required()->check(CLI::IsMember({"topics", "groups"}));
    out.push_back({comp, [what](const Settings& s) { return complete_names(s, *what); }});
}

}  // namespace kpipe::cli
