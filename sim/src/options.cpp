#include "crewai/sim/options.hpp"

namespace crewai::sim {

tl::expected<Dialect, std::string> parse_dialect(const std::string& s) {
  if (s == "amp") return Dialect::amp;
  if (s == "celery-legacy" || s == "celery_legacy") return Dialect::celery_legacy;
  if (s == "seed") return Dialect::seed;
  if (s == "live") return Dialect::live;
  return tl::unexpected<std::string>("unknown dialect '" + s + "' (amp, celery-legacy, seed, live)");
}

tl::expected<ErrorStyle, std::string> parse_error_style(const std::string& s) {
  if (s == "docs") return ErrorStyle::docs;
  if (s == "fastapi") return ErrorStyle::fastapi;
  return tl::unexpected<std::string>("unknown error style '" + s + "' (docs, fastapi)");
}

}  // namespace crewai::sim
