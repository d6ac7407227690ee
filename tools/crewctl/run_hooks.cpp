// The human-input and event-streaming webhooks of kickoff and resume, from their flags.
#include "commands.hpp"

namespace crewctl {

using crewai::ErrorCode;
using crewai::make_error;

crewai::Result<void> apply_run_hooks(const RunHookArgs& a,
                                     std::optional<crewai::HumanInputWebhook>& human,
                                     std::optional<crewai::StreamingWebhooks>& streaming) {
  if (!a.human_webhook.empty()) {
    crewai::HumanInputWebhook h;
    h.url = a.human_webhook;
    if (!a.human_bearer.empty() && !a.human_basic.empty()) {
      return make_error(ErrorCode::invalid_argument,
                        "give only one of --human-input-bearer and --human-input-basic");
    }
    if (!a.human_bearer.empty()) {
      h.auth = crewai::HumanInputWebhook::Auth::bearer;
      h.token = a.human_bearer;
    } else if (!a.human_basic.empty()) {
      auto colon = a.human_basic.find(':');
      if (colon == std::string::npos) {
        return make_error(ErrorCode::invalid_argument, "--human-input-basic expects USER:PASS");
      }
      h.auth = crewai::HumanInputWebhook::Auth::basic;
      h.username = a.human_basic.substr(0, colon);
      h.password = a.human_basic.substr(colon + 1);
    }
    human = std::move(h);
  } else if (!a.human_bearer.empty() || !a.human_basic.empty()) {
    return make_error(ErrorCode::invalid_argument,
                      "--human-input-bearer/--human-input-basic need --human-input-webhook URL");
  }
  if (!a.events_webhook.empty()) {
    crewai::StreamingWebhooks w;
    w.url = a.events_webhook;
    for (const auto& e : a.events) {
      if (!e.empty()) w.events.push_back(e);
    }
    w.realtime = a.events_realtime;
    w.bearer_token = a.events_bearer;
    streaming = std::move(w);
  } else if (!a.events.empty() || a.events_realtime || !a.events_bearer.empty()) {
    return make_error(ErrorCode::invalid_argument,
                      "--events/--events-realtime/--events-bearer need --events-webhook URL");
  }
  return {};
}

}  // namespace crewctl
