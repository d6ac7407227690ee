// pg_batch_support.hpp — crewai::Batch workers on the shared journal: each worker a client, a batch
// and its own connection to the test's database.
#pragma once

#include "batch/batch_factory.hpp"
#include "batch/pg_journal.hpp"
#include "integration/batch_support.hpp"
#include "pg/pg_test_support.hpp"

namespace crewai::test {

class PgBatchTest : public PgTest {
 protected:
  // A worker's batch over its own connection to the shared journal.
  std::unique_ptr<Batch> worker(Client& client, const std::vector<BatchItem>& items, BatchOptions o,
                                batch::PgJournalOptions jo = {}) {
    auto j = batch::open_pg_journal(uri(), std::move(jo));
    EXPECT_TRUE(j) << (j ? "" : j.error().message);
    if (!j) return nullptr;
    auto with_index = items;
    for (std::size_t i = 0; i < with_index.size(); ++i) with_index[i].index = i;
    batch::BatchIdentity id{client.options().base_url, batch::hash_items(with_index), items.size(), ""};
    auto bound = (*j)->create_or_join(id, with_index);
    EXPECT_TRUE(bound) << (bound ? "" : bound.error().message);
    auto b = batch::BatchFactory::create(client, items, std::move(o), std::move(*j));
    EXPECT_TRUE(b) << (b ? "" : b.error().message);
    return b ? std::move(*b) : nullptr;
  }

  // Every final record in the journal, by index.
  std::vector<batch::JournalItem> journal_items() {
    auto j = batch::open_pg_journal(uri());
    auto batches = (*j)->list_batches();
    EXPECT_TRUE(batches && batches->size() == 1);
    EXPECT_TRUE((*j)->attach(batches->front().batch_id));
    return (*j)->load().value();
  }
};

}  // namespace crewai::test
