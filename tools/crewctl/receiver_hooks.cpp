// The webhook URLs the receiver hands to a kickoff or a resume.
#include "receiver.hpp"

namespace crewctl {
namespace {

template <class Request>
void set_urls(const WebhookDesk& desk, const ReceiverOptions& o, Request& req) {
  req.task_webhook_url = desk.url(o.public_url, "task");
  req.crew_webhook_url = desk.url(o.public_url, "crew");
  crewai::HumanInputWebhook human;
  human.url = desk.url(o.public_url, "human");
  req.human_input_webhook = std::move(human);
  if (o.stream_events) {
    crewai::StreamingWebhooks w;
    w.url = desk.url(o.public_url, "events");
    w.events = o.event_types;
    w.realtime = o.events_realtime;
    w.bearer_token = desk.bearer();
    req.webhooks = std::move(w);
  }
}

}  // namespace

void Receiver::decorate(crewai::KickoffRequest& req) { set_urls(*desk_, options_, req); }
void Receiver::decorate(crewai::ResumeRequest& req) { set_urls(*desk_, options_, req); }

}  // namespace crewctl
