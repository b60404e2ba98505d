#include "tools/cli_help.h"

#include <algorithm>
#include <functional>
#include <sstream>

namespace fundtrail {

namespace {

std::vector<const CLI::App*> Commands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App*) { return true; });
}

const CLI::App* FindCommand(const CLI::App& app, const std::string& name) {
  for (const CLI::App* command : Commands(app)) {
    if (command->get_name() == name) return command;
  }
  return nullptr;
}

std::vector<std::string> CommandNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* command : Commands(app)) names.push_back(command->get_name());
  return names;
}

// Every spelling of every named option of `app`: "--ledger", "-q", and --help.
std::vector<std::string> OptionNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* option : app.get_options()) {
    for (const auto& name : option->get_lnames()) names.push_back("--" + name);
    for (const auto& name : option->get_snames()) names.push_back("-" + name);
  }
  return names;
}

// "fundtrail flags show" for the `show` subcommand of `flags`.
std::string FullName(const CLI::App& app) {
  std::string name = app.get_name();
  for (const CLI::App* parent = app.get_parent(); parent != nullptr;
       parent = parent->get_parent()) {
    name = parent->get_name() + " " + name;
  }
  return name;
}

// Visits `app` and every command under it, parents first.
void Walk(const CLI::App& app, const std::function<void(const CLI::App&)>& visit) {
  visit(app);
  for (const CLI::App* command : Commands(app)) Walk(*command, visit);
}

std::string Join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

// A roff line: a leading '.' or '\'' would be read as a request; backslashes escape.
std::string Roff(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  std::string lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && (line[0] == '.' || line[0] == '\'')) line = "\\&" + line;
    lines += line + "\n";
  }
  return lines;
}

}  // namespace

