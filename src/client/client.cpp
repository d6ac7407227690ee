// The public Client: one starter per call over the engine-thread operations in impl.hpp.
#include "crewai/client.hpp"

#include "client/impl.hpp"
#include "client/internal.hpp"
#include "protocol/hitl.hpp"

namespace crewai {
namespace {

// The one starter of every call: runs `start(done)` on the engine thread, where `done` completes
// the Pending (or completes it with `cancelled` at once when the client is closing).
template <class T, class Start>
Pending<T> start_call(Client::Impl& impl, Start start) {
  auto state = std::make_shared<detail::PendingState<T>>();
  state->engine = impl.engine_thread;
  auto done = [state](Result<T> r) { state->complete(std::move(r)); };
  impl.dispatch(
      [state, start = std::move(start), done]() mutable {
        if (state->start()) start(std::move(done));
      },
      [done] { done(tl::unexpected(cancelled_error())); });
  return Pending<T>(std::move(state));
}

}  // namespace

Result<Client> Client::create(ClientOptions options) {
  auto ok = client::validate(options);
  if (!ok) return tl::unexpected(ok.error());
  return Client(std::make_unique<Impl>(std::move(options)));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

const ClientOptions& Client::options() const { return impl_->options; }

void Client::set_request_rate(double per_second) {
  impl_->dispatch([impl = impl_.get(), per_second] { impl->set_rate(per_second); }, [] {});
}

std::vector<std::string> Client::on_webhook(std::string_view body) {
  auto ids = protocol::webhook_kickoff_ids(body);
  for (const auto& id : ids) notify(id);
  return ids;
}

void Client::notify(const std::string& kickoff_id) {
  if (kickoff_id.empty()) return;
  impl_->dispatch([impl = impl_.get(), kickoff_id] { impl->wake(kickoff_id); }, [] {});
}

ClientStats Client::stats() const {
  ClientStats s;
  s.requests = impl_->n_requests.load();
  s.retries = impl_->n_retries.load();
  s.transport_failures = impl_->n_transport.load();
  s.http_429 = impl_->n_429.load();
  s.http_5xx = impl_->n_5xx.load();
  s.connections = impl_->engine.stats().connections_opened;
  return s;
}

using Names = std::vector<std::string>;

Pending<Names> Client::inputs_async(std::stop_token stop) {
  return start_call<Names>(*impl_, [impl = impl_.get(), stop](auto done) {
    impl->do_inputs(std::move(done), stop);
  });
}

Pending<std::string> Client::kickoff_async(KickoffRequest req, std::stop_token stop) {
  return start_call<std::string>(*impl_, [impl = impl_.get(), req = std::move(req), stop](
                                             auto done) mutable {
    impl->do_kickoff(std::move(req), std::move(done), stop);
  });
}

Pending<RunResult> Client::status_async(std::string id, std::stop_token stop) {
  return start_call<RunResult>(*impl_, [impl = impl_.get(), id = std::move(id), stop](
                                           auto done) mutable {
    impl->do_status(std::move(id), std::move(done), stop);
  });
}

Pending<RunResult> Client::wait_async(std::string id, WaitOptions opts) {
  return start_call<RunResult>(
      *impl_, [impl = impl_.get(), id = std::move(id), opts = std::move(opts)](auto done) mutable {
        impl->do_wait(std::move(id), std::move(opts), Json(), std::move(done));
      });
}

Pending<RunResult> Client::run_async(KickoffRequest req, WaitOptions opts) {
  return start_call<RunResult>(
      *impl_, [impl = impl_.get(), req = std::move(req), opts = std::move(opts)](auto done) mutable {
        impl->do_run(std::move(req), std::move(opts), std::move(done));
      });
}

Pending<ResumeResponse> Client::resume_async(ResumeRequest req, std::stop_token stop) {
  return start_call<ResumeResponse>(*impl_, [impl = impl_.get(), req = std::move(req), stop](
                                                auto done) mutable {
    impl->do_resume(std::move(req), std::move(done), stop);
  });
}

Pending<RunResult> Client::resume_and_wait_async(ResumeRequest req, WaitOptions opts) {
  return start_call<RunResult>(
      *impl_, [impl = impl_.get(), req = std::move(req), opts = std::move(opts)](auto done) mutable {
        impl->do_resume_and_wait(std::move(req), std::move(opts), std::move(done));
      });
}

Pending<ResumeResponse> Client::answer_flow_async(FlowAnswer answer, std::stop_token stop) {
  return start_call<ResumeResponse>(
      *impl_, [impl = impl_.get(), answer = std::move(answer), stop](auto done) mutable {
        impl->do_answer_flow(std::move(answer), std::move(done), stop);
      });
}

Pending<CancelResult> Client::cancel_async(std::string id) {
  return start_call<CancelResult>(*impl_, [impl = impl_.get(), id = std::move(id)](
                                              auto done) mutable {
    impl->do_cancel(std::move(id), std::move(done));
  });
}

}  // namespace crewai
