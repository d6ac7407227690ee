#include "crewai/version.hpp"

namespace crewai {

// CREWAI_LIBRARY_VERSION is set for this file only (src/CMakeLists.txt), so that version() reports
// the library that was linked, not the headers a program was compiled with.
std::string_view version() noexcept { return CREWAI_LIBRARY_VERSION; }

}  // namespace crewai
