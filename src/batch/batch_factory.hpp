// batch/batch_factory.hpp — a Batch over a journal that the caller opened.
//
// Batch::create opens the journal named in the options; this takes an open one instead (the options'
// journal_path is then ignored). The CLI uses it to lock and open the journal before anything else
// can refuse the run; tests use it to put a journal with injected write faults under a batch.
#pragma once

#include <memory>
#include <vector>

#include "batch/journal.hpp"
#include "crewai/batch.hpp"

namespace crewai::batch {

struct BatchFactory {
  // `journal` may be null (no journal). Binds it to the batch's identity (deployment, inputs' hash,
  // batch id) as Batch::create does.
  [[nodiscard]] static Result<std::unique_ptr<Batch>> create(Client& client, std::vector<BatchItem> items,
                                               BatchOptions options, std::unique_ptr<Journal> journal,
                                               BatchObserver* observer = nullptr);
};

}  // namespace crewai::batch
