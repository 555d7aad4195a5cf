// An SVG scatter plot of measured latency against cost, for pwsvc tune --plot.
#pragma once

#include <string>
#include <vector>

namespace pwsvc::cli {

struct PlotPoint {
  double x = 0;
  double y = 0;
  bool chosen = false;  // drawn larger and in another colour
};

struct LatencyPlot {
  std::string title;
  std::string x_label;
  std::vector<PlotPoint> points;
  double target_ms = 0;
  double tolerance = 0.10;  // the band above the target, as a fraction
};

// Returns a standalone SVG document: axes with ticks, one circle per point,
// a line at the target and a shaded band up to target + tolerance.
std::string render_latency_svg(const LatencyPlot& plot);

}  // namespace pwsvc::cli
