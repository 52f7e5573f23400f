#include "cli/tco_svg.h"

#include <algorithm>
#include <cstdio>

namespace hearth::cli {
namespace {

constexpr double kWidth = 760;
constexpr double kHeight = 440;
constexpr double kLeft = 90;
constexpr double kRight = 20;
constexpr double kTop = 50;
constexpr double kBottom = 60;

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", value);
  return text;
}

// Whole dollars with thousands separators: "12,500".
std::string dollars(int64_t udollars) {
  const std::string digits = std::to_string(udollars / 1'000'000);
  std::string out;
  for (size_t idx = 0; idx < digits.size(); ++idx) {
    if (idx > 0 && (digits.size() - idx) % 3 == 0) out.push_back(',');
    out.push_back(digits[idx]);
  }
  return "$" + out;
}

// A round step (1, 2 or 5 times a power of ten) giving at most `max_ticks` ticks up to `top`.
int64_t tick_step(int64_t top, int64_t max_ticks) {
  int64_t power = 1;
  while (true) {
    for (int64_t factor : {1, 2, 5}) {
      if (top / (power * factor) <= max_ticks) return power * factor;
    }
    power *= 10;
  }
}

}  // namespace

std::string render_tco_svg(const ledger::TcoResult& tco) {
  const int64_t life = tco.inputs.life_months;
  int64_t top = 1;
  for (const ledger::TcoMonth& month : tco.months) top = std::max({top, month.owned_udollars, month.rented_udollars});
  const int64_t y_step = tick_step(top, 8);
  const int64_t y_max = (top + y_step - 1) / y_step * y_step;
  const double plot_w = kWidth - kLeft - kRight;
  const double plot_h = kHeight - kTop - kBottom;
  const auto x_of = [&](int64_t month) {
    return kLeft + plot_w * static_cast<double>(month) / static_cast<double>(life);
  };
  const auto y_of = [&](int64_t udollars) {
    return kTop + plot_h - plot_h * static_cast<double>(udollars) / static_cast<double>(y_max);
  };

  std::string svg;
  svg += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + number(kWidth) + "\" height=\"" +
         number(kHeight) + "\" viewBox=\"0 0 " + number(kWidth) + " " + number(kHeight) +
         "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + number(kWidth / 2) +
         "\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">Cumulative cost: owned (" +
         dollars(tco.inputs.capex_udollars) + ", " + std::to_string(life) + " months) vs rented GPU (" +
         dollars(tco.rent_month_udollars) + "/month)</text>\n";
  // Grid and y labels.
  for (int64_t value = 0; value <= y_max; value += y_step) {
    const std::string y = number(y_of(value));
    svg += "<line x1=\"" + number(kLeft) + "\" y1=\"" + y + "\" x2=\"" + number(kWidth - kRight) + "\" y2=\"" + y +
           "\" stroke=\"#ddd\"/>\n";
    svg += "<text x=\"" + number(kLeft - 6) + "\" y=\"" + number(y_of(value) + 4) + "\" text-anchor=\"end\">" +
           dollars(value) + "</text>\n";
  }
  // x labels.
  const int64_t x_step = tick_step(life, 12);
  for (int64_t month = 0; month <= life; month += x_step) {
    svg += "<text x=\"" + number(x_of(month)) + "\" y=\"" + number(kTop + plot_h + 18) + "\" text-anchor=\"middle\">" +
           std::to_string(month) + "</text>\n";
  }
  svg += "<text x=\"" + number(kLeft + plot_w / 2) + "\" y=\"" + number(kHeight - 18) +
         "\" text-anchor=\"middle\">months since purchase</text>\n";
  svg += "<line x1=\"" + number(kLeft) + "\" y1=\"" + number(kTop + plot_h) + "\" x2=\"" + number(kWidth - kRight) +
         "\" y2=\"" + number(kTop + plot_h) + "\" stroke=\"black\"/>\n";
  svg += "<line x1=\"" + number(kLeft) + "\" y1=\"" + number(kTop) + "\" x2=\"" + number(kLeft) + "\" y2=\"" +
         number(kTop + plot_h) + "\" stroke=\"black\"/>\n";
  // The two curves.
  std::string owned;
  std::string rented;
  for (const ledger::TcoMonth& month : tco.months) {
    owned += number(x_of(month.month)) + "," + number(y_of(month.owned_udollars)) + " ";
    rented += number(x_of(month.month)) + "," + number(y_of(month.rented_udollars)) + " ";
  }
  svg += "<polyline id=\"owned\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2.5\" points=\"" + owned + "\"/>\n";
  svg += "<polyline id=\"rented\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"2.5\" points=\"" + rented + "\"/>\n";
  if (tco.break_even_month && tco.break_even_within_life) {
    const std::string x = number(x_of(*tco.break_even_month));
    svg += "<line id=\"break-even\" x1=\"" + x + "\" y1=\"" + number(kTop) + "\" x2=\"" + x + "\" y2=\"" +
           number(kTop + plot_h) + "\" stroke=\"#555\" stroke-dasharray=\"5,4\"/>\n";
    svg += "<text x=\"" + number(x_of(*tco.break_even_month) + 5) + "\" y=\"" + number(kTop + 14) +
           "\">break-even: month " + std::to_string(*tco.break_even_month) + " (day " +
           std::to_string(tco.break_even_day.value_or(0)) + ")</text>\n";
  }
  // Legend.
  const double legend_y = kTop + 34;
  svg += "<rect x=\"" + number(kLeft + 14) + "\" y=\"" + number(legend_y - 10) +
         "\" width=\"14\" height=\"4\" fill=\"#1f77b4\"/><text x=\"" + number(kLeft + 34) + "\" y=\"" +
         number(legend_y - 5) + "\">owned: purchase + energy</text>\n";
  svg += "<rect x=\"" + number(kLeft + 14) + "\" y=\"" + number(legend_y + 8) +
         "\" width=\"14\" height=\"4\" fill=\"#d62728\"/><text x=\"" + number(kLeft + 34) + "\" y=\"" +
         number(legend_y + 13) + "\">rented GPU</text>\n";
  svg += "</svg>\n";
  return svg;
}

}  // namespace hearth::cli
