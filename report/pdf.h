// PDF from the report's HTML through Debian's headless Chromium (`chromium --print-to-pdf`): the
// same file a browser shows, printed with the template's print styles (A4, page breaks). Chromium
// runs with a fresh profile in a temporary directory, without a sandbox (it runs as root in CI),
// and with every background service that would reach the network turned off; the HTML fetches
// nothing either.
//
// Thread safety: each call has its own child process and temporary directory.
#pragma once

#include <string>
#include <vector>

#include "ledger/status.h"

namespace fundtrail::report {

// The Chromium to run: `requested` when not empty (a path, or a name looked up in $PATH), else
// `chromium` then `chromium-browser` from $PATH. NotFound, saying how to install it, when there is
// none.
Result<std::string> FindChromium(const std::string& requested);

// The command line that prints `html_path` to `pdf_path` (both absolute) with `profile` as the
// user data directory.
std::vector<std::string> ChromiumPrintArguments(const std::string& chromium, const std::string& html_path,
                                                const std::string& pdf_path, const std::string& profile);

// Prints `html_path` to `pdf_path` with `chromium` (FindChromium) and waits for it, at most
// `timeout_seconds` (then the child is killed: a hung browser must not hang the command). Errors
// quote the end of what Chromium printed. Replaces `pdf_path` only when Chromium wrote a PDF.
Status PrintHtmlToPdf(const std::string& chromium, const std::string& html_path, const std::string& pdf_path,
                      int timeout_seconds = 180);

}  // namespace fundtrail::report
