// The TCO plot as a standalone SVG document, written by hand (no library):
// cumulative cost of the owned hardware and of the rented GPU, month by month
// over the hardware's life, with the break-even month marked. `hearth tco --svg FILE`.
#pragma once

#include <string>

#include "ledger/tco.h"

namespace hearth::cli {

// A complete SVG 1.1 document (UTF-8, ASCII only).
std::string render_tco_svg(const ledger::TcoResult& tco);

}  // namespace hearth::cli
