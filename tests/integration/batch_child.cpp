// batch_child — a batch in its own process, so tests can SIGKILL it at any moment and reopen
// its journal. Items are "topic-<i>" for i in [0, N). Prints each finished record as one JSON line.
//   batch_child URL TOKEN JOURNAL N CONCURRENCY
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>

#include "crewai/batch.hpp"

namespace {

class Printer : public crewai::BatchObserver {
 public:
  bool on_record(const crewai::ItemRecord& r) override {
    std::lock_guard lock(mu_);
    std::cout << crewai::to_json(r).dump() << std::endl;
    return true;
  }

 private:
  std::mutex mu_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: batch_child URL TOKEN JOURNAL N CONCURRENCY\n";
    return 2;
  }
  crewai::ClientOptions o;
  o.base_url = argv[1];
  o.token = argv[2];
  o.poll.initial = std::chrono::milliseconds(10);
  o.poll.cap = std::chrono::milliseconds(40);
  o.random_seed = 1;
  auto client = crewai::Client::create(o);
  if (!client) {
    std::cerr << client.error().to_string() << "\n";
    return 5;
  }
  std::vector<crewai::BatchItem> items;
  int n = std::atoi(argv[4]);
  for (int i = 0; i < n; ++i) {
    crewai::BatchItem it;
    it.inputs = {{"topic", "topic-" + std::to_string(i)}, {"current_year", "2026"}};
    items.push_back(std::move(it));
  }
  crewai::BatchOptions bo;
  bo.journal_path = argv[3];
  bo.max_concurrent = std::atoi(argv[5]);
  Printer printer;
  auto batch = crewai::Batch::create(*client, std::move(items), bo, &printer);
  if (!batch) {
    std::cerr << batch.error().to_string() << "\n";
    return 2;
  }
  auto report = (*batch)->run();
  if (!report) {
    std::cerr << report.error().to_string() << "\n";
    return 5;
  }
  return 0;
}
