// Hand-written SVG for the tune plot: no plotting library is needed for a
// handful of points.
#include "svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace pwsvc::cli {

namespace {

constexpr double k_width = 720;
constexpr double k_height = 440;
constexpr double k_left = 80;
constexpr double k_right = 30;
constexpr double k_top = 50;
constexpr double k_bottom = 70;
constexpr int k_ticks = 5;

std::string escape_xml(std::string_view text) {
  std::string escaped;
  for (const char c : text) {
    switch (c) {
      case '&': escaped += "&amp;"; break;
      case '<': escaped += "&lt;"; break;
      case '>': escaped += "&gt;"; break;
      case '"': escaped += "&quot;"; break;
      default: escaped += c;
    }
  }
  return escaped;
}

std::string number(double value) {
  std::ostringstream text;
  text.precision(value != 0 && std::abs(value) < 10 ? 3 : 6);
  text << value;
  return text.str();
}

// Maps data ranges onto the drawing area, with y growing upwards.
struct Scale {
  double x_min, x_max, y_max;

  double x(double value) const {
    const double span = x_max > x_min ? x_max - x_min : 1;
    return k_left + (value - x_min) / span * (k_width - k_left - k_right);
  }
  double y(double value) const {
    return k_height - k_bottom - value / y_max * (k_height - k_top - k_bottom);
  }
};

Scale scale_for(const LatencyPlot& plot) {
  double x_min = plot.points.empty() ? 0 : plot.points.front().x;
  double x_max = x_min;
  double y_max = plot.target_ms * (1 + plot.tolerance);
  for (const auto& point : plot.points) {
    x_min = std::min(x_min, point.x);
    x_max = std::max(x_max, point.x);
    y_max = std::max(y_max, point.y);
  }
  const double pad = (x_max - x_min) * 0.05;
  return {x_min - pad, x_max + pad, y_max * 1.1};
}

void draw_axes(std::ostringstream& svg, const LatencyPlot& plot, const Scale& scale) {
  const double x0 = k_left;
  const double y0 = k_height - k_bottom;
  svg << "<line x1=\"" << x0 << "\" y1=\"" << y0 << "\" x2=\"" << k_width - k_right
      << "\" y2=\"" << y0 << "\" stroke=\"black\"/>\n";
  svg << "<line x1=\"" << x0 << "\" y1=\"" << y0 << "\" x2=\"" << x0 << "\" y2=\"" << k_top
      << "\" stroke=\"black\"/>\n";
  for (int i = 0; i <= k_ticks; ++i) {
    const double x_value = scale.x_min + (scale.x_max - scale.x_min) * i / k_ticks;
    const double y_value = scale.y_max * i / k_ticks;
    svg << "<text x=\"" << scale.x(x_value) << "\" y=\"" << y0 + 18
        << "\" text-anchor=\"middle\">" << number(x_value) << "</text>\n";
    svg << "<text x=\"" << x0 - 8 << "\" y=\"" << scale.y(y_value) + 4
        << "\" text-anchor=\"end\">" << number(y_value) << "</text>\n";
  }
  svg << "<text x=\"" << (k_left + k_width - k_right) / 2 << "\" y=\"" << k_height - 20
      << "\" text-anchor=\"middle\">" << escape_xml(plot.x_label) << "</text>\n";
  svg << "<text x=\"20\" y=\"" << (k_top + y0) / 2 << "\" text-anchor=\"middle\" "
      << "transform=\"rotate(-90 20 " << (k_top + y0) / 2 << ")\">median latency (ms)</text>\n";
}

void draw_target(std::ostringstream& svg, const LatencyPlot& plot, const Scale& scale) {
  const double target_y = scale.y(plot.target_ms);
  const double band_y = scale.y(plot.target_ms * (1 + plot.tolerance));
  svg << "<rect x=\"" << k_left << "\" y=\"" << band_y << "\" width=\""
      << k_width - k_left - k_right << "\" height=\"" << target_y - band_y
      << "\" fill=\"#2ca02c\" fill-opacity=\"0.15\"/>\n";
  svg << "<line x1=\"" << k_left << "\" y1=\"" << target_y << "\" x2=\"" << k_width - k_right
      << "\" y2=\"" << target_y << "\" stroke=\"#2ca02c\" stroke-dasharray=\"6 4\"/>\n";
  svg << "<text x=\"" << k_width - k_right << "\" y=\"" << band_y - 6
      << "\" text-anchor=\"end\" fill=\"#2ca02c\">target " << number(plot.target_ms)
      << " ms (+" << number(plot.tolerance * 100) << "%)</text>\n";
}

}  // namespace

std::string render_latency_svg(const LatencyPlot& plot) {
  const Scale scale = scale_for(plot);
  std::ostringstream svg;
  svg << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << k_width << "\" height=\""
      << k_height << "\" viewBox=\"0 0 " << k_width << " " << k_height
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg << "<text x=\"" << k_width / 2 << "\" y=\"28\" text-anchor=\"middle\" font-size=\"15\">"
      << escape_xml(plot.title) << "</text>\n";
  draw_target(svg, plot, scale);
  draw_axes(svg, plot, scale);
  for (const auto& point : plot.points) {
    svg << "<circle cx=\"" << scale.x(point.x) << "\" cy=\"" << scale.y(point.y) << "\" r=\""
        << (point.chosen ? 7 : 4) << "\" fill=\"" << (point.chosen ? "#d62728" : "#1f77b4")
        << "\"><title>" << number(point.x) << ": " << number(point.y)
        << " ms</title></circle>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace pwsvc::cli
