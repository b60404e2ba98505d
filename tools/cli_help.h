// What the command line tells a user about itself, derived from its CLI11 definitions so that it
// cannot drift from them: "did you mean" for a mistyped command or option, shell completion for
// bash and zsh, and man pages.
//
// Thread safety: pure functions over an App that is not modified meanwhile.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace fundtrail {

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbouring characters each cost 1 ("apend" -> "append" is 1, "verfiy" -> "verify" is 1).
size_t EditDistance(std::string_view a, std::string_view b);

// Of `candidates`, the closest to `typed` when it is close enough to be a typo (at most 2 edits,
// and fewer than half of its characters); "" when none is.
std::string ClosestName(std::string_view typed, const std::vector<std::string>& candidates);

// For a command line that CLI11 refused: "unknown command \"apend\"; did you mean \"append\"?" or
// "unknown option \"--legder\" for fundtrail view; did you mean \"--ledger\"?", naming the first
// word of `args` (argv without argv[0]) that is neither a command nor an option of the command
// it follows, when one is close to it; "" otherwise.
std::string SuggestCorrection(const CLI::App& app, const std::vector<std::string>& args);

// A completion script for `shell` ("bash" or "zsh"): commands and subcommands, and each command's
// options. Empty for another shell.
std::string CompletionScript(const CLI::App& app, std::string_view shell);

// The man pages (roff, section 1): fundtrail.1, listing every command, and one page per command,
// "fundtrail-view.1", "fundtrail-flags-show.1", with its options. Pairs of file name and text.
// `date` (YYYY-MM-DD) goes in the header, so that the pages are reproducible.
std::vector<std::pair<std::string, std::string>> ManPages(const CLI::App& app,
                                                          std::string_view date);

}  // namespace fundtrail
