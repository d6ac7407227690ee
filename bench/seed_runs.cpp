// bench_seed_runs — kicks off N runs of the simulator's crew and writes their kickoff ids, one a
// line, so that load tools have live runs to read. Uses crewai::Client with a window of kickoffs
// in flight. Token from $CREWAI_TOKEN.
//   bench_seed_runs --url http://127.0.0.1:PORT --count 10000 --out ids.txt [--window 256]
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <semaphore>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "crewai/client.hpp"

namespace {

struct Seeded {
  std::mutex mutex;
  std::vector<std::string> ids;
  std::size_t failed = 0;
  std::string first_error;
};

}  // namespace

int main(int argc, char** argv) {
  crewai::bench::Flags flags(argc, argv);
  const char* token = std::getenv("CREWAI_TOKEN");
  if (!flags.has("url") || !flags.has("out") || token == nullptr) {
    std::fprintf(stderr, "usage: CREWAI_TOKEN=T bench_seed_runs --url URL --count N --out FILE\n");
    return 2;
  }
  crewai::ClientOptions options;
  options.base_url = flags.str("url");
  options.token = token;
  options.max_host_connections = flags.num("connections", 32);
  auto client = crewai::Client::create(options);
  if (!client) {
    std::fprintf(stderr, "client: %s\n", client.error().message.c_str());
    return 1;
  }
  const auto count = static_cast<std::size_t>(flags.num("count", 10'000));
  const std::string input = flags.str("input", "topic");
  std::counting_semaphore<> window(flags.num("window", 256));
  Seeded seeded;
  for (std::size_t i = 0; i < count; ++i) {
    window.acquire();
    crewai::KickoffRequest req;
    req.inputs = crewai::Json{{input, "seed-" + std::to_string(i)}};
    req.meta = crewai::Json{{"requestId", "seed-" + std::to_string(i)}};
    client->kickoff_async(std::move(req)).then([&](crewai::Result<std::string> id) {
      {
        std::lock_guard lock(seeded.mutex);
        if (id) {
          seeded.ids.push_back(*id);
        } else if (seeded.failed++ == 0) {
          seeded.first_error = id.error().message;
        }
      }
      window.release();
    });
  }
  for (long i = 0; i < flags.num("window", 256); ++i) window.acquire();
  std::ofstream out(flags.str("out"));
  for (const auto& id : seeded.ids) out << id << '\n';
  std::printf("seeded %zu runs, %zu failed%s%s\n", seeded.ids.size(), seeded.failed,
              seeded.failed ? ": " : "", seeded.first_error.c_str());
  return seeded.failed == 0 ? 0 : 1;
}
