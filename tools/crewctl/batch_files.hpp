// crewctl/batch_files.hpp — the files of `crewctl batch` besides its input: which may be used, and
// what an earlier run left in them.
#pragma once

#include <string>
#include <vector>

#include "commands.hpp"
#include "crewai/batch.hpp"
#include "crewai/error.hpp"

namespace crewctl {

// Refuses (invalid_argument, naming both paths and the flag) a results file, its temporary file, a
// journal or a summary file that is the input file — by any spelling: the same inode when both exist
// (symlinks, hard links, `./x`), the same canonical path otherwise — and a results file that is the
// journal. `journal` is empty without one.
crewai::Result<void> check_batch_paths(const BatchArgs& a, const std::string& journal);

}  // namespace crewctl