size_t EditDistance(std::string_view a, std::string_view b) {
  // d[i][j]: the distance between a's first i and b's first j characters.
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string ClosestName(std::string_view typed, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const auto& candidate : candidates) {
    size_t distance = EditDistance(typed, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  // Two edits at most, and fewer than half the characters: "lg" is not a typo of "log" for "ls".
  if (best_distance == 0 || best_distance > 2 || best_distance * 2 >= typed.size()) return "";
  return best;
}

std::string SuggestCorrection(const CLI::App& app, const std::vector<std::string>& args) {
  const CLI::App* command = &app;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--") return "";
    if (word.size() > 1 && word[0] == '-') {
      std::string name = word.substr(0, word.find('='));
      const CLI::Option* option = command->get_option_no_throw(name);
      if (option == nullptr) {
        std::string closest = ClosestName(name, OptionNames(*command));
        if (closest.empty()) return "";
        return "unknown option \"" + name + "\" for " + FullName(*command) + "; did you mean \"" +
               closest + "\"?";
      }
      // Skip the option's value, unless it came with '='.
      if (option->get_expected_min() > 0 && name.size() == word.size()) ++i;
      continue;
    }
    if (const CLI::App* next = FindCommand(*command, word); next != nullptr) {
      command = next;
      continue;
    }
    // A word that is not a command: a positional argument, or a mistyped command. It is taken
    // for a command only where one must come or when it is close to one.
    std::string closest = ClosestName(word, CommandNames(*command));
    if (closest.empty()) continue;
    return std::string("unknown command \"") + word + "\"" +
           (command == &app ? "" : " for " + FullName(*command)) + "; did you mean \"" + closest +
           "\"?";
  }
  return "";
}

std::string CompletionScript(const CLI::App& app, std::string_view shell) {
  // Both shells share one function: the words to offer after a command path ("flags show"),
  // or failure for a path that is not a command (a positional argument).
  const std::string program = app.get_name();
  std::string words = "_" + program + "_words() {\n  case \"$1\" in\n";
  Walk(app, [&](const CLI::App& command) {
    std::string path = FullName(command).substr(program.size());
    if (!path.empty()) path = path.substr(1);
    std::vector<std::string> offered = CommandNames(command);
    std::vector<std::string> options = OptionNames(command);
    offered.insert(offered.end(), options.begin(), options.end());
    words += "    \"" + path + "\") echo \"" + Join(offered, " ") + "\" ;;\n";
  });
  words += "    *) return 1 ;;\n  esac\n}\n";
  // The command path: the words typed so far that extend a known path (`cmdpath`, since zsh
  // ties `path` to PATH).
  const std::string walk =
      "    [[ \"$word\" == -* ]] && continue\n"
      "    _" +
      program +
      "_words \"${cmdpath:+$cmdpath }$word\" >/dev/null && cmdpath=\"${cmdpath:+$cmdpath }$word\"\n"
      "  done\n";
  if (shell == "bash") {
    return "# bash completion for " + program + " (generated by `" + program +
           " completion bash`)\n" + words + "_" + program +
           "() {\n"
           "  local current=\"${COMP_WORDS[COMP_CWORD]}\" cmdpath=\"\" word i\n"
           "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
           "    word=\"${COMP_WORDS[i]}\"\n" +
           walk + "  COMPREPLY=($(compgen -W \"$(_" + program +
           "_words \"$cmdpath\")\" -- \"$current\"))\n"
           "  [[ ${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=($(compgen -f -- \"$current\"))\n"
           "  return 0\n"
           "}\n"
           "complete -F _" +
           program + " " + program + "\n";
  }
  if (shell == "zsh") {
    return "#compdef " + program + "\n# zsh completion for " + program + " (generated by `" +
           program + " completion zsh`)\n" + words + "_" + program +
           "() {\n"
           "  local cmdpath=\"\" word i\n"
           "  for ((i = 2; i < CURRENT; i++)); do\n"
           "    word=\"${words[i]}\"\n" +
           walk +
           "  local -a offered\n"
           "  offered=($(_" +
           program +
           "_words \"$cmdpath\"))\n"
           "  if (( ${#offered} )); then compadd -- $offered; else _files; fi\n"
           "}\n"
           "_" +
           program + " \"$@\"\n";
  }
  return "";
}

std::vector<std::pair<std::string, std::string>> ManPages(const CLI::App& app,
                                                          std::string_view date) {
  std::vector<std::pair<std::string, std::string>> pages;
  const std::string program = app.get_name();
  Walk(app, [&](const CLI::App& command) {
    std::string full = FullName(command);
    std::string file = full;
    std::replace(file.begin(), file.end(), ' ', '-');
    std::string upper = file;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    std::ostringstream page;
    page << ".TH " << upper << " 1 \"" << date << "\" \"" << program << "\" \"User Commands\"\n"
         << ".SH NAME\n"
         << Roff(file + " - " + command.get_description()) << ".SH SYNOPSIS\n.B " << full << "\n"
         << Roff("[OPTIONS]");
    for (const CLI::Option* option :
         command.get_options([](const CLI::Option* o) { return o->get_positional(); })) {
      page << Roff(option->get_name());
    }
    if (!Commands(command).empty()) page << Roff("COMMAND ...");
    if (!command.get_footer().empty()) page << ".SH DESCRIPTION\n" << Roff(command.get_footer());
    page << ".SH OPTIONS\n";
    for (const CLI::Option* option : command.get_options()) {
      std::vector<std::string> names;
      for (const auto& name : option->get_lnames()) names.push_back("--" + name);
      for (const auto& name : option->get_snames()) names.push_back("-" + name);
      if (names.empty()) names.push_back(option->get_name());
      std::string value = option->get_expected_min() > 0 && !option->get_positional()
                              ? " " + option->get_type_name()
                              : "";
      page << ".TP\n.B " << Roff(Join(names, ", ") + value) << Roff(option->get_description());
    }
    if (!Commands(command).empty()) {
      page << ".SH COMMANDS\n";
      for (const CLI::App* sub : Commands(command)) {
        std::string sub_file = file + "-" + sub->get_name();
        page << ".TP\n.B " << Roff(sub->get_name())
             << Roff(sub->get_description() + " (see " + sub_file + "(1))");
      }
    }
    page << ".SH SEE ALSO\n"
         << Roff(command.get_parent() == nullptr ? "README.md, docs/FORMAT.md, docs/RULES.md"
                                                 : program + "(1)");
    pages.push_back({file + ".1", page.str()});
  });
  return pages;
}

}  // namespace fundtrail
