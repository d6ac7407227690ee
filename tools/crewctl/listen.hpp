// crewctl/listen.hpp — `--listen` for kickoff --wait, wait, resume --wait and batch: starting the
// receiver (receiver.hpp), following one run with it, and what is left at the end (--events-out,
// the counts of accepted and refused webhooks).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "receiver.hpp"

namespace crewctl {

// Usage errors of the --listen family before anything starts: companions without --listen, and
// webhook URLs given by hand beside it (the receiver sets them). `hooks`/`run_hooks` may be null.
crewai::Result<void> check_listen_flags(const ListenArgs& a, const WebhookArgs* hooks,
                                        const RunHookArgs* run_hooks);

// Null without --listen. Prints "crewctl: listening for webhooks on HOST:PORT" on stderr (never
// the secret). Streams events when `events` is non-empty or --events-out is given ("all" = every
// type).
crewai::Result<std::unique_ptr<Receiver>> start_listening(const ListenArgs& a,
                                                          const std::vector<std::string>& events,
                                                          bool realtime, crewai::Client* client,
                                                          bool quiet);

// client.wait() that also ends when the run's human-input webhook arrives, and fills a pause's
// task id, output and callback URL from it (waiting briefly when /status showed the pause first).
struct Followed {
  crewai::Result<crewai::RunResult> run;
  std::string callback_url;  // a paused flow's
};
Followed follow_listening(crewai::Client& client, Receiver& rx, const std::string& id,
                          crewai::WaitOptions w);

// --events-out (each run's events, deduped and in order, tagged with its item) and the webhook
// counts on stderr. `items`: kickoff id -> (index, item id).
void finish_listening(Receiver& rx, const ListenArgs& a,
                      const std::map<std::string, std::pair<std::size_t, std::string>>& items,
                      bool quiet);

}  // namespace crewctl
