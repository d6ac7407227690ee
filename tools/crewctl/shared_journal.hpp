// crewctl/shared_journal.hpp — the PostgreSQL journal from the command line: `crewctl batch
// --journal postgresql://...` (create or join a batch), `--join --batch ID` (no input file), and
// `crewctl journal status|export|stop` on either backend (docs/distributed.md).
#pragma once

#include <memory>
#include <string>

#include "batch/pg_journal.hpp"
#include "commands.hpp"

namespace crewctl {

// A journal argument that names a PostgreSQL database (postgresql:// or postgres:// URI).
bool is_shared_journal(const std::string& journal);

// The shared journal of `crewctl batch` (--lease), or a clear error (exit 2 for a refused login,
// another schema version or an unknown batch).
crewai::Result<std::unique_ptr<crewai::batch::PgJournal>> open_shared_journal(const std::string& uri,
                                                                               const BatchArgs& a);

// A shared journal attached to one batch (not joined as a worker): `batch_id`, or the only batch the
// database holds (else a clear error listing them). For journal status|export|stop and the inbox.
crewai::Result<std::unique_ptr<crewai::batch::PgJournal>> open_shared_batch(const std::string& uri,
                                                                            const std::string& batch_id);

// The flags that only make sense together: --join with a shared journal and --batch, FILE or --join.
crewai::Result<void> check_shared_flags(const BatchArgs& a);

}  // namespace crewctl
